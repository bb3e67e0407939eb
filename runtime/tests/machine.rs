//! The state machine through every path that goes through the slot's raw
//! pointer: yields, sends, throws, closes, abandoned steps, drops, panics,
//! destructors that touch the slot. These are the tests CI runs under Miri.

use core::convert::Infallible;
use core::future::Future;
use core::pin::{Pin, pin};
use core::task::{Context, Poll, Waker};
use std::cell::RefCell;
use std::rc::Rc;

use agen::{async_gen, co, raise_, yield_, yield_catch_};
use agen_runtime::{AsyncGenerator, AsyncGeneratorExt, Error, GenState, RuntimeError, Thrown};
use futures::StreamExt;
use futures::executor::block_on;

type Log = Rc<RefCell<Vec<&'static str>>>;

struct OnDrop(Log, &'static str);
impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

/// Pending once, then ready: an await that is not a yield.
struct Sleep0(bool);
impl Future for Sleep0 {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn yields_sends_and_returns() {
    let g = async_gen!(yield = u32, send = u32, return = u32 => {
            let a = yield_!(1);
            let b = yield_!(a + 1);
            a + b
    });
    let mut g = pin!(g);
    block_on(async {
        assert_eq!(g.state(), GenState::Created);
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().asend(10).await, Ok(11));
        assert_eq!(
            g.as_mut().asend(5).await,
            Err(Error::StopAsyncIteration(Some(15)))
        );
        assert_eq!(g.state(), GenState::Closed);
    });
}

#[test]
fn uncaught_throw_drops_the_body_and_its_handle() {
    let log: Log = Default::default();
    let l = log.clone();
    let g = async_gen!(yield = u8, return = Result<(), &'static str> => {
            let _f = OnDrop(l, "finally");
            yield_!(1);
            yield_!(2);
            Ok::<(), &str>(())
    });
    let mut g = pin!(g);
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().athrow("boom").await, Err(Error::Raised("boom")));
    });
    assert_eq!(*log.borrow(), ["finally"]);
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn caught_close_awaits_then_reraises() {
    let log: Log = Default::default();
    let l = log.clone();
    let g = async_gen!(yield = u8, => {
            if let Err(t) = yield_catch_!(1) {
                Sleep0(false).await;
                l.borrow_mut().push("async cleanup");
                raise_!(t)
            }
    });
    let mut g = pin!(g);
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().aclose().await, Ok(()));
    });
    assert_eq!(*log.borrow(), ["async cleanup"]);
}

#[test]
fn ignored_exit_then_resume() {
    let g = async_gen!(yield = u8, => {
            if yield_catch_!(1).is_err() {
                yield_!(2);
            }
    });
    let mut g = pin!(g);
    block_on(async {
        g.as_mut().anext().await.unwrap();
        assert_eq!(
            g.as_mut().aclose().await,
            Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit))
        );
        assert_eq!(
            g.as_mut().aclose().await,
            Err(Error::StopAsyncIteration(None))
        );
        assert_eq!(g.state(), GenState::Suspended);
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(Some(())))
        );
    });
}

#[test]
fn abandoned_step_is_continued_by_anext() {
    let g = async_gen!(yield = u8, => {
            yield_!(1);
            Sleep0(false).await;
            yield_!(2);
    });
    let mut g = pin!(g);
    assert_eq!(block_on(g.as_mut().anext()), Ok(1));
    {
        let step = pin!(g.as_mut().anext());
        assert!(poll_once(step).is_pending());
    }
    assert_eq!(g.state(), GenState::Running);
    assert_eq!(
        block_on(g.as_mut().aclose()),
        Err(Error::RuntimeError(RuntimeError::AlreadyRunning(
            agen_runtime::Rejected::Close
        )))
    );
    assert_eq!(block_on(g.as_mut().anext()), Ok(2));
}

#[test]
fn dropping_a_suspended_generator_drops_the_body_before_the_slot() {
    let log: Log = Default::default();
    let l = log.clone();
    let g = async_gen!(yield = String, => {
            let _f = OnDrop(l, "body dropped");
            yield_!("a".to_string());
            yield_!("b".to_string());
    });
    let mut g = Box::pin(g);
    assert_eq!(block_on(g.as_mut().anext()).as_deref(), Ok("a"));
    drop(g);
    assert_eq!(*log.borrow(), ["body dropped"]);
}

/// A destructor in the body that yields while the body is being dropped: a
/// misuse, but it must stay memory-safe (the slot outlives the body).
#[test]
fn a_destructor_that_polls_a_yield_during_drop_is_harmless() {
    struct YieldOnDrop<'a>(agen::Yielder<'a, String, (), Infallible>);
    impl Drop for YieldOnDrop<'_> {
        fn drop(&mut self) {
            let fut = pin!(self.0.yield_("from drop".to_string()));
            let _ = poll_once(fut);
        }
    }
    let g = async_gen!(yield = String, => {
            yield_!("first".to_string());
            let guard = YieldOnDrop(co!());
            Sleep0(false).await;
            drop(guard);
    });
    let mut g = Box::pin(g);
    assert_eq!(block_on(g.as_mut().anext()).as_deref(), Ok("first"));
    {
        // Dropping the pending future does not end the step.
        let step = pin!(g.as_mut().anext());
        assert!(poll_once(step).is_pending());
    }
    drop(g); // the body is dropped mid-step; its destructor writes the slot
}

#[test]
fn a_panicking_body_leaves_the_generator_closed() {
    let g = async_gen!(yield = u8, => {
            yield_!(1);
            panic!("boom");
    });
    let mut g = Box::pin(g);
    assert_eq!(block_on(g.as_mut().anext()), Ok(1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block_on(g.as_mut().anext())
    }));
    assert!(r.is_err());
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(
        block_on(g.as_mut().anext()),
        Err(Error::StopAsyncIteration(None))
    );
}

#[test]
fn stream_view_with_heap_values() {
    let g = async_gen!(yield = Box<u32>, return = Result<(), &'static str> => {
            for i in 0..3 {
                yield_!(Box::new(i));
            }
            Err::<(), &str>("end")
    });
    let items: Vec<_> = block_on(pin!(g).collect());
    assert_eq!(
        items,
        [
            Ok(Box::new(0)),
            Ok(Box::new(1)),
            Ok(Box::new(2)),
            Err("end")
        ]
    );
}

#[test]
fn a_moved_unstarted_generator_is_fine() {
    // Before its first resumption a generator may move: no pointer exists yet.
    let g = async_gen!(yield = u8, => {
            yield_!(7);
    });
    let moved = [g];
    let [g] = moved;
    let mut g = Box::pin(g);
    assert_eq!(block_on(g.as_mut().anext()), Ok(7));
    assert_eq!(block_on(g.as_mut().aclose()), Ok(()));
    let _ = Thrown::<u8>::GeneratorExit;
}
