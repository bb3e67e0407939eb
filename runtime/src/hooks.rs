//! Finalization hooks, in the spirit of asyncio's `sys.set_asyncgen_hooks`.
//!
//! Rust has no async drop: a generator dropped while suspended can only run
//! its synchronous destructors. The hooks give its async cleanup a second
//! chance, exactly at asyncio's two moments:
//!
//! - `firstiter`, when iteration starts (the first call on a
//!   [`Finalizable`](crate::Finalizable) generator is created): a registry
//!   learns about the generator, so that a shutdown can close it;
//! - `finalizer`, when an unfinished, suspended generator is dropped: it
//!   receives an [`Orphan`] whose [`aclose`](Orphan::aclose) future runs the
//!   generator's cleanup, to be spawned on an executor.
//!
//! **Scope: process-wide.** Python's hooks are per thread because each asyncio
//! loop owns a thread; a Rust runtime such as tokio moves tasks between worker
//! threads, so per-thread hooks would depend on which worker happened to poll
//! a generator first. A generator binds the hooks in force when its first
//! call is created and keeps them (a finalizer installed later does not
//! apply to it, one removed later still does), as in CPython.

use std::boxed::Box;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::string::String;
use std::sync::{Arc, RwLock, Weak};
use std::task::{Context, Poll};

use crate::state::GenState;

/// Called when a finalizable generator starts iterating.
pub type FirstIterHook = Arc<dyn Fn(&Registration) + Send + Sync>;
/// Called with an unfinished generator that is being dropped.
pub type FinalizerHook = Arc<dyn Fn(Orphan) + Send + Sync>;

/// The pair of hooks, as `sys.get_asyncgen_hooks()` returns them.
#[derive(Clone, Default)]
pub struct Hooks {
    /// See [`FirstIterHook`].
    pub firstiter: Option<FirstIterHook>,
    /// See [`FinalizerHook`].
    pub finalizer: Option<FinalizerHook>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("firstiter", &self.firstiter.is_some())
            .field("finalizer", &self.finalizer.is_some())
            .finish()
    }
}

static HOOKS: RwLock<Hooks> = RwLock::new(Hooks {
    firstiter: None,
    finalizer: None,
});

/// Installs `hooks` process-wide and returns the previous ones
/// (`sys.set_asyncgen_hooks`).
pub fn set_hooks(hooks: Hooks) -> Hooks {
    let mut slot = HOOKS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    core::mem::replace(&mut *slot, hooks)
}

/// The hooks in force now (`sys.get_asyncgen_hooks`).
pub fn hooks() -> Hooks {
    HOOKS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// An error that came out of a generator's cleanup, with the generator's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizeError {
    /// The generator's name ([`Finalizable::named`](crate::Finalizable::named)).
    pub name: Arc<str>,
    /// The error kind: `"Raised"` (the body's own error), `"RuntimeError"`,
    /// `"GeneratorExit"`, ...
    pub kind: &'static str,
    /// The error, rendered with `Display`.
    pub message: String,
}

impl fmt::Display for FinalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cleanup of async generator `{}` failed: {}",
            self.name, self.message
        )
    }
}

impl std::error::Error for FinalizeError {}

/// The type-erased view of a finalizable generator that hooks and registries
/// hold.
pub(crate) trait Closable: Send + Sync {
    fn name(&self) -> &Arc<str>;
    fn state(&self) -> GenState;
    /// Polls an `aclose()`; `start` is true on its first poll.
    fn poll_aclose(&self, cx: &mut Context<'_>, start: bool) -> Poll<Result<(), FinalizeError>>;
}

/// What `firstiter` receives: the generator's name and a weak handle a
/// registry can keep to close the generator later, if it is still alive.
pub struct Registration {
    pub(crate) target: Weak<dyn Closable>,
    pub(crate) name: Arc<str>,
}

impl Registration {
    /// The generator's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// A handle that does not keep the generator alive.
    pub fn handle(&self) -> GenHandle {
        GenHandle {
            target: self.target.clone(),
            name: self.name.clone(),
        }
    }
}

/// A weak handle to a finalizable generator (what `loop._asyncgens` holds).
#[derive(Clone)]
pub struct GenHandle {
    target: Weak<dyn Closable>,
    name: Arc<str>,
}

impl GenHandle {
    /// The generator's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its state, or `None` once it has been freed.
    pub fn state(&self) -> Option<GenState> {
        self.target.upgrade().map(|t| t.state())
    }
    /// `aclose()` on it if it is still alive; `None` once it has been freed.
    pub fn aclose(&self) -> Option<ACloseOrphan> {
        self.target.upgrade().map(|target| ACloseOrphan {
            target,
            started: false,
        })
    }
}

/// What `finalizer` receives: an unfinished generator whose owner dropped it.
/// Call [`aclose`](Self::aclose) and run the future on an executor to run its
/// async cleanup; dropping the orphan frees the generator (its synchronous
/// destructors run).
pub struct Orphan {
    pub(crate) target: Arc<dyn Closable>,
}

impl Orphan {
    /// The generator's name.
    pub fn name(&self) -> &str {
        self.target.name()
    }
    /// The future of `aclose()` on the generator. It is `Send + 'static`.
    pub fn aclose(self) -> ACloseOrphan {
        ACloseOrphan {
            target: self.target,
            started: false,
        }
    }
}

impl fmt::Debug for Orphan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Orphan")
            .field("name", self.target.name())
            .finish()
    }
}

/// Future of `aclose()` on an orphaned or registered generator.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ACloseOrphan {
    target: Arc<dyn Closable>,
    started: bool,
}

impl ACloseOrphan {
    /// The generator's name.
    pub fn name(&self) -> &str {
        self.target.name()
    }
}

impl Future for ACloseOrphan {
    type Output = Result<(), FinalizeError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let start = !core::mem::replace(&mut self.started, true);
        self.target.poll_aclose(cx, start)
    }
}

/// A boxed `Send` future, as a [`Registry`]'s spawner receives it.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What asyncio's event loop does for async generators: remembers every
/// finalizable generator that started iterating (`firstiter`), closes the
/// ones dropped unfinished on its executor (`finalizer`), and closes every
/// one still alive at [`shutdown`](Self::shutdown)
/// (`loop.shutdown_asyncgens()`). Errors from cleanup are kept, none lost.
///
/// ```
/// use agen_runtime::hooks::{set_hooks, Registry};
/// use std::sync::{Arc, Mutex};
///
/// // An "event loop" that runs spawned cleanups later, by hand.
/// let queue = Arc::new(Mutex::new(Vec::new()));
/// let q = queue.clone();
/// let registry = Registry::new(move |cleanup| {
///     q.lock().unwrap().push(cleanup);
///     Ok(())
/// });
/// let previous = set_hooks(registry.hooks());
/// // ... generators wrapped in `Finalizable` are registered at their first
/// // call, and handed over here when dropped unfinished ...
/// for cleanup in queue.lock().unwrap().drain(..) {
///     futures::executor::block_on(cleanup);
/// }
/// let errors = futures::executor::block_on(registry.shutdown());
/// assert!(errors.is_empty());
/// set_hooks(previous);
/// ```
pub struct Registry {
    generators: std::sync::Mutex<std::vec::Vec<GenHandle>>,
    errors: std::sync::Mutex<std::vec::Vec<FinalizeError>>,
    spawn: Box<dyn Fn(BoxFuture) -> Result<(), BoxFuture> + Send + Sync>,
}

impl Registry {
    /// A registry that runs finalizer cleanups with `spawn`, which hands the
    /// future back if it cannot run it (no executor): that cleanup is then
    /// reported as a [`FinalizeError`] of kind `"NoExecutor"` and the
    /// generator is freed with its synchronous destructors only.
    pub fn new(
        spawn: impl Fn(BoxFuture) -> Result<(), BoxFuture> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Registry {
            generators: Default::default(),
            errors: Default::default(),
            spawn: Box::new(spawn),
        })
    }

    /// The hooks that feed this registry. Install them with [`set_hooks`].
    pub fn hooks(self: &Arc<Self>) -> Hooks {
        let on_first = Arc::downgrade(self);
        let on_final = Arc::downgrade(self);
        Hooks {
            firstiter: Some(Arc::new(move |registration: &Registration| {
                if let Some(registry) = on_first.upgrade() {
                    let mut list = registry
                        .generators
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    // Forget the freed ones while we are here.
                    list.retain(|h| h.target.strong_count() > 0);
                    list.push(registration.handle());
                }
            })),
            finalizer: Some(Arc::new(move |orphan: Orphan| {
                let Some(registry) = on_final.upgrade() else {
                    return;
                };
                let reporter = Arc::downgrade(&registry);
                let name = orphan.target.name().clone();
                let cleanup = orphan.aclose();
                let spawned = (registry.spawn)(Box::pin(async move {
                    if let Err(error) = cleanup.await {
                        if let Some(registry) = reporter.upgrade() {
                            registry.report(error);
                        }
                    }
                }));
                if let Err(unrun) = spawned {
                    drop(unrun);
                    registry.report(FinalizeError {
                        name,
                        kind: "NoExecutor",
                        message: "no executor to run the cleanup on".into(),
                    });
                }
            })),
        }
    }

    fn report(&self, error: FinalizeError) {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(error);
    }

    /// Errors reported so far by finalizer cleanups (taken: each is returned once).
    pub fn take_errors(&self) -> std::vec::Vec<FinalizeError> {
        core::mem::take(&mut *self.errors.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// `loop.shutdown_asyncgens()`: acloses every registered generator that is
    /// still alive and unfinished, one after the other, and returns every
    /// error from cleanup (including those of earlier finalizer cleanups not
    /// yet taken).
    pub async fn shutdown(&self) -> std::vec::Vec<FinalizeError> {
        let alive =
            core::mem::take(&mut *self.generators.lock().unwrap_or_else(|p| p.into_inner()));
        for handle in alive {
            if matches!(handle.state(), Some(GenState::Closed) | None) {
                continue;
            }
            if let Some(close) = handle.aclose() {
                if let Err(error) = close.await {
                    self.report(error);
                }
            }
        }
        self.take_errors()
    }
}
