//! The body's side: its handle to the generator ([`Co`], lent out as a
//! [`Yielder`]) and the futures its yields, raises and delegations await.
//!
//! A yield *publishes* its value when its future is made, so the future's
//! poll is one tag test: the value sent in is there (the body resumes) or it
//! is not (the body stays parked).
//!
//! There are two plain yields. A `yield_!` written directly in the body
//! expands to [`Yielder::__yield_awaited`] and awaits it at once (a
//! `yield_!` inside another macro's tokens, where a user's macro could strip
//! that `.await` or a `select!` drop the future, expands to the guarded
//! [`Yielder::yield_`] instead), so the body is parked
//! exactly there whenever its value is in the slot, and the first thing the
//! body does when resumed is poll it: it copies the value sent in out of the
//! slot without writing anything ([`Cell::Sent`]'s docs). A
//! [`Yielder::yield_`] future (reached through `co!()`) may instead be made
//! and then dropped unpolled, forgotten, or raced in a `select!`; it
//! publishes a distinct tag, the generator then sends in an owned value,
//! and the future that takes it writes `Running` in its place. Either way
//! the generator stays consistent: a published value is either taken by the
//! generator as an item (the body then looks parked there) or replaced by
//! the next publication (and dropped); a sent value nobody took stays in the
//! slot until a yield future takes it or the next publication or the
//! generator drops it. Nothing is read twice.

use core::future::Future;
use core::marker::{PhantomData, PhantomPinned};
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use crate::chain::StepperPtr;
use crate::delegate::{Delegate, Delegated, GenDelegate, Outcome, Resume, StreamDelegate};
use crate::error::Thrown;
use crate::protocol::GeneratorOutput;
use crate::slot::{Cell, SlotPtr};
use crate::step::Internal;

/// The body's handle to its generator's slot.
///
/// Only the runtime makes one (when it starts the body), and the only way to
/// hand a body one is the generator's `unsafe` constructor: a `Co` that
/// outlived its generator would point at freed memory. The macro keeps it in
/// a hidden binding and lends it out as a [`Yielder`], a borrow that cannot
/// leave the body.
pub struct Co<Y, S, E> {
    slot: SlotPtr<Y, S, E>,
    // Not `Unpin`, so that the body future holding it is not either.
    _pinned: PhantomPinned,
}

impl<Y, S, E> Co<Y, S, E> {
    pub(crate) fn new(slot: SlotPtr<Y, S, E>) -> Self {
        Co {
            slot,
            _pinned: PhantomPinned,
        }
    }

    /// Borrows this handle as a [`Yielder`].
    #[doc(hidden)]
    #[inline]
    pub fn yielder(&mut self) -> Yielder<'_, Y, S, E> {
        Yielder {
            slot: self.slot,
            _borrow: PhantomData,
        }
    }
}

/// The body's handle to its generator: yields values, catches what
/// `athrow`/`aclose` inject, raises, delegates.
///
/// `yield_!(v)` is `co.yield_(v).await` on the body's own `Yielder`. Get it
/// with `co!()` to pass it to helper `async fn`s, so a long body can be
/// split into functions that yield:
///
/// ```
/// use agen::{async_generator, co, yield_, Yielder};
/// use futures::StreamExt;
///
/// async fn emit_pair(mut co: Yielder<'_, u32>, base: u32) {
///     co.yield_(base).await;
///     co.yield_(base + 1).await;
/// }
///
/// #[async_generator(yield = u32)]
/// async fn pairs() {
///     emit_pair(co!(), 10).await;
///     emit_pair(co!(), 20).await;
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(pairs().collect::<Vec<_>>().await, [10, 11, 20, 21]);
/// # });
/// ```
///
/// It borrows the body's handle, so it cannot outlive the body: moving it
/// into a spawned `'static` task or storing it in a longer-lived place is a
/// compile error.
pub struct Yielder<'a, Y, S = (), E = core::convert::Infallible> {
    slot: SlotPtr<Y, S, E>,
    _borrow: PhantomData<&'a mut Co<Y, S, E>>,
}

impl<Y, S, E> Yielder<'_, Y, S, E> {
    /// Yields `value`; resolves to the value the consumer sends in. If the
    /// consumer throws (`athrow`) or closes (`aclose`) instead, the body ends
    /// at this point as if by an uncaught exception: it never resumes, its
    /// destructors run, and the error goes back to the consumer.
    #[inline]
    pub fn yield_(&mut self, value: Y) -> Yield<'_, Y, S, E> {
        publish(self.slot, Cell::YieldedLoose(value));
        Yield {
            slot: self.slot,
            _borrow: PhantomData,
        }
    }

    /// What `yield_!(value)` expands to: [`yield_`](Self::yield_) for a
    /// yield that is awaited at once. Its future takes the value sent in
    /// without writing to the slot, which is sound only because it is never
    /// polled again once it has taken it.
    ///
    /// # Safety
    ///
    /// The caller's obligation (the macro expansion's): the returned future
    /// is `.await`ed at once, by the expression that makes it, so that it is
    /// never polled after it completed, and the body polls it first whenever
    /// it is resumed while parked there. The expansion calls it only for a
    /// `yield_!` in the body's own syntax, never inside another macro's
    /// tokens (`tests/yield_in_macros.rs`).
    #[doc(hidden)]
    #[inline(always)]
    pub unsafe fn __yield_awaited(&mut self, value: Y) -> YieldAwaited<'_, Y, S, E> {
        publish(self.slot, Cell::Yielded(value));
        YieldAwaited {
            slot: self.slot,
            _borrow: PhantomData,
        }
    }

    /// Yields `value`; resolves to `Ok(sent)`, or to `Err(thrown)` when the
    /// consumer injects an error or `GeneratorExit` at this yield. The body
    /// may then `.await` cleanup and yield, return, or [`raise`](Self::raise).
    #[inline]
    pub fn yield_catch(&mut self, value: Y) -> YieldCatch<'_, Y, S, E> {
        publish(self.slot, Cell::YieldedCatch(value));
        YieldCatch {
            slot: self.slot,
            _borrow: PhantomData,
        }
    }

    /// Raises `thrown` through the generator: the body never resumes, its
    /// destructors run, and the current call resolves to the error
    /// (`GeneratorExit` makes `aclose()` succeed). Use it to re-raise what
    /// [`yield_catch`](Self::yield_catch) caught.
    #[inline]
    pub fn raise(&mut self, thrown: impl Into<Thrown<E>>) -> Raise<'_, Y, S, E> {
        Raise {
            slot: self.slot,
            thrown: Some(thrown.into()),
            _borrow: PhantomData,
        }
    }

    /// Delegates to `delegate` (one of the adapters in `agen_runtime::expansion`,
    /// which `yield_from_!` picks for you) until it finishes; resolves to its
    /// outcome.
    #[inline]
    pub fn yield_from<D: Delegate<Y, S, E>>(
        &mut self,
        delegate: D,
    ) -> YieldFrom<'_, Y, S, E, D, false> {
        YieldFrom::new(self.slot, delegate)
    }

    /// Like [`yield_from`](Self::yield_from), but an exception raised at the
    /// delegation point (`GeneratorExit` after the inner was closed, or an
    /// error thrown at a stream) comes back as `Err` instead of ending the
    /// body.
    #[inline]
    pub fn yield_from_catch<D: Delegate<Y, S, E>>(
        &mut self,
        delegate: D,
    ) -> YieldFrom<'_, Y, S, E, D, true> {
        YieldFrom::new(self.slot, delegate)
    }

    /// `yield_from_!(inner)` for a helper `async fn` that takes `co!()`:
    /// delegates to the generator `inner` until it finishes and resolves to
    /// its outcome (PEP 380 forwarding of `asend`/`athrow`/`aclose`, as in a
    /// body; through the general path, one level at a time).
    ///
    /// ```
    /// use agen::{async_generator, co, yield_, Yielder};
    /// use futures::StreamExt;
    ///
    /// #[async_generator(yield = u32)]
    /// async fn digits(n: u32) -> u32 {
    ///     for d in 0..n {
    ///         yield_!(d);
    ///     }
    ///     n
    /// }
    ///
    /// async fn twice(mut co: Yielder<'_, u32>, n: u32) -> u32 {
    ///     co.yield_from_generator(digits(n)).await + co.yield_from_generator(digits(n)).await
    /// }
    ///
    /// #[async_generator(yield = u32)]
    /// async fn numbers() {
    ///     let total = twice(co!(), 2).await;
    ///     yield_!(total);
    /// }
    ///
    /// # futures::executor::block_on(async {
    /// let all: Vec<u32> = std::pin::pin!(numbers()).collect().await;
    /// assert_eq!(all, [0, 1, 0, 1, 4]);
    /// # });
    /// ```
    #[inline]
    pub fn yield_from_generator<G>(&mut self, inner: G) -> impl Future<Output = G::Output>
    where
        G: GeneratorOutput<Yield = Y>,
        G::Send: Default,
        S: Into<G::Send>,
        E: Into<G::Error>,
    {
        YieldFrom::<_, _, _, _, false>::new(self.slot, GenDelegate::new(inner))
    }

    /// `yield_from_catch_!(inner)` for a helper: like
    /// [`yield_from_generator`](Self::yield_from_generator), but an exception
    /// raised at the delegation point comes back as `Err`.
    #[inline]
    pub fn yield_from_generator_catch<G>(
        &mut self,
        inner: G,
    ) -> impl Future<Output = Result<G::Output, Thrown<E>>>
    where
        G: GeneratorOutput<Yield = Y>,
        G::Send: Default,
        S: Into<G::Send>,
        E: Into<G::Error>,
    {
        YieldFrom::<_, _, _, _, true>::new(self.slot, GenDelegate::new(inner))
    }

    /// `yield_from_!(stream)` for a helper: yields every item of `stream`.
    #[inline]
    pub fn yield_from_stream<T>(&mut self, stream: T) -> impl Future<Output = ()>
    where
        T: futures_core::Stream<Item = Y>,
    {
        YieldFrom::<_, _, _, _, false>::new(self.slot, StreamDelegate::new(stream))
    }

    /// A shorter-lived `Yielder` on the same handle, to pass to a helper
    /// while keeping this one.
    #[inline]
    pub fn reborrow(&mut self) -> Yielder<'_, Y, S, E> {
        Yielder {
            slot: self.slot,
            _borrow: PhantomData,
        }
    }
}

/// Puts `cell` in the slot, dropping what a yield future made earlier and
/// never awaited had left there.
#[inline(always)]
fn publish<Y, S, E>(slot: SlotPtr<Y, S, E>, cell: Cell<Y, S, E>) {
    // SAFETY: a `Yielder` exists only inside the body (it borrows the
    // body's `Co`), which runs only while its generator polls or drops it.
    drop(unsafe { slot.replace(cell) });
}

/// Takes what the consumer sent or threw in, if that is what the slot holds.
#[inline(always)]
fn take_input<Y, S, E>(slot: SlotPtr<Y, S, E>) -> Option<Result<S, Thrown<E>>> {
    // SAFETY: as in `publish`.
    let input = unsafe { slot.peek(|c| matches!(c, Cell::SentOwned(_) | Cell::Thrown(_))) };
    if !input {
        return None;
    }
    // SAFETY: as in `publish`.
    match unsafe { slot.replace(Cell::Running) } {
        Cell::SentOwned(s) => Some(Ok(s)),
        Cell::Thrown(t) => Some(Err(t)),
        _ => None,
    }
}

/// Future of [`Yielder::yield_`].
#[must_use = "a yield does nothing unless awaited"]
pub struct Yield<'a, Y, S, E> {
    slot: SlotPtr<Y, S, E>,
    _borrow: PhantomData<&'a mut Co<Y, S, E>>,
}

/// Future of [`Yielder::__yield_awaited`] (`yield_!`).
#[must_use = "a yield does nothing unless awaited"]
#[doc(hidden)]
pub struct YieldAwaited<'a, Y, S, E> {
    slot: SlotPtr<Y, S, E>,
    _borrow: PhantomData<&'a mut Co<Y, S, E>>,
}

/// Future of [`Yielder::yield_catch`].
#[must_use = "a yield does nothing unless awaited"]
pub struct YieldCatch<'a, Y, S, E> {
    slot: SlotPtr<Y, S, E>,
    _borrow: PhantomData<&'a mut Co<Y, S, E>>,
}

/// Future of [`Yielder::raise`]; never completes.
#[must_use = "a raise does nothing unless awaited"]
pub struct Raise<'a, Y, S, E> {
    slot: SlotPtr<Y, S, E>,
    thrown: Option<Thrown<E>>,
    _borrow: PhantomData<&'a mut Co<Y, S, E>>,
}

// The futures hold no pinned data of their own.
impl<Y, S, E> Unpin for Yield<'_, Y, S, E> {}
impl<Y, S, E> Unpin for YieldAwaited<'_, Y, S, E> {}
impl<Y, S, E> Unpin for YieldCatch<'_, Y, S, E> {}
impl<Y, S, E> Unpin for Raise<'_, Y, S, E> {}

impl<Y, S, E> Future for Yield<'_, Y, S, E> {
    type Output = S;
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<S> {
        // One tag test for each of the two common cases: the value sent in
        // (resumed), or this yield's own value still there (its first poll).
        // SAFETY: as in `publish`.
        match unsafe { self.slot.peek(Seen::of) } {
            Seen::Sent => {
                // SAFETY: as in `publish`.
                if let Cell::SentOwned(s) = unsafe { self.slot.replace(Cell::Running) } {
                    return Poll::Ready(s);
                }
                Poll::Pending
            }
            Seen::Parked => Poll::Pending,
            Seen::Other => poll_yield_cold(self.slot),
        }
    }
}

impl<Y, S, E> Future for YieldAwaited<'_, Y, S, E> {
    type Output = S;
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<S> {
        // One tag test: `Sent` is the value sent in (the body resumes);
        // anything else is this yield's own value, not taken yet (its first
        // poll). Nothing else can be there: from this future's publication
        // to its completion it holds the body's only `Yielder` borrow, so no
        // other yield publishes, and a body parked at a plain yield is only
        // ever resumed with `Sent` (`athrow`/`aclose` drop it instead).
        // SAFETY: as in `publish`; the payload is read without a write
        // (`Cell::Sent`): this is the only reader of this `Sent` (it was
        // written after our publication, while the body was parked here),
        // and it reads once, because it completes now and is never polled
        // again (`__yield_awaited`'s contract). The slot never drops a
        // `Sent` payload.
        // A zero-sized value is sent by writing nothing (`Cell::Suspended`):
        // it is read from a dangling pointer, which is valid for a read of
        // zero bytes, and the generator forgot the value it moved in.
        unsafe {
            self.slot.peek(|c| match c {
                Cell::Sent(s) if size_of::<S>() != 0 => {
                    Poll::Ready(ManuallyDrop::into_inner(core::ptr::read(s)))
                }
                Cell::Suspended if size_of::<S>() == 0 => {
                    Poll::Ready(core::ptr::read(NonNull::<S>::dangling().as_ptr()))
                }
                _ => Poll::Pending,
            })
        }
    }
}

/// What a yield future's poll sees in the slot.
enum Seen {
    Sent,
    Parked,
    Other,
}

impl Seen {
    #[inline(always)]
    fn of<Y, S, E>(cell: &Cell<Y, S, E>) -> Seen {
        match cell {
            Cell::SentOwned(_) => Seen::Sent,
            Cell::YieldedLoose(_) => Seen::Parked,
            _ => Seen::Other,
        }
    }
}

/// A plain yield's poll that found neither: something thrown (only if a
/// catching yield's publication replaced this one's), which a plain yield
/// does not handle, so it is raised; or a spurious poll.
#[cold]
#[inline(never)]
fn poll_yield_cold<Y, S, E>(slot: SlotPtr<Y, S, E>) -> Poll<S> {
    if let Some(Err(thrown)) = take_input(slot) {
        publish(slot, Cell::Raising(thrown));
    }
    Poll::Pending
}

impl<Y, S, E> Future for YieldCatch<'_, Y, S, E> {
    type Output = Result<S, Thrown<E>>;
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        match take_input(self.slot) {
            Some(input) => Poll::Ready(input),
            None => Poll::Pending,
        }
    }
}

impl<Y, S, E> Future for Raise<'_, Y, S, E> {
    type Output = core::convert::Infallible;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(thrown) = this.thrown.take() {
            publish(this.slot, Cell::Raising(thrown));
        }
        Poll::Pending
    }
}

/// Where a delegation future is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not polled yet.
    Start,
    /// Parked at an item of the inner, waiting for the consumer's input.
    Parked,
    /// A step of the inner is in flight (it waits at a real `.await`).
    InStep,
    /// Registered in the delegation chain: the generator drives the inner.
    Registered,
    /// Completed.
    Done,
}

impl<Y, S, E> Progress<Y, S, E> {
    /// Removes this future's registration from the slot (if it is still
    /// there) and lets the inner drive itself again.
    fn unregister<D>(&mut self, delegate: Pin<&mut D>) {
        let Some((registration, unregister)) = self.registration.take() else {
            return;
        };
        // SAFETY: as in `publish` (also when called from `drop`, which runs
        // while the generator polls or drops the body).
        let ours = unsafe {
            self.slot.peek(|c| {
                matches!(c, Cell::Delegating(p) | Cell::DelegatingHot(p) | Cell::DelegatingInFlight(p) if *p == registration)
            })
        };
        if ours {
            publish(self.slot, Cell::Running);
        }
        // SAFETY: `unregister` was made for `D` when this future registered;
        // the delegate is pinned and borrowed here.
        let delegate = NonNull::from(unsafe { delegate.get_unchecked_mut() }).cast();
        // SAFETY: as above.
        unsafe { unregister(delegate) };
    }
}

/// Future of `yield_from_!` (and of [`Yielder::yield_from`]).
///
/// `CATCH = false`: a `GeneratorExit` (or, for a stream, a thrown error)
/// reaching the delegation point ends the outer body as `yield_!` would, and
/// the future's output is the inner's outcome. `CATCH = true`: the output is
/// `Result<outcome, Thrown<E>>`, so the body can clean up.
#[must_use = "a delegation does nothing unless awaited"]
pub struct YieldFrom<'a, Y, S, E, D, const CATCH: bool> {
    progress: Progress<Y, S, E>,
    delegate: D,
    _borrow: PhantomData<&'a mut Co<Y, S, E>>,
    // A registration points into `delegate`.
    _pinned: PhantomPinned,
}

/// The delegation future's own bookkeeping (never pinned).
struct Progress<Y, S, E> {
    slot: SlotPtr<Y, S, E>,
    phase: Phase,
    resume: Option<Resume<S, E>>,
    /// The registration this future wrote, while it may be in the slot, and
    /// how to tell its delegate that it is over (kept as a function so that
    /// `Drop` needs no bound on the delegate's type).
    registration: Option<(StepperPtr<Y, S, E>, UnregisterFn)>,
}

/// See [`unregister_delegate`].
type UnregisterFn = unsafe fn(NonNull<()>);

/// Tells the delegate at `delegate` that its registration is gone.
///
/// # Safety
/// `delegate` must point to a pinned `D` that nothing else uses now.
unsafe fn unregister_delegate<Y, S, E, D: Delegate<Y, S, E>>(delegate: NonNull<()>) {
    // SAFETY: the caller's contract.
    let delegate = unsafe { Pin::new_unchecked(&mut *delegate.cast::<D>().as_ptr()) };
    delegate.unregister(Internal::new());
}

impl<Y, S, E, D, const CATCH: bool> YieldFrom<'_, Y, S, E, D, CATCH> {
    fn new(slot: SlotPtr<Y, S, E>, delegate: D) -> Self {
        YieldFrom {
            progress: Progress {
                slot,
                phase: Phase::Start,
                resume: None,
                registration: None,
            },
            delegate,
            _borrow: PhantomData,
            _pinned: PhantomPinned,
        }
    }

    /// The fields, the delegate pinned.
    fn project(self: Pin<&mut Self>) -> (&mut Progress<Y, S, E>, Pin<&mut D>) {
        // SAFETY: `delegate` is structurally pinned (never moved out, dropped
        // in place); `progress` is plain data, never pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let delegate = unsafe { Pin::new_unchecked(&mut this.delegate) };
        (&mut this.progress, delegate)
    }

    /// One resumption: what came in, forwarded, and what came out. Out of
    /// line: a chain delegation's items never pass through it, and kept out
    /// of the body's own poll it keeps that poll's frame small.
    #[inline(never)]
    fn poll_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<D::Output, E>>
    where
        D: Delegate<Y, S, E>,
    {
        let (this, mut delegate) = self.project();
        match this.phase {
            Phase::Start => {
                if let Some(registration) = delegate.as_mut().register(Internal::new()) {
                    // Park the body here: the generator drives the inner
                    // through the chain and resumes the body once it is over.
                    this.registration = Some((registration, unregister_delegate::<Y, S, E, D>));
                    this.phase = Phase::Registered;
                    publish(this.slot, Cell::Delegating(registration));
                    return Poll::Pending;
                }
                this.resume = Some(Resume::Start);
            }
            Phase::Parked => {
                this.resume = Some(match take_input(this.slot) {
                    Some(Ok(s)) => Resume::Send(s),
                    Some(Err(Thrown::GeneratorExit)) => Resume::Close,
                    Some(Err(thrown)) => Resume::Throw(thrown),
                    // Polled without a resumption: keep waiting.
                    None => return Poll::Pending,
                });
            }
            Phase::InStep => {}
            Phase::Registered => {
                if let Some(outcome) = delegate.as_mut().take_outcome(Internal::new()) {
                    this.unregister(delegate);
                    this.phase = Phase::Done;
                    return Poll::Ready(outcome);
                }
                // Polled while the chain is not over: only when the body
                // polls this future by hand. If a publication replaced the
                // registration, put it back once the slot is idle.
                if let Some((registration, _)) = this.registration {
                    // SAFETY: as in `publish`.
                    let idle = unsafe { this.slot.peek(|c| matches!(c, Cell::Running)) };
                    if idle {
                        publish(this.slot, Cell::Delegating(registration));
                    }
                }
                return Poll::Pending;
            }
            Phase::Done => panic!("`yield_from_!` polled after it completed"),
        }
        match delegate.as_mut().poll_delegate(cx, &mut this.resume) {
            Poll::Pending => {
                this.phase = Phase::InStep;
                Poll::Pending
            }
            Poll::Ready(Delegated::Yielded(y)) => {
                // Thrown values must reach the inner: a catching yield.
                this.phase = Phase::Parked;
                publish(this.slot, Cell::YieldedCatch(y));
                Poll::Pending
            }
            Poll::Ready(Delegated::Over(outcome)) => {
                this.phase = Phase::Done;
                Poll::Ready(outcome)
            }
        }
    }
}

impl<Y, S, E, D, const CATCH: bool> Drop for YieldFrom<'_, Y, S, E, D, CATCH> {
    fn drop(&mut self) {
        // The registration must not outlive the delegate it points to.
        // SAFETY: `self` is pinned if it was ever polled (the only way to
        // register), and it is not moved here.
        let this = unsafe { Pin::new_unchecked(self) };
        let (this, delegate) = this.project();
        this.unregister(delegate);
    }
}

impl<Y, S, E, D: Delegate<Y, S, E>> Future for YieldFrom<'_, Y, S, E, D, false> {
    type Output = D::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<D::Output> {
        let slot = self.progress.slot;
        match core::task::ready!(self.as_mut().poll_step(cx)) {
            Outcome::Finished(out) => Poll::Ready(out),
            Outcome::Raise(thrown) => {
                // Uncaught at the delegation point: the outer body ends.
                publish(slot, Cell::Raising(thrown));
                Poll::Pending
            }
        }
    }
}

impl<Y, S, E, D: Delegate<Y, S, E>> Future for YieldFrom<'_, Y, S, E, D, true> {
    type Output = Result<D::Output, Thrown<E>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match core::task::ready!(self.as_mut().poll_step(cx)) {
            Outcome::Finished(out) => Poll::Ready(Ok(out)),
            Outcome::Raise(thrown) => Poll::Ready(Err(thrown)),
        }
    }
}
