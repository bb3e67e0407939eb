//! The state machine driven by hand, without the macro: every path that goes
//! through the slot's raw pointer. These are the tests CI runs under Miri.

use core::convert::Infallible;
use core::future::Future;
use core::pin::{Pin, pin};
use core::task::{Context, Poll, Waker};
use std::cell::RefCell;
use std::rc::Rc;

use agen_runtime::{
    AsyncGen, AsyncGenerator, Co, Error, Fallible, GenState, RuntimeError, Thrown, Value,
};
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
    let g = AsyncGen::<u32, u32, Infallible, Value, _, _>::new(
        |mut co: Co<u32, u32, Infallible>| async move {
            let mut y = co.yielder();
            let a = y.yield_(1).await;
            let b = y.yield_(a + 1).await;
            a + b
        },
    );
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
    let g = AsyncGen::<u8, (), &str, Fallible, _, _>::new(
        move |mut co: Co<u8, (), &'static str>| async move {
            let _f = OnDrop(l, "finally");
            let mut y = co.yielder();
            y.yield_(1).await;
            y.yield_(2).await;
            Ok::<(), &str>(())
        },
    );
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
    let g = AsyncGen::<u8, (), Infallible, Value, _, _>::new(
        move |mut co: Co<u8, (), Infallible>| async move {
            let mut y = co.yielder();
            if let Err(t) = y.yield_catch(1).await {
                Sleep0(false).await;
                l.borrow_mut().push("async cleanup");
                match y.raise(t).await {}
            }
        },
    );
    let mut g = pin!(g);
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().aclose().await, Ok(()));
    });
    assert_eq!(*log.borrow(), ["async cleanup"]);
}

#[test]
fn ignored_exit_then_resume() {
    let g = AsyncGen::<u8, (), Infallible, Value, _, _>::new(
        |mut co: Co<u8, (), Infallible>| async move {
            let mut y = co.yielder();
            if y.yield_catch(1).await.is_err() {
                y.yield_(2).await;
            }
        },
    );
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
    let g = AsyncGen::<u8, (), Infallible, Value, _, _>::new(
        |mut co: Co<u8, (), Infallible>| async move {
            let mut y = co.yielder();
            y.yield_(1).await;
            Sleep0(false).await;
            y.yield_(2).await;
        },
    );
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
    let g = AsyncGen::<String, (), Infallible, Value, _, _>::new(
        move |mut co: Co<String, (), Infallible>| async move {
            let _f = OnDrop(l, "body dropped");
            let mut y = co.yielder();
            y.yield_("a".to_string()).await;
            y.yield_("b".to_string()).await;
        },
    );
    let mut g = Box::pin(g);
    assert_eq!(block_on(g.as_mut().anext()).as_deref(), Ok("a"));
    drop(g);
    assert_eq!(*log.borrow(), ["body dropped"]);
}

/// A destructor in the body that yields while the body is being dropped: a
/// misuse, but it must stay memory-safe (the slot outlives the body).
#[test]
fn a_destructor_that_polls_a_yield_during_drop_is_harmless() {
    struct YieldOnDrop<'a>(agen_runtime::Yielder<'a, String, (), Infallible>);
    impl Drop for YieldOnDrop<'_> {
        fn drop(&mut self) {
            let fut = pin!(self.0.yield_("from drop".to_string()));
            let _ = poll_once(fut);
        }
    }
    let g = AsyncGen::<String, (), Infallible, Value, _, _>::new(
        |mut co: Co<String, (), Infallible>| async move {
            let mut y = co.yielder();
            y.yield_("first".to_string()).await;
            let guard = YieldOnDrop(y);
            Sleep0(false).await;
            drop(guard);
        },
    );
    let mut g = Box::pin(g);
    assert_eq!(block_on(g.as_mut().anext()).as_deref(), Ok("first"));
    let step = pin!(g.as_mut().anext());
    assert!(poll_once(step).is_pending());
    drop(g); // the body is dropped mid-step; its destructor writes the slot
}

#[test]
fn a_panicking_body_leaves_the_generator_closed() {
    let g = AsyncGen::<u8, (), Infallible, Value, _, _>::new(
        |mut co: Co<u8, (), Infallible>| async move {
            let mut y = co.yielder();
            y.yield_(1).await;
            panic!("boom");
        },
    );
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
    let g = AsyncGen::<Box<u32>, (), &str, Fallible, _, _>::new(
        |mut co: Co<Box<u32>, (), &'static str>| async move {
            let mut y = co.yielder();
            for i in 0..3 {
                y.yield_(Box::new(i)).await;
            }
            Err::<(), &str>("end")
        },
    );
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
    let g = AsyncGen::<u8, (), Infallible, Value, _, _>::new(
        |mut co: Co<u8, (), Infallible>| async move {
            co.yielder().yield_(7).await;
        },
    );
    let moved = [g];
    let [g] = moved;
    let mut g = Box::pin(g);
    assert_eq!(block_on(g.as_mut().anext()), Ok(7));
    assert_eq!(block_on(g.as_mut().aclose()), Ok(()));
    let _ = Thrown::<u8>::GeneratorExit;
}
