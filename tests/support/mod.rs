//! Small helpers shared by the integration tests.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Polls `fut` once with a no-op waker.
pub fn poll_once<F: Future + ?Sized>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `fut` until it completes, with a no-op waker (every pending future
/// in these tests wakes itself, so looping is enough).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = poll_once(fut.as_mut()) {
            return v;
        }
    }
}

/// A future that is pending once, then ready: an `.await` that is not a yield.
pub struct Sleep0(bool);

pub fn sleep0() -> Sleep0 {
    Sleep0(false)
}

impl Future for Sleep0 {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A log the tests share with generator bodies.
pub type Log = std::rc::Rc<std::cell::RefCell<Vec<String>>>;

pub fn log() -> Log {
    Default::default()
}

/// Records `msg` in `log` when dropped: a body's `finally`.
pub struct OnDrop(pub Log, pub &'static str);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1.to_string());
    }
}
