//! The two-way slot between a generator and its body, and the body's handle
//! to it.
//!
//! The slot lives inside the pinned generator. The body reaches it through a
//! [`Co`] that holds a raw pointer; the user only ever sees a [`Yielder`], a
//! unique borrow of the body's own `Co`, so the pointer cannot leave the body
//! future (not into a `'static` task, not into a longer-lived place) and two
//! handles can never be swapped between generators.
//!
//! Access discipline (what makes the raw pointer sound): the generator touches
//! the slot only between polls of the body, and the body only while it is
//! being polled or dropped, both on the thread that holds `Pin<&mut>` to the
//! generator. Every access is one `ptr::replace`: no reference into the slot
//! is ever held across user code.

use core::cell::UnsafeCell;
use core::future::Future;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use crate::delegate::{Delegate, Failure, YieldFrom};
use crate::error::Thrown;
use crate::fast::StepperPtr;

/// What the slot holds at a given moment.
pub(crate) enum SlotState<Y, S, E> {
    /// Nothing in transit.
    Empty,
    /// The body yielded this value; the generator hands it to the caller.
    Yielded(Y),
    /// The caller resumed the body with this value.
    Sent(S),
    /// The caller injected this at the yield.
    Thrown(Thrown<E>),
    /// The body raises this through the generator: its future is dropped
    /// (destructors run) and the call resolves to the error.
    Raising(Thrown<E>),
    /// A delegation failed: the body ends and the call resolves to the
    /// matching `RuntimeError`.
    Failed(Failure),
    /// The body is parked in a fast-path `yield_from_!` (`fast.rs`): its
    /// registration. The slot carries nothing else meanwhile.
    Delegating(StepperPtr<Y, S, E>),
}

/// The cell shared by a generator and its body.
pub(crate) struct Slot<Y, S, E> {
    state: UnsafeCell<SlotState<Y, S, E>>,
    // The body's `Co` points here: the slot must never move once a body exists.
    _pinned: PhantomPinned,
}

// SAFETY: the slot is only ever reached through `&mut`-exclusive paths (the
// generator's `Pin<&mut Self>` or the body's unique `Co`); a shared `&Slot`
// grants no access by itself, like `Mutex<T>`, so it is `Sync` when the values
// it moves between threads are `Send`.
unsafe impl<Y: Send, S: Send, E: Send> Sync for Slot<Y, S, E> {}

impl<Y, S, E> Slot<Y, S, E> {
    pub(crate) const fn new() -> Self {
        Slot {
            state: UnsafeCell::new(SlotState::Empty),
            _pinned: PhantomPinned,
        }
    }

    /// Swaps in `new` and returns what was there.
    ///
    /// Caller side of the access discipline: the generator calls this with
    /// `&self` borrowed from its `Pin<&mut Self>`, never while the body is
    /// being polled.
    #[inline]
    pub(crate) fn replace(&self, new: SlotState<Y, S, E>) -> SlotState<Y, S, E> {
        // SAFETY: no reference into the cell outlives this call (module docs),
        // and the body is not running, so nothing else touches the cell now.
        unsafe { core::ptr::replace(self.state.get(), new) }
    }

    /// Writes `new` without reading (or dropping) what is there: only when
    /// the slot is known to be `Empty` (a suspended generator's).
    #[inline]
    pub(crate) fn put_unchecked(&self, new: SlotState<Y, S, E>) {
        // SAFETY: as for `replace`; what is overwritten is `Empty`, which has
        // nothing to drop (and a leak would not be unsound anyway).
        unsafe { core::ptr::write(self.state.get(), new) }
    }

    #[inline]
    pub(crate) fn take(&self) -> SlotState<Y, S, E> {
        self.replace(SlotState::Empty)
    }

    /// The registered fast-path delegation, if the body is parked in one.
    #[inline]
    pub(crate) fn delegate(&self) -> Option<StepperPtr<Y, S, E>> {
        // SAFETY: a read of the tag (and a `Copy` pointer), holding no
        // reference beyond this expression; nothing writes the cell now.
        match unsafe { &*self.state.get() } {
            SlotState::Delegating(stepper) => Some(*stepper),
            _ => None,
        }
    }

    /// Nothing in transit (the state of a suspended generator that is not
    /// delegating).
    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        // SAFETY: as in `delegate`.
        matches!(unsafe { &*self.state.get() }, SlotState::Empty)
    }
}

/// The body's end of the slot. Created by the runtime when the body starts;
/// the macro keeps it in a hidden, unnameable binding and lends it out only as
/// a [`Yielder`].
pub struct Co<Y, S, E> {
    slot: NonNull<Slot<Y, S, E>>,
    // `Co` must stay where the body future put it, so a `&mut Co` is never
    // handed out (a `Yielder` holds one privately).
    _pinned: PhantomPinned,
}

// SAFETY: a `Co` moves `Y`, `S` and `E` values between the body and the
// generator; moving the body to another thread moves those values with it.
unsafe impl<Y: Send, S: Send, E: Send> Send for Co<Y, S, E> {}
// SAFETY: `&Co` grants no access to the slot (every method takes `&mut`).
unsafe impl<Y: Send, S: Send, E: Send> Sync for Co<Y, S, E> {}

impl<Y, S, E> Co<Y, S, E> {
    /// # Safety
    /// `slot` must stay valid and pinned for as long as the body future that
    /// owns this `Co` exists (the generator drops the body before the slot).
    pub(crate) unsafe fn new(slot: NonNull<Slot<Y, S, E>>) -> Self {
        Co {
            slot,
            _pinned: PhantomPinned,
        }
    }

    #[inline]
    fn replace(&mut self, new: SlotState<Y, S, E>) -> SlotState<Y, S, E> {
        // SAFETY: `Co::new`'s contract keeps the slot alive and in place while
        // the body (which owns `self`) exists; the body only runs while the
        // generator is inside `poll`/`drop` and not touching the slot itself,
        // and the replace holds no reference beyond this call.
        unsafe { core::ptr::replace((*self.slot.as_ptr()).state.get(), new) }
    }

    /// Takes the consumer's input (a sent value or a thrown exception), if
    /// that is what the slot holds; anything else stays.
    #[inline]
    pub(crate) fn take_input(&mut self) -> Option<SlotState<Y, S, E>> {
        match self.replace(SlotState::Empty) {
            input @ (SlotState::Sent(_) | SlotState::Thrown(_)) => Some(input),
            other => {
                drop(self.replace(other));
                None
            }
        }
    }

    /// Removes the body's fast-path registration, if the slot holds it.
    #[inline]
    pub(crate) fn clear_delegate(&mut self) {
        match self.replace(SlotState::Empty) {
            SlotState::Delegating(_) => {}
            other => drop(self.replace(other)),
        }
    }

    /// Puts `state` in the slot (dropping what was there).
    #[inline]
    pub(crate) fn put(&mut self, state: SlotState<Y, S, E>) {
        drop(self.replace(state));
    }

    /// Borrows this handle as a [`Yielder`]. The macro calls it; users get a
    /// `Yielder` from `co!()`.
    #[doc(hidden)]
    #[inline]
    pub fn yielder(&mut self) -> Yielder<'_, Y, S, E> {
        Yielder { co: self }
    }
}

/// The body's handle to its generator: yields values, catches what
/// `athrow`/`aclose` inject, raises.
///
/// `yield_!(v)` is `co.yield_(v).await` on the body's own `Yielder`. Get that
/// handle with `co!()` to pass it to helper `async fn`s, so a long body can be
/// split into functions that yield:
///
/// ```
/// use agen_runtime::{AsyncGen, AsyncGenerator, Co, Value, Yielder};
///
/// async fn emit_pair(mut co: Yielder<'_, u32>, base: u32) {
///     co.yield_(base).await;
///     co.yield_(base + 1).await;
/// }
///
/// let g = AsyncGen::<u32, (), _, Value, _, _>::new(|mut co: Co<u32, (), _>| async move {
///     let mut y = co.yielder();
///     emit_pair(y.reborrow(), 10).await; // `co!()` in a macro body
///     emit_pair(y.reborrow(), 20).await;
/// });
/// # futures::executor::block_on(async {
/// let mut g = std::pin::pin!(g);
/// assert_eq!(g.as_mut().anext().await, Ok(10));
/// assert_eq!(g.as_mut().anext().await, Ok(11));
/// assert_eq!(g.as_mut().anext().await, Ok(20));
/// # });
/// ```
///
/// It borrows the body's handle, so it cannot outlive the body: moving it
/// into a spawned `'static` task or storing it in a longer-lived place is a
/// compile error.
pub struct Yielder<'a, Y, S = (), E = core::convert::Infallible> {
    co: &'a mut Co<Y, S, E>,
}

impl<'a, Y, S, E> Yielder<'a, Y, S, E> {
    /// Yields `value`; resolves to the value the consumer sends in. If the
    /// consumer throws (`athrow`) or closes (`aclose`) instead, the body ends
    /// at this point as if by an uncaught exception: it never resumes, its
    /// destructors run, and the error goes back to the consumer.
    #[inline]
    pub fn yield_(&mut self, value: Y) -> Yield<'_, Y, S, E> {
        Yield {
            co: self.co,
            value: Some(value),
        }
    }

    /// Yields `value`; resolves to `Ok(sent)`, or to `Err(thrown)` when the
    /// consumer injects an error or `GeneratorExit` at this yield. The body
    /// may then `.await` cleanup and yield, return, or [`raise`](Self::raise).
    #[inline]
    pub fn yield_catch(&mut self, value: Y) -> YieldCatch<'_, Y, S, E> {
        YieldCatch {
            co: self.co,
            value: Some(value),
        }
    }

    /// Raises `thrown` through the generator: the body never resumes, its
    /// destructors run, and the current call resolves to the error
    /// (`GeneratorExit` makes `aclose()` succeed). Use it to re-raise what
    /// [`yield_catch`](Self::yield_catch) caught.
    #[inline]
    pub fn raise(&mut self, thrown: impl Into<Thrown<E>>) -> Raise<'_, Y, S, E> {
        Raise {
            co: self.co,
            thrown: Some(thrown.into()),
        }
    }

    /// Delegates to `delegate` (a [`GenDelegate`](crate::GenDelegate) or
    /// [`StreamDelegate`](crate::StreamDelegate)) until it finishes; resolves
    /// to its outcome. `yield_from_!(inner)` picks the adapter for you.
    #[inline]
    pub fn yield_from<D: Delegate<Y, S, E>>(
        &mut self,
        delegate: D,
    ) -> YieldFrom<'_, Y, S, E, D, false> {
        YieldFrom::new(self.co, delegate)
    }

    /// Like [`yield_from`](Self::yield_from), but an exception raised at the
    /// delegation point (`GeneratorExit` after the inner was closed, or an
    /// error thrown at a stream) comes back as `Err` instead of ending the
    /// body. `yield_from_catch_!(inner)` picks the adapter for you.
    #[inline]
    pub fn yield_from_catch<D: Delegate<Y, S, E>>(
        &mut self,
        delegate: D,
    ) -> YieldFrom<'_, Y, S, E, D, true> {
        YieldFrom::new(self.co, delegate)
    }

    /// A shorter-lived `Yielder` on the same handle, to pass to a helper
    /// while keeping this one.
    #[inline]
    pub fn reborrow(&mut self) -> Yielder<'_, Y, S, E> {
        Yielder { co: self.co }
    }
}

/// Future of [`Yielder::yield_`].
#[must_use = "a yield does nothing unless awaited"]
pub struct Yield<'a, Y, S, E> {
    co: &'a mut Co<Y, S, E>,
    value: Option<Y>,
}

/// Future of [`Yielder::yield_catch`].
#[must_use = "a yield does nothing unless awaited"]
pub struct YieldCatch<'a, Y, S, E> {
    co: &'a mut Co<Y, S, E>,
    value: Option<Y>,
}

/// Future of [`Yielder::raise`]; never completes.
#[must_use = "a raise does nothing unless awaited"]
pub struct Raise<'a, Y, S, E> {
    co: &'a mut Co<Y, S, E>,
    thrown: Option<Thrown<E>>,
}

// The futures hold no pinned data of their own.
impl<Y, S, E> Unpin for Yield<'_, Y, S, E> {}
impl<Y, S, E> Unpin for YieldCatch<'_, Y, S, E> {}
impl<Y, S, E> Unpin for Raise<'_, Y, S, E> {}

/// One resumption of a yield point: publish the value on the first poll, then
/// wait for the generator's answer.
#[inline]
fn poll_yield<Y, S, E>(co: &mut Co<Y, S, E>, value: &mut Option<Y>) -> Poll<Result<S, Thrown<E>>> {
    if let Some(v) = value.take() {
        // Whatever was there is dropped: only a body that polls yields by
        // hand (not `.await`) can overwrite an unconsumed value.
        drop(co.replace(SlotState::Yielded(v)));
        return Poll::Pending;
    }
    match co.replace(SlotState::Empty) {
        SlotState::Sent(s) => Poll::Ready(Ok(s)),
        SlotState::Thrown(t) => Poll::Ready(Err(t)),
        // Polled again without a resumption (a wake-up inside the body):
        // keep waiting, and leave what was there in place.
        other => {
            drop(co.replace(other));
            Poll::Pending
        }
    }
}

impl<Y, S, E> Future for Yield<'_, Y, S, E> {
    type Output = S;
    #[inline]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<S> {
        let this = self.get_mut();
        match poll_yield(this.co, &mut this.value) {
            Poll::Ready(Ok(s)) => Poll::Ready(s),
            Poll::Ready(Err(thrown)) => {
                // Uncaught: hand it back for the generator to raise.
                drop(this.co.replace(SlotState::Raising(thrown)));
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<Y, S, E> Future for YieldCatch<'_, Y, S, E> {
    type Output = Result<S, Thrown<E>>;
    #[inline]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        poll_yield(this.co, &mut this.value)
    }
}

impl<Y, S, E> Future for Raise<'_, Y, S, E> {
    type Output = core::convert::Infallible;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(t) = this.thrown.take() {
            drop(this.co.replace(SlotState::Raising(t)));
        }
        Poll::Pending
    }
}
