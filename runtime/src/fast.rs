//! The delegation fast path: an item from the innermost generator of a
//! `yield_from_!` chain reaches the consumer without passing through every
//! level's body.
//!
//! Each `yield_from_!` whose inner generator has the same yield, send and
//! error types as the outer registers a *stepper* (its [`SameDelegate`],
//! pinned inside the delegation future) in the outer generator's slot. The
//! outermost generator (the *root*, the one the consumer drives) walks those
//! registrations down to the deepest one once, caches it, and from then on
//! resumes that stepper directly: the cost per item does not depend on the
//! depth.
//!
//! The chain changes only at two moments, and the root re-walks at both:
//!
//! - a step of the deepest generator starts a deeper delegation (its
//!   registration appears below the cached one): the walk goes on down;
//! - the deepest delegation finishes: its stepper keeps the outcome (it is
//!   *inactive* now), the root re-walks from the top to the level above it
//!   and resumes that generator with [`Command::Continue`], so its body picks
//!   the outcome up where its `yield_from_!` awaits.
//!
//! Why the raw pointers are valid: a stepper lives in the state of its outer
//! generator's body, which lives (pinned) inside the stepper one level up,
//! and so on up to the root, which the consumer holds pinned. A body only
//! runs, and so can only drop a delegation, when its generator is stepped;
//! the root re-walks after every step that can have changed the chain, and a
//! delegation future removes its registration when it completes or is
//! dropped. Intermediate generators never cache (they are marked
//! *delegated*), so no stale copy of the chain exists.

use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use crate::api::Command;
use crate::delegate::{Delegate, Delegated, GeneratorOutput, Resume, reply_to_delegated};

/// Which call started a step: decides how its end is reported.
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StepKind {
    /// `anext`, `asend`, or `anext` continuing an abandoned step.
    Next,
    /// `athrow`.
    Throw,
    /// `aclose`.
    Close,
}

/// What a fast step of the deepest delegation produced.
#[doc(hidden)]
pub enum FastStep<Y> {
    /// An item for the consumer.
    Yielded(Y),
    /// The delegation finished; its outcome is kept for the level above.
    Done,
}

/// A registered delegation, driven directly by the root. Implemented by
/// [`SameDelegate`] only.
#[doc(hidden)]
pub trait Stepper<Y, S, E> {
    /// Resumes the inner generator with `command` (or continues its step).
    fn step(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<S, E>>,
    ) -> Poll<FastStep<Y>>;
    /// `false` once the inner finished (the outcome waits to be picked up).
    fn is_active(&self) -> bool;
    /// The inner generator's own registered delegation, if any.
    fn inner_stepper(&self) -> Option<StepperPtr<Y, S, E>>;
    /// The root's cache of the deepest active delegation; used on the
    /// registration in the root's own slot only, so that a generator that
    /// is not delegating pays nothing for it.
    fn leaf_cache(&self) -> &StepperCell<Y, S, E>;
}

/// A cell holding an optional registration.
pub(crate) type StepperCell<Y, S, E> = core::cell::Cell<Option<StepperPtr<Y, S, E>>>;

/// A pointer to a registered [`Stepper`], lifetime erased (see the module
/// docs for why it stays valid while registered).
#[doc(hidden)]
pub struct StepperPtr<Y, S, E>(NonNull<dyn Stepper<Y, S, E>>);

impl<Y, S, E> Clone for StepperPtr<Y, S, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Y, S, E> Copy for StepperPtr<Y, S, E> {}

impl<Y, S, E> PartialEq for StepperPtr<Y, S, E> {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::addr_eq(self.0.as_ptr(), other.0.as_ptr())
    }
}

// SAFETY: the pointer targets memory owned by the generator that holds it
// (its own body's state, transitively); it moves between threads with that
// generator and is only dereferenced through the generator's `Pin<&mut>`.
unsafe impl<Y: Send, S: Send, E: Send> Send for StepperPtr<Y, S, E> {}
// SAFETY: never dereferenced through a shared reference.
unsafe impl<Y: Send, S: Send, E: Send> Sync for StepperPtr<Y, S, E> {}

impl<Y, S, E> StepperPtr<Y, S, E> {
    fn new<'a>(stepper: Pin<&mut (dyn Stepper<Y, S, E> + 'a)>) -> Self {
        // SAFETY: `get_unchecked_mut` only to take the address; the pointee
        // is never moved through it (it is re-pinned in `pin_mut`).
        let raw: NonNull<dyn Stepper<Y, S, E> + 'a> =
            NonNull::from(unsafe { stepper.get_unchecked_mut() });
        // SAFETY: erasing the lifetime is sound because the pointer is
        // removed from its slot before the stepper can be dropped or moved
        // (module docs), so it is never dereferenced past `'a`.
        StepperPtr(unsafe {
            core::mem::transmute::<NonNull<dyn Stepper<Y, S, E> + 'a>, NonNull<dyn Stepper<Y, S, E>>>(
                raw,
            )
        })
    }

    /// # Safety
    /// The stepper must still be registered (alive and pinned), and no other
    /// reference to it may be in use.
    pub(crate) unsafe fn pin_mut<'x>(self) -> Pin<&'x mut dyn Stepper<Y, S, E>> {
        // SAFETY: the caller's contract; it was pinned when registered.
        unsafe { Pin::new_unchecked(&mut *self.0.as_ptr()) }
    }

    /// # Safety
    /// As for [`pin_mut`](Self::pin_mut).
    pub(crate) unsafe fn get<'x>(self) -> &'x dyn Stepper<Y, S, E> {
        // SAFETY: the caller's contract.
        unsafe { &*self.0.as_ptr() }
    }
}

/// Walks from `start` down the registrations to the deepest active stepper.
///
/// # Safety
/// `start` must be registered, and so every registration below it.
pub(crate) unsafe fn deepest<Y, S, E>(
    start: Option<StepperPtr<Y, S, E>>,
) -> Option<StepperPtr<Y, S, E>> {
    let mut leaf = None;
    let mut next = start;
    while let Some(p) = next {
        // SAFETY: registered pointers are valid (the caller's contract and
        // the module docs).
        let stepper = unsafe { p.get() };
        if !stepper.is_active() {
            break;
        }
        leaf = Some(p);
        next = stepper.inner_stepper();
    }
    leaf
}

/// Delegation to a generator of exactly the outer's yield, send and error
/// types: full PEP 380 forwarding, plus the fast path.
pub struct SameDelegate<G: GeneratorOutput> {
    inner: G,
    /// The outcome of a delegation finished by the fast path, kept until the
    /// outer body picks it up.
    finished: Option<Delegated<G::Yield, G::Output, G::Error>>,
    /// See [`Stepper::leaf_cache`].
    leaf: StepperCell<G::Yield, G::Send, G::Error>,
    /// The registration points here.
    _pinned: PhantomPinned,
}

impl<G: GeneratorOutput> SameDelegate<G> {
    /// Wraps `inner`.
    pub fn new(inner: G) -> Self {
        SameDelegate {
            inner,
            finished: None,
            leaf: core::cell::Cell::new(None),
            _pinned: PhantomPinned,
        }
    }

    fn inner(self: Pin<&mut Self>) -> Pin<&mut G> {
        // SAFETY: `inner` is structurally pinned (never moved out).
        unsafe { self.map_unchecked_mut(|d| &mut d.inner) }
    }
}

impl<G> Delegate<G::Yield, G::Send, G::Error> for SameDelegate<G>
where
    G: GeneratorOutput,
    G::Send: Default,
{
    type Output = G::Output;

    fn poll_delegate(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        resume: &mut Option<Resume<G::Send, G::Error>>,
    ) -> Poll<Delegated<G::Yield, G::Output, G::Error>> {
        // SAFETY: `finished` is not structurally pinned.
        if let Some(outcome) = unsafe { self.as_mut().get_unchecked_mut() }.finished.take() {
            return Poll::Ready(outcome);
        }
        let closing = matches!(resume, Some(Resume::Close));
        let mut command = resume.take().map(|r| match r {
            Resume::Start => Command::Next(G::Send::default()),
            Resume::Send(s) => Command::Send(s),
            Resume::Throw(e) => Command::Throw(e),
            Resume::Close => Command::Close,
        });
        let reply = core::task::ready!(self.inner().poll_resume(cx, &mut command));
        Poll::Ready(reply_to_delegated::<G, G::Error>(reply, closing))
    }

    fn has_outcome(&self) -> bool {
        self.finished.is_some()
    }

    fn register(self: Pin<&mut Self>) -> Option<StepperPtr<G::Yield, G::Send, G::Error>> {
        let mut this = self;
        // Never let the inner cache a chain the root may change.
        this.as_mut().inner().mark_delegated();
        let stepper: Pin<&mut dyn Stepper<G::Yield, G::Send, G::Error>> = this;
        Some(StepperPtr::new(stepper))
    }
}

impl<G> Stepper<G::Yield, G::Send, G::Error> for SameDelegate<G>
where
    G: GeneratorOutput,
{
    fn step(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<G::Send, G::Error>>,
    ) -> Poll<FastStep<G::Yield>> {
        let closing = matches!(command, Some(Command::Close))
            || matches!(command, Some(Command::Continue(StepKind::Close)));
        let reply = core::task::ready!(self.as_mut().inner().poll_resume(cx, command));
        Poll::Ready(match reply {
            Ok(Some(y)) => FastStep::Yielded(y),
            other => {
                // SAFETY: `finished` is not structurally pinned.
                unsafe { self.get_unchecked_mut() }.finished =
                    Some(reply_to_delegated::<G, G::Error>(other, closing));
                FastStep::Done
            }
        })
    }

    fn is_active(&self) -> bool {
        self.finished.is_none()
    }

    fn inner_stepper(&self) -> Option<StepperPtr<G::Yield, G::Send, G::Error>> {
        self.inner.fast_delegate()
    }

    fn leaf_cache(&self) -> &StepperCell<G::Yield, G::Send, G::Error> {
        &self.leaf
    }
}
