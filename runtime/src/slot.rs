//! The raw slot: one cell, shared by a generator and its body, that holds
//! both the generator's life state and whatever is in transit between the
//! two (one tag byte for both).
//!
//! # Access discipline
//!
//! The generator reaches the slot through its `Pin<&mut Self>`; the body
//! reaches it through a raw pointer (the handle the runtime gives it when
//! it starts). The two never access it at the same time: the body runs
//! only inside the generator's `poll` of it or its drop, and the generator
//! touches the slot only outside those calls. Every access is one read,
//! write or replace of the whole cell: no reference into the cell is held
//! across any other code. These are the obligations the accessors' `#
//! Safety` sections name.

use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;

use crate::chain::StepperPtr;
use crate::error::Thrown;

/// What the slot holds: a life state (no payload), or a value in transit.
pub(crate) enum Cell<Y, S, E> {
    /// The body has not been made yet.
    Created,
    /// Parked at a plain `yield_!` (the expansion's yield, always awaited at
    /// once): an `athrow`/`aclose` drops the body without resuming it, and
    /// `anext`/`asend` write [`Sent`](Cell::Sent) (the hot path). For a
    /// zero-sized send type they write nothing: the body is polled while the
    /// slot says `Suspended` only when it is resumed, so the expansion's
    /// yield, seeing this tag, takes the value (which has no bytes) as it
    /// would take `Sent`'s.
    Suspended,
    /// Parked at a plain yield made by [`Yielder::yield_`](crate::Yielder::yield_),
    /// which the body may not be awaiting: as `Suspended`, but the value is
    /// sent in as [`SentOwned`](Cell::SentOwned).
    SuspendedLoose,
    /// Parked at a yield that handles what is thrown in (`yield_catch_!`,
    /// or a `yield_from_!` that forwards it).
    SuspendedCatch,
    /// A step is in flight (the body waits at an `.await` that is not a
    /// yield), or the body is being polled.
    Running,
    /// Finished: the body is gone.
    Closed,
    /// Parked in a chain delegation (its registration), the chain
    /// suspended at a yield.
    Delegating(StepperPtr<Y, S, E>),
    /// As `Delegating`, for a generator that drives its own chain (the
    /// chain's *root*, not driven by an outer one) and has cached its
    /// deepest stepper, whose inner has a hot entry: the root resumes that
    /// entry on one tag test. Only the root writes it, after a step through
    /// the chain, having checked the three; a hot step that yields keeps it
    /// (nothing changed), every other outcome writes another tag, and so
    /// does marking the generator driven. (The hot path reads the cache and
    /// the entry as options all the same: nothing unsafe rests on the tag.)
    DelegatingHot(StepperPtr<Y, S, E>),
    /// Parked in a chain delegation, a step through the chain in flight.
    DelegatingInFlight(StepperPtr<Y, S, E>),
    /// In transit to the body: the value sent in to a body parked at the
    /// expansion's yield. That yield is the first thing the body polls when
    /// resumed, and it copies the value out *without writing the tag*: once
    /// the body has been polled, this tag's payload belongs to the body (or
    /// is gone), so nobody else reads or drops it (hence `ManuallyDrop`).
    /// Until the body's next publication the tag means `Running`. The macro
    /// uses that yield only for a `yield_!` written directly in the body,
    /// where the `.await` is the expansion's own and the body is parked at
    /// nothing else; inside another macro's tokens (`select!`, a user's
    /// `macro_rules!`) it uses the guarded yield (`SentOwned`).
    Sent(ManuallyDrop<S>),
    /// In transit to the body: the value sent in at any other yield. Its
    /// taker replaces it with `Running`; if nothing takes it, it is dropped
    /// with the cell.
    SentOwned(S),
    /// In transit to the body: what `athrow`/`aclose` injected.
    Thrown(Thrown<E>),
    /// In transit to the caller: a value the body yielded at the expansion's
    /// plain yield (`yield_!`), which the body awaits at once.
    Yielded(Y),
    /// In transit to the caller: a value yielded by a
    /// [`Yield`](crate::Yield) future, which may not be awaited.
    YieldedLoose(Y),
    /// In transit to the caller: a value yielded at a catching yield.
    YieldedCatch(Y),
    /// The body raises this: its future is dropped, the call resolves to it.
    Raising(Thrown<E>),
}

/// The cell, pinned inside the generator.
pub(crate) struct Slot<Y, S, E> {
    cell: UnsafeCell<Cell<Y, S, E>>,
    // The body's handle points here: the slot never moves once a body exists.
    _pinned: PhantomPinned,
}

// SAFETY: the slot is only ever reached through `&mut`-exclusive paths (the
// generator's `Pin<&mut Self>`, or the body's handle while the generator
// polls or drops the body under that `&mut`). Through `&Slot` only the tag
// is read (`state()`), never a payload, so sharing it across threads shares
// nothing but that byte; moving it moves `Y`, `S` and `E` values.
unsafe impl<Y: Send, S: Send, E: Send> Sync for Slot<Y, S, E> {}

impl<Y, S, E> Slot<Y, S, E> {
    pub(crate) const fn new() -> Self {
        Slot {
            cell: UnsafeCell::new(Cell::Created),
            _pinned: PhantomPinned,
        }
    }

    /// Swaps in `new` and returns what was there.
    ///
    /// # Safety
    /// The generator's obligation: called with no body code running (module
    /// docs).
    #[inline(always)]
    pub(crate) unsafe fn replace(&self, new: Cell<Y, S, E>) -> Cell<Y, S, E> {
        // SAFETY: no reference into the cell outlives this call, and nothing
        // else accesses it now (caller).
        unsafe { core::ptr::replace(self.cell.get(), new) }
    }

    /// Writes `new` without dropping what is there.
    ///
    /// # Safety
    /// As for [`replace`](Self::replace), and the cell must hold a state
    /// without payload (or the payload is leaked).
    #[inline(always)]
    pub(crate) unsafe fn write(&self, new: Cell<Y, S, E>) {
        // SAFETY: as for `replace`.
        unsafe { core::ptr::write(self.cell.get(), new) }
    }

    /// Reads the cell through a short-lived shared reference.
    ///
    /// # Safety
    /// As for [`replace`](Self::replace); `look` must not run body code.
    #[inline(always)]
    pub(crate) unsafe fn peek<R>(&self, look: impl FnOnce(&Cell<Y, S, E>) -> R) -> R {
        // SAFETY: nothing writes the cell during `look` (caller).
        look(unsafe { &*self.cell.get() })
    }
}

/// The body's pointer to its generator's slot.
pub(crate) struct SlotPtr<Y, S, E>(NonNull<Slot<Y, S, E>>);

impl<Y, S, E> Clone for SlotPtr<Y, S, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Y, S, E> Copy for SlotPtr<Y, S, E> {}

// SAFETY: moving the pointer moves the right to pass `Y`, `S` and `E`
// values through the slot, which is exercised only under the discipline of
// the module docs.
unsafe impl<Y: Send, S: Send, E: Send> Send for SlotPtr<Y, S, E> {}
// SAFETY: every access through the pointer needs the exclusive borrow that
// its holders (`Co`, `Yielder`, the body futures) give only by `&mut`.
unsafe impl<Y: Send, S: Send, E: Send> Sync for SlotPtr<Y, S, E> {}

impl<Y, S, E> SlotPtr<Y, S, E> {
    /// # Safety
    /// `slot` must point to a generator's slot, for that generator's body
    /// (the access discipline of the module docs then applies).
    pub(crate) unsafe fn new(slot: NonNull<Slot<Y, S, E>>) -> Self {
        SlotPtr(slot)
    }

    /// Swaps in `new` and returns what was there.
    ///
    /// # Safety
    /// The body side's obligation: the slot is alive (the generator drops
    /// the body before the slot), and this runs while the generator polls or
    /// drops the body, through the body's exclusive borrow of its handle.
    #[inline(always)]
    pub(crate) unsafe fn replace(self, new: Cell<Y, S, E>) -> Cell<Y, S, E> {
        // SAFETY: the slot is alive and nobody else accesses it (caller).
        unsafe { (*self.0.as_ptr()).replace(new) }
    }

    /// Reads the cell through a short-lived shared reference.
    ///
    /// # Safety
    /// As for [`replace`](Self::replace).
    #[inline(always)]
    pub(crate) unsafe fn peek<R>(self, look: impl FnOnce(&Cell<Y, S, E>) -> R) -> R {
        // SAFETY: as for `replace`.
        unsafe { (*self.0.as_ptr()).peek(look) }
    }
}
