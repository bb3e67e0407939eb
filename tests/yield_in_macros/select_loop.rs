//! `yield_!` kept alive in a `select!` loop: the consumer sends a value, a
//! timer branch wins that poll and the body waits once before polling the
//! yield again; the yield then takes the value (the awaited-at-once yield
//! lost it, and the yield never completed).
use agen::{AsyncGeneratorExt, async_gen, yield_};
use futures::FutureExt;
use std::cell::RefCell;
use std::rc::Rc;
use std::task::Poll;

/// Pending once (waking itself), then ready.
fn once_pending() -> impl std::future::Future<Output = ()> {
    let mut first = true;
    futures::future::poll_fn(move |cx| {
        if first {
            first = false;
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
}

#[test]
fn value_sent_to_a_yield_raced_in_a_select_loop_reaches_it() {
    let got = Rc::new(RefCell::new(None));
    let g2 = got.clone();
    let g = async_gen!(yield = u32, send = String => {
        let mut y = std::pin::pin!(async { yield_!(1) }.fuse());
        let mut ticks = 0;
        loop {
            futures::select_biased! {
                _ = once_pending().fuse() => {
                    ticks += 1;
                    if ticks > 5 { break; }
                    once_pending().await; // a real wait before the yield is polled again
                }
                s = y => { *g2.borrow_mut() = Some(s); break; }
            }
        }
    });
    futures::executor::block_on(async {
        let mut g = std::pin::pin!(g);
        assert_eq!(g.as_mut().anext().await.ok(), Some(1));
        let _ = g.as_mut().asend(String::from("hello")).await;
    });
    assert_eq!(got.borrow().as_deref(), Some("hello"));
}
