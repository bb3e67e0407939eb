//! Finalization on the tokio runtime (feature `tokio`): each runtime its own
//! registry, `Send` generators finalized on their runtime, `!Send` ones on
//! their `LocalSet`.
//!
//! ```
//! use agen::{async_generator, yield_catch_, raise_};
//! use agen::hooks::Finalizable;
//! use futures::StreamExt;
//! use std::sync::{Arc, Mutex};
//!
//! #[async_generator(yield = u32)]
//! async fn numbers(log: Arc<Mutex<Vec<&'static str>>>) {
//!     for i in 0.. {
//!         if let Err(exit) = yield_catch_!(i) {
//!             tokio::task::yield_now().await; // async cleanup
//!             log.lock().unwrap().push("cleaned up");
//!             raise_!(exit);
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let finalization = agen::tokio::install(); // this runtime's registry
//! let log = Arc::new(Mutex::new(Vec::new()));
//! {
//!     let mut g = Finalizable::named("numbers", numbers(log.clone()));
//!     assert_eq!(g.next().await, Some(0));
//! } // dropped unfinished: its aclose() is spawned on this runtime
//! let errors = finalization.shutdown().await; // waits for that cleanup
//! assert!(errors.is_empty());
//! assert_eq!(*log.lock().unwrap(), ["cleaned up"]);
//! # });
//! ```

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, Once, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use std::vec::Vec;

use tokio::runtime::{Handle, Id};

use crate::hooks::{FinalizeError, Hooks, HooksGuard, LocalCleanup, LocalRegistry, Registry};
// Not in `agen::hooks`: answering "which hooks belong here" on any thread is
// what an executor integration like this one does, not something users call.
use agen_runtime::finalization::add_context_source;

/// The registry of each runtime that installed one, newest last.
static RUNTIMES: Mutex<Vec<(Id, Weak<Registry>)>> = Mutex::new(Vec::new());

/// The context source: the hooks of the runtime whose task (or `block_on`)
/// is running on this thread.
fn current_runtime_hooks() -> Option<Hooks> {
    let id = Handle::try_current().ok()?.id();
    let runtimes = RUNTIMES.lock().unwrap_or_else(|p| p.into_inner());
    runtimes
        .iter()
        .rev()
        .find(|(runtime, _)| *runtime == id)
        .and_then(|(_, registry)| registry.upgrade())
        .map(|registry| registry.hooks())
}

/// Installs a registry for the current tokio runtime: every
/// [`Finalizable`](crate::hooks::Finalizable) first called in this runtime
/// (on any of its threads) binds it, and is finalized on this runtime when
/// dropped unfinished, wherever it is dropped. Generators of other runtimes
/// in the process are not touched. Keep the returned value and call
/// [`shutdown`](Finalization::shutdown) before the runtime ends.
///
/// # Panics
///
/// Outside a tokio runtime, as [`Handle::current`] does.
pub fn install() -> Finalization {
    static SOURCE: Once = Once::new();
    SOURCE.call_once(|| add_context_source(current_runtime_hooks));
    let handle = Handle::current();
    let runtime = handle.id();
    // A runtime that has shut down drops what is spawned on it: the
    // registry then reports the cleanup as not run.
    let registry = Registry::new(move |cleanup| drop(handle.spawn(cleanup)));
    RUNTIMES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((runtime, Arc::downgrade(&registry)));
    Finalization { registry, runtime }
}

/// A runtime's installed finalization: see [`install`].
///
/// Dropped without [`shutdown`](Self::shutdown), the registry goes: the
/// runtime's generators dropped unfinished later are freed with their
/// synchronous destructors only, and say so on standard error.
#[derive(Debug)]
pub struct Finalization {
    registry: Arc<Registry>,
    runtime: Id,
}

impl Finalization {
    /// The registry behind it.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Errors reported so far by cleanups (taken: each is returned once).
    pub fn take_errors(&self) -> Vec<FinalizeError> {
        self.registry.take_errors()
    }

    /// `loop.shutdown_asyncgens()`: closes every generator of this runtime
    /// still alive, waits for the cleanups in flight, uninstalls, and
    /// returns every cleanup error.
    pub async fn shutdown(self) -> Vec<FinalizeError> {
        self.registry.shutdown().await
    }

    /// [`shutdown`](Self::shutdown), giving up after `timeout`: the cleanups
    /// not finished by then are reported as
    /// [`DeadlineExceeded`](crate::hooks::FinalizeErrorKind::DeadlineExceeded).
    /// Needs the runtime's timer (`enable_time`).
    pub async fn shutdown_timeout(self, timeout: Duration) -> Vec<FinalizeError> {
        self.registry
            .shutdown_until(tokio::time::sleep(timeout))
            .await
    }
}

impl Drop for Finalization {
    fn drop(&mut self) {
        let mut runtimes = RUNTIMES.lock().unwrap_or_else(|p| p.into_inner());
        let ours = Arc::downgrade(&self.registry);
        runtimes.retain(|(runtime, registry)| {
            !(*runtime == self.runtime && registry.ptr_eq(&ours)) && registry.strong_count() > 0
        });
    }
}

/// Installs a local registry for `!Send` generators on this thread's
/// `LocalSet`: every [`LocalFinalizable`](crate::hooks::LocalFinalizable)
/// first called on this thread binds it, and is finalized on this
/// `LocalSet` when dropped unfinished. Dropping a generator anywhere never
/// panics: a cleanup that can no longer be spawned (the `LocalSet` is gone)
/// is reported as [`NotRun`](crate::hooks::FinalizeErrorKind::NotRun).
///
/// # Panics
///
/// Outside a `LocalSet`, as [`tokio::task::spawn_local`] does.
pub fn install_local() -> LocalFinalization {
    let queue = Rc::new(LocalQueue::default());
    drop(tokio::task::spawn_local(Spawner(queue.clone())));
    let sender = Sender(queue);
    let registry = LocalRegistry::new(move |cleanup| sender.push(cleanup));
    let guard = registry.enter();
    LocalFinalization {
        registry,
        _guard: guard,
    }
}

/// A `LocalSet`'s installed finalization: see [`install_local`].
#[derive(Debug)]
pub struct LocalFinalization {
    registry: Rc<LocalRegistry>,
    _guard: HooksGuard,
}

impl LocalFinalization {
    /// The local registry behind it.
    pub fn registry(&self) -> &Rc<LocalRegistry> {
        &self.registry
    }

    /// Errors reported so far by cleanups (taken: each is returned once).
    pub fn take_errors(&self) -> Vec<FinalizeError> {
        self.registry.take_errors()
    }

    /// Closes every local generator still alive, waits for the cleanups in
    /// flight, uninstalls, and returns every cleanup error.
    pub async fn shutdown(self) -> Vec<FinalizeError> {
        self.registry.shutdown().await
    }
}

/// Cleanups on their way to the `LocalSet`.
#[derive(Default)]
struct LocalQueue {
    cleanups: RefCell<VecDeque<LocalCleanup>>,
    spawner: Cell<Option<Waker>>,
    /// The spawner task is gone (its `LocalSet` was dropped).
    closed: Cell<bool>,
}

impl LocalQueue {
    /// The next cleanup, taken outside the borrow (dropping or spawning one
    /// can push another).
    fn pop(&self) -> Option<LocalCleanup> {
        self.cleanups.borrow_mut().pop_front()
    }

    fn wake(&self) {
        if let Some(waker) = self.spawner.take() {
            waker.wake();
        }
    }
}

/// The registry's end of the queue.
struct Sender(Rc<LocalQueue>);

impl Sender {
    fn push(&self, cleanup: LocalCleanup) {
        if self.0.closed.get() {
            // Dropped: the registry reports it as not run.
            drop(cleanup);
            return;
        }
        self.0.cleanups.borrow_mut().push_back(cleanup);
        self.0.wake();
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        // The registry is gone: let the spawner task finish.
        self.0.wake();
    }
}

/// A task on the `LocalSet` that spawns the cleanups there; it ends once
/// the registry is gone, so a `LocalSet` awaited to completion completes.
struct Spawner(Rc<LocalQueue>);

impl Future for Spawner {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        while let Some(cleanup) = self.0.pop() {
            drop(tokio::task::spawn_local(cleanup));
        }
        if Rc::strong_count(&self.0) == 1 {
            return Poll::Ready(());
        }
        self.0.spawner.set(Some(cx.waker().clone()));
        Poll::Pending
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        self.0.closed.set(true);
        // Dropped one at a time: each reports to its registry as not run.
        while let Some(cleanup) = self.0.pop() {
            drop(cleanup);
        }
    }
}
