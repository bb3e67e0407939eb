//! The generator: one pinned state machine around the body future.

use core::future::Future;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
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

/// The body: the closure until the first resumption, then its future.
///
/// The future is made only once the generator is pinned, because it holds a
/// pointer to the generator's slot. Which field is live is kept in
/// [`AsyncGen::body_tag`], a byte next to the other state bytes: an enum
/// would cost a whole word of tag, since async futures have no niche.
union Body<F, Fut> {
    make: ManuallyDrop<F>,
    fut: ManuallyDrop<Fut>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyTag {
    Unstarted,
    Started,
    Done,
}

/// An async generator: the value an `#[async_generator]` function returns.
///
/// You never name this type: functions return `impl AsyncGenerator<..> +
/// FusedStream<..>`. It is a `futures_core::Stream` and implements
/// [`AsyncGenerator`]. It allocates nothing; its size is the body future plus
/// the slot plus one word of state.
///
/// Type parameters: `Y` yield, `S` send, `E` the body's error, `K` the output
/// kind ([`Fallible`](crate::Fallible) or [`Value`](crate::Value)), `F` the
/// closure that makes the body, `Fut` the body future.
pub struct AsyncGen<Y, S, E, K, F, Fut> {
    body: Body<F, Fut>,
    slot: Slot<Y, S, E>,
    body_tag: BodyTag,
    phase: GenState,
    /// The kind of the step in flight. Invariant: `Suspended` implies
    /// `Next`, so the hot path never has to look at it.
    step: StepKind,
    /// Python's `ag_closed`: `aclose()` has begun. A body that ignored the
    /// exit stays resumable by `anext`, but `athrow`/`aclose` now report
    /// `StopAsyncIteration` without entering it.
    exit_requested: bool,
    /// This generator is the inner of a fast delegation: the root drives its
    /// chain, so it never drives it itself.
    delegated: bool,
    _kind: PhantomData<fn() -> K>,
}

/// How `begin` answered a call.
enum Begun<Y, R, E, S> {
    /// Answered without running anything.
    Reply(Reply<Y, R, E, S>),
    /// Run (or continue) the body.
    Body,
    /// Run (or continue) the step through the delegation chain.
    Fast(Option<Command<S, E>>),
}

type ReplyOf<Y, S, E, K, Fut> = Reply<Y, <<Fut as Future>::Output as BodyOutput<K>>::Return, E, S>;

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
            body: Body {
                make: ManuallyDrop::new(body),
            },
            slot: Slot::new(),
            body_tag: BodyTag::Unstarted,
            phase: GenState::Created,
            step: StepKind::Next,
            exit_requested: false,
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
        self.body_done();
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
    fn propagated(&self, thrown: Thrown<E>) -> ReplyOf<Y, S, E, K, Fut> {
        match (thrown, self.step) {
            (Thrown::GeneratorExit, StepKind::Close) => Ok(None),
            (Thrown::GeneratorExit, _) => Err(Error::GeneratorExit),
            (Thrown::Error(e), _) => Err(Self::raised(e)),
        }
    }

    /// The hot path: a suspended generator, no delegation to drive, resumed
    /// with a value (`anext`, `asend`, the `Stream`).
    #[inline(always)]
    fn resume_suspended(
        &mut self,
        cx: &mut Context<'_>,
        input: S,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        debug_assert!(self.phase == GenState::Suspended && self.step == StepKind::Next);
        // Suspended: the slot is Empty (the yielded value was taken).
        self.slot.put_unchecked(SlotState::Sent(input));
        // Poisoned while the body runs: a panic leaves it Closed (rule 9).
        self.phase = GenState::Closed;
        // SAFETY: Suspended implies a started body; `self` is pinned (every
        // caller comes through `Pin<&mut Self>`) and the future is never
        // moved out of the union, only dropped in place.
        let fut = unsafe { Pin::new_unchecked(&mut *self.body.fut) };
        match fut.poll(cx) {
            Poll::Pending => match self.slot.take() {
                SlotState::Yielded(y) => {
                    self.phase = GenState::Suspended;
                    Poll::Ready(Ok(Some(y)))
                }
                other => self.after_pending(cx, other),
            },
            Poll::Ready(output) => self.after_ready(output),
        }
    }

    /// The body finished: returned or raised.
    #[cold]
    #[inline(never)]
    fn after_ready(&mut self, output: Fut::Output) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        self.body_done();
        drop(self.slot.take());
        Poll::Ready(match output.into_result() {
            Ok(value) if self.step == StepKind::Close => {
                drop(value);
                Ok(None)
            }
            Ok(value) => Err(Error::StopAsyncIteration(Some(value))),
            Err(e) => Err(Self::raised(e)),
        })
    }

    /// The body returned `Pending`: a yield (off the hot path), an exception
    /// on its way out, or a real wait.
    #[cold]
    #[inline(never)]
    fn after_pending(
        &mut self,
        cx: &mut Context<'_>,
        state: SlotState<Y, S, E>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        match state {
            SlotState::Delegating(stepper) => {
                // The body started a fast-path delegation: keep the
                // registration, start the inner through it.
                self.slot.put_unchecked(SlotState::Delegating(stepper));
                if !self.delegated {
                    // SAFETY: just registered by our body, which is parked.
                    unsafe { stepper.leaf_cache() }.set(Some(stepper));
                }
                self.poll_fast(cx, None)
            }
            SlotState::Yielded(y) => {
                self.phase = GenState::Suspended;
                // Keep the invariant: Suspended implies step == Next.
                let step = core::mem::replace(&mut self.step, StepKind::Next);
                Poll::Ready(if step == StepKind::Close {
                    // Rule 5: the body caught the exit and yielded.
                    drop(y);
                    Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit))
                } else {
                    Ok(Some(y))
                })
            }
            SlotState::Failed(failure) => {
                self.body_done();
                Poll::Ready(Err(Error::RuntimeError(match failure {
                    Failure::IgnoredGeneratorExit => RuntimeError::IgnoredGeneratorExit,
                    Failure::AlreadyFinished => RuntimeError::DelegateFinished,
                })))
            }
            SlotState::Raising(thrown) => {
                // The exception unwinds the body: its destructors run now.
                self.body_done();
                Poll::Ready(self.propagated(thrown))
            }
            other => {
                // A real wait inside the body (not a yield).
                drop(self.slot.replace(other));
                self.phase = GenState::Running;
                Poll::Pending
            }
        }
    }

    /// Starts a step: checks the call against the state, and loads the slot
    /// (or keeps the command for the delegation chain).
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
                // A step in flight goes through the delegation chain exactly
                // when the body is parked in a registered delegation.
                Command::Next(_) | Command::Continue(_) if self.slot.delegate().is_some() => {
                    Begun::Fast(None)
                }
                Command::Next(_) | Command::Continue(_) => Begun::Body,
                Command::Send(s) => Begun::Reply(already_running(Rejected::Send(s))),
                Command::Throw(e) => Begun::Reply(already_running(Rejected::Throw(e))),
                Command::Close => Begun::Reply(already_running(Rejected::Close)),
            },
            GenState::Created => match command {
                Command::Next(_) | Command::Continue(_) => {
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
                if self.slot.delegate().is_some() && !matches!(command, Command::Continue(_)) {
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

    /// Polls the body once for the step in flight.
    fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        // Poisoned while the body runs: if it panics, the generator is left
        // Closed and is never polled again (rule 9).
        self.phase = GenState::Closed;
        if self.body_tag == BodyTag::Unstarted {
            // SAFETY: the tag says `make` is live; it is moved out once, and
            // the tag says Done until the future is written.
            let make = unsafe { ManuallyDrop::take(&mut self.body.make) };
            self.body_tag = BodyTag::Done;
            // SAFETY: the generator is pinned (we came through `Pin<&mut
            // Self>`), so `slot` stays put until the generator is dropped,
            // and `Drop` drops the body (with this `Co`) before the slot.
            let co = unsafe { Co::new(NonNull::from(&self.slot)) };
            self.body.fut = ManuallyDrop::new(make(co));
            self.body_tag = BodyTag::Started;
        }
        if self.body_tag != BodyTag::Started {
            // A reply-less call on a finished generator: only reachable by a
            // call future polled after its step ended.
            return Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused)));
        }
        // SAFETY: the tag says Started; pinned as in `resume_suspended`.
        let fut = unsafe { Pin::new_unchecked(&mut *self.body.fut) };
        match fut.poll(cx) {
            Poll::Pending => {
                let state = self.slot.take();
                self.after_pending(cx, state)
            }
            Poll::Ready(output) => self.after_ready(output),
        }
    }

    /// Runs the step through the delegation chain (`fast.rs`). The root
    /// resumes the deepest delegation directly and, when it finishes,
    /// continues the level above, up to its own body; a delegated generator
    /// (only when its delegation has just started) steps its own.
    #[inline(never)]
    fn poll_fast(
        &mut self,
        cx: &mut Context<'_>,
        mut command: Option<Command<S, E>>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        loop {
            // SAFETY (every stepper call below): the registration in our slot
            // and those below it are valid while our body is parked in its
            // `yield_from_!`; they are re-read after every step that can
            // change them (fast.rs module docs).
            let Some(top) = self.slot.delegate() else {
                return self.poll_body(cx);
            };
            let leaf = if self.delegated {
                Some(top).filter(|t| unsafe { t.is_active() })
            } else {
                unsafe { top.leaf_cache() }.get()
            };
            let Some(leaf) = leaf else {
                // Our own `yield_from_!` finished: the body picks it up.
                return self.poll_body(cx);
            };
            self.phase = GenState::Closed; // poisoned while user code runs
            match unsafe { leaf.step(cx, &mut command) } {
                Poll::Pending => {
                    self.phase = GenState::Running;
                    return Poll::Pending;
                }
                Poll::Ready(FastStep::Yielded(y)) => {
                    // The step may have started a deeper delegation.
                    if !self.delegated && unsafe { leaf.inner_stepper() }.is_some() {
                        unsafe { top.leaf_cache() }.set(unsafe { deepest(leaf) });
                    }
                    self.phase = GenState::Suspended;
                    let step = core::mem::replace(&mut self.step, StepKind::Next);
                    return Poll::Ready(if step == StepKind::Close {
                        drop(y);
                        Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit))
                    } else {
                        Ok(Some(y))
                    });
                }
                Poll::Ready(FastStep::Done) => {
                    if !self.delegated {
                        // The finished stepper is inactive and ends the walk.
                        unsafe { top.leaf_cache() }.set(unsafe { deepest(top) });
                    }
                    command = Some(Command::Continue(self.step));
                }
            }
        }
    }
}

impl<Y, S, E, K, F, Fut> AsyncGen<Y, S, E, K, F, Fut> {
    /// Drops the body (closure or future) in place.
    fn body_done(&mut self) {
        let tag = core::mem::replace(&mut self.body_tag, BodyTag::Done);
        // SAFETY: the tag said which field is live; it says Done now, so a
        // panicking destructor cannot lead to a second drop.
        unsafe {
            match tag {
                BodyTag::Unstarted => ManuallyDrop::drop(&mut self.body.make),
                BodyTag::Started => ManuallyDrop::drop(&mut self.body.fut),
                BodyTag::Done => {}
            }
        }
    }
}

impl<Y, S, E, K, F, Fut> Drop for AsyncGen<Y, S, E, K, F, Fut> {
    fn drop(&mut self) {
        // The body (and the `Co` in it, which points at the slot) goes first;
        // the slot is dropped after, as a field.
        self.body_done();
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

    #[inline(always)]
    fn poll_resume(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<S, E>>,
    ) -> Poll<Reply<Y, Self::Return, E, S>> {
        // SAFETY: nothing below moves the generator or its body.
        let this = unsafe { self.get_unchecked_mut() };
        if this.phase == GenState::Suspended
            && this.slot.is_empty()
            && matches!(command, Some(Command::Next(_) | Command::Send(_)))
        {
            if let Some(Command::Next(s) | Command::Send(s)) = command.take() {
                return this.resume_suspended(cx, s);
            }
        }
        this.poll_resume_slow(cx, command)
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

impl<Y, S, E, K, F, Fut> AsyncGen<Y, S, E, K, F, Fut>
where
    F: FnOnce(Co<Y, S, E>) -> Fut,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    #[inline(never)]
    fn poll_resume_slow(
        &mut self,
        cx: &mut Context<'_>,
        command: &mut Option<Command<S, E>>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        match command.take() {
            Some(command) => match self.begin(command) {
                Begun::Reply(reply) => Poll::Ready(reply),
                Begun::Body => self.poll_body(cx),
                Begun::Fast(command) => self.poll_fast(cx, command),
            },
            None if self.phase != GenState::Running => {
                Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused)))
            }
            None if self.slot.delegate().is_some() => self.poll_fast(cx, None),
            None => self.poll_body(cx),
        }
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
        // SAFETY: nothing here moves the generator or its body.
        let this = unsafe { self.get_unchecked_mut() };
        if this.phase == GenState::Suspended && this.slot.is_empty() {
            // The hot path, straight to the body.
            return match this.resume_suspended(cx, S::default()) {
                Poll::Ready(Ok(Some(y))) => {
                    Poll::Ready(Some(<Fut::Output as BodyOutput<K>>::item(y)))
                }
                Poll::Ready(reply) => Poll::Ready(stream_end::<Y, Fut::Output, K, _, _>(reply)),
                Poll::Pending => Poll::Pending,
            };
        }
        // SAFETY: `this` came from a `Pin<&mut Self>`.
        poll_next_item::<Self, Fut::Output, K>(unsafe { Pin::new_unchecked(this) }, cx)
    }
}

/// The `Stream` view of any generator whose output is `O` (kind `K`): an
/// `anext` per item (continuing a step in flight), the body's error as one
/// item, and `None` once finished.
#[inline(always)]
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
            reply => stream_end::<G::Yield, O, K, _, _>(reply),
        },
    )
}

/// The `Stream` item for a reply that is not a yield: the body's error once,
/// else the end (finished, or GeneratorExit escaping a body that ignored
/// `aclose`).
#[cold]
fn stream_end<Y, O, K, R, S>(reply: Reply<Y, R, O::Error, S>) -> Option<O::Item<Y>>
where
    O: BodyOutput<K>,
{
    match reply {
        Ok(Some(y)) => Some(O::item(y)),
        Err(Error::Raised(e) | Error::RuntimeError(RuntimeError::RaisedStopIteration(e))) => {
            Some(O::error_item(e))
        }
        Ok(None) | Err(_) => None,
    }
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
