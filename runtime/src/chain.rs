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
//!   reports it ([`FastStep::YieldedDeeper`]) and the root extends its
//!   cache;
//! - the deepest delegation finishes: its stepper keeps the outcome and
//!   becomes *inactive*; the root drops its cache, finds the level above and
//!   resumes it with a [`Continue`](crate::step::Continue) command, so that
//!   its body picks the outcome up where its `yield_from_!` awaits;
//! - the root's own body registers or finishes a delegation: the root sees
//!   the slot change after polling its body.
//!
//! Once a stepper has started its inner, its header also keeps the inner's
//! *hot entry* (`AsyncGenerator::__hot`: the inner's address and a function
//! monomorphized for its type). A root's `anext`/`asend` resumes its cached
//! leaf through that entry: one indirect call runs the inner's own hot path
//! (parked at a plain yield, resumed, yielded) and the item comes back in
//! registers; any other state or outcome is handed back to the stepper
//! (its general step, or `finish` with the reply), so the entry never
//! decides anything the stepper would decide differently.
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
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use crate::state::GenState;
use crate::step::Command;

/// What one step through a stepper produced.
pub(crate) enum FastStep<Y> {
    /// An item for the consumer.
    Yielded(Y),
    /// An item for the consumer, from a step that left the inner parked in a
    /// delegation of its own (the chain grew). (Two variants rather than a
    /// flag, so that the step's result fits in two registers.)
    YieldedDeeper(Y),
    /// The delegation finished; its stepper keeps the outcome for the body
    /// above.
    Done,
}

impl<Y> FastStep<Y> {
    /// An item; `deeper`: the chain grew.
    #[inline(always)]
    pub(crate) fn yielded(value: Y, deeper: bool) -> Self {
        if deeper {
            FastStep::YieldedDeeper(value)
        } else {
            FastStep::Yielded(value)
        }
    }
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
/// Finishes a step that the inner's hot entry began: see
/// [`StepperPtr::finish`].
pub(crate) type FinishFn<Y, S, E> = unsafe fn(Erased<Y, S, E>, NonNull<()>) -> Poll<FastStep<Y>>;

/// The type-erased operations of a stepper, one `static` table per stepper
/// type (a promoted constant), so that a registration is a thin pointer and
/// the operations take one word of the header (which also keeps the cache
/// and the hot entry: four words, as small as the three function pointers
/// and the cache it replaced).
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
    /// # Safety (of calling it)
    /// As for `step`; the second argument points to an
    /// `Option<Poll<Reply<Y, R, E, S>>>` holding the reply of a step of the
    /// stepper's inner, `R` its return type.
    pub(crate) finish: FinishFn<Y, S, E>,
}

/// A pointer to a stepper type's operations, in static memory.
struct OpsPtr<Y, S, E>(NonNull<StepperOps<Y, S, E>>);

// SAFETY: the table is immutable static data made of function pointers.
unsafe impl<Y, S, E> Send for OpsPtr<Y, S, E> {}
// SAFETY: as for `Send`.
unsafe impl<Y, S, E> Sync for OpsPtr<Y, S, E> {}

/// The header at the start of each `SameDelegate`.
#[repr(C)]
pub(crate) struct StepperHeader<Y, S, E> {
    ops: OpsPtr<Y, S, E>,
    /// The root's cache of its deepest active stepper, kept in the header of
    /// the root's own registration.
    cache: Cell<Option<StepperPtr<Y, S, E>>>,
    /// The inner's hot entry, once the inner has been started (if it has
    /// one): the root resumes a leaf parked at a plain yield through it,
    /// with one indirect call. Until then (and for an inner without one) an
    /// entry that declines to the stepper's general step, so that the root
    /// has nothing to test before the call.
    hot: Cell<ErasedHot<Y, S, E>>,
}

impl<Y, S, E> StepperHeader<Y, S, E> {
    /// A header whose operations are `ops`.
    ///
    /// # Safety
    /// `ops` must be a promoted constant (`&Self::OPS`), in static memory:
    /// the header keeps a pointer to it for as long as it exists.
    pub(crate) unsafe fn new(ops: &StepperOps<Y, S, E>) -> Self {
        StepperHeader {
            ops: OpsPtr(NonNull::from(ops)),
            cache: Cell::new(None),
            hot: Cell::new(ErasedHot::DECLINE),
        }
    }

    /// Installs the inner's hot entry (`None`: it has none, and the entry
    /// declines to the stepper's general step).
    ///
    /// # Safety
    /// The entry must come from the stepper's inner, whose return type is
    /// the `R` that the stepper's `finish` expects, and that inner must stay
    /// pinned at its address for as long as this header is registered.
    pub(crate) unsafe fn set_hot<R>(&self, entry: Option<HotEntry<Y, S, E, R>>) {
        self.hot
            .set(entry.map_or(ErasedHot::DECLINE, |e| ErasedHot {
                data: e.data,
                f: e.f,
            }));
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
        unsafe { (self.ops().step)(self.0, cx, command) }
    }

    /// [`step`](Self::step) with `anext`'s command: resumes the inner with
    /// `input`.
    ///
    /// # Safety
    /// As for [`step`](Self::step).
    #[inline]
    pub(crate) unsafe fn step_next(self, cx: &mut Context<'_>, input: S) -> Poll<FastStep<Y>> {
        // SAFETY: the caller's contract.
        unsafe { self.step(cx, &mut Some(Command::Next(input))) }
    }

    /// The operations of this stepper.
    ///
    /// # Safety
    /// As for [`step`](Self::step).
    #[inline(always)]
    unsafe fn ops<'x>(self) -> &'x StepperOps<Y, S, E> {
        // SAFETY: the header is alive (caller); its table is static data.
        unsafe { (*self.0.as_ptr()).ops.0.as_ref() }
    }

    /// Finishes a step of this stepper's inner that its hot entry began and
    /// that did not yield at a plain yield: `reply` points to an
    /// `Option<Poll<Reply<Y, R, E, S>>>` holding its reply (taken here), `R`
    /// the inner's return type.
    ///
    /// # Safety
    /// As for [`step`](Self::step), and `reply` as said.
    #[inline]
    pub(crate) unsafe fn finish(self, reply: NonNull<()>) -> Poll<FastStep<Y>> {
        // SAFETY: as in `step`; `reply` is the caller's.
        unsafe { (self.ops().finish)(self.0, reply) }
    }

    /// The hot entry of this stepper's inner (one that declines to the
    /// general step if the inner has none or was not started).
    ///
    /// # Safety
    /// As for [`step`](Self::step).
    #[inline(always)]
    pub(crate) unsafe fn hot(self) -> ErasedHot<Y, S, E> {
        // SAFETY: the header is alive (caller); a `Cell` field is only ever
        // accessed through shared references.
        unsafe { (*self.0.as_ptr()).hot.get() }
    }

    /// What is below this stepper.
    ///
    /// # Safety
    /// As for [`step`](Self::step).
    #[inline]
    pub(crate) unsafe fn below(self) -> Below<Y, S, E> {
        // SAFETY: as in `step`.
        unsafe { (self.ops().below)(self.0) }
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
            (self.ops().close_inner)(self.0);
        }
    }
}

/// A leaf's hot step: resumes the generator at `call.data` with the second
/// argument when it is parked at a plain yield and answers its yield in
/// place; otherwise finishes the step through the stepper `call.leaf` (the
/// general step, or [`StepperPtr::finish`]).
///
/// The call's other arguments travel in a [`HotCall`] in the caller's frame,
/// behind a raw pointer: the step keeps only that pointer across the poll of
/// the generator's body (one saved register instead of three) and reads the
/// rest again after it, when it needs them.
pub(crate) type HotFn<Y, S, E> = unsafe fn(*mut HotCall<'_, '_, Y, S, E>, S) -> Poll<FastStep<Y>>;

/// The arguments of a [`HotFn`] but the value sent in: the generator, the
/// task context, the stepper whose inner it is.
pub(crate) struct HotCall<'a, 'b, Y, S, E> {
    /// The hot entry's address (for agen's generator, its body's).
    pub(crate) data: NonNull<()>,
    /// The context of the step.
    pub(crate) cx: &'a mut Context<'b>,
    /// The stepper whose inner the generator is.
    pub(crate) leaf: StepperPtr<Y, S, E>,
}

/// A generator's hot entry, for a stepper whose inner it is: its address and
/// its [`HotFn`]. `R` is its return type (the type of the replies it hands
/// to the stepper's `finish`). Only the runtime makes one.
pub struct HotEntry<Y, S, E, R> {
    data: NonNull<()>,
    f: HotFn<Y, S, E>,
    _return: PhantomData<fn() -> R>,
}

impl<Y, S, E, R> HotEntry<Y, S, E, R> {
    /// The entry of the generator at `data` (an address inside it that `f`
    /// knows how to find the generator from).
    ///
    /// # Safety
    /// `f` must be sound to call with a [`HotCall`] whose `data` is `data`
    /// (and the contract of [`HotFn`]'s callers: the generator is pinned
    /// there, nothing else uses it during the call, the call's `leaf` is the
    /// registration of the stepper whose inner it is, and the `HotCall` is
    /// valid for reads during the call); the replies `f` hands to `finish`
    /// have return type `R`.
    pub(crate) unsafe fn new(data: NonNull<()>, f: HotFn<Y, S, E>) -> Self {
        HotEntry {
            data,
            f,
            _return: PhantomData,
        }
    }
}

/// [`HotEntry`] without its return type, as a header keeps it.
pub(crate) struct ErasedHot<Y, S, E> {
    data: NonNull<()>,
    f: HotFn<Y, S, E>,
}

impl<Y, S, E> Clone for ErasedHot<Y, S, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Y, S, E> Copy for ErasedHot<Y, S, E> {}

// SAFETY: as for `StepperPtr`: the entry points into the generator that
// holds it (transitively) and is only used through that generator's
// `Pin<&mut>`.
unsafe impl<Y: Send, S: Send, E: Send> Send for ErasedHot<Y, S, E> {}
// SAFETY: as for `StepperPtr`.
unsafe impl<Y: Send, S: Send, E: Send> Sync for ErasedHot<Y, S, E> {}

impl<Y, S, E> ErasedHot<Y, S, E> {
    /// The entry of a stepper whose inner has no hot entry (or has not
    /// started): every step is the stepper's general step.
    const DECLINE: Self = ErasedHot {
        data: NonNull::dangling(),
        f: decline,
    };

    /// One step of the leaf `leaf`, whose inner's entry this is, resumed
    /// with `input`.
    ///
    /// # Safety
    /// As for [`StepperPtr::step`] on `leaf`, and this entry was read off
    /// `leaf`'s header.
    #[inline(always)]
    pub(crate) unsafe fn step(
        self,
        cx: &mut Context<'_>,
        input: S,
        leaf: StepperPtr<Y, S, E>,
    ) -> Poll<FastStep<Y>> {
        let mut call = HotCall {
            data: self.data,
            cx,
            leaf,
        };
        // SAFETY: the entry's contract (`HotEntry::new`), which the stepper
        // that installed it upholds while it is registered (caller); `call`
        // lives until the step returns.
        unsafe { (self.f)(&mut call, input) }
    }
}

/// The [`HotFn`] of [`ErasedHot::DECLINE`] (and of a hot entry whose
/// generator is not parked at a plain yield): the general step of the
/// stepper `call.leaf`, resumed with `input`. It never reads `call.data`.
///
/// # Safety
/// As for any [`HotFn`]: `call` is valid for reads during the call, and its
/// `leaf` is a live, pinned stepper that nothing else uses during the call.
#[cold]
#[inline(never)]
pub(crate) unsafe fn decline<Y, S, E>(
    call: *mut HotCall<'_, '_, Y, S, E>,
    input: S,
) -> Poll<FastStep<Y>> {
    // SAFETY: the caller's contract; the context is the caller's, borrowed
    // for the step only.
    unsafe { (*call).leaf.step_next(&mut *(*call).cx, input) }
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
