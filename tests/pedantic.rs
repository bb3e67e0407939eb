//! A user crate that denies `clippy::pedantic` and uses every body macro:
//! the expansion must not trip it (`cargo clippy --all-targets` checks this
//! file in CI).
#![deny(clippy::pedantic)]

use agen::{
    AsyncGeneratorExt, Thrown, Yielder, async_gen, async_generator, co, raise_, yield_,
    yield_catch_, yield_from_, yield_from_catch_,
};
use futures::executor::block_on;

#[async_generator(yield = u32, send = u32)]
async fn inner() -> Result<u32, String> {
    yield_!(1);
    Ok(2)
}

async fn helper(mut co: Yielder<'_, u32, u32, String>) {
    co.yield_(3).await;
}

#[async_generator(yield = u32, send = u32)]
async fn every_macro() -> Result<u32, String> {
    let sent = yield_!(0);
    let from = yield_from_!(inner())?;
    helper(co!()).await;
    match yield_catch_!(sent + from) {
        Ok(_) => {}
        Err(Thrown::Error(e)) => return Err(e),
        Err(other) => raise_!(other),
    }
    if let Err(exit) = yield_from_catch_!(inner()) {
        raise_!(exit);
    }
    let numbers = async_gen!(yield = u32, send = u32, return = Result<(), String> => {
        yield_!(9);
        Ok(())
    });
    yield_from_!(numbers)?;
    yield_from_!(futures::stream::iter([10]));
    Ok(7)
}

#[test]
fn every_body_macro_under_deny_clippy_pedantic() {
    block_on(async {
        let mut g = std::pin::pin!(every_macro());
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().asend(1).await, Ok(1));
        assert_eq!(g.as_mut().anext().await, Ok(3));
        assert_eq!(g.as_mut().anext().await, Ok(3));
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().anext().await, Ok(9));
        assert_eq!(g.as_mut().anext().await, Ok(10));
        assert_eq!(
            g.as_mut().anext().await,
            Err(agen::Error::StopAsyncIteration(Some(7)))
        );
    });
}
