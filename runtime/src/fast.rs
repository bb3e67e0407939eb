//! The delegation fast path: an item from the innermost generator of a
//! `yield_from_!` chain reaches the consumer without passing through every
//! level's body.
//!
//! A `yield_from_!` whose inner generator has the same yield, send and error
//! types as the outer registers a *stepper* (its [`SameDelegate`], pinned
//! inside the delegation future): while the outer's body is parked in the
//! delegation, the outer's slot holds `SlotState::Delegating` with a
//! pointer to it (the slot is otherwise idle then, so this costs no space).
//! The outermost generator (the *root*, the one the consumer drives) walks
//! those registrations down to the deepest one, caches it in its own
//! stepper, and from then on resumes that stepper directly: the cost per item
//! does not depend on the depth.
//!
//! The chain changes only at three moments, and each is handled where it
//! happens:
//!
//! - a body starts a delegation: its `yield_from_!` registers and returns
//!   without starting the inner; the generator sees the registration after
//!   the body's poll and starts the inner through the stepper (so the first
//!   item takes the same path as every other);
//! - a step of the deepest generator starts a deeper delegation (a
//!   registration appears in the slot of the generator the leaf steps): the
//!   root extends its cache down;
//! - the deepest delegation finishes: its stepper keeps the outcome (it is
//!   *inactive* now), the root re-walks from its own registration to the
//!   level above and resumes that generator with [`Command::Continue`], so
//!   its body picks the outcome up where its `yield_from_!` awaits.
//!
//! Why the raw pointers are valid: a stepper lives in the state of its outer
//! generator's body, which lives (pinned) inside the stepper one level up,
//! and so on up to the root, which the consumer holds pinned. A body only
//! runs, and so can only drop a delegation, when its generator is stepped;
//! the root re-reads the chain after every step that can have changed it,
//! and a delegation future removes its registration when it completes or is
//! dropped. Intermediate generators never cache (they are marked
//! *delegated*), so no stale copy of the chain exists.

use core::cell::Cell;
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

/// What a fast step of a delegation produced.
#[doc(hidden)]
pub enum FastStep<Y> {
    /// An item for the consumer.
    Yielded(Y),
    /// The delegation finished; its outcome is kept for the level above.
    Done,
}

/// A cell holding an optional registration.
pub(crate) type StepperCell<Y, S, E> = Cell<Option<StepperPtr<Y, S, E>>>;

/// The type-erased operations of a registered stepper: a hand-made vtable
/// that sits at the start of each [`SameDelegate`], so that a registration
/// is a thin pointer (one word in the slot) rather than a `dyn` pointer.
#[doc(hidden)]
#[repr(C)]
pub struct StepperHeader<Y, S, E> {
    step: StepFn<Y, S, E>,
    is_active: unsafe fn(HeaderPtr<Y, S, E>) -> bool,
    inner_stepper: InnerFn<Y, S, E>,
    leaf_cache: CacheFn<Y, S, E>,
}

type InnerFn<Y, S, E> = unsafe fn(HeaderPtr<Y, S, E>) -> Option<StepperPtr<Y, S, E>>;
type CacheFn<Y, S, E> = unsafe fn(HeaderPtr<Y, S, E>) -> NonNull<StepperCell<Y, S, E>>;

type HeaderPtr<Y, S, E> = NonNull<StepperHeader<Y, S, E>>;
type StepFn<Y, S, E> = unsafe fn(
    HeaderPtr<Y, S, E>,
    &mut Context<'_>,
    &mut Option<Command<S, E>>,
) -> Poll<FastStep<Y>>;

/// A registered stepper (see the module docs for why it stays valid while
/// registered).
#[doc(hidden)]
pub struct StepperPtr<Y, S, E>(HeaderPtr<Y, S, E>);

impl<Y, S, E> Clone for StepperPtr<Y, S, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Y, S, E> Copy for StepperPtr<Y, S, E> {}

// SAFETY: the pointer targets memory owned by the generator that holds it
// (its own body's state, transitively); it moves between threads with that
// generator and is only dereferenced through the generator's `Pin<&mut>`.
unsafe impl<Y: Send, S: Send, E: Send> Send for StepperPtr<Y, S, E> {}
// SAFETY: never dereferenced through a shared reference to its holder.
unsafe impl<Y: Send, S: Send, E: Send> Sync for StepperPtr<Y, S, E> {}

impl<Y, S, E> StepperPtr<Y, S, E> {
    /// Resumes the inner generator with `command`, continues its step when
    /// `None`, or starts it when the delegation has not started yet.
    ///
    /// # Safety
    /// The stepper must be registered (alive and pinned), and nothing else
    /// may be using it.
    pub(crate) unsafe fn step(
        self,
        cx: &mut Context<'_>,
        command: &mut Option<Command<S, E>>,
    ) -> Poll<FastStep<Y>> {
        // SAFETY: the header is alive (caller); its functions were made for
        // the stepper it heads.
        unsafe { ((*self.0.as_ptr()).step)(self.0, cx, command) }
    }

    /// `false` once the inner finished (its outcome waits to be picked up).
    ///
    /// # Safety
    /// As for [`step`](Self::step).
    pub(crate) unsafe fn is_active(self) -> bool {
        // SAFETY: as in `step`.
        unsafe { ((*self.0.as_ptr()).is_active)(self.0) }
    }

    /// The inner generator's own registration, if it is delegating.
    ///
    /// # Safety
    /// As for [`step`](Self::step).
    pub(crate) unsafe fn inner_stepper(self) -> Option<Self> {
        // SAFETY: as in `step`.
        unsafe { ((*self.0.as_ptr()).inner_stepper)(self.0) }
    }

    /// The root's cache of the deepest active delegation (used on the root's
    /// own registration only).
    ///
    /// # Safety
    /// As for [`step`](Self::step); the cell lives as long as the stepper.
    pub(crate) unsafe fn leaf_cache<'x>(self) -> &'x StepperCell<Y, S, E> {
        // SAFETY: as in `step`; the cell is a field of the stepper.
        unsafe { ((*self.0.as_ptr()).leaf_cache)(self.0).as_ref() }
    }
}

/// Walks from `start` down the registrations to the deepest active stepper.
///
/// # Safety
/// `start` must be registered, and so every registration below it.
pub(crate) unsafe fn deepest<Y, S, E>(start: StepperPtr<Y, S, E>) -> Option<StepperPtr<Y, S, E>> {
    let mut leaf = None;
    let mut next = Some(start);
    while let Some(p) = next {
        // SAFETY: registered pointers are valid (the caller's contract and
        // the module docs).
        if !unsafe { p.is_active() } {
            break;
        }
        leaf = Some(p);
        // SAFETY: as above.
        next = unsafe { p.inner_stepper() };
    }
    leaf
}

/// Delegation to a generator of exactly the outer's yield, send and error
/// types: full PEP 380 forwarding, plus the fast path.
#[repr(C)]
pub struct SameDelegate<G: GeneratorOutput> {
    // First field: a pointer to the delegate is a pointer to its header.
    header: StepperHeader<G::Yield, G::Send, G::Error>,
    inner: G,
    /// The inner has been started (by the first step).
    started: bool,
    /// The outcome of a delegation finished by a step, kept until the outer
    /// body picks it up.
    finished: Option<Delegated<G::Yield, G::Output, G::Error>>,
    /// See [`StepperPtr::leaf_cache`].
    leaf: StepperCell<G::Yield, G::Send, G::Error>,
    /// Registrations point here.
    _pinned: PhantomPinned,
}

impl<G> SameDelegate<G>
where
    G: GeneratorOutput,
    G::Send: Default,
{
    /// Wraps `inner`.
    pub fn new(inner: G) -> Self {
        SameDelegate {
            header: StepperHeader {
                step: Self::erased_step,
                is_active: Self::erased_is_active,
                inner_stepper: Self::erased_inner_stepper,
                leaf_cache: Self::erased_leaf_cache,
            },
            inner,
            started: false,
            finished: None,
            leaf: Cell::new(None),
            _pinned: PhantomPinned,
        }
    }

    fn inner(self: Pin<&mut Self>) -> Pin<&mut G> {
        // SAFETY: `inner` is structurally pinned (never moved out).
        unsafe { self.map_unchecked_mut(|d| &mut d.inner) }
    }

    /// Back from the header to the delegate.
    ///
    /// # Safety
    /// `header` must head a live, pinned `SameDelegate<G>`.
    unsafe fn from_header<'x>(header: HeaderPtr<G::Yield, G::Send, G::Error>) -> Pin<&'x mut Self> {
        // SAFETY: `#[repr(C)]` with the header first: same address; pinned
        // since registration (caller).
        unsafe { Pin::new_unchecked(&mut *header.cast::<Self>().as_ptr()) }
    }

    unsafe fn erased_step(
        header: HeaderPtr<G::Yield, G::Send, G::Error>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<G::Send, G::Error>>,
    ) -> Poll<FastStep<G::Yield>> {
        // SAFETY: called through a registered pointer (`StepperPtr::step`).
        let mut this = unsafe { Self::from_header(header) };
        // SAFETY: `started` is not structurally pinned.
        let started = core::mem::replace(
            &mut unsafe { this.as_mut().get_unchecked_mut() }.started,
            true,
        );
        if !started {
            *command = Some(Command::Next(G::Send::default()));
        }
        let closing = matches!(
            command,
            Some(Command::Close | Command::Continue(StepKind::Close))
        );
        if matches!(
            command,
            Some(Command::Next(_) | Command::Send(_) | Command::Throw(_) | Command::Close)
        ) {
            // A new call on the inner (not a continuation): let it bind its
            // hooks, as CPython calls `firstiter` for an inner started by
            // `yield from` too.
            this.as_mut().inner().on_call(closing);
        }
        let reply = core::task::ready!(this.as_mut().inner().poll_resume(cx, command));
        Poll::Ready(match reply {
            Ok(Some(y)) => FastStep::Yielded(y),
            other => {
                // SAFETY: `finished` is not structurally pinned.
                unsafe { this.get_unchecked_mut() }.finished =
                    Some(reply_to_delegated::<G, G::Error>(other, closing));
                FastStep::Done
            }
        })
    }

    unsafe fn erased_is_active(header: HeaderPtr<G::Yield, G::Send, G::Error>) -> bool {
        // SAFETY: as in `erased_step`; only read.
        unsafe { header.cast::<Self>().as_ref() }.finished.is_none()
    }

    unsafe fn erased_inner_stepper(
        header: HeaderPtr<G::Yield, G::Send, G::Error>,
    ) -> Option<StepperPtr<G::Yield, G::Send, G::Error>> {
        // SAFETY: as in `erased_step`; only read.
        unsafe { header.cast::<Self>().as_ref() }
            .inner
            .fast_delegate()
    }

    unsafe fn erased_leaf_cache(
        header: HeaderPtr<G::Yield, G::Send, G::Error>,
    ) -> NonNull<StepperCell<G::Yield, G::Send, G::Error>> {
        // SAFETY: as in `erased_step`; a field's address.
        NonNull::from(&unsafe { header.cast::<Self>().as_ref() }.leaf)
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
        _cx: &mut Context<'_>,
        _resume: &mut Option<Resume<G::Send, G::Error>>,
    ) -> Poll<Delegated<G::Yield, G::Output, G::Error>> {
        // Every step goes through the stepper; the body only ever polls the
        // delegation to pick up its outcome.
        // SAFETY: `finished` is not structurally pinned.
        match unsafe { self.as_mut().get_unchecked_mut() }.finished.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }

    fn register(self: Pin<&mut Self>) -> Option<StepperPtr<G::Yield, G::Send, G::Error>> {
        let mut this = self;
        // Never let the inner drive a chain the root drives.
        this.as_mut().inner().mark_delegated();
        // The pointer must carry write access to the whole delegate (the
        // steps mutate it), so it is made from `&mut Self`, not from
        // `&self.header`, and only then cast to the header at its start.
        // SAFETY: only the address is taken; the delegate stays pinned.
        let whole = NonNull::from(unsafe { this.get_unchecked_mut() });
        Some(StepperPtr(whole.cast()))
    }
}
