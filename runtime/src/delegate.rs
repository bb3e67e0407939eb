//! `yield_from_!`'s adapters: delegation to another generator or a `Stream`
//! (PEP 380).
//!
//! While the inner runs, each of its items is yielded by the outer
//! generator, and what the consumer does to the outer goes to the inner: a
//! sent value to `inner.asend`, a thrown error to `inner.athrow`, `aclose`
//! to `inner.aclose` (then `GeneratorExit` is raised in the outer at the
//! delegation point). The expression evaluates to the inner's outcome: its
//! written return type.
//!
//! Three adapters, picked by the macro: [`SameDelegate`] for a generator of
//! exactly the outer's yield, send and error types (it also serves as the
//! delegation chain's stepper, see `chain.rs`), [`GenDelegate`] for any
//! other generator (values converted with `Into`), [`StreamDelegate`] for a
//! plain `Stream`. The [`Delegate`] trait is sealed: the body-side future
//! relies on what these three do.

use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use futures_core::Stream;

use crate::chain::{Below, FastStep, StepperHeader, StepperOps, StepperPtr};
use crate::error::{DelegateError, Error, RuntimeError, Thrown};
use crate::protocol::{AsyncGenerator, GenReply, GeneratorOutput};
use crate::step::{Command, Internal, Reply, StepKind};

/// What the outer asks of the inner on one resumption.
#[derive(Debug)]
pub enum Resume<S, E> {
    /// Start the inner (`anext`).
    Start,
    /// The outer was resumed with this value.
    Send(S),
    /// The outer had this thrown into it (`athrow`; `GeneratorExit` too).
    Throw(Thrown<E>),
    /// The outer is being closed.
    Close,
}

/// What one step of the inner produced.
pub enum Delegated<Y, O, E> {
    /// An item, to be yielded by the outer.
    Yielded(Y),
    /// The delegation is over.
    Over(Outcome<O, E>),
}

/// How a delegation ended.
pub enum Outcome<O, E> {
    /// The inner finished: the delegation's value.
    Finished(O),
    /// An exception to raise in the outer at the delegation point (also
    /// `RuntimeError` when the inner misbehaved, as CPython raises it there).
    Raise(Thrown<E>),
}

/// `RuntimeError` raised in the outer at the delegation point.
fn failed<O, E>(error: DelegateError) -> Outcome<O, E> {
    Outcome::Raise(Thrown::RuntimeError(error))
}

mod sealed {
    pub trait Sealed {}
}

/// Something `yield_from_!` can drive: one of the three adapters
/// [`SameDelegate`], [`GenDelegate`] and [`StreamDelegate`] (sealed). The
/// macro picks one; [`Yielder::yield_from`](crate::Yielder::yield_from)
/// takes any.
pub trait Delegate<Y, S, E>: sealed::Sealed {
    /// What the `yield_from_!` expression evaluates to.
    type Output;

    /// Runs `resume` (taken on the first poll) or continues the step in
    /// flight when it is `None`.
    #[doc(hidden)]
    fn poll_delegate(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        resume: &mut Option<Resume<S, E>>,
    ) -> Poll<Delegated<Y, Self::Output, E>>;

    /// Registers for the delegation chain (only [`SameDelegate`] does).
    #[doc(hidden)]
    fn register(self: Pin<&mut Self>, _: Internal) -> Option<StepperPtr<Y, S, E>> {
        None
    }

    /// The outcome a chain step stored, once the delegation is over.
    #[doc(hidden)]
    fn take_outcome(self: Pin<&mut Self>, _: Internal) -> Option<Outcome<Self::Output, E>> {
        None
    }

    /// The delegation's registration is gone: the inner drives itself again.
    #[doc(hidden)]
    fn unregister(self: Pin<&mut Self>, _: Internal) {}
}

/// How a generator's reply ends (or continues) a delegation. `closing`: the
/// reply answers a forwarded `aclose`.
///
/// Only `GeneratorExit` is ever raised in the outer from here (an error the
/// inner raised is its outcome), so the outer's error type `E` is free.
fn reply_to_delegated<G: GeneratorOutput, E>(
    reply: Reply<G::Yield, G::Return, G::Error, G::Send>,
    closing: bool,
) -> Delegated<G::Yield, G::Output, E> {
    Delegated::Over(match reply {
        Ok(Some(y)) => return Delegated::Yielded(y),
        // The inner closed cleanly: GeneratorExit goes on in the outer.
        Ok(None) => Outcome::Raise(Thrown::GeneratorExit),
        Err(Error::StopAsyncIteration(Some(value))) => Outcome::Finished(G::output(Ok(value))),
        Err(Error::StopAsyncIteration(None)) if closing => Outcome::Raise(Thrown::GeneratorExit),
        Err(Error::StopAsyncIteration(None)) => failed(DelegateError::AlreadyFinished),
        Err(Error::Raised(e) | Error::RuntimeError(RuntimeError::RaisedStopIteration(e))) => {
            Outcome::Finished(G::output(Err(e)))
        }
        Err(Error::GeneratorExit) => Outcome::Raise(Thrown::GeneratorExit),
        Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit)) => {
            failed(DelegateError::IgnoredGeneratorExit)
        }
        // Not reachable: the delegation never starts a call while the inner
        // runs, never asends before starting it, never re-polls.
        Err(_) => failed(DelegateError::AlreadyFinished),
    })
}

/// Delegation to a generator: full PEP 380 forwarding, converting the
/// outer's send and error values with `Into`.
pub struct GenDelegate<G> {
    inner: G,
}

impl<G> GenDelegate<G> {
    /// Wraps `inner`.
    pub fn new(inner: G) -> Self {
        GenDelegate { inner }
    }
}

impl<G> sealed::Sealed for GenDelegate<G> {}

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
        // SAFETY: `inner` is structurally pinned: never moved out of the
        // adapter, which is only used pinned.
        let inner = unsafe { self.map_unchecked_mut(|d| &mut d.inner) };
        forward(inner, cx, resume)
    }
}

/// One resumption of a delegation to the generator `inner`, forwarded
/// (PEP 380): `resume` (taken) becomes the inner's call, or its step in
/// flight continues when it is `None`.
fn forward<G, S, E>(
    mut inner: Pin<&mut G>,
    cx: &mut Context<'_>,
    resume: &mut Option<Resume<S, E>>,
) -> Poll<Delegated<G::Yield, G::Output, E>>
where
    G: GeneratorOutput,
    G::Send: Default,
    S: Into<G::Send>,
    E: Into<G::Error>,
{
    // A close, or `athrow(GeneratorExit)`: either closes the inner (PEP 380),
    // then `GeneratorExit` goes on in the outer.
    let closing = matches!(
        resume,
        Some(Resume::Close | Resume::Throw(Thrown::GeneratorExit))
    );
    if resume.is_some() {
        // A new call on the inner: let it bind its hooks (CPython calls
        // `firstiter` for an inner started by `yield from` too).
        inner.as_mut().on_call(closing);
    }
    let mut command = resume.take().map(|r| match r {
        Resume::Start => Command::Next(G::Send::default()),
        Resume::Send(s) => Command::Send(s.into()),
        Resume::Throw(Thrown::GeneratorExit) | Resume::Close => Command::Close,
        Resume::Throw(Thrown::Error(e)) => Command::Throw(Thrown::Error(e.into())),
        Resume::Throw(Thrown::RuntimeError(cause)) => Command::Throw(Thrown::RuntimeError(cause)),
    });
    let reply = core::task::ready!(inner.poll_resume(cx, &mut command));
    Poll::Ready(reply_to_delegated::<G, E>(reply, closing))
}

/// Delegation to a plain `Stream`: its items are yielded by the outer.
///
/// A stream cannot take a value in: values sent to the outer while it
/// delegates are dropped (the stream is simply polled for its next item). An
/// `athrow(e)` or `aclose()` on the outer cannot be forwarded either: it is
/// raised in the outer at the delegation point right away.
pub struct StreamDelegate<T> {
    inner: T,
}

impl<T> StreamDelegate<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        StreamDelegate { inner }
    }
}

impl<T> sealed::Sealed for StreamDelegate<T> {}

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
            Some(Resume::Throw(thrown)) => {
                return Poll::Ready(Delegated::Over(Outcome::Raise(thrown)));
            }
            Some(Resume::Close) => {
                return Poll::Ready(Delegated::Over(Outcome::Raise(Thrown::GeneratorExit)));
            }
            // A sent value has nowhere to go.
            Some(Resume::Start | Resume::Send(_)) | None => {}
        }
        // SAFETY: `inner` is structurally pinned (never moved out).
        let inner = unsafe { self.map_unchecked_mut(|d| &mut d.inner) };
        Poll::Ready(match core::task::ready!(inner.poll_next(cx)) {
            Some(y) => Delegated::Yielded(y),
            None => Delegated::Over(Outcome::Finished(())),
        })
    }
}

/// Delegation to a generator of exactly the outer's yield, send and error
/// types: full PEP 380 forwarding, driven through the delegation chain.
///
/// Every step of the inner is made by the generator that drives the chain
/// (through the header's functions), never by the outer's body: the body
/// only picks the outcome up.
#[repr(C)]
pub struct SameDelegate<G: GeneratorOutput> {
    // First field: a pointer to the delegate is a pointer to its header.
    header: StepperHeader<G::Yield, G::Send, G::Error>,
    inner: G,
    /// The inner has been started (by the first step).
    started: bool,
    /// The outcome of a delegation finished by a step, until the outer's body
    /// picks it up.
    outcome: Option<Outcome<G::Output, G::Error>>,
    /// Registrations point here.
    _pinned: PhantomPinned,
}

/// [`SameDelegate`]'s fields: the inner pinned, `started`, `outcome`.
type Fields<'a, G> = (
    Pin<&'a mut G>,
    &'a mut bool,
    &'a mut Option<Outcome<<G as GeneratorOutput>::Output, <G as AsyncGenerator>::Error>>,
);

impl<G> SameDelegate<G>
where
    G: GeneratorOutput,
    G::Send: Default,
{
    /// The stepper's operations (promoted to static memory where the header
    /// points to them).
    const OPS: StepperOps<G::Yield, G::Send, G::Error> = StepperOps {
        step: Self::erased_step,
        below: Self::erased_below,
        close_inner: Self::erased_close_inner,
        finish: Self::erased_finish,
    };

    /// Wraps `inner`.
    pub fn new(inner: G) -> Self {
        SameDelegate {
            // SAFETY: an inline const's value is interned in static memory
            // (and the compiler rejects it if `StepperOps` ever gains
            // interior mutability), so the pointer outlives every header.
            header: unsafe { StepperHeader::new(const { &Self::OPS }) },
            inner,
            started: false,
            outcome: None,
            _pinned: PhantomPinned,
        }
    }

    /// Back from the header to the delegate.
    ///
    /// # Safety
    /// `header` must head a live, pinned `SameDelegate<G>` registered by
    /// [`Delegate::register`] (whose pointer carries write provenance over
    /// the whole delegate), and nothing else may use it for `'x`.
    unsafe fn from_header<'x>(
        header: NonNull<StepperHeader<G::Yield, G::Send, G::Error>>,
    ) -> Pin<&'x mut Self> {
        // SAFETY: `#[repr(C)]` with the header first: same address; pinned
        // since registration; exclusive for `'x` (caller).
        unsafe { Pin::new_unchecked(&mut *header.cast::<Self>().as_ptr()) }
    }

    /// The delegate's fields, the inner pinned.
    fn project(self: Pin<&mut Self>) -> Fields<'_, G> {
        // SAFETY: `inner` is structurally pinned (never moved out, dropped in
        // place); `started` and `outcome` are not pinned and are never moved
        // while pinned data exists elsewhere.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        (inner, &mut this.started, &mut this.outcome)
    }

    /// One step of the inner for the chain.
    ///
    /// # Safety
    /// As for [`from_header`](Self::from_header).
    unsafe fn erased_step(
        header: NonNull<StepperHeader<G::Yield, G::Send, G::Error>>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<G::Send, G::Error>>,
    ) -> Poll<FastStep<G::Yield>> {
        // SAFETY: called through a registration (`StepperPtr::step`), whose
        // contract is this one.
        let this = unsafe { Self::from_header(header) };
        let (mut inner, started, outcome) = this.project();
        let kind = if !core::mem::replace(started, true) {
            // The first call on the inner: let it bind its hooks, as CPython
            // calls `firstiter` for an inner started by `yield from` too.
            *command = Some(Command::Next(G::Send::default()));
            inner.as_mut().on_call(false);
            let hot = inner.as_mut().__hot(Internal::new());
            // SAFETY: the entry is our inner's (return type `G::Return`, what
            // `erased_finish` expects), and the inner stays pinned in this
            // delegate, which stays registered at this header.
            unsafe { header.as_ref().set_hot(hot) };
            Some(StepKind::Next)
        } else {
            match &*command {
                // Later `anext`s and `asend`s, the common case, need nothing.
                Some(Command::Next(_) | Command::Send(_)) => Some(StepKind::Next),
                Some(Command::Throw(_) | Command::Close) => {
                    *command = command.take().map(Command::forwarded);
                    let kind = command.as_ref().map(Command::kind);
                    // A throw or close: the inner sees the call begin.
                    inner.as_mut().on_call(kind == Some(StepKind::Close));
                    kind
                }
                // A continuation (of a step that began as
                // `athrow(GeneratorExit)`, this level closes its inner too).
                _ => {
                    *command = command.take().map(Command::forwarded);
                    command.as_ref().map(Command::kind)
                }
            }
        };
        let closing = kind == Some(StepKind::Close);
        let reply = inner.as_mut().poll_resume(cx, command);
        Self::after_step(inner, outcome, reply, closing)
    }

    /// What a step of the inner that ended with `reply` means for the chain.
    #[inline(always)]
    fn after_step(
        inner: Pin<&mut G>,
        outcome: &mut Option<Outcome<G::Output, G::Error>>,
        reply: Poll<GenReply<G>>,
        closing: bool,
    ) -> Poll<FastStep<G::Yield>> {
        match reply {
            Poll::Ready(Ok(Some(value))) => Poll::Ready(FastStep::yielded(
                value,
                inner.__registration(Internal::new()).is_some(),
            )),
            Poll::Ready(reply) => Poll::Ready(Self::over(reply, closing, outcome)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Finishes a step that the inner's hot entry began (an `anext` or
    /// `asend`, so not closing) and that did not end at a plain yield.
    ///
    /// # Safety
    /// As for [`from_header`](Self::from_header), and `reply` points to an
    /// `Option<Poll<Reply<..>>>` of the inner's types, holding the reply.
    unsafe fn erased_finish(
        header: NonNull<StepperHeader<G::Yield, G::Send, G::Error>>,
        reply: NonNull<()>,
    ) -> Poll<FastStep<G::Yield>> {
        // SAFETY: the caller's contract (`StepperPtr::finish`).
        let reply = unsafe { (*reply.cast::<Option<Poll<GenReply<G>>>>().as_ptr()).take() };
        // SAFETY: as in `erased_step`.
        let this = unsafe { Self::from_header(header) };
        // The hot entry always hands a reply over (a `Pending` here would
        // hang the consumer with no waker registered).
        let reply = reply.expect("a hot step finished without a reply");
        let (inner, _, outcome) = this.project();
        Self::after_step(inner, outcome, reply, false)
    }

    /// A step that did not yield: the delegation is over; keeps its outcome.
    #[cold]
    fn over(
        reply: Reply<G::Yield, G::Return, G::Error, G::Send>,
        closing: bool,
        outcome: &mut Option<Outcome<G::Output, G::Error>>,
    ) -> FastStep<G::Yield> {
        match reply_to_delegated::<G, G::Error>(reply, closing) {
            Delegated::Yielded(value) => FastStep::Yielded(value),
            Delegated::Over(over) => {
                *outcome = Some(over);
                FastStep::Done
            }
        }
    }

    /// What is below this stepper.
    ///
    /// # Safety
    /// As for [`from_header`](Self::from_header).
    unsafe fn erased_below(
        header: NonNull<StepperHeader<G::Yield, G::Send, G::Error>>,
    ) -> Below<G::Yield, G::Send, G::Error> {
        // SAFETY: as in `erased_step`; only read.
        let this = unsafe { header.cast::<Self>().as_ref() };
        if this.outcome.is_some() {
            return Below::Inactive;
        }
        if !this.started {
            // Not entered yet: its first step (which starts the call on the
            // inner) must go through this stepper, even if the inner is
            // already parked in a delegation of its own (a generator started
            // elsewhere, then delegated to): its chain is reached from here
            // once that step has run.
            return Below::Leaf(this.inner.state());
        }
        match this
            .inner
            .__link(Internal::new())
            .and_then(|l| l.registration())
        {
            Some(next) => Below::Deeper(next),
            None => Below::Leaf(this.inner.state()),
        }
    }

    /// Closes the inner after a panic in the chain.
    ///
    /// # Safety
    /// As for [`from_header`](Self::from_header).
    unsafe fn erased_close_inner(header: NonNull<StepperHeader<G::Yield, G::Send, G::Error>>) {
        // SAFETY: as in `erased_step`.
        let this = unsafe { Self::from_header(header) };
        let (inner, _, _) = this.project();
        if let Some(link) = inner.__link_mut(Internal::new()) {
            link.close_after_panic();
        }
    }
}

impl<G: GeneratorOutput> sealed::Sealed for SameDelegate<G> {}

impl<G> Delegate<G::Yield, G::Send, G::Error> for SameDelegate<G>
where
    G: GeneratorOutput,
    G::Send: Default,
{
    type Output = G::Output;

    fn poll_delegate(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        resume: &mut Option<Resume<G::Send, G::Error>>,
    ) -> Poll<Delegated<G::Yield, G::Output, G::Error>> {
        // Only if it did not register (it always does): full forwarding, as
        // `GenDelegate` does.
        let (inner, started, _) = self.project();
        *started = true;
        forward(inner, cx, resume)
    }

    fn register(
        self: Pin<&mut Self>,
        token: Internal,
    ) -> Option<StepperPtr<G::Yield, G::Send, G::Error>> {
        let mut this = self;
        // The chain's root drives the inner from now on: it must not cache.
        if let Some(link) = this.as_mut().project().0.__link_mut(token) {
            link.set_driven(true);
        }
        // The pointer must carry write access to the whole delegate (the
        // steps mutate it), so it is made from `&mut Self`, not from
        // `&self.header`, and only then cast to the header at its start.
        // SAFETY: only the address is taken; the delegate stays pinned.
        let whole = NonNull::from(unsafe { this.get_unchecked_mut() });
        // SAFETY: `whole` heads a pinned `SameDelegate` (header first,
        // `repr(C)`); the delegation future that calls this removes the
        // registration before the delegate is dropped.
        Some(unsafe { StepperPtr::new(whole.cast()) })
    }

    fn take_outcome(self: Pin<&mut Self>, _: Internal) -> Option<Outcome<G::Output, G::Error>> {
        self.project().2.take()
    }

    fn unregister(self: Pin<&mut Self>, token: Internal) {
        if let Some(link) = self.project().0.__link_mut(token) {
            link.set_driven(false);
        }
    }
}
