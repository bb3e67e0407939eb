//! Finalization without an async runtime, by hand and with `futures`'
//! executors: the owned forms' shared cell, the registries' bookkeeping and
//! the cleanup futures. Small enough to run under Miri (`.ci/run`).

use std::cell::RefCell;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use agen::hooks::{
    Cleanup, Finalizable, FinalizeErrorKind, Hooks, LocalFinalizable, LocalRegistry, Registry,
    enter,
};
use agen::{
    AsyncGenerator, AsyncGeneratorExt, Error, GenState, RuntimeError, async_generator, raise_,
    yield_catch_,
};
use futures::StreamExt;
use futures::executor::block_on;

type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

struct OnDrop(Log, &'static str);
impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(self.1.into());
    }
}

/// Pending once, asking to be polled again.
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

#[async_generator(yield = u32)]
async fn cleans_up(log: Log) {
    let _sync = OnDrop(log.clone(), "sync destructor");
    for i in 0.. {
        if let Err(exit) = yield_catch_!(i) {
            yield_now().await;
            log.lock().unwrap().push("async cleanup".into());
            raise_!(exit);
        }
    }
}

/// A registry whose "executor" is a queue run by hand.
fn queued_registry() -> (Arc<Registry>, Arc<Mutex<Vec<Cleanup>>>) {
    let queue: Arc<Mutex<Vec<Cleanup>>> = Default::default();
    let q = queue.clone();
    (
        Registry::new(move |cleanup| q.lock().unwrap().push(cleanup)),
        queue,
    )
}

#[test]
fn a_dropped_generator_is_cleaned_up_by_its_registry_once() {
    let (registry, queue) = queued_registry();
    let _scope = registry.enter();
    let log = Log::default();
    let mut g = Finalizable::named("g", cleans_up(log.clone()));
    assert_eq!(block_on(g.next()), Some(0));
    drop(g);
    let cleanups: Vec<_> = queue.lock().unwrap().drain(..).collect();
    assert_eq!(cleanups.len(), 1);
    assert_eq!(cleanups[0].name(), "g");
    for cleanup in cleanups {
        block_on(cleanup);
    }
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
    assert!(block_on(registry.shutdown()).is_empty());
}

#[test]
fn a_cleanup_dropped_unrun_is_reported_and_frees_the_generator() {
    let (registry, queue) = queued_registry();
    let _scope = registry.enter();
    let log = Log::default();
    let mut g = Finalizable::named("g", cleans_up(log.clone()));
    assert_eq!(block_on(g.next()), Some(0));
    drop(g);
    queue.lock().unwrap().clear(); // the executor never ran it
    assert_eq!(entries(&log), ["sync destructor"]);
    let errors = registry.take_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].name(), errors[0].kind()),
        ("g", FinalizeErrorKind::NotRun)
    );
}

#[test]
fn a_shutdown_closes_the_live_ones_and_leaves_the_unstarted_alone() {
    let (registry, _queue) = queued_registry();
    let log = Log::default();
    let (mut live, unstarted) = {
        let _scope = registry.enter();
        let mut live = Finalizable::named("live", cleans_up(log.clone()));
        assert_eq!(block_on(live.next()), Some(0));
        (
            live,
            Finalizable::named("unstarted", cleans_up(log.clone())),
        )
    };
    assert!(block_on(registry.shutdown()).is_empty());
    assert_eq!(live.state(), GenState::Closed);
    assert_eq!(unstarted.state(), GenState::Created);
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
    // Finished: a later call says so, and a drop calls no finalizer.
    assert_eq!(block_on(live.next()), None);
}

#[test]
fn a_call_during_another_poll_of_the_same_generator_is_already_running() {
    // The body closes itself through a handle while it runs: the handle's
    // close is refused as "already running", and nothing blocks.
    #[async_generator(yield = u32)]
    async fn closes_itself(handles: Arc<Mutex<Vec<agen::hooks::GenHandle>>>, seen: Log) {
        let handle = handles.lock().unwrap().pop().unwrap();
        let outcome = handle.aclose().unwrap().await;
        seen.lock()
            .unwrap()
            .push(format!("{:?}", outcome.map_err(|e| e.kind())));
        agen::yield_!(1);
    }
    let handles: Arc<Mutex<Vec<agen::hooks::GenHandle>>> = Default::default();
    let h = handles.clone();
    let _scope = enter(Hooks {
        firstiter: Some(Arc::new(move |r| h.lock().unwrap().push(r.clone()))),
        finalizer: None,
    });
    let seen = Log::default();
    let mut g = Finalizable::named("self", closes_itself(handles, seen.clone()));
    assert_eq!(block_on(g.next()), Some(1));
    assert_eq!(entries(&seen), ["Err(AlreadyRunning)"]);
}

#[test]
fn the_owners_call_while_a_handles_close_is_in_flight_is_refused_with_its_value() {
    #[async_generator(yield = u32, send = u32)]
    async fn slow_close(log: Log) {
        let mut n = 0;
        loop {
            match yield_catch_!(n) {
                Ok(sent) => n = sent,
                Err(exit) => {
                    yield_now().await;
                    log.lock().unwrap().push("closed".into());
                    raise_!(exit);
                }
            }
        }
    }
    let handles: Arc<Mutex<Vec<agen::hooks::GenHandle>>> = Default::default();
    let h = handles.clone();
    let _scope = enter(Hooks {
        firstiter: Some(Arc::new(move |r| h.lock().unwrap().push(r.clone()))),
        finalizer: None,
    });
    let log = Log::default();
    let mut g = pin!(Finalizable::named("g", slow_close(log.clone())));
    assert_eq!(block_on(g.as_mut().anext()), Ok(0));
    let handle = handles.lock().unwrap().pop().unwrap();
    let mut close = pin!(handle.aclose().unwrap());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(close.as_mut().poll(&mut cx).is_pending());
    assert_eq!(g.state(), GenState::Running);
    match block_on(g.as_mut().asend(7)) {
        Err(Error::RuntimeError(RuntimeError::AlreadyRunning(agen::Rejected::Send(7)))) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(block_on(close), Ok(()));
    assert_eq!(entries(&log), ["closed"]);
    assert_eq!(g.state(), GenState::Closed);
}

#[test]
fn a_panic_in_the_body_leaves_the_owned_form_closed() {
    #[async_generator(yield = u32)]
    async fn panics() {
        agen::yield_!(1);
        panic!("boom");
    }
    let mut g = Finalizable::named("p", panics());
    assert_eq!(block_on(g.next()), Some(1));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| block_on(g.next())));
    assert!(caught.is_err());
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(block_on(g.next()), None);
}

#[async_generator(yield = u32)]
async fn local_cleans_up(log: Rc<RefCell<Vec<&'static str>>>) {
    for i in 0.. {
        if let Err(exit) = yield_catch_!(i) {
            yield_now().await;
            log.borrow_mut().push("async cleanup");
            raise_!(exit);
        }
    }
}

#[test]
fn a_local_generator_is_cleaned_up_on_a_local_pool() {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    let registry = LocalRegistry::new(move |cleanup| {
        let _ = spawner.spawn_local(cleanup);
    });
    let _scope = registry.enter();
    let log = Rc::new(RefCell::new(Vec::new()));
    let errors = pool.run_until(async {
        let mut g = LocalFinalizable::named("local", local_cleans_up(log.clone()));
        assert_eq!(g.next().await, Some(0));
        drop(g);
        registry.shutdown().await
    });
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(*log.borrow(), ["async cleanup"]);
}

#[test]
fn a_scoped_future_binds_the_registry_in_every_poll() {
    let (registry, queue) = queued_registry();
    let log = Log::default();
    let mut scoped = pin!(registry.scope(async {
        yield_now().await; // polled twice: the scope is entered each time
        let mut g = Finalizable::named("g", cleans_up(log.clone()));
        assert_eq!(g.next().await, Some(0));
    }));
    let mut cx = Context::from_waker(Waker::noop());
    while scoped.as_mut().poll(&mut cx).is_pending() {}
    // Outside the scope now; g was bound inside it.
    assert_eq!(queue.lock().unwrap().len(), 1);
    let cleanup = queue.lock().unwrap().pop().unwrap();
    block_on(cleanup);
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
}

#[test]
fn polling_a_finished_orphan_close_again_is_an_error_not_a_panic() {
    let orphans: Arc<Mutex<Vec<agen::hooks::Orphan>>> = Default::default();
    let o = orphans.clone();
    let _scope = enter(Hooks {
        firstiter: None,
        finalizer: Some(Arc::new(move |orphan| o.lock().unwrap().push(orphan))),
    });
    let log = Log::default();
    let mut g = Finalizable::named("g", cleans_up(log.clone()));
    assert_eq!(block_on(g.next()), Some(0));
    drop(g);
    let orphan = orphans.lock().unwrap().pop().unwrap();
    let mut close = pin!(orphan.aclose());
    // The future is unnamed, but still debuggable: it shows the generator.
    assert_eq!(format!("{close:?}"), r#"AClose { name: "g" }"#);
    assert_eq!(block_on(close.as_mut()), Ok(()));
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(&mut close).poll(&mut cx) {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), FinalizeErrorKind::RuntimeError),
        other => panic!("{other:?}"),
    }
}
