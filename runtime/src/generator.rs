//! The generator: one pinned state machine around the body future.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::api::{AsyncGenerator, Command, Reply};
use crate::delegate::{Failure, GeneratorOutput};
use crate::error::{Error, Rejected, RuntimeError, Thrown, TypeError};
use crate::fast::{FastStep, StepKind, StepperPtr, deepest};
use crate::output::BodyOutput;
use crate::slot::{Co, Slot, SlotState};
use crate::state::GenState;

/// The body: a closure until the first resumption, then its future.
///
/// The future is made only once the generator is pinned, because it holds a
/// pointer to the generator's slot.
enum Body<F, Fut> {
    Unstarted(F),
    Started(Fut),
    Done,
}

/// An async generator: the value an `#[async_generator]` function returns.
///
/// You never name this type: functions return `impl AsyncGenerator<..> +
/// FusedStream<..>`. It is a `futures_core::Stream` and implements
/// [`AsyncGenerator`]. It allocates nothing; its size is the body future plus
/// the slot plus a few bytes of state.
///
/// Type parameters: `Y` yield, `S` send, `E` the body's error, `K` the output
/// kind ([`Fallible`](crate::Fallible) or [`Value`](crate::Value)), `F` the
/// closure that makes the body, `Fut` the body future.
pub struct AsyncGen<Y, S, E, K, F, Fut> {
    // Declared before `slot`: fields drop in order, so the body (and the `Co`
    // inside it, which points at `slot`) is gone before the slot is.
    body: Body<F, Fut>,
    slot: Slot<Y, S, E>,
    phase: GenState,
    step: StepKind,
    /// Python's `ag_closed`: `aclose()` has begun. A body that ignored the
    /// exit stays resumable by `anext`, but `athrow`/`aclose` now report
    /// `StopAsyncIteration` without entering it.
    exit_requested: bool,
    /// Fast path (see `fast.rs`): the deepest delegation below this
    /// generator, when it is the root of a chain.
    leaf: Option<StepperPtr<Y, S, E>>,
    /// The step in flight goes through `leaf`, not through the body.
    fast_step: bool,
    /// This generator is the inner of a fast delegation: the root drives its
    /// chain, so it never caches one.
    delegated: bool,
    _kind: PhantomData<fn() -> K>,
}

/// How `begin` answered a call.
enum Begun<Y, R, E, S> {
    /// Answered without running anything.
    Reply(Reply<Y, R, E, S>),
    /// Run (or continue) the body.
    Body,
    /// Run (or continue) the step through the cached delegation chain.
    Fast(Option<Command<S, E>>),
}

impl<Y, S, E, K, F, Fut> AsyncGen<Y, S, E, K, F, Fut>
where
    F: FnOnce(Co<Y, S, E>) -> Fut,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    /// A generator whose body is made by `body` at the first resumption.
    ///
    /// The macro calls this; it is public for hand-written generators (see
    /// the crate docs).
    #[inline]
    pub const fn new(body: F) -> Self {
        AsyncGen {
            body: Body::Unstarted(body),
            slot: Slot::new(),
            phase: GenState::Created,
            step: StepKind::Next,
            exit_requested: false,
            leaf: None,
            fast_step: false,
            delegated: false,
            _kind: PhantomData,
        }
    }

    /// Like [`new`](Self::new), with the kind passed as a value so that it can
    /// be inferred (the macro's PEP 479 probe produces it).
    #[doc(hidden)]
    #[inline]
    pub fn with_kind(_kind: K, body: F) -> Self {
        Self::new(body)
    }

    /// The life state, `inspect.getasyncgenstate`.
    #[inline]
    pub fn state(&self) -> GenState {
        self.phase
    }

    fn finish_unstarted(&mut self) {
        self.phase = GenState::Closed;
        self.body = Body::Done;
    }

    /// Error kind of a raised error, with PEP 479 applied.
    fn raised<R>(error: E) -> Error<R, E, S> {
        if <Fut::Output as BodyOutput<K>>::is_stop(&error) {
            Error::RuntimeError(RuntimeError::RaisedStopIteration(error))
        } else {
            Error::Raised(error)
        }
    }

    /// How a step that ended with `thrown` propagating is reported.
    fn propagated(
        &self,
        thrown: Thrown<E>,
    ) -> Reply<Y, <Fut::Output as BodyOutput<K>>::Return, E, S> {
        match (thrown, self.step) {
            (Thrown::GeneratorExit, StepKind::Close) => Ok(None),
            (Thrown::GeneratorExit, _) => Err(Error::GeneratorExit),
            (Thrown::Error(e), _) => Err(Self::raised(e)),
        }
    }

    /// Starts a step: checks the call against the state, and loads the slot
    /// (or keeps the command for the fast path).
    fn begin(
        &mut self,
        command: Command<S, E>,
    ) -> Begun<Y, <Fut::Output as BodyOutput<K>>::Return, E, S> {
        match self.phase {
            GenState::Closed => Begun::Reply(match command {
                // CPython: athrow/aclose on a finished generator complete
                // with None.
                Command::Throw(_) | Command::Close => Ok(None),
                _ => Err(Error::StopAsyncIteration(None)),
            }),
            GenState::Running => match command {
                // Rule 7: `anext` continues the step left pending.
                Command::Next(_) | Command::Continue(_) if self.fast_step => Begun::Fast(None),
                Command::Next(_) | Command::Continue(_) => Begun::Body,
                Command::Send(s) => Begun::Reply(already_running(Rejected::Send(s))),
                Command::Throw(e) => Begun::Reply(already_running(Rejected::Throw(e))),
                Command::Close => Begun::Reply(already_running(Rejected::Close)),
            },
            GenState::Created => match command {
                Command::Next(_) | Command::Continue(_) => {
                    self.step = StepKind::Next;
                    self.phase = GenState::Running;
                    Begun::Body
                }
                // Rule 1: stays Created, the value comes back.
                Command::Send(s) => {
                    Begun::Reply(Err(Error::TypeError(TypeError::SendBeforeStart(s))))
                }
                // Rule 2: the body never runs; the error comes straight back.
                Command::Throw(e) => {
                    self.finish_unstarted();
                    Begun::Reply(Err(Self::raised(e)))
                }
                // Rule 3.
                Command::Close => {
                    self.exit_requested = true;
                    self.finish_unstarted();
                    Begun::Reply(Ok(None))
                }
            },
            GenState::Suspended => {
                let step = match &command {
                    Command::Next(_) | Command::Send(_) => StepKind::Next,
                    Command::Throw(_) | Command::Close if self.exit_requested => {
                        return Begun::Reply(Err(Error::StopAsyncIteration(None)));
                    }
                    Command::Throw(_) => StepKind::Throw,
                    Command::Close => StepKind::Close,
                    Command::Continue(kind) => *kind,
                };
                if step == StepKind::Close {
                    self.exit_requested = true;
                }
                self.step = step;
                self.phase = GenState::Running;
                if self.leaf.is_some() {
                    self.fast_step = true;
                    return Begun::Fast(Some(command));
                }
                let input = match command {
                    Command::Next(s) | Command::Send(s) => SlotState::Sent(s),
                    Command::Throw(e) => SlotState::Thrown(Thrown::Error(e)),
                    Command::Close => SlotState::Thrown(Thrown::GeneratorExit),
                    // The awaited delegation kept its outcome: no input.
                    Command::Continue(_) => return Begun::Body,
                };
                drop(self.slot.replace(input));
                Begun::Body
            }
        }
    }

    /// Runs the step through the cached delegation chain: the deepest
    /// delegation is resumed directly; when it finishes, the level above is
    /// continued, up to this generator's own body.
    fn poll_fast(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut command: Option<Command<S, E>>,
    ) -> Poll<Reply<Y, <Fut::Output as BodyOutput<K>>::Return, E, S>> {
        // SAFETY: nothing here moves the generator.
        let this = unsafe { self.get_unchecked_mut() };
        loop {
            let Some(leaf) = this.leaf else {
                // Our own `yield_from_!` finished: the body picks it up.
                this.fast_step = false;
                // SAFETY: `this` came from a `Pin<&mut Self>` and is not moved.
                return unsafe { Pin::new_unchecked(this) }.poll_body(cx);
            };
            this.phase = GenState::Closed; // poisoned while user code runs
            // SAFETY: `leaf` is registered below this pinned generator and no
            // step has run since it was (re)walked (fast.rs module docs).
            let step = unsafe { leaf.pin_mut() }.step(cx, &mut command);
            match step {
                Poll::Pending => {
                    this.phase = GenState::Running;
                    return Poll::Pending;
                }
                Poll::Ready(FastStep::Yielded(y)) => {
                    // The step may have started a deeper delegation.
                    // SAFETY: `leaf` is still registered: it yielded.
                    this.leaf = unsafe { deepest(Some(leaf)) };
                    this.phase = GenState::Suspended;
                    this.fast_step = false;
                    return Poll::Ready(if this.step == StepKind::Close {
                        drop(y);
                        Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit))
                    } else {
                        Ok(Some(y))
                    });
                }
                Poll::Ready(FastStep::Done) => {
                    // SAFETY: registrations from our slot down are valid; the
                    // finished one is inactive and ends the walk.
                    this.leaf = unsafe { deepest(this.slot.delegate()) };
                    command = Some(Command::Continue(this.step));
                }
            }
        }
    }

    /// After a step of the body: if it started a delegation and nothing
    /// drives this generator's chain from above, cache the chain's end.
    #[inline]
    fn discover_chain(&mut self) {
        if !self.delegated && self.slot.delegate().is_some() {
            // SAFETY: the registrations in our slot and below are valid right
            // after our body's step.
            self.leaf = unsafe { deepest(self.slot.delegate()) };
        }
    }

    /// Polls the body once for the step in flight.
    fn poll_body(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Reply<Y, <Fut::Output as BodyOutput<K>>::Return, E, S>> {
        // SAFETY: nothing below moves the generator or its `Started` future;
        // the body is only dropped in place (assignment of `Body::Done`).
        let this = unsafe { self.get_unchecked_mut() };
        // Poisoned while the body runs: if it panics, the generator is left
        // Closed and is never polled again (rule 9).
        this.phase = GenState::Closed;
        if let Body::Unstarted(_) = this.body {
            let Body::Unstarted(make) = core::mem::replace(&mut this.body, Body::Done) else {
                unreachable!()
            };
            // SAFETY: the generator is pinned (we came through `Pin<&mut
            // Self>`), so `slot` stays put until the generator is dropped, and
            // `body` is declared before `slot`, so this `Co` (owned by the
            // body future) is dropped first.
            let co = unsafe { Co::new(NonNull::from(&this.slot)) };
            this.body = Body::Started(make(co));
        }
        let Body::Started(fut) = &mut this.body else {
            // A reply-less call on a finished generator: only reachable by a
            // call future polled after its step ended.
            return Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused)));
        };
        // SAFETY: `fut` lives inside the pinned generator and is never moved
        // out of `Body::Started`; it is dropped in place.
        let fut = unsafe { Pin::new_unchecked(fut) };
        match fut.poll(cx) {
            Poll::Ready(output) => {
                this.body = Body::Done;
                drop(this.slot.take());
                Poll::Ready(match output.into_result() {
                    Ok(value) if this.step == StepKind::Close => {
                        drop(value);
                        Ok(None)
                    }
                    Ok(value) => Err(Error::StopAsyncIteration(Some(value))),
                    Err(e) => Err(Self::raised(e)),
                })
            }
            Poll::Pending => match this.slot.take() {
                SlotState::Yielded(y) => {
                    this.phase = GenState::Suspended;
                    this.discover_chain();
                    if this.step == StepKind::Close {
                        // Rule 5: the body caught the exit and yielded.
                        drop(y);
                        Poll::Ready(Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit)))
                    } else {
                        Poll::Ready(Ok(Some(y)))
                    }
                }
                SlotState::Failed(failure) => {
                    this.body = Body::Done;
                    Poll::Ready(Err(Error::RuntimeError(match failure {
                        Failure::IgnoredGeneratorExit => RuntimeError::IgnoredGeneratorExit,
                        Failure::AlreadyFinished => RuntimeError::DelegateFinished,
                    })))
                }
                SlotState::Raising(thrown) => {
                    // The exception unwinds the body: its destructors run now.
                    this.body = Body::Done;
                    Poll::Ready(this.propagated(thrown))
                }
                other => {
                    // A real wait inside the body (not a yield).
                    drop(this.slot.replace(other));
                    this.phase = GenState::Running;
                    Poll::Pending
                }
            },
        }
    }
}

fn already_running<T, R, E, S>(rejected: Rejected<S, E>) -> Result<T, Error<R, E, S>> {
    Err(Error::RuntimeError(RuntimeError::AlreadyRunning(rejected)))
}

impl<Y, S, E, K, F, Fut> AsyncGenerator for AsyncGen<Y, S, E, K, F, Fut>
where
    F: FnOnce(Co<Y, S, E>) -> Fut,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    type Yield = Y;
    type Send = S;
    type Return = <Fut::Output as BodyOutput<K>>::Return;
    type Error = E;

    #[inline]
    fn state(&self) -> GenState {
        self.phase
    }

    #[inline]
    fn poll_resume(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<S, E>>,
    ) -> Poll<Reply<Y, Self::Return, E, S>> {
        // SAFETY: `begin` does not move the body (it only replaces an
        // unstarted closure, or nothing).
        let this = unsafe { self.as_mut().get_unchecked_mut() };
        match command.take() {
            Some(command) => match this.begin(command) {
                Begun::Reply(reply) => Poll::Ready(reply),
                Begun::Body => self.poll_body(cx),
                Begun::Fast(command) => self.poll_fast(cx, command),
            },
            None if this.phase != GenState::Running => {
                Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused)))
            }
            None if this.fast_step => self.poll_fast(cx, None),
            None => self.poll_body(cx),
        }
    }

    #[inline]
    fn mark_delegated(self: Pin<&mut Self>) {
        // SAFETY: a plain field write.
        unsafe { self.get_unchecked_mut() }.delegated = true;
    }

    #[inline]
    fn fast_delegate(&self) -> Option<StepperPtr<Y, S, E>> {
        self.slot.delegate()
    }
}

impl<Y, S, E, K, F, Fut> GeneratorOutput for AsyncGen<Y, S, E, K, F, Fut>
where
    F: FnOnce(Co<Y, S, E>) -> Fut,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    type Output = Fut::Output;
    #[inline]
    fn output(result: Result<Self::Return, E>) -> Fut::Output {
        <Fut::Output as BodyOutput<K>>::from_result(result)
    }
}

impl<Y, S, E, K, F, Fut> Stream for AsyncGen<Y, S, E, K, F, Fut>
where
    S: Default,
    F: FnOnce(Co<Y, S, E>) -> Fut,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    type Item = <Fut::Output as BodyOutput<K>>::Item<Y>;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        poll_next_item::<Self, Fut::Output, K>(self, cx)
    }
}

/// The `Stream` view of any generator whose output is `O` (kind `K`): an
/// `anext` per item (continuing a step in flight), the body's error as one
/// item, and `None` once finished.
#[inline]
pub(crate) fn poll_next_item<G, O, K>(
    mut generator: Pin<&mut G>,
    cx: &mut Context<'_>,
) -> Poll<Option<O::Item<G::Yield>>>
where
    G: AsyncGenerator + ?Sized,
    G::Send: Default,
    O: BodyOutput<K, Error = G::Error>,
{
    let mut command = match generator.state() {
        GenState::Closed => return Poll::Ready(None),
        // Continue the step in flight (cancel-safe `next()`).
        GenState::Running => None,
        GenState::Created | GenState::Suspended => Some(Command::Next(Default::default())),
    };
    Poll::Ready(
        match core::task::ready!(generator.as_mut().poll_resume(cx, &mut command)) {
            Ok(Some(y)) => Some(O::item(y)),
            Ok(None) => None,
            Err(Error::Raised(e) | Error::RuntimeError(RuntimeError::RaisedStopIteration(e))) => {
                Some(O::error_item(e))
            }
            // Finished, or GeneratorExit escaping a body that ignored aclose.
            Err(_) => None,
        },
    )
}

impl<Y, S, E, K, F, Fut> FusedStream for AsyncGen<Y, S, E, K, F, Fut>
where
    S: Default,
    F: FnOnce(Co<Y, S, E>) -> Fut,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    #[inline]
    fn is_terminated(&self) -> bool {
        self.phase == GenState::Closed
    }
}
