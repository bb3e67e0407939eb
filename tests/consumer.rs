//! The consumer's side in Rust's shape: `try_anext`/`try_asend` with `?`
//! (into a custom error, `Box<dyn Error>`, `anyhow`), calls on trait
//! objects, and driving a generator from a stream of inputs.

mod support;

use std::pin::Pin;

use agen::{AsyncGenerator, AsyncGeneratorExt, Error, async_generator, yield_};
use support::block_on;

#[derive(Clone, Debug, PartialEq)]
struct Invalid(u32);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid input {}", self.0)
    }
}

impl std::error::Error for Invalid {}

/// Doubles what it is sent; refuses 13.
#[async_generator(yield = u32, send = u32)]
async fn doubler() -> Result<(), Invalid> {
    let mut n = yield_!(0);
    loop {
        if n == 13 {
            return Err(Invalid(n));
        }
        n = yield_!(n * 2);
    }
}

#[async_generator(yield = u32)]
async fn three() {
    for i in 1..=3 {
        yield_!(i);
    }
}

async fn collect_anyhow() -> anyhow::Result<Vec<u32>> {
    let mut g = std::pin::pin!(three());
    let mut items = Vec::new();
    while let Some(x) = g.as_mut().try_anext().await? {
        items.push(x);
    }
    Ok(items)
}

#[test]
fn try_anext_ends_with_none_and_question_mark_works_into_anyhow() {
    assert_eq!(block_on(collect_anyhow()).unwrap(), [1, 2, 3]);
}

async fn drive(inputs: &[u32]) -> anyhow::Result<Vec<u32>> {
    let mut g = std::pin::pin!(doubler());
    g.as_mut().try_anext().await?; // start it
    let mut replies = Vec::new();
    for &n in inputs {
        match g.as_mut().try_asend(n).await? {
            Some(reply) => replies.push(reply),
            None => break,
        }
    }
    Ok(replies)
}

#[test]
fn a_real_error_propagates_through_question_mark_with_its_source() {
    assert_eq!(block_on(drive(&[1, 2])).unwrap(), [2, 4]);
    let error = block_on(drive(&[1, 13, 2])).unwrap_err();
    assert_eq!(error.to_string(), "invalid input 13");
    // The body's error is the source of agen's error: downcastable.
    let agen_error = error
        .downcast_ref::<Error<(), Invalid, u32>>()
        .expect("agen's error");
    assert_eq!(agen_error.clone().into_raised(), Some(Invalid(13)));
}

#[test]
fn question_mark_works_into_a_boxed_error() {
    async fn run() -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
        let mut g = std::pin::pin!(doubler());
        g.as_mut().try_anext().await?;
        g.as_mut().try_asend(13).await?;
        Ok(0)
    }
    let error = block_on(run()).unwrap_err();
    assert_eq!(error.to_string(), "invalid input 13");
}

type DynDoubler = dyn AsyncGenerator<Yield = u32, Send = u32, Return = (), Error = Invalid>;

#[test]
fn every_call_works_on_a_boxed_trait_object() {
    let mut g: Pin<Box<DynDoubler>> = Box::pin(doubler());
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().asend(4).await, Ok(8));
        assert_eq!(g.as_mut().try_asend(5).await, Ok(Some(10)));
        assert_eq!(
            g.as_mut().athrow(Invalid(1)).await,
            Err(Error::Raised(Invalid(1)))
        );
        assert_eq!(g.as_mut().aclose().await, Ok(()));
        assert_eq!(g.as_mut().try_anext().await, Ok(None));
    });
}

#[test]
fn replies_drive_a_generator_from_a_stream_of_inputs() {
    use futures::StreamExt;
    block_on(async {
        let mut g = std::pin::pin!(doubler());
        let inputs = futures::stream::iter([1, 2, 13, 4]);
        let replies: Vec<_> = g.as_mut().replies(inputs).collect().await;
        // The start's reply, then one per input; the error ends it.
        assert_eq!(
            replies,
            [Ok(0), Ok(2), Ok(4), Err(Error::Raised(Invalid(13)))]
        );
        assert_eq!(g.state(), agen::GenState::Closed);
    });
}

#[test]
fn replies_continue_a_started_generator_and_end_with_the_inputs() {
    use futures::StreamExt;
    block_on(async {
        let mut g = std::pin::pin!(doubler());
        assert_eq!(g.as_mut().anext().await, Ok(0));
        let replies: Vec<_> = g
            .as_mut()
            .replies(futures::stream::iter([5, 6]))
            .collect()
            .await;
        assert_eq!(replies, [Ok(10), Ok(12)]);
        // Still suspended: the inputs ended, not the generator.
        assert_eq!(g.as_mut().asend(7).await, Ok(14));
    });
}
