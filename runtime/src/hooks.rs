//! The hooks, their scope (a thread's entered hooks, then the context
//! sources), registrations and orphans: see the `finalization` module's
//! docs in `lib.rs` for the rules.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, RwLock, Weak};
use std::task::{Context, Poll};
use std::vec::Vec;

use crate::closable::{Closable, FinalizeError, FinalizeErrorKind, Name};
use crate::state::GenState;

/// The pair of hooks, as `sys.get_asyncgen_hooks()` returns them. Both are
/// shared closures (`Arc<dyn Fn(..) + Send + Sync>`): a generator keeps the
/// hooks it bound, and may be dropped on any thread.
#[derive(Clone, Default)]
// The closure types are written out, not aliased: the aliases would be two
// more public names for what a reader sees here at once.
#[allow(clippy::type_complexity)]
pub struct Hooks {
    /// Called when a finalizable generator starts iterating (its first call
    /// is created), with a weak handle to it.
    pub firstiter: Option<Arc<dyn Fn(&GenHandle) + Send + Sync>>,
    /// Called with an unfinished generator that is being dropped: spawn its
    /// [`Orphan::aclose`] to run its async cleanup.
    pub finalizer: Option<Arc<dyn Fn(Orphan) + Send + Sync>>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("firstiter", &self.firstiter.is_some())
            .field("finalizer", &self.finalizer.is_some())
            .finish()
    }
}

std::thread_local! {
    /// The hooks entered on this thread, innermost last.
    static ENTERED: RefCell<Vec<Hooks>> = const { RefCell::new(Vec::new()) };
}

/// A lookup of the hooks that belong to the context a call is made in.
type Source = fn() -> Option<Hooks>;

/// Integrations' lookups of the hooks of the context a call is made in: see
/// [`add_context_source`].
static SOURCES: RwLock<Vec<Source>> = RwLock::new(Vec::new());

/// Makes `hooks` the ones generators first called on this thread bind, until
/// the guard is dropped (then the hooks entered before are back). This is the
/// low-level scope: an executor integration enters its hooks on the threads
/// it runs tasks on.
///
/// ```
/// use agen::hooks::{Hooks, enter, current};
///
/// assert!(current().finalizer.is_none());
/// {
///     let _scope = enter(Hooks { firstiter: None, finalizer: Some(std::sync::Arc::new(|_orphan| {})) });
///     assert!(current().finalizer.is_some());
/// }
/// assert!(current().finalizer.is_none());
/// ```
pub fn enter(hooks: Hooks) -> HooksGuard {
    ENTERED.with(|entered| entered.borrow_mut().push(hooks));
    HooksGuard::new(|| {
        ENTERED.with(|entered| entered.borrow_mut().pop());
    })
}

/// Keeps hooks [`enter`]ed on this thread (or a registry entered);
/// dropping it leaves the scope. Guards are dropped in reverse order of
/// entering, as the scopes nest.
#[must_use = "the hooks are left when the guard is dropped"]
pub struct HooksGuard {
    leave: fn(),
    _not_send: PhantomData<*const ()>,
}

impl HooksGuard {
    /// A guard that calls `leave` (which pops a thread's scope stack) when
    /// dropped.
    pub(crate) fn new(leave: fn()) -> Self {
        HooksGuard {
            leave,
            _not_send: PhantomData,
        }
    }
}

impl Drop for HooksGuard {
    fn drop(&mut self) {
        (self.leave)();
    }
}

impl fmt::Debug for HooksGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HooksGuard")
    }
}

/// Registers a lookup of the hooks that belong to the context a call is made
/// in, for executors that know their own context on any thread (tokio's
/// current runtime). Consulted after the hooks [`enter`]ed on the thread, in
/// the order registered; registering the same function again does nothing.
pub fn add_context_source(source: fn() -> Option<Hooks>) {
    let mut sources = SOURCES.write().unwrap_or_else(|p| p.into_inner());
    // Compared by address: the same function registered twice (by two
    // installs) is looked up once.
    if !sources
        .iter()
        .any(|known| *known as usize == source as usize)
    {
        sources.push(source);
    }
}

/// The hooks a generator whose first call is created here and now binds
/// (`sys.get_asyncgen_hooks()`): see [`finalization`](crate::finalization)
/// for the order.
pub fn current() -> Hooks {
    if let Some(hooks) = ENTERED.with(|entered| entered.borrow().last().cloned()) {
        return hooks;
    }
    let sources = SOURCES.read().unwrap_or_else(|p| p.into_inner()).clone();
    sources
        .into_iter()
        .find_map(|source| source())
        .unwrap_or_default()
}

/// A weak handle to a finalizable generator: what `firstiter` receives, and
/// what a registry keeps (`loop._asyncgens`) to close the generator later if
/// it is still alive. Clone it to keep it.
#[derive(Clone)]
pub struct GenHandle {
    pub(crate) target: Weak<dyn Closable + Send + Sync>,
    pub(crate) name: Name,
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
    /// The future resolves to `Ok(())` once the generator's cleanup finished,
    /// or to what went wrong; it owns the generator (`Send + 'static`), so it
    /// can be spawned.
    pub fn aclose(
        &self,
    ) -> Option<impl Future<Output = Result<(), FinalizeError>> + Send + Unpin + fmt::Debug + use<>>
    {
        self.target.upgrade().map(AClose::new)
    }
}

impl fmt::Debug for GenHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenHandle")
            .field("name", &self.name)
            .finish()
    }
}

/// What `finalizer` receives: an unfinished generator whose owner dropped it.
/// Call [`aclose`](Self::aclose) and run the future on an executor to run its
/// async cleanup; dropping the orphan frees the generator (its synchronous
/// destructors run).
pub struct Orphan {
    pub(crate) target: Arc<dyn Closable + Send + Sync>,
}

impl Orphan {
    /// The generator's name.
    pub fn name(&self) -> &str {
        self.target.name()
    }
    /// The future of `aclose()` on the generator: `Ok(())` once its cleanup
    /// finished, or what went wrong. It is `Send + 'static`, to be spawned;
    /// take the generator's [`name`](Self::name) first to report it.
    pub fn aclose(
        self,
    ) -> impl Future<Output = Result<(), FinalizeError>> + Send + Unpin + fmt::Debug {
        AClose::new(self.target)
    }
}

impl fmt::Debug for Orphan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Orphan")
            .field("name", &self.target.name())
            .finish()
    }
}

/// `aclose()` on a shared generator, `Send` or not.
pub(crate) struct AClose<C: ?Sized + Closable> {
    target: Arc<C>,
    phase: Phase,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Unpolled,
    InFlight,
    Done,
}

impl<C: ?Sized + Closable> AClose<C> {
    pub(crate) fn new(target: Arc<C>) -> Self {
        AClose {
            target,
            phase: Phase::Unpolled,
        }
    }

    pub(crate) fn name(&self) -> &Name {
        self.target.name()
    }
}

impl<C: ?Sized + Closable> Future for AClose<C> {
    type Output = Result<(), FinalizeError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let start = match self.phase {
            Phase::Unpolled => true,
            Phase::InFlight => false,
            Phase::Done => {
                return Poll::Ready(Err(FinalizeError::new(
                    self.target.name().clone(),
                    FinalizeErrorKind::RuntimeError,
                    "RuntimeError: cannot reuse already awaited aclose()",
                )));
            }
        };
        self.phase = Phase::InFlight;
        let outcome = core::task::ready!(self.target.poll_aclose(cx, start));
        self.phase = Phase::Done;
        Poll::Ready(outcome)
    }
}

impl<C: ?Sized + Closable> Unpin for AClose<C> {}

/// Shows the generator's name, as the orphan it was made from does.
impl<C: ?Sized + Closable> fmt::Debug for AClose<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AClose")
            .field("name", &self.target.name())
            .finish()
    }
}

impl<C: ?Sized + Closable> Drop for AClose<C> {
    fn drop(&mut self) {
        if self.phase == Phase::InFlight {
            self.target.abandon_close();
        }
    }
}
