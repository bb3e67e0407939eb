//! `yield_from_!`: delegation to another generator or a `Stream` (PEP 380).
//!
//! While the inner runs, each of its items is yielded by the outer generator,
//! and what the consumer does to the outer goes to the inner: a sent value to
//! `inner.asend`, a thrown error to `inner.athrow`, `aclose` to `inner.aclose`
//! (then `GeneratorExit` is raised in the outer at the delegation point). The
//! expression evaluates to the inner's outcome: its written return type, so
//! `yield_from_!(child())` has the type `child`'s body returns (`()`, `T`, or
//! `Result<T, E>` that the outer can `?`).
//!
//! The inner is stored once, pinned in place inside the delegation future
//! (which lives in the outer body's state): no second copy per level.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;

use crate::api::{AsyncGenerator, Command, Reply};
use crate::error::{Error, RuntimeError, Thrown};
use crate::fast::StepperPtr;
use crate::slot::{Co, SlotState};

/// What the outer asks of the inner on one resumption.
#[derive(Debug)]
pub enum Resume<S, E> {
    /// Start the inner (`anext`).
    Start,
    /// The outer was resumed with this value.
    Send(S),
    /// The outer had this thrown into it.
    Throw(E),
    /// The outer is being closed.
    Close,
}

/// What one step of the inner produced.
#[derive(Debug)]
pub enum Delegated<Y, O, E> {
    /// An item, to be yielded by the outer.
    Yielded(Y),
    /// The inner finished: the delegation's value.
    Finished(O),
    /// An exception to raise in the outer at the delegation point.
    Raise(Thrown<E>),
    /// The inner misbehaved in a way the outer reports as `RuntimeError`.
    Failed(Failure),
}

/// Why a delegation failed (reported by the outer as `RuntimeError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The inner caught the `GeneratorExit` of a forwarded `aclose` and
    /// yielded.
    IgnoredGeneratorExit,
    /// The inner had already finished before the delegation started, so
    /// there is no return value to evaluate to.
    AlreadyFinished,
}

/// Something `yield_from_!` can drive. Implemented by the adapters
/// [`GenDelegate`] and [`StreamDelegate`]; the macro picks one.
pub trait Delegate<Y, S, E> {
    /// What the `yield_from_!` expression evaluates to.
    type Output;
    /// Runs `resume` (taken on the first poll) or continues the step in
    /// flight when it is `None`.
    fn poll_delegate(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        resume: &mut Option<Resume<S, E>>,
    ) -> Poll<Delegated<Y, Self::Output, E>>;

    /// Registers for the fast path (only same-type generator delegates do).
    #[doc(hidden)]
    fn register(self: Pin<&mut Self>) -> Option<StepperPtr<Y, S, E>> {
        None
    }
}

/// How a generator's reply ends (or continues) a delegation. `closing`: the
/// reply answers a forwarded `aclose`.
///
/// Only `GeneratorExit` is ever raised in the outer from here (an error the
/// inner raised is its outcome), so the outer's error type `E` is free.
pub(crate) fn reply_to_delegated<G: GeneratorOutput, E>(
    reply: Reply<G::Yield, G::Return, G::Error, G::Send>,
    closing: bool,
) -> Delegated<G::Yield, G::Output, E> {
    match reply {
        Ok(Some(y)) => Delegated::Yielded(y),
        // The inner closed cleanly: GeneratorExit goes on in the outer.
        Ok(None) => Delegated::Raise(Thrown::GeneratorExit),
        Err(Error::StopAsyncIteration(Some(value))) => Delegated::Finished(G::output(Ok(value))),
        Err(Error::StopAsyncIteration(None)) if closing => Delegated::Raise(Thrown::GeneratorExit),
        Err(Error::StopAsyncIteration(None)) => Delegated::Failed(Failure::AlreadyFinished),
        Err(Error::Raised(e) | Error::RuntimeError(RuntimeError::RaisedStopIteration(e))) => {
            Delegated::Finished(G::output(Err(e)))
        }
        Err(Error::GeneratorExit) => Delegated::Raise(Thrown::GeneratorExit),
        Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit)) => {
            Delegated::Failed(Failure::IgnoredGeneratorExit)
        }
        // Not reachable: the delegation never starts a call while the inner
        // runs, never asends before starting it, never re-polls.
        Err(_) => Delegated::Failed(Failure::AlreadyFinished),
    }
}

/// A generator that knows its body's written return type: what delegating
/// to it evaluates to. Every `#[async_generator]` fn returns one.
pub trait GeneratorOutput: AsyncGenerator {
    /// The body's written return type (`()`, `T`, or `Result<T, E>`).
    type Output;
    /// Reassembles the output from the generator's return value or error.
    fn output(result: Result<Self::Return, Self::Error>) -> Self::Output;
}

/// Delegation to a generator: full PEP 380 forwarding.
pub struct GenDelegate<G> {
    inner: G,
}

impl<G> GenDelegate<G> {
    /// Wraps `inner`.
    pub fn new(inner: G) -> Self {
        GenDelegate { inner }
    }
}

impl<Y, S, E, G> Delegate<Y, S, E> for GenDelegate<G>
where
    G: GeneratorOutput<Yield = Y>,
    G::Send: Default,
    S: Into<G::Send>,
    E: Into<G::Error>,
{
    type Output = G::Output;

    fn poll_delegate(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        resume: &mut Option<Resume<S, E>>,
    ) -> Poll<Delegated<Y, G::Output, E>> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of
        // `GenDelegate`, which is itself only used pinned.
        let mut inner = unsafe { self.map_unchecked_mut(|d| &mut d.inner) };
        let closing = matches!(resume, Some(Resume::Close));
        if resume.is_some() {
            // A new call on the inner: let it bind its hooks (CPython calls
            // `firstiter` for an inner started by `yield from` too).
            inner.as_mut().on_call(closing);
        }
        let mut command = resume.take().map(|r| match r {
            Resume::Start => Command::Next(G::Send::default()),
            Resume::Send(s) => Command::Send(s.into()),
            Resume::Throw(e) => Command::Throw(e.into()),
            Resume::Close => Command::Close,
        });
        let reply = core::task::ready!(inner.poll_resume(cx, &mut command));
        Poll::Ready(reply_to_delegated::<G, E>(reply, closing))
    }
}

/// Delegation to a plain `Stream`: its items are yielded by the outer.
///
/// A stream cannot take a value in: values sent to the outer while it
/// delegates are dropped (the stream is simply polled for its next item). An
/// `athrow(e)` or `aclose()` on the outer cannot be forwarded either: it is
/// raised in the outer at the delegation point right away (the stream is
/// dropped with the delegation).
pub struct StreamDelegate<T> {
    inner: T,
}

impl<T> StreamDelegate<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        StreamDelegate { inner }
    }
}

impl<Y, S, E, T> Delegate<Y, S, E> for StreamDelegate<T>
where
    T: Stream<Item = Y>,
{
    type Output = ();

    fn poll_delegate(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        resume: &mut Option<Resume<S, E>>,
    ) -> Poll<Delegated<Y, (), E>> {
        match resume.take() {
            Some(Resume::Throw(e)) => return Poll::Ready(Delegated::Raise(Thrown::Error(e))),
            Some(Resume::Close) => return Poll::Ready(Delegated::Raise(Thrown::GeneratorExit)),
            // A sent value has nowhere to go.
            Some(Resume::Start | Resume::Send(_)) | None => {}
        }
        // SAFETY: `inner` is structurally pinned (never moved out).
        let inner = unsafe { self.map_unchecked_mut(|d| &mut d.inner) };
        Poll::Ready(match core::task::ready!(inner.poll_next(cx)) {
            Some(y) => Delegated::Yielded(y),
            None => Delegated::Finished(()),
        })
    }
}

/// Future of `yield_from_!` (and of [`Yielder::yield_from`](crate::Yielder::yield_from)).
///
/// `CATCH = false`: a `GeneratorExit` (or, for a stream, a thrown error)
/// reaching the delegation point ends the outer body as `yield_!` would, and
/// the future's output is the inner's outcome. `CATCH = true`: the output is
/// `Result<outcome, Thrown<E>>`, so the body can clean up.
#[must_use = "a delegation does nothing unless awaited"]
pub struct YieldFrom<'a, Y, S, E, D, const CATCH: bool> {
    co: &'a mut Co<Y, S, E>,
    resume: Option<Resume<S, E>>,
    /// A step of the inner is in flight (it returned `Pending` at an await
    /// that is not a yield): continue it instead of reading the slot.
    in_step: bool,
    /// The delegate is registered in the outer's slot for the fast path.
    registered: bool,
    delegate: D,
    _marker: PhantomData<fn() -> Y>,
    // A registration points into `delegate`.
    _pinned: core::marker::PhantomPinned,
}

impl<'a, Y, S, E, D, const CATCH: bool> YieldFrom<'a, Y, S, E, D, CATCH> {
    pub(crate) fn new(co: &'a mut Co<Y, S, E>, delegate: D) -> Self {
        YieldFrom {
            co,
            resume: Some(Resume::Start),
            in_step: false,
            registered: false,
            delegate,
            _marker: PhantomData,
            _pinned: core::marker::PhantomPinned,
        }
    }

    /// One resumption: what came in, forwarded, and what came out.
    fn poll_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<D::Output, Thrown<E>>>
    where
        D: Delegate<Y, S, E>,
    {
        // SAFETY: `delegate` is structurally pinned (never moved out of the
        // pinned future); the other fields are not pinned and are only
        // accessed through `&mut`, never moved while pinned data exists.
        let this = unsafe { self.get_unchecked_mut() };
        if this.resume.is_none() && !this.in_step && !this.registered {
            // Resumed by the outer generator: read what the consumer did.
            this.resume = Some(match this.co.take_input() {
                Some(SlotState::Sent(s)) => Resume::Send(s),
                Some(SlotState::Thrown(Thrown::GeneratorExit)) => Resume::Close,
                Some(SlotState::Thrown(Thrown::Error(e))) => Resume::Throw(e),
                // Polled without a resumption: keep waiting.
                _ => return Poll::Pending,
            });
        }
        // SAFETY: see above; `delegate` is pinned because `self` is.
        let mut delegate = unsafe { Pin::new_unchecked(&mut this.delegate) };
        if matches!(this.resume, Some(Resume::Start)) {
            if let Some(stepper) = delegate.as_mut().register() {
                // The fast path: park the body here, registered; the
                // generator starts the inner through the stepper (fast.rs).
                this.resume = None;
                this.co.put(SlotState::Delegating(stepper));
                this.registered = true;
                return Poll::Pending;
            }
        }
        let Poll::Ready(step) = delegate.poll_delegate(cx, &mut this.resume) else {
            this.in_step = true;
            return Poll::Pending;
        };
        this.in_step = false;
        // When the delegation is over, its registration goes before anything
        // else is put in the slot.
        match step {
            Delegated::Yielded(y) => {
                this.co.put(SlotState::Yielded(y));
                Poll::Pending
            }
            Delegated::Finished(out) => {
                this.unregister();
                Poll::Ready(Ok(out))
            }
            Delegated::Raise(thrown) => {
                this.unregister();
                Poll::Ready(Err(thrown))
            }
            Delegated::Failed(failure) => {
                this.unregister();
                this.co.put(SlotState::Failed(failure));
                Poll::Pending
            }
        }
    }
}

impl<Y, S, E, D, const CATCH: bool> YieldFrom<'_, Y, S, E, D, CATCH> {
    fn unregister(&mut self) {
        if core::mem::replace(&mut self.registered, false) {
            self.co.clear_delegate();
        }
    }
}

impl<Y, S, E, D, const CATCH: bool> Drop for YieldFrom<'_, Y, S, E, D, CATCH> {
    fn drop(&mut self) {
        // The registration must not outlive the delegate it points to.
        self.unregister();
    }
}

impl<Y, S, E, D> Future for YieldFrom<'_, Y, S, E, D, false>
where
    D: Delegate<Y, S, E>,
{
    type Output = D::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<D::Output> {
        match core::task::ready!(self.as_mut().poll_step(cx)) {
            Ok(out) => Poll::Ready(out),
            Err(thrown) => {
                // Uncaught at the delegation point: the outer body ends.
                // SAFETY: `co` is not structurally pinned.
                unsafe { self.get_unchecked_mut() }
                    .co
                    .put(SlotState::Raising(thrown));
                Poll::Pending
            }
        }
    }
}

impl<Y, S, E, D> Future for YieldFrom<'_, Y, S, E, D, true>
where
    D: Delegate<Y, S, E>,
{
    type Output = Result<D::Output, Thrown<E>>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_step(cx)
    }
}

/// A pinned pointer to a generator delegates like the generator itself.
impl<P> GeneratorOutput for Pin<P>
where
    P: core::ops::DerefMut + Unpin,
    P::Target: GeneratorOutput,
{
    type Output = <P::Target as GeneratorOutput>::Output;
    #[inline]
    fn output(result: Result<Self::Return, Self::Error>) -> Self::Output {
        <P::Target as GeneratorOutput>::output(result)
    }
}
