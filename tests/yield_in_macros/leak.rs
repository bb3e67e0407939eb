//! A `yield_!` raced in `select!` and dropped after the consumer sent in a
//! value: the value is dropped once, with the generator (the awaited-at-once
//! yield leaked it).
use std::cell::Cell;
use std::rc::Rc;
use std::task::Poll;

use agen::{AsyncGeneratorExt, async_generator, yield_};
use futures::FutureExt;

/// Counts its drops.
#[derive(Default)]
struct Counted(Option<Rc<Cell<u32>>>);

impl Drop for Counted {
    fn drop(&mut self) {
        if let Some(drops) = &self.0 {
            drops.set(drops.get() + 1);
        }
    }
}

#[async_generator(yield = u32, send = Counted)]
async fn racer() {
    let mut polls = 0;
    // Pending on the first poll, ready on the second: wins the race on resume.
    let mut other = futures::future::poll_fn(move |_| {
        polls += 1;
        if polls >= 2 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .fuse();
    futures::select_biased! {
        _ = other => {}
        s = async { yield_!(1) }.fuse() => drop(s),
    }
}

#[test]
fn sent_value_of_raced_yield_is_dropped() {
    let drops = Rc::new(Cell::new(0));
    futures::executor::block_on(async {
        let mut g = std::pin::pin!(racer());
        assert_eq!(g.as_mut().anext().await.ok(), Some(1));
        let sent = Counted(Some(drops.clone()));
        let _ = g.as_mut().asend(sent).await;
    });
    assert_eq!(drops.get(), 1, "the value sent in is dropped exactly once");
}
