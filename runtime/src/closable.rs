//! The shared cell behind an owned, finalizable generator, and the errors its
//! cleanup can end with.
//!
//! A [`Finalizable`](crate::Finalizable) is shared between its owner and the
//! finalization machinery (a registry's shutdown, the finalizer's orphan), so
//! the generator lives in a [`Shared`] cell. Every poll takes the cell's lock
//! with `try_lock`: a second poll while one is under way (the body awaiting
//! its own registry's shutdown, or a shutdown on another thread) is refused
//! as "already running", as everywhere else in the protocol, never a block.

use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::fmt;
use std::pin::Pin;
use std::string::String;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::task::{Context, Poll};

use crate::error::{Error, Rejected, RuntimeError};
use crate::protocol::{AsyncGenerator, GenReply};
use crate::state::GenState;
use crate::step::Command;

/// A generator's name: a literal is kept as it is, anything else shared, so
/// that naming a generator costs no allocation for a literal and copying the
/// name (into an error) never allocates.
#[derive(Clone)]
pub(crate) enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl From<Cow<'static, str>> for Name {
    fn from(name: Cow<'static, str>) -> Self {
        match name {
            Cow::Borrowed(name) => Name::Static(name),
            Cow::Owned(name) => Name::Shared(name.into()),
        }
    }
}

impl core::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Name::Static(name) => name,
            Name::Shared(name) => name,
        }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Name {}

/// What went wrong in one generator's cleanup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FinalizeErrorKind {
    /// The body's own error came out of its cleanup (`raise_!(e)`, `?`, or a
    /// returned `Err` while closing).
    Raised,
    /// A step was in flight, so the close was refused (asyncio: "aclose():
    /// asynchronous generator is already running"). The body was freed with
    /// its synchronous destructors only.
    AlreadyRunning,
    /// The body caught the close and yielded instead of finishing ("async
    /// generator ignored GeneratorExit").
    IgnoredGeneratorExit,
    /// Another `RuntimeError`, such as an error meaning "iteration finished"
    /// that escaped the body (PEP 479).
    RuntimeError,
    /// A close had already begun on this generator (CPython's
    /// `StopAsyncIteration` from a second `aclose()`).
    AlreadyClosing,
    /// The cleanup was dropped before it finished: the executor refused it,
    /// or was shut down first. The body was freed with its synchronous
    /// destructors only.
    NotRun,
    /// The shutdown's deadline passed before the cleanup finished.
    DeadlineExceeded,
}

/// An error that came out of an unfinished generator's cleanup, with the
/// generator's name. Nothing is dropped silently: every cleanup that fails or
/// cannot run ends as one of these, returned by a registry's
/// `take_errors`/`shutdown`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizeError {
    name: Name,
    kind: FinalizeErrorKind,
    message: String,
}

impl FinalizeError {
    pub(crate) fn new(name: Name, kind: FinalizeErrorKind, message: impl Into<String>) -> Self {
        FinalizeError {
            name,
            kind,
            message: message.into(),
        }
    }

    /// The generator's name ([`Finalizable::named`](crate::Finalizable::named)).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What went wrong.
    pub fn kind(&self) -> FinalizeErrorKind {
        self.kind
    }

    /// The error, rendered: the body's error's `Display` for
    /// [`Raised`](FinalizeErrorKind::Raised), a sentence otherwise.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FinalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cleanup of async generator `{}` failed: {}",
            &*self.name, self.message
        )
    }
}

impl std::error::Error for FinalizeError {}

/// The type-erased view of a finalizable generator that hooks and registries
/// hold (`dyn Closable + Send + Sync` for [`Finalizable`](crate::Finalizable),
/// `dyn Closable` for [`LocalFinalizable`](crate::LocalFinalizable)).
pub(crate) trait Closable {
    /// The name hooks and errors report.
    fn name(&self) -> &Name;
    /// The generator's state; `Running` while any poll of it is under way.
    fn state(&self) -> GenState;
    /// Polls an `aclose()`; `start` is true on its first poll.
    fn poll_aclose(&self, cx: &mut Context<'_>, start: bool) -> Poll<Result<(), FinalizeError>>;
    /// An `aclose()` through a handle was dropped before it finished: the
    /// owner may continue the step (its `anext` continues a step in flight).
    fn abandon_close(&self);
    /// Marks the generator as taken over by a finalizer: a registry's
    /// shutdown leaves it to that cleanup.
    fn orphan(&self);
    /// Whether a finalizer took the generator over.
    fn is_orphan(&self) -> bool;
}

/// The cell an owned generator lives in, shared with the finalization
/// machinery: the generator, and one atomic byte that is both a mirror of its
/// state (readable at any time) and the flag of the one poll under way.
pub(crate) struct Shared<G> {
    name: Name,
    /// The generator's state (two low bits), and [`BUSY`] while a poll has
    /// the generator (the state then reads `Running`).
    state: AtomicU8,
    /// CPython's `ag_closed`: an accepted `aclose()` was polled.
    closed: AtomicBool,
    /// A finalizer took the generator over.
    orphaned: AtomicBool,
    /// A close started through a handle (a registry's shutdown, an orphan's
    /// cleanup) is in flight: the owner's calls are refused meanwhile, as
    /// calls on a generator another task is running.
    handle_closing: AtomicBool,
    /// Pinned (see [`Shared::new`]); accessed only by the holder of
    /// [`BUSY`] (see [`Shared::with`]).
    generator: UnsafeCell<G>,
}

// SAFETY: the generator is reached from a shared `Shared` only through
// `with`, which first takes `BUSY` (an acquire compare-exchange that only
// one thread can win) and releases it with a release store: a poll on one
// thread happens-before the next one's, as under a mutex, which is `Sync`
// for a `Send` content. Everything else is atomics and an immutable name.
unsafe impl<G: Send> Sync for Shared<G> {}

/// The flag of [`Shared::state`] that a poll holds.
const BUSY: u8 = 0b100;

fn encode(state: GenState) -> u8 {
    match state {
        GenState::Created => 0,
        GenState::Running => 1,
        GenState::Suspended => 2,
        GenState::Closed => 3,
    }
}

fn decode(byte: u8) -> GenState {
    match byte & !BUSY {
        0 => GenState::Created,
        1 => GenState::Running,
        2 => GenState::Suspended,
        _ => GenState::Closed,
    }
}

impl<G: AsyncGenerator> Shared<G> {
    /// The only constructor, and it returns the cell inside its `Arc`: a
    /// `Shared` never exists elsewhere, so the generator in it never moves
    /// (the `Arc` is never unwrapped) and is dropped in place. That is what
    /// lets [`with`](Self::with) pin it without a `Box` of its own.
    pub(crate) fn new(name: Name, generator: G) -> Arc<Self> {
        Arc::new(Shared {
            name,
            state: AtomicU8::new(encode(generator.state())),
            closed: AtomicBool::new(false),
            orphaned: AtomicBool::new(false),
            handle_closing: AtomicBool::new(false),
            generator: UnsafeCell::new(generator),
        })
    }

    pub(crate) fn name(&self) -> &Name {
        &self.name
    }

    pub(crate) fn state(&self) -> GenState {
        decode(self.state.load(Ordering::Acquire))
    }

    /// Whether a close has begun (CPython's `ag_closed`).
    pub(crate) fn close_begun(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Runs `f` on the generator, or `None` if another poll has it
    /// (re-entrant, or on another thread): a try-lock, never a wait.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(Pin<&mut G>) -> R) -> Option<R> {
        let seen = self.state.load(Ordering::Relaxed);
        if seen & BUSY != 0
            || self
                .state
                .compare_exchange(
                    seen,
                    BUSY | encode(GenState::Running),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return None;
        }
        /// Publishes the generator's state and lets go of it when the poll
        /// ends, also by a panic (the generator is `Closed` then).
        struct Release<'a, G: AsyncGenerator>(&'a AtomicU8, Pin<&'a mut G>);
        impl<G: AsyncGenerator> Drop for Release<'_, G> {
            #[inline]
            fn drop(&mut self) {
                self.0.store(encode(self.1.state()), Ordering::Release);
            }
        }
        // SAFETY: we hold `BUSY` (won above with acquire ordering), so no
        // other reference to the generator exists until `Release` lets go;
        // and it is never moved: it lives in the `Arc` that `Shared::new`
        // made, which is never unwrapped, and is only ever reached pinned.
        let pinned = unsafe { Pin::new_unchecked(&mut *self.generator.get()) };
        let mut held = Release(&self.state, pinned);
        Some(f(held.1.as_mut()))
    }

    /// One poll of the owner's call. Refused, with its value handed back,
    /// while another poll holds the lock or a handle's close is in flight;
    /// a continuation waits for the other poll instead.
    pub(crate) fn poll_resume(
        &self,
        cx: &mut Context<'_>,
        command: &mut Option<Command<G::Send, G::Error>>,
    ) -> Poll<GenReply<G>> {
        if self.handle_closing.load(Ordering::Acquire) {
            // A continuation is refused too: the step in flight is the
            // handle's close.
            return refuse(command.take().map_or(Rejected::Close, refused));
        }
        self.poll_locked(cx, command)
    }

    fn poll_locked(
        &self,
        cx: &mut Context<'_>,
        command: &mut Option<Command<G::Send, G::Error>>,
    ) -> Poll<GenReply<G>> {
        let polled = self.with(|generator| {
            if matches!(command, Some(Command::Close)) && generator.state() != GenState::Running {
                // Accepted (not refused as already running): a close began.
                self.closed.store(true, Ordering::Release);
            }
            generator.poll_resume(cx, command)
        });
        match polled {
            Some(poll) => poll,
            None => match command.take() {
                Some(command) => refuse(refused(command)),
                None => {
                    // The other poll is a moment away from letting go.
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            },
        }
    }
}

/// A call refused as "already running", its value handed back.
fn refuse<T, R, S, E>(rejected: Rejected<S, E>) -> Poll<Result<T, Error<R, E, S>>> {
    Poll::Ready(Err(Error::RuntimeError(RuntimeError::AlreadyRunning(
        rejected,
    ))))
}

/// The value of a refused call, to hand back (an `anext`'s default value
/// comes back as a send).
fn refused<S, E>(command: Command<S, E>) -> Rejected<S, E> {
    match command {
        Command::Next(value) | Command::Send(value) => Rejected::Send(value),
        Command::Throw(thrown) => Rejected::throw(thrown),
        Command::Close | Command::Continue(_) => Rejected::Close,
    }
}

impl<G> Closable for Shared<G>
where
    G: AsyncGenerator,
    G::Error: fmt::Display,
{
    fn name(&self) -> &Name {
        &self.name
    }

    fn state(&self) -> GenState {
        Shared::state(self)
    }

    fn poll_aclose(&self, cx: &mut Context<'_>, start: bool) -> Poll<Result<(), FinalizeError>> {
        if start && self.handle_closing.swap(true, Ordering::AcqRel) {
            // Another handle's close is in flight.
            return Poll::Ready(Err(FinalizeError::new(
                self.name.clone(),
                FinalizeErrorKind::AlreadyRunning,
                "RuntimeError: aclose(): asynchronous generator is already running",
            )));
        }
        let mut command = start.then_some(Command::Close);
        let reply = core::task::ready!(self.poll_locked(cx, &mut command));
        self.handle_closing.store(false, Ordering::Release);
        Poll::Ready(reply.map(|_| ()).map_err(|error| {
            let kind = match &error {
                Error::Raised(_) => FinalizeErrorKind::Raised,
                Error::StopAsyncIteration(_) => FinalizeErrorKind::AlreadyClosing,
                Error::RuntimeError(RuntimeError::AlreadyRunning(_)) => {
                    FinalizeErrorKind::AlreadyRunning
                }
                Error::RuntimeError(RuntimeError::IgnoredGeneratorExit) => {
                    FinalizeErrorKind::IgnoredGeneratorExit
                }
                _ => FinalizeErrorKind::RuntimeError,
            };
            FinalizeError::new(self.name.clone(), kind, std::format!("{error}"))
        }))
    }

    fn abandon_close(&self) {
        self.handle_closing.store(false, Ordering::Release);
    }

    fn orphan(&self) {
        self.orphaned.store(true, Ordering::Release);
    }

    fn is_orphan(&self) -> bool {
        self.orphaned.load(Ordering::Acquire)
    }
}
