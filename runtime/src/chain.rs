//! The delegation chain: how an item from the innermost generator of nested
//! `yield_from_!`s reaches the consumer without passing through every level.
//!
//! A `yield_from_!` whose inner generator has the outer's yield, send and
//! error types parks its body and *registers* a stepper: the
//! `SameDelegate` that owns (or borrows) the inner, pinned inside the
//! delegation future, in the outer's body. The registration is a thin
//! pointer to the stepper's [`StepperHeader`], written into the outer's slot
//! (the slot is otherwise idle while the body is parked, so it costs no
//! space). The chain is the sequence of registrations from the generator the
//! consumer drives (the *root*) down to the deepest active one.
//!
//! The root walks the chain once, caches its deepest active stepper (in the
//! header of its own, topmost registration) and from then on resumes that
//! stepper directly: the cost per item does not depend on the depth. The
//! chain changes only at three moments, each seen by the root where it
//! happens:
//!
//! - a step of the deepest generator starts a deeper delegation: the step
//!   reports it ([`FastStep::Yielded`]'s `deeper`) and the root extends its
//!   cache;
//! - the deepest delegation finishes: its stepper keeps the outcome and
//!   becomes *inactive*; the root drops its cache, finds the level above and
//!   resumes it with a [`Continue`](crate::step::Continue) command, so that
//!   its body picks the outcome up where its `yield_from_!` awaits;
//! - the root's own body registers or finishes a delegation: the root sees
//!   the slot change after polling its body.
//!
//! # Why the pointers stay valid
//!
//! A registration is written only by a delegation future that is being
//! polled, hence pinned, and that future's destructor removes it from the
//! slot (if the slot still holds it). `Pin`'s drop guarantee then says the
//! stepper outlives its registration. Every stepper below the root lives in
//! the body of a generator that the stepper above owns or exclusively
//! borrows, so nothing but the root can run any of them while the chain
//! exists, and the root re-reads the chain after every step that can change
//! it. A generator in the middle of a chain is marked *driven*
//! ([`Link::set_driven`]): it never caches, so no stale copy of the chain
//! survives it being driven by somebody else. The hooks a stepper calls on
//! its inner ([`Link`]) are reachable only through the protocol trait's
//! hidden methods, which take an [`Internal`](crate::step::Internal) token
//! that only this crate can make: no user type can forge a registration.
//!
//! The pointers are self-referential (a body's slot pointer, a root's cache
//! into its own body). They are sound because every type they point into is
//! `!Unpin`, and `&mut` to a `!Unpin` type does not assert uniqueness (the
//! same rule every `async` block relies on: rust-lang/rust#63818, and
//! RFC 3467 `UnsafePinned`, which will state it as a type).

use core::cell::Cell;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use crate::state::GenState;
use crate::step::Command;

/// What one step through a stepper produced.
pub(crate) enum FastStep<Y> {
    /// An item for the consumer. `deeper`: the step left the inner parked in
    /// a delegation of its own (the chain grew).
    Yielded { value: Y, deeper: bool },
    /// The delegation finished; its stepper keeps the outcome for the body
    /// above.
    Done,
}

/// What is below a stepper.
pub(crate) enum Below<Y, S, E> {
    /// The delegation finished: its outcome waits to be picked up.
    Inactive,
    /// The inner is not delegating: this stepper is the deepest. Its state.
    Leaf(GenState),
    /// The inner is parked in a delegation of its own.
    Deeper(StepperPtr<Y, S, E>),
}

type Erased<Y, S, E> = NonNull<StepperHeader<Y, S, E>>;

/// A stepper's step: see [`StepperPtr::step`].
pub(crate) type StepFn<Y, S, E> =
    unsafe fn(Erased<Y, S, E>, &mut Context<'_>, &mut Option<Command<S, E>>) -> Poll<FastStep<Y>>;
/// What is below a stepper: see [`StepperPtr::below`].
pub(crate) type BelowFn<Y, S, E> = unsafe fn(Erased<Y, S, E>) -> Below<Y, S, E>;

/// The type-erased operations of a stepper: a hand-made vtable at the start
/// of each `SameDelegate`, so that a registration is a thin pointer.
/// (A `&'static` vtable would need `'static` item types.)
#[repr(C)]
pub(crate) struct StepperHeader<Y, S, E> {
    step: StepFn<Y, S, E>,
    below: BelowFn<Y, S, E>,
    close_inner: unsafe fn(Erased<Y, S, E>),
    /// The root's cache of its deepest active stepper, kept in the header of
    /// the root's own registration.
    cache: Cell<Option<StepperPtr<Y, S, E>>>,
}

/// The operations a stepper implementation hands to [`StepperHeader::new`].
pub(crate) struct StepperOps<Y, S, E> {
    /// # Safety (of calling it)
    /// The header must head a live, pinned stepper that nothing else uses
    /// during the call.
    pub(crate) step: StepFn<Y, S, E>,
    /// # Safety (of calling it)
    /// As for `step`.
    pub(crate) below: BelowFn<Y, S, E>,
    /// # Safety (of calling it)
    /// As for `step`; only while unwinding from a panic in the chain.
    pub(crate) close_inner: unsafe fn(Erased<Y, S, E>),
}

impl<Y, S, E> StepperHeader<Y, S, E> {
    pub(crate) const fn new(ops: StepperOps<Y, S, E>) -> Self {
        StepperHeader {
            step: ops.step,
            below: ops.below,
            close_inner: ops.close_inner,
            cache: Cell::new(None),
        }
    }
}

/// A registration: a thin pointer to a registered stepper's header.
///
/// Only the runtime makes them (from a pinned `SameDelegate`), and only the
/// runtime dereferences them, under the rules of the module docs.
pub struct StepperPtr<Y, S, E>(Erased<Y, S, E>);

impl<Y, S, E> Clone for StepperPtr<Y, S, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Y, S, E> Copy for StepperPtr<Y, S, E> {}

impl<Y, S, E> PartialEq for StepperPtr<Y, S, E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

// SAFETY: a registration points into the body of the generator that holds it
// (transitively), moves between threads with that generator, and is only
// dereferenced through that generator's `Pin<&mut>`; the values it reaches
// are `Y`, `S` and `E`.
unsafe impl<Y: Send, S: Send, E: Send> Send for StepperPtr<Y, S, E> {}
// SAFETY: a `&StepperPtr` grants nothing: every dereference needs the
// holder's `Pin<&mut>` (see `Send`).
unsafe impl<Y: Send, S: Send, E: Send> Sync for StepperPtr<Y, S, E> {}

impl<Y, S, E> StepperPtr<Y, S, E> {
    /// The registration of the stepper whose header is at `header`.
    ///
    /// # Safety
    /// `header` must point to the header at the start of a pinned stepper,
    /// with write provenance over the whole stepper, and the stepper must
    /// stay pinned and alive for as long as the registration is reachable
    /// (its delegation future removes it before dropping the stepper).
    pub(crate) unsafe fn new(header: Erased<Y, S, E>) -> Self {
        StepperPtr(header)
    }

    /// Resumes the inner with `command`, continues its step when `None`, or
    /// starts it (the first step).
    ///
    /// # Safety
    /// The registration must be reachable (module docs) and nothing else may
    /// be using its stepper.
    #[inline]
    pub(crate) unsafe fn step(
        self,
        cx: &mut Context<'_>,
        command: &mut Option<Command<S, E>>,
    ) -> Poll<FastStep<Y>> {
        // SAFETY: the header is alive (caller); its functions were made for
        // the stepper it heads.
        unsafe { ((*self.0.as_ptr()).step)(self.0, cx, command) }
    }

    /// What is below this stepper.
    ///
    /// # Safety
    /// As for [`step`](Self::step).
    #[inline]
    pub(crate) unsafe fn below(self) -> Below<Y, S, E> {
        // SAFETY: as in `step`.
        unsafe { ((*self.0.as_ptr()).below)(self.0) }
    }

    /// The cache cell in this stepper's header (used on a root's own
    /// registration only).
    ///
    /// # Safety
    /// As for [`step`](Self::step); the reference must not outlive the
    /// registration.
    #[inline]
    pub(crate) unsafe fn cache<'x>(self) -> &'x Cell<Option<StepperPtr<Y, S, E>>> {
        // SAFETY: the header is alive (caller); a `Cell` field is only ever
        // accessed through shared references.
        unsafe { &(*self.0.as_ptr()).cache }
    }

    /// The deepest active stepper at or below this one, if any.
    ///
    /// # Safety
    /// As for [`step`](Self::step), for every registration below too.
    pub(crate) unsafe fn deepest(self) -> Option<Self> {
        let mut leaf = None;
        let mut current = self;
        loop {
            // SAFETY: registrations below a reachable one are reachable.
            match unsafe { current.below() } {
                Below::Inactive => return leaf,
                Below::Leaf(_) => return Some(current),
                Below::Deeper(next) => {
                    leaf = Some(current);
                    current = next;
                }
            }
        }
    }

    /// The state of the chain below this registration: `Suspended` when its
    /// deepest generator is parked at a yield, `Running` otherwise (a step is
    /// in flight, or a finished delegation waits to be picked up).
    ///
    /// # Safety
    /// As for [`deepest`](Self::deepest).
    pub(crate) unsafe fn chain_state(self) -> GenState {
        let mut current = self;
        loop {
            // SAFETY: as in `deepest`.
            match unsafe { current.below() } {
                Below::Inactive => return GenState::Running,
                Below::Leaf(GenState::Suspended) => return GenState::Suspended,
                Below::Leaf(_) => return GenState::Running,
                Below::Deeper(next) => current = next,
            }
        }
    }

    /// After a panic unwound out of a step of this chain: closes every
    /// generator below this registration, deepest first, dropping their
    /// bodies (so their destructors run during the unwind, as they do when
    /// the panic unwinds through the bodies themselves).
    ///
    /// # Safety
    /// As for [`deepest`](Self::deepest); only while unwinding.
    pub(crate) unsafe fn close_after_panic(self) {
        // SAFETY: as in `deepest`; the deeper levels are closed before the
        // body that holds their steppers is dropped.
        unsafe {
            if let Below::Deeper(next) = self.below() {
                next.close_after_panic();
            }
            ((*self.0.as_ptr()).close_inner)(self.0);
        }
    }
}

/// What a generator shows the chain about itself. Implemented by the
/// runtime's generator; reached through the protocol trait's hidden methods.
pub trait Link<Y, S, E> {
    /// Its registration, if its body is parked in a fast delegation.
    fn registration(&self) -> Option<StepperPtr<Y, S, E>>;
    /// Marks it as driven by an outer root (`true`) or as its own driver
    /// again (`false`, when the outer's delegation ends).
    fn set_driven(self: Pin<&mut Self>, driven: bool);
    /// Closes it after a panic unwound out of its chain: drops its body.
    fn close_after_panic(self: Pin<&mut Self>);
}
