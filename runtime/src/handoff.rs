//! How a body gets its handle: through the waker of its first poll.
//!
//! The body future is made when the generator is made, before the generator
//! is pinned, so it cannot be given the slot's address then. Its first
//! `.await` is [`handle`]: on the body's first poll the generator wraps the
//! caller's waker in one that also carries the slot's address, and
//! [`Handle`] reads it from there. Only the first poll pays for this.
//!
//! (Making the body future later, from a closure, would put the closure's
//! type in the generator's type next to the future's. Both mention the
//! captured arguments, so a generator that takes another as an argument
//! would have a type that doubles per level of nesting; debuginfo for such
//! types takes exponential time to build.)
//!
//! The wrapper is a real waker for the rest of that poll: waking it wakes the
//! caller's waker, and cloning it returns a clone of the caller's, so no
//! copy of the wrapper (which points into the generator's stack frame) can
//! outlive the poll.

use core::cell::Cell;
use core::future::Future;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::slot::{Slot, SlotPtr};
use crate::yielder::Co;

/// What the wrapper waker's data points to, on the generator's stack.
struct Handoff {
    /// The generator's slot, untyped.
    slot: NonNull<()>,
    /// The caller's waker.
    waker: NonNull<Waker>,
    /// The handle was taken: a second `Handle` in the same poll is a misuse.
    taken: Cell<bool>,
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_wrapper);

/// The caller's waker behind a wrapper's data pointer.
///
/// # Safety
/// `data` must be a wrapper's (made by [`poll_first`]) during its poll.
unsafe fn caller<'a>(data: *const ()) -> &'a Waker {
    // SAFETY: the wrapper exists only during `poll_first`, whose frame holds
    // the `Handoff` and borrows the caller's waker for the whole poll.
    unsafe { (*data.cast::<Handoff>()).waker.as_ref() }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: called through the wrapper, during its poll (`caller`).
    let clone = ManuallyDrop::new(unsafe { caller(data) }.clone());
    // The clone is the caller's own waker: nothing of the wrapper escapes.
    RawWaker::new(clone.data(), clone.vtable())
}

unsafe fn wake(data: *const ()) {
    // SAFETY: as in `clone`. By value: the wrapper owns nothing to release.
    unsafe { caller(data) }.wake_by_ref();
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: as in `clone`.
    unsafe { caller(data) }.wake_by_ref();
}

unsafe fn drop_wrapper(_: *const ()) {}

/// The body's first poll, with the wrapper waker carrying `slot`.
#[inline]
pub(crate) fn poll_first<Y, S, E, Fut: Future>(
    slot: &Slot<Y, S, E>,
    fut: Pin<&mut Fut>,
    cx: &mut Context<'_>,
) -> Poll<Fut::Output> {
    let handoff = Handoff {
        slot: NonNull::from(slot).cast(),
        waker: NonNull::from(cx.waker()),
        taken: Cell::new(false),
    };
    let raw = RawWaker::new((&raw const handoff).cast(), &VTABLE);
    // SAFETY: the vtable's functions are sound for this data pointer while
    // `handoff` and the caller's waker live, which is this whole function;
    // the `Waker` does not outlive it, and its clones are the caller's.
    let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
    let mut first = Context::from_waker(&waker);
    fut.poll(&mut first)
}

/// The body's first `.await`: resolves to its handle.
///
/// # Safety
/// Only the first `.await` of a body future given to
/// `AsyncGen::new` with the same `Y`, `S`
/// and `E`, and the handle must then stay in that body (the constructor's
/// contract).
#[inline(always)]
pub unsafe fn handle<Y, S, E>() -> Handle<Y, S, E> {
    Handle(PhantomData)
}

/// Future of [`handle`].
pub struct Handle<Y, S, E>(PhantomData<Types<Y, S, E>>);

/// The generator's types, as data that is `Send`, `Sync` and `Unpin` whatever
/// they are.
type Types<Y, S, E> = fn() -> (Y, S, E);

impl<Y, S, E> Future for Handle<Y, S, E> {
    type Output = Co<Y, S, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Co<Y, S, E>> {
        let waker = cx.waker();
        assert!(
            core::ptr::eq(waker.vtable(), &VTABLE),
            "an agen generator's body was polled by something other than its generator"
        );
        let handoff = waker.data().cast::<Handoff>();
        // SAFETY: the wrapper's data is a live `Handoff` (`poll_first`).
        let handoff = unsafe { &*handoff };
        assert!(
            !handoff.taken.replace(true),
            "an agen generator's handle was taken twice"
        );
        // SAFETY: `handle`'s contract: this body belongs to the generator
        // whose slot this is, with these types.
        let slot = unsafe { SlotPtr::new(handoff.slot.cast::<Slot<Y, S, E>>()) };
        Poll::Ready(Co::new(slot))
    }
}
