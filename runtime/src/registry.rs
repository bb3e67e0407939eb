//! An event loop's bookkeeping for async generators (asyncio's
//! `loop._asyncgens`, its finalizer and `loop.shutdown_asyncgens()`), for any
//! executor: the executor only has to spawn the [`Cleanup`] futures it is
//! handed.

use std::boxed::Box;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::{Rc, Weak as RcWeak};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use crate::closable::{Closable, FinalizeError, FinalizeErrorKind, Name};
use crate::hooks::{AClose, GenHandle, Hooks, HooksGuard, Orphan, enter};
use crate::state::GenState;

/// What a registry remembers, for the `Send` and the local flavour alike.
struct Book<C: ?Sized> {
    /// Every generator that started iterating under this registry (some
    /// freed since).
    generators: Vec<Weak<C>>,
    /// The length at which the freed ones are forgotten.
    prune_at: usize,
    /// Errors not yet taken.
    errors: Vec<FinalizeError>,
    /// Cleanups handed to the executor and not finished, by id.
    pending: Vec<(u64, Name)>,
    next_id: u64,
    /// A shutdown waiting for the pending cleanups.
    waiter: Option<Waker>,
}

/// The part of a registry that does not depend on the flavour.
struct Core<C: ?Sized> {
    book: Arc<Mutex<Book<C>>>,
}

fn lock<C: ?Sized>(book: &Mutex<Book<C>>) -> MutexGuard<'_, Book<C>> {
    // Nothing runs user code under this lock; poisoning cannot leave it
    // half-updated.
    book.lock().unwrap_or_else(|p| p.into_inner())
}

impl<C: ?Sized + Closable> Core<C> {
    fn new() -> Self {
        Core {
            book: Arc::new(Mutex::new(Book {
                generators: Vec::new(),
                prune_at: 16,
                errors: Vec::new(),
                pending: Vec::new(),
                next_id: 0,
                waiter: None,
            })),
        }
    }

    fn register(&self, target: Weak<C>) {
        let mut book = lock(&self.book);
        if book.generators.len() >= book.prune_at {
            // Forget the freed ones, once the list doubled since the last
            // time: amortized constant per registration.
            book.generators.retain(|g| g.strong_count() > 0);
            book.prune_at = 2 * book.generators.len() + 16;
        }
        book.generators.push(target);
    }

    /// The cleanup of a generator whose owner dropped it unfinished.
    fn cleanup(&self, target: Arc<C>) -> CleanupOf<C> {
        target.orphan();
        let mut book = lock(&self.book);
        let id = book.next_id;
        book.next_id += 1;
        book.pending.push((id, target.name().clone()));
        CleanupOf {
            close: Some(AClose::new(target)),
            book: Arc::downgrade(&self.book),
            id,
        }
    }

    fn report(&self, error: FinalizeError) {
        lock(&self.book).errors.push(error);
    }

    fn take_errors(&self) -> Vec<FinalizeError> {
        core::mem::take(&mut lock(&self.book).errors)
    }

    /// Closes every registered generator still alive, unfinished and not
    /// taken over by a finalizer (concurrently), and waits for the
    /// finalizer cleanups in flight; stops waiting when `deadline` fires.
    async fn shutdown_until(&self, deadline: impl Future<Output = ()>) -> Vec<FinalizeError> {
        let alive = core::mem::take(&mut lock(&self.book).generators);
        let mut closes: Vec<Option<AClose<C>>> = alive
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|g| g.state() != GenState::Closed && !g.is_orphan())
            .map(|g| Some(AClose::new(g)))
            .collect();
        let mut deadline = pin!(deadline);
        let in_time = core::future::poll_fn(|cx| {
            for slot in closes.iter_mut() {
                if let Some(close) = slot {
                    if let Poll::Ready(outcome) = Pin::new(close).poll(cx) {
                        if let Err(error) = outcome {
                            self.report(error);
                        }
                        *slot = None;
                    }
                }
            }
            let cleanups_done = {
                let mut book = lock(&self.book);
                if book.pending.is_empty() {
                    true
                } else {
                    book.waiter = Some(cx.waker().clone());
                    false
                }
            };
            if cleanups_done && closes.iter().all(Option::is_none) {
                return Poll::Ready(true);
            }
            deadline.as_mut().poll(cx).map(|()| false)
        })
        .await;
        if !in_time {
            let mut book = lock(&self.book);
            let late = closes
                .iter()
                .flatten()
                .map(|close| close.name().clone())
                .chain(book.pending.iter().map(|(_, name)| name.clone()))
                .collect::<Vec<_>>();
            for name in late {
                book.errors.push(FinalizeError::new(
                    name,
                    FinalizeErrorKind::DeadlineExceeded,
                    "the shutdown's deadline passed before the cleanup finished",
                ));
            }
        }
        // Dropping the unfinished closes gives their generators back.
        drop(closes);
        self.take_errors()
    }
}

impl<C: ?Sized> Drop for Core<C> {
    fn drop(&mut self) {
        // Nothing is lost silently: errors nobody took go to standard error,
        // as asyncio's default exception handler logs them.
        let book = lock(&self.book);
        for error in &book.errors {
            std::eprintln!("agen: {error} (reported after its registry was dropped)");
        }
    }
}

/// A cleanup that reports how it ended to its registry, also when it is
/// dropped before it finished.
struct CleanupOf<C: ?Sized + Closable> {
    /// `None` once finished.
    close: Option<AClose<C>>,
    book: Weak<Mutex<Book<C>>>,
    id: u64,
}

impl<C: ?Sized + Closable> CleanupOf<C> {
    fn name(&self) -> &str {
        self.close.as_ref().map_or("", |close| close.name())
    }

    fn finish(&mut self, error: Option<FinalizeError>) {
        let Some(book) = self.book.upgrade() else {
            if let Some(error) = error {
                std::eprintln!("agen: {error} (its registry was dropped)");
            }
            return;
        };
        let mut book = lock(&book);
        book.pending.retain(|(id, _)| *id != self.id);
        book.errors.extend(error);
        if book.pending.is_empty() {
            if let Some(waiter) = book.waiter.take() {
                waiter.wake();
            }
        }
    }
}

impl<C: ?Sized + Closable> Future for CleanupOf<C> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(close) = self.close.as_mut() else {
            return Poll::Ready(());
        };
        let outcome = core::task::ready!(Pin::new(close).poll(cx));
        self.close = None;
        self.finish(outcome.err());
        Poll::Ready(())
    }
}

impl<C: ?Sized + Closable> Unpin for CleanupOf<C> {}

impl<C: ?Sized + Closable> Drop for CleanupOf<C> {
    fn drop(&mut self) {
        if let Some(close) = self.close.take() {
            let error = FinalizeError::new(
                close.name().clone(),
                FinalizeErrorKind::NotRun,
                "the cleanup was dropped before it finished (no executor ran it)",
            );
            // The generator is freed here, with its synchronous destructors.
            drop(close);
            self.finish(Some(error));
        }
    }
}

/// The async cleanup of one generator dropped unfinished: `aclose()` on it,
/// reporting its outcome to the [`Registry`]. Spawn it; if it is dropped
/// before it finished (the executor refused it or shut down), the registry
/// reports [`FinalizeErrorKind::NotRun`].
#[must_use = "a cleanup does nothing unless it is spawned or polled"]
pub struct Cleanup(CleanupOf<dyn Closable + Send + Sync>);

/// The future and naming impls of a cleanup type.
macro_rules! cleanup_future {
    ($cleanup:ident) => {
        impl $cleanup {
            /// The generator's name.
            pub fn name(&self) -> &str {
                self.0.name()
            }
        }

        impl Future for $cleanup {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                Pin::new(&mut self.0).poll(cx)
            }
        }

        impl fmt::Debug for $cleanup {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($cleanup))
                    .field("name", &self.name())
                    .finish()
            }
        }
    };
}

cleanup_future!(Cleanup);

/// The methods a registry of either flavour has.
macro_rules! registry_methods {
    () => {
        /// Errors reported so far by cleanups (taken: each is returned once).
        pub fn take_errors(&self) -> Vec<FinalizeError> {
            self.core.take_errors()
        }

        /// `loop.shutdown_asyncgens()`: closes every generator registered
        /// here that is still alive and unfinished, concurrently, waits for
        /// the cleanups already spawned, and returns every error not taken
        /// yet. A generator with a step in flight cannot be closed: it is
        /// reported as [`AlreadyRunning`](FinalizeErrorKind::AlreadyRunning),
        /// as asyncio does (and finalized when it is dropped unfinished).
        pub async fn shutdown(&self) -> Vec<FinalizeError> {
            self.core.shutdown_until(core::future::pending()).await
        }

        /// [`shutdown`](Self::shutdown), giving up when `deadline` completes
        /// (for example a timer): every cleanup not finished by then is
        /// reported as [`DeadlineExceeded`](FinalizeErrorKind::DeadlineExceeded).
        pub async fn shutdown_until(
            &self,
            deadline: impl Future<Output = ()>,
        ) -> Vec<FinalizeError> {
            self.core.shutdown_until(deadline).await
        }
    };
}

/// What asyncio's event loop does for async generators, for any executor:
/// remembers every [`Finalizable`](crate::Finalizable) generator that starts
/// iterating under it (`firstiter`), hands each one dropped unfinished to
/// your spawner as a [`Cleanup`] (`finalizer`), and closes every one still
/// alive at [`shutdown`](Self::shutdown) (`loop.shutdown_asyncgens()`).
/// Errors from cleanups are kept until taken, none lost.
///
/// Generators bind a registry when their first call is created in its
/// scope: [`enter`](Self::enter) it on the threads your executor runs tasks
/// on, or wrap the executor's main future in [`scope`](Self::scope).
/// (`agen::tokio` does this for you on tokio.)
///
/// ```
/// use agen::hooks::{Finalizable, Registry};
/// use agen::{async_generator, raise_, yield_catch_};
/// use futures::StreamExt;
/// use std::sync::{Arc, Mutex};
///
/// #[async_generator(yield = u32)]
/// async fn numbers(log: Arc<Mutex<Vec<&'static str>>>) {
///     for i in 0.. {
///         if let Err(exit) = yield_catch_!(i) {
///             async {}.await; // async cleanup
///             log.lock().unwrap().push("cleaned up");
///             raise_!(exit);
///         }
///     }
/// }
///
/// // An executor that runs what it is given on another thread.
/// let (tx, rx) = std::sync::mpsc::channel::<agen::hooks::Cleanup>();
/// let worker = std::thread::spawn(move || {
///     for cleanup in rx {
///         futures::executor::block_on(cleanup);
///     }
/// });
/// let tx = Mutex::new(tx);
/// let registry = Registry::new(move |cleanup| {
///     let _ = tx.lock().unwrap().send(cleanup); // dropped if refused: reported
/// });
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let errors = futures::executor::block_on(registry.scope(async {
///     let mut g = Finalizable::named("numbers", numbers(log.clone()));
///     assert_eq!(g.next().await, Some(0));
///     drop(g); // unfinished: its cleanup goes to the worker
///     registry.shutdown().await // and the shutdown waits for it
/// }));
/// assert!(errors.is_empty());
/// assert_eq!(*log.lock().unwrap(), ["cleaned up"]);
/// drop(registry);
/// worker.join().unwrap();
/// ```
pub struct Registry {
    core: Core<dyn Closable + Send + Sync>,
    spawn: Box<dyn Fn(Cleanup) + Send + Sync>,
    hooks: Hooks,
}

impl Registry {
    /// A registry that runs cleanups with `spawn`. A spawner that cannot run
    /// one just drops it: the registry then reports
    /// [`NotRun`](FinalizeErrorKind::NotRun) for it.
    pub fn new(spawn: impl Fn(Cleanup) + Send + Sync + 'static) -> Arc<Self> {
        Arc::new_cyclic(|this: &Weak<Registry>| {
            let on_first = this.clone();
            let on_final = this.clone();
            Registry {
                core: Core::new(),
                spawn: Box::new(spawn),
                hooks: Hooks {
                    firstiter: Some(Arc::new(move |registration: &GenHandle| {
                        if let Some(registry) = on_first.upgrade() {
                            registry.core.register(registration.target.clone());
                        }
                    })),
                    finalizer: Some(Arc::new(move |orphan: Orphan| match on_final.upgrade() {
                        Some(registry) => {
                            let cleanup = Cleanup(registry.core.cleanup(orphan.target));
                            (registry.spawn)(cleanup);
                        }
                        None => std::eprintln!(
                            "agen: async generator `{}` dropped unfinished after its registry \
                             was dropped: its async cleanup did not run",
                            orphan.name()
                        ),
                    })),
                },
            }
        })
    }

    /// The hooks that feed this registry.
    pub fn hooks(&self) -> Hooks {
        self.hooks.clone()
    }

    /// Makes this registry the one generators first called on this thread
    /// bind, until the guard is dropped ([`hooks::enter`](crate::hooks::enter)).
    pub fn enter(&self) -> HooksGuard {
        enter(self.hooks())
    }

    /// `future`, with this registry entered during each of its polls: every
    /// generator first called inside it binds this registry. The returned
    /// future does not borrow the registry, and is `Send` (or `Unpin`) when
    /// `future` is.
    pub fn scope<F: Future>(&self, future: F) -> impl Future<Output = F::Output> + use<F> {
        Scoped {
            hooks: self.hooks(),
            future,
        }
    }

    registry_methods!();
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Registry")
    }
}

/// A future with a registry's hooks entered during each poll: see
/// [`Registry::scope`].
struct Scoped<F> {
    hooks: Hooks,
    future: F,
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of
        // `self`, and `Scoped` has no `Drop` impl; `hooks` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let _scope = enter(this.hooks.clone());
        // SAFETY: see above.
        unsafe { Pin::new_unchecked(&mut this.future) }.poll(cx)
    }
}

std::thread_local! {
    /// The local registries entered on this thread, innermost last.
    static LOCAL: RefCell<Vec<Rc<LocalRegistry>>> = const { RefCell::new(Vec::new()) };
}

/// The async cleanup of a `!Send` generator dropped unfinished: see
/// [`Cleanup`]; spawn it on the same thread (a `LocalSet`, a `LocalPool`, a
/// `LocalExecutor`).
#[must_use = "a cleanup does nothing unless it is spawned or polled"]
pub struct LocalCleanup(CleanupOf<dyn Closable>);

cleanup_future!(LocalCleanup);

/// [`Registry`] for `!Send` generators ([`LocalFinalizable`](crate::LocalFinalizable)),
/// on one thread: a single-threaded executor's. Generators bind the local
/// registry entered on their thread when their first call is created.
///
/// ```
/// use agen::hooks::{LocalFinalizable, LocalRegistry};
/// use agen::{async_generator, raise_, yield_catch_};
/// use futures::executor::LocalPool;
/// use futures::task::LocalSpawnExt;
/// use futures::StreamExt;
/// use std::{cell::RefCell, rc::Rc};
///
/// #[async_generator(yield = u32)]
/// async fn numbers(log: Rc<RefCell<Vec<&'static str>>>) { // !Send
///     for i in 0.. {
///         if let Err(exit) = yield_catch_!(i) {
///             async {}.await;
///             log.borrow_mut().push("cleaned up");
///             raise_!(exit);
///         }
///     }
/// }
///
/// let mut pool = LocalPool::new();
/// let spawner = pool.spawner();
/// let registry = LocalRegistry::new(move |cleanup| {
///     let _ = spawner.spawn_local(cleanup); // dropped if refused: reported
/// });
/// let _scope = registry.enter();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let errors = pool.run_until(async {
///     let mut g = LocalFinalizable::named("numbers", numbers(log.clone()));
///     assert_eq!(g.next().await, Some(0));
///     drop(g);
///     registry.shutdown().await
/// });
/// assert!(errors.is_empty());
/// assert_eq!(*log.borrow(), ["cleaned up"]);
/// ```
pub struct LocalRegistry {
    core: Core<dyn Closable>,
    spawn: Box<dyn Fn(LocalCleanup)>,
}

impl LocalRegistry {
    /// A local registry that runs cleanups with `spawn` (dropping one it
    /// cannot run: then [`NotRun`](FinalizeErrorKind::NotRun) is reported).
    pub fn new(spawn: impl Fn(LocalCleanup) + 'static) -> Rc<Self> {
        Rc::new(LocalRegistry {
            core: Core::new(),
            spawn: Box::new(spawn),
        })
    }

    /// Makes this the local registry generators first called on this thread
    /// bind, until the guard is dropped.
    pub fn enter(self: &Rc<Self>) -> HooksGuard {
        LOCAL.with(|local| local.borrow_mut().push(self.clone()));
        HooksGuard::new(|| {
            // Popped outside the borrow: dropping the registry can run code.
            let left = LOCAL.with(|local| local.borrow_mut().pop());
            drop(left);
        })
    }

    /// The local registry entered on this thread, if any.
    pub fn current() -> Option<Rc<LocalRegistry>> {
        LOCAL.with(|local| local.borrow().last().cloned())
    }

    pub(crate) fn register(&self, target: Weak<dyn Closable>) {
        self.core.register(target);
    }

    pub(crate) fn finalize(&self, target: Arc<dyn Closable>) {
        (self.spawn)(LocalCleanup(self.core.cleanup(target)));
    }

    registry_methods!();
}

impl fmt::Debug for LocalRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalRegistry")
    }
}

/// A weak reference to a local registry, as a generator keeps the one it
/// bound.
pub(crate) type LocalBinding = RcWeak<LocalRegistry>;
