//! `Send`/`Sync` follow the body (SPEC §4): both directions.

mod support;

use std::marker::PhantomData;
use std::rc::Rc;

use std::pin::Pin;

use agen::{AsyncGenerator, AsyncGeneratorExt, Stream, Thrown, async_generator, yield_};
use futures::StreamExt;

/// Answers "is `T: Send`?" for a concrete `T` at compile time: the inherent
/// method exists only when the bound holds, else the trait's fallback is used.
struct Probe<T>(PhantomData<T>);
trait Fallback {
    fn is_send(&self) -> bool {
        false
    }
    fn is_sync(&self) -> bool {
        false
    }
}
impl<T> Fallback for Probe<T> {}
impl<T: Send> Probe<T> {
    fn is_send(&self) -> bool {
        true
    }
}
#[allow(dead_code)]
struct SyncProbe<T>(PhantomData<T>);
impl<T> Fallback for SyncProbe<T> {}
impl<T: Sync> SyncProbe<T> {
    fn is_sync(&self) -> bool {
        true
    }
}
fn probe<T>(_: &T) -> Probe<T> {
    Probe(PhantomData)
}
fn sync_probe<T>(_: &T) -> SyncProbe<T> {
    SyncProbe(PhantomData)
}

#[async_generator(yield = u64)]
async fn squares(n: u64) {
    for i in 0..n {
        tokio::task::yield_now().await;
        yield_!(i * i);
    }
}

#[async_generator(yield = u64)]
async fn holds_rc_across_yield() {
    let shared = Rc::new(5);
    yield_!(*shared);
    yield_!(*shared + 1);
}

#[async_generator(yield = u64)]
async fn rc_dropped_before_yield() {
    let v = {
        let shared = Rc::new(5);
        *shared
    };
    yield_!(v);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_body_makes_a_send_generator_that_runs_on_another_thread() {
    let g = squares(5);
    assert!(probe(&g).is_send());
    assert!(sync_probe(&g).is_sync());
    let handle = tokio::spawn(async move { Box::pin(g).collect::<Vec<_>>().await });
    assert_eq!(handle.await.unwrap(), [0, 1, 4, 9, 16]);
}

#[test]
fn an_rc_held_across_a_yield_makes_it_not_send() {
    let g = holds_rc_across_yield();
    assert!(!probe(&g).is_send());
    assert!(!sync_probe(&g).is_sync());
    // Not held across a yield: still Send, as for any async fn.
    assert!(probe(&rc_dropped_before_yield()).is_send());
}

#[test]
fn a_send_type_or_yield_type_that_is_not_send_makes_it_not_send() {
    #[async_generator(yield = Rc<u8>)]
    async fn yields_rc() {
        yield_!(Rc::new(1));
    }
    assert!(!probe(&yields_rc()).is_send());
}

fn assert_send<T: Send>(_: &T) {}

/// The calls' awaitables are `Send` when the generator and what they carry
/// in are, also in generic code, where the opaque types' auto traits leak
/// from the runtime's futures.
fn every_call_is_send<G>(mut g: Pin<&mut G>, inputs: impl Stream<Item = G::Send> + Unpin + Send)
where
    G: AsyncGenerator<Error = std::io::Error> + Send + ?Sized,
    G::Send: Send + Default + Clone,
{
    assert_send(&g.as_mut().anext());
    assert_send(&g.as_mut().asend(G::Send::default()));
    assert_send(&g.as_mut().athrow(std::io::Error::other("boom")));
    assert_send(&g.as_mut().athrow(Thrown::GeneratorExit));
    assert_send(&g.as_mut().aclose());
    assert_send(&g.as_mut().try_anext());
    assert_send(&g.as_mut().try_asend(G::Send::default()));
    assert_send(&g.as_mut().replies(inputs));
}

#[async_generator(yield = u64, send = u64)]
async fn fallible_echo() -> Result<(), std::io::Error> {
    let mut v = 0;
    loop {
        v = yield_!(v);
    }
}

#[test]
fn the_calls_of_a_send_generator_are_send() {
    let mut g = std::pin::pin!(fallible_echo());
    every_call_is_send(g.as_mut(), futures::stream::iter([1, 2]));
    assert!(probe(&g.as_mut().anext()).is_send());
    assert!(sync_probe(&g.as_mut().anext()).is_sync());
    assert!(probe(&g.as_mut().asend(1)).is_send());
    assert!(probe(&g.as_mut().athrow(std::io::Error::other("boom"))).is_send());
    assert!(probe(&g.as_mut().aclose()).is_send());
    assert!(probe(&g.as_mut().try_anext()).is_send());
    assert!(probe(&g.as_mut().try_asend(1)).is_send());
    assert!(probe(&g.as_mut().replies(futures::stream::iter([1]))).is_send());
    // A boxed trait object's calls too.
    let mut boxed: agen::BoxAsyncGenerator<'_, u64, u64, Result<(), std::io::Error>> =
        agen::BoxAsyncGenerator::new(fallible_echo());
    every_call_is_send(Pin::new(&mut boxed), futures::stream::iter([1, 2]));
    assert!(probe(&Pin::new(&mut boxed).anext()).is_send());
}

#[test]
fn the_calls_of_a_generator_that_is_not_send_are_not_send() {
    let mut g = std::pin::pin!(holds_rc_across_yield());
    assert!(!probe(&g.as_mut().anext()).is_send());
    assert!(!probe(&g.as_mut().aclose()).is_send());
    assert!(!probe(&g.as_mut().replies(futures::stream::iter([()]))).is_send());
}
