//! A user macro that strips the expansion's `.await` gets the yield future
//! itself: polled again after it gave the value sent in, it gives nothing
//! (with the awaited-at-once yield this read the same `String` twice: a
//! double free).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use agen::{AsyncGeneratorExt, async_generator, yield_};

/// A user's safe macro_rules that drops the `.await` of whichever form the
/// expansion takes (a block, or a call).
macro_rules! unawait {
    ($b:block . await) => { $b };
    ($(::)? $($p:ident)::+ ( $($args:tt)* ) . await) => { ::$($p)::+($($args)*) };
}

/// Polls `f` once, in place.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let w = futures::task::noop_waker();
    Pin::new(f).poll(&mut Context::from_waker(&w))
}

#[async_generator(yield = u32, send = String)]
async fn double_read() {
    // The YieldAwaited future itself, not awaited.
    let mut fut = unawait!(yield_!(1));
    // Park at it (first poll: publishes' own value is there -> Pending).
    futures::future::poll_fn(|cx| {
        let _ = cx;
        match poll_once(&mut fut) {
            Poll::Ready(_) => Poll::Ready(()),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    // Resumed: poll_fn took the value sent in; a second poll takes nothing.
    assert!(
        poll_once(&mut fut).is_pending(),
        "a yield gives its value once"
    );
}

#[test]
fn double_read_of_sent_string() {
    futures::executor::block_on(async {
        let mut g = std::pin::pin!(double_read());
        assert_eq!(g.as_mut().anext().await.ok(), Some(1));
        let _ = g.as_mut().asend(String::from("boom boom boom")).await;
    });
}
