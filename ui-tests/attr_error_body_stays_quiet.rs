// Misuse: a misspelled `yeild = u32` argument. Only the attribute is reported:
// the body's `yield_!`, `yield_catch_!`, `raise_!` and `co!()` add no errors of their own.
use agen::{Yielder, async_generator, co, raise_, yield_, yield_catch_};

async fn helper(mut co: Yielder<'_, u32, u32>) -> u32 {
    co.yield_(0).await
}

#[async_generator(yeild = u32, send = u32)]
async fn numbers() {
    let n = yield_!(1u32);
    let m = helper(co!()).await;
    if let Err(thrown) = yield_catch_!(n + m) {
        raise_!(thrown);
    }
}

fn main() {
    let _ = numbers();
}
