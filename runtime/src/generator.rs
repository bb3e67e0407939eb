//! The generator: one pinned state machine around the body future.

use core::cell::UnsafeCell;
use core::future::Future;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use crate::chain::{ErasedHot, FastStep, HotCall, HotEntry, Link, StepperPtr, decline};
use crate::error::{Error, Rejected, RuntimeError, Thrown, TypeError};
use crate::handoff;
use crate::output::BodyOutput;
use crate::protocol::{AsyncGenerator, GenReply, GeneratorOutput};
use crate::slot::{Cell, Slot};
use crate::state::GenState;
use crate::step::{Command, Continue, Internal, Reply, StepKind};

/// An async generator: the value an `#[async_generator]` function returns.
///
/// You never name this type: functions return `impl AsyncGenerator<..> +
/// FusedStream<..>`. It allocates nothing; its size is the body future plus
/// the slot plus one word.
///
/// Type parameters: `Y` yield, `S` send, `E` the body's error, `K` the output
/// kind, `Fut` the body future.
pub struct AsyncGen<Y, S, E, K, Fut> {
    /// Live unless the slot says `Closed` (`Created`: not polled yet).
    ///
    /// In an `UnsafeCell` because the body is self-referential: it may hold
    /// a `&mut` to its own state across a suspension, and a `&AsyncGen` (for
    /// `state()`) must not assert that those bytes are frozen (Stacked
    /// Borrows treats a shared reference as a read of everything outside an
    /// `UnsafeCell`, which would invalidate that `&mut`; RFC 3467's
    /// `UnsafePinned` is this, for the general case). Reached only through
    /// `&mut self`, with `get_mut`, so it costs nothing.
    body: UnsafeCell<ManuallyDrop<Fut>>,
    slot: Slot<Y, S, E>,
    /// The kind of the step in flight. Invariant: a parked generator has
    /// `Next`, so resuming it never has to look.
    step: StepKind,
    /// Python's `ag_closed`: `aclose()` has begun. A body that ignored the
    /// exit stays resumable by `anext`, but `athrow`/`aclose` now report
    /// `StopAsyncIteration` without entering it.
    exit_requested: bool,
    /// An outer generator's chain drives this one (it is the inner of a
    /// registered delegation): it must not cache its own chain.
    driven: bool,
    _kind: PhantomData<fn() -> K>,
}

// SAFETY: what an auto impl would give were the body not in an
// `UnsafeCell` (which only keeps `&AsyncGen` from freezing the body's bytes):
// `&AsyncGen` reads the slot (`Sync` for `Send` payloads, its own impl) and
// plain fields, and never reaches the body, which needs `&mut`. Requiring
// `Fut: Sync` keeps "`Sync` follows the body", as the auto impl did.
unsafe impl<Y: Send, S: Send, E: Send, K, Fut: Sync> Sync for AsyncGen<Y, S, E, K, Fut> {}

/// Runs a closure when dropped. Armed around user code and disarmed with
/// `mem::forget` when that code returns, it runs only while unwinding.
struct Defer<F: FnMut()>(F);

impl<F: FnMut()> Drop for Defer<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// What the hot path saw.
pub(crate) enum Hot<Y, O> {
    /// A plain yield.
    Yielded(Y),
    /// The body returned `Pending` without one (the slot says what it did).
    Other,
    /// The body finished.
    Finished(O),
}

/// A root's deepest stepper, cached, and the hot entry of its inner.
pub(crate) type HotChain<Y, S, E> = (StepperPtr<Y, S, E>, ErasedHot<Y, S, E>);

/// What [`AsyncGen::chain_next`] saw, once [`AsyncGen::after_chain_next`]
/// did the chain's bookkeeping.
pub(crate) enum ChainNext<Y> {
    /// The deepest generator yielded.
    Yielded(Y),
    /// Its step waits.
    Pending,
    /// A delegation finished: continue with `chain_continue`.
    Continue,
}

/// How a poll of the body ended, for the step in flight.
enum BodyStep<T> {
    /// The step's answer (or `Pending`).
    Done(Poll<T>),
    /// The body is parked in a chain delegation (registered in the slot):
    /// the chain goes on with the step.
    Delegated,
}

pub(crate) type ReplyOf<Y, S, E, K, Fut> =
    Reply<Y, <<Fut as Future>::Output as BodyOutput<K>>::Return, E, S>;

impl<Y, S, E, K, Fut> AsyncGen<Y, S, E, K, Fut>
where
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    /// A generator around the body future `body`.
    ///
    /// # Safety
    ///
    /// `body`'s first `.await` must be
    /// [`handle::<Y, S, E>()`](crate::handoff::handle), before it does
    /// anything else, and the `Co` that resolves to points into this
    /// generator: it must not outlive `body`, nor be used outside `body`'s
    /// polls and drop. The `#[async_generator]` and `async_gen!` macros
    /// guarantee both: the handle is awaited first and kept in a binding
    /// that user code cannot name, lent out only as a borrowed
    /// [`Yielder`](crate::Yielder).
    #[inline]
    pub const unsafe fn new(body: Fut) -> Self {
        AsyncGen {
            body: UnsafeCell::new(ManuallyDrop::new(body)),
            slot: Slot::new(),
            step: StepKind::Next,
            exit_requested: false,
            driven: false,
            _kind: PhantomData,
        }
    }

    /// Like [`new`](Self::new), with the kind passed as a value so that it can
    /// be inferred (the macro's PEP 479 probe produces it).
    ///
    /// # Safety
    /// As for [`new`](Self::new).
    #[doc(hidden)]
    #[inline]
    pub unsafe fn with_kind(_kind: K, body: Fut) -> Self {
        // SAFETY: the caller's obligation, passed on.
        unsafe { Self::new(body) }
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
            (thrown, _) => Err(Self::uncaught(thrown)),
        }
    }

    /// The error of a call through which `thrown` escaped (any call but a
    /// close that ends with `GeneratorExit`).
    fn uncaught<R>(thrown: Thrown<E>) -> Error<R, E, S> {
        match thrown {
            Thrown::GeneratorExit => Error::GeneratorExit,
            Thrown::Error(e) => Self::raised(e),
            Thrown::RuntimeError(cause) => Error::RuntimeError(cause.into()),
        }
    }

    /// The reply for a yield, which ends the step: the generator is parked
    /// again, so the step kind goes back to `Next`.
    fn yielded(&mut self, y: Y) -> ReplyOf<Y, S, E, K, Fut> {
        if core::mem::replace(&mut self.step, StepKind::Next) == StepKind::Close {
            // The body caught the exit and yielded.
            drop(y);
            Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit))
        } else {
            Ok(Some(y))
        }
    }

    /// The hot path: a generator parked at a plain yield, resumed with a
    /// value (`anext`, `asend`, the `Stream`). Only "it yielded" is decided
    /// here; every other outcome is finished out of line by the caller
    /// (`finish_pending`, `after_ready`), so that this stays small enough to
    /// be inlined into the consumer's future and its result stays in
    /// registers.
    ///
    /// # Safety
    /// The slot holds `Suspended`, and `self` is pinned.
    #[inline(always)]
    pub(crate) unsafe fn resume_hot(
        &mut self,
        cx: &mut Context<'_>,
        input: S,
    ) -> Hot<Y, Fut::Output> {
        // SAFETY: the caller's contract.
        unsafe { self.send_in(input) };
        let poll = self.poll_fut(cx);
        self.hot_outcome(poll)
    }

    /// Hands `input` to a body parked at a plain yield, which takes it when
    /// polled.
    ///
    /// # Safety
    /// The slot holds `Suspended`, and the body is polled next.
    #[inline(always)]
    unsafe fn send_in(&mut self, input: S) {
        if size_of::<S>() == 0 {
            // Moved without a write: a body polled while the slot says
            // `Suspended` was resumed (`Cell::Suspended`), and the expansion's
            // yield reads the value, which has no bytes, from nowhere.
            core::mem::forget(input);
        } else {
            // SAFETY: no body code runs; `Suspended` has no payload to leak.
            unsafe { self.slot.write(Cell::Sent(ManuallyDrop::new(input))) };
        }
    }

    /// What a hot path saw, from the body's poll and the slot.
    #[inline(always)]
    fn hot_outcome(&mut self, poll: Poll<Fut::Output>) -> Hot<Y, Fut::Output> {
        match poll {
            // Tested before it is taken, so that a yield costs one tag test
            // and a step that did not yield leaves the slot untouched.
            // SAFETY: the body's poll is over.
            Poll::Pending if unsafe { self.slot.peek(|c| matches!(c, Cell::Yielded(_))) } => {
                // SAFETY: as above.
                match unsafe { self.slot.replace(Cell::Suspended) } {
                    Cell::Yielded(y) => Hot::Yielded(y),
                    other => {
                        // Not reached (tested above); put back all the same.
                        // SAFETY: as above; `Suspended` has no payload.
                        unsafe { self.slot.write(other) };
                        Hot::Other
                    }
                }
            }
            Poll::Pending => Hot::Other,
            Poll::Ready(output) => Hot::Finished(output),
        }
    }

    /// [`resume_hot`](Self::resume_hot) answered as a call.
    ///
    /// # Safety
    /// As for [`resume_hot`](Self::resume_hot).
    #[inline(always)]
    unsafe fn resume_suspended(
        &mut self,
        cx: &mut Context<'_>,
        input: S,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        // SAFETY: the caller's contract.
        let hot = unsafe { self.resume_hot(cx, input) };
        self.answer(cx, hot)
    }

    /// What a hot path saw, answered as a call: a yield in place, anything
    /// else out of line.
    #[inline(always)]
    fn answer(
        &mut self,
        cx: &mut Context<'_>,
        hot: Hot<Y, Fut::Output>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        match hot {
            Hot::Yielded(y) => Poll::Ready(Ok(Some(y))),
            Hot::Other => self.finish_pending(cx),
            Hot::Finished(output) => self.after_ready(output),
        }
    }

    /// The body returned `Pending` without a plain yield: finishes the step
    /// from what it left in the slot.
    #[cold]
    #[inline(never)]
    pub(crate) fn finish_pending(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        // SAFETY: no body code runs.
        let state = unsafe { self.slot.replace(Cell::Running) };
        let step = self.after_pending(state);
        self.then_chain(cx, step)
    }

    /// A body step's answer, driving the chain if the body registered a
    /// delegation.
    fn then_chain(
        &mut self,
        cx: &mut Context<'_>,
        step: BodyStep<ReplyOf<Y, S, E, K, Fut>>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        match step {
            BodyStep::Done(poll) => poll,
            BodyStep::Delegated => self.poll_chain(cx, None),
        }
    }

    /// Runs `run` (user code: a poll of the body or a step of the chain)
    /// with `on_unwind` armed: it runs only if `run` panics, when nothing
    /// else uses the generator, and costs nothing otherwise.
    #[inline(always)]
    fn unwind_guarded<R>(
        &mut self,
        on_unwind: fn(&mut Self),
        run: impl FnOnce(&mut Self) -> R,
    ) -> R {
        let this: *mut Self = self;
        let guard = Defer(move || {
            // SAFETY: this runs only while unwinding out of `run`, whose
            // borrow of the generator has ended by then.
            on_unwind(unsafe { &mut *this })
        });
        // SAFETY: `this` came from `self` just now; `guard` does not use it
        // unless `run` unwinds.
        let result = run(unsafe { &mut *this });
        core::mem::forget(guard);
        result
    }

    /// The body future, pinned.
    ///
    /// # Safety
    /// The slot must say the future is live (not `Closed`), and `self` must
    /// be pinned (every caller comes through `Pin<&mut Self>`): the future
    /// is never moved, only dropped in place.
    #[inline(always)]
    unsafe fn body(&mut self) -> Pin<&mut Fut> {
        // SAFETY: the caller's contract.
        unsafe { Pin::new_unchecked(&mut **self.body.get_mut()) }
    }

    /// Polls the body future once, closing the generator if it panics.
    #[inline(always)]
    fn poll_fut(&mut self, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        self.unwind_guarded(Self::drop_body_after_panic, |this| {
            // SAFETY: every caller checked the future is live; pinned.
            unsafe { this.body() }.poll(cx)
        })
    }

    /// The body finished: returned or raised.
    #[cold]
    #[inline(never)]
    pub(crate) fn after_ready(&mut self, output: Fut::Output) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        self.drop_body();
        Poll::Ready(match output.into_result() {
            Ok(value) if self.step == StepKind::Close => {
                drop(value);
                Ok(None)
            }
            Ok(value) => Err(Error::StopAsyncIteration(Some(value))),
            Err(e) => Err(Self::raised(e)),
        })
    }

    /// The body returned `Pending` leaving `state` in the slot (the slot now
    /// holds a placeholder): a yield, an exception on its way out, a
    /// delegation, or a real wait.
    fn after_pending(&mut self, state: Cell<Y, S, E>) -> BodyStep<ReplyOf<Y, S, E, K, Fut>> {
        let park = |this: &mut Self, cell| {
            // SAFETY: no body code runs; the placeholder has no payload.
            unsafe { this.slot.write(cell) }
        };
        match state {
            Cell::Yielded(y) => {
                park(self, Cell::Suspended);
                BodyStep::Done(Poll::Ready(self.yielded(y)))
            }
            Cell::YieldedLoose(y) => {
                park(self, Cell::SuspendedLoose);
                BodyStep::Done(Poll::Ready(self.yielded(y)))
            }
            Cell::YieldedCatch(y) => {
                park(self, Cell::SuspendedCatch);
                BodyStep::Done(Poll::Ready(self.yielded(y)))
            }
            Cell::Delegating(top) | Cell::DelegatingHot(top) | Cell::DelegatingInFlight(top) => {
                park(self, Cell::DelegatingInFlight(top));
                BodyStep::Delegated
            }
            Cell::Raising(thrown) => {
                // The exception unwinds the body: its destructors run now.
                self.drop_body();
                BodyStep::Done(Poll::Ready(self.propagated(thrown)))
            }
            // A real wait inside the body. What was sent or thrown in and not
            // taken yet stays for the yield that will take it.
            other @ (Cell::SentOwned(_) | Cell::Thrown(_)) => {
                park(self, other);
                BodyStep::Done(Poll::Pending)
            }
            // `Running`; `Sent`, which the body took (its payload is the
            // body's, not dropped here); the life states are never written
            // by a body.
            _ => {
                park(self, Cell::Running);
                BodyStep::Done(Poll::Pending)
            }
        }
    }

    /// Polls the body for the step in flight (the slot is loaded).
    fn poll_body_step(&mut self, cx: &mut Context<'_>) -> BodyStep<ReplyOf<Y, S, E, K, Fut>> {
        match self.poll_fut(cx) {
            Poll::Pending => {
                // SAFETY: the body's poll is over.
                let state = unsafe { self.slot.replace(Cell::Running) };
                self.after_pending(state)
            }
            Poll::Ready(output) => BodyStep::Done(self.after_ready(output)),
        }
    }

    /// [`poll_body_step`](Self::poll_body_step), driving the chain if the
    /// body registered a delegation.
    fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        let step = self.poll_body_step(cx);
        self.then_chain(cx, step)
    }

    /// The first resumption: polls the body with the waker that hands it
    /// its handle (`handoff.rs`). Like [`resume_hot`](Self::resume_hot), it
    /// decides only "it yielded" and leaves the rest to the caller.
    ///
    /// # Safety
    /// The slot holds `Created`, and `self` is pinned.
    #[inline(always)]
    pub(crate) unsafe fn start_hot(&mut self, cx: &mut Context<'_>) -> Hot<Y, Fut::Output> {
        // The slot keeps saying `Created` during this poll: no body code
        // reads the life state (nothing has been published yet when it
        // could), and the hot outcome below replaces it (`after_pending`
        // makes any state that is not a transit state `Running`).
        // The guard drops the body in line: the start is never inlined into
        // a consumer's loop, and a call in its landing pad would keep the
        // unwinding exception in a register saved for every start.
        let poll = self.unwind_guarded(Self::drop_body, |this| {
            // SAFETY: `Created` means the future is live; pinned (caller).
            let fut = unsafe { Pin::new_unchecked(&mut **this.body.get_mut()) };
            handoff::poll_first(&this.slot, fut, cx)
        });
        self.hot_outcome(poll)
    }

    /// [`start_hot`](Self::start_hot) answered as a call.
    #[inline(never)]
    fn start(&mut self, cx: &mut Context<'_>) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        // SAFETY: only called for `Created`; pinned (every caller comes
        // through a pin).
        let hot = unsafe { self.start_hot(cx) };
        self.answer(cx, hot)
    }

    /// Drives the delegation chain for the step in flight (`chain.rs`): the
    /// root resumes the deepest active stepper directly (cached when it is
    /// not itself driven) and, when that delegation finishes, continues the
    /// level above, up to its own body.
    #[inline(never)]
    fn poll_chain(
        &mut self,
        cx: &mut Context<'_>,
        command: Option<Command<S, E>>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        self.unwind_guarded(Self::close_chain_after_panic, |this| {
            this.drive_chain(cx, command)
        })
    }

    /// [`poll_chain`](Self::poll_chain)'s loop.
    #[inline(always)]
    fn drive_chain(
        &mut self,
        cx: &mut Context<'_>,
        mut command: Option<Command<S, E>>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        // The body was just polled to pick up a finished delegation's outcome.
        let mut body_polled = false;
        loop {
            let Some(top) = self.registration() else {
                // Not parked in a delegation (any more): the body goes on.
                break self.poll_body(cx);
            };
            // Every stepper call below: `top` is our slot's registration, and
            // it and every one below it stay valid while our body is parked
            // in its delegation; they are re-read after every step that can
            // change them (chain.rs).
            let leaf = if self.driven {
                // SAFETY: see above.
                unsafe { top.deepest() }
            } else {
                // SAFETY: see above.
                let cache = unsafe { top.cache() };
                match cache.get() {
                    Some(leaf) => Some(leaf),
                    None => {
                        // SAFETY: see above.
                        let leaf = unsafe { top.deepest() };
                        cache.set(leaf);
                        leaf
                    }
                }
            };
            let Some(leaf) = leaf else {
                // Our own delegation finished: the body picks the outcome up.
                if body_polled {
                    // It did not (it polls its delegation by hand and waits
                    // elsewhere): a real wait, the outcome kept for later.
                    break Poll::Pending;
                }
                body_polled = true;
                match self.poll_body_step(cx) {
                    BodyStep::Done(poll) => break poll,
                    // Parked in a delegation again (a new one, or the same
                    // one not picked up): go round.
                    BodyStep::Delegated => {
                        command = None;
                        continue;
                    }
                }
            };
            body_polled = false;
            match self.step_leaf(cx, top, leaf, &mut command) {
                ChainNext::Pending => break Poll::Pending,
                ChainNext::Yielded(value) => break Poll::Ready(self.yielded(value)),
                ChainNext::Continue => {
                    command = Some(Command::Continue(Continue(self.step)));
                }
            }
        }
    }

    /// One step of `leaf`, the deepest active stepper below our
    /// registration `top`: the slot says the step is in flight while it
    /// runs, and [`settle`](Self::settle) does the chain's bookkeeping.
    #[inline(always)]
    fn step_leaf(
        &mut self,
        cx: &mut Context<'_>,
        top: StepperPtr<Y, S, E>,
        leaf: StepperPtr<Y, S, E>,
        command: &mut Option<Command<S, E>>,
    ) -> ChainNext<Y> {
        // SAFETY: no body code runs; a registration has no payload.
        unsafe { self.slot.write(Cell::DelegatingInFlight(top)) };
        // Every stepper call here: `top` is our slot's registration and
        // `leaf` the deepest active stepper below it, read off the chain or
        // its cache since it last changed; both stay valid while our body is
        // parked in its delegation (chain.rs).
        // SAFETY: see above.
        let step = unsafe { leaf.step(cx, command) };
        // SAFETY: see above; the slot says the step is in flight.
        unsafe { self.settle(top, leaf, step) }
    }

    /// The chain's bookkeeping after a step of `leaf`, the deepest active
    /// stepper below our registration `top`, for the general path
    /// ([`step_leaf`](Self::step_leaf)) and the hot one
    /// ([`after_chain_next`](Self::after_chain_next)) alike: a yield parks
    /// us in the delegation again (hot if we are the root with a cache); a
    /// yield that grew the chain extends the cache; a finished delegation
    /// drops it (the finished stepper is inactive and ends the next walk);
    /// a step that waits leaves the slot saying it is in flight. A driven
    /// generator keeps no cache.
    ///
    /// # Safety
    /// The slot holds `DelegatingInFlight(top)`; `top` and `leaf` are valid
    /// while our body is parked in its delegation (chain.rs). With a step
    /// that grew the chain, this runs user code (the new deepest inner's
    /// `state()`): the caller guards it.
    #[inline(always)]
    unsafe fn settle(
        &mut self,
        top: StepperPtr<Y, S, E>,
        leaf: StepperPtr<Y, S, E>,
        step: Poll<FastStep<Y>>,
    ) -> ChainNext<Y> {
        let value = match step {
            Poll::Pending => return ChainNext::Pending,
            Poll::Ready(FastStep::Done) => {
                if !self.driven {
                    // SAFETY: the caller's contract; `leaf`'s delegation
                    // finished.
                    unsafe { recache(top, leaf, false) };
                }
                return ChainNext::Continue;
            }
            Poll::Ready(FastStep::Yielded(value)) => value,
            Poll::Ready(FastStep::YieldedDeeper(value)) => {
                if !self.driven {
                    // SAFETY: the caller's contract; the step grew the chain
                    // below `leaf`.
                    unsafe { recache(top, leaf, true) };
                }
                value
            }
        };
        // SAFETY: the caller's contract.
        let parked = unsafe { self.parked_in(top) };
        // SAFETY: no body code runs; a registration has no payload.
        unsafe { self.slot.write(parked) };
        ChainNext::Yielded(value)
    }

    /// Starts a step for `command` (off the hot path).
    #[inline(never)]
    fn poll_command(
        &mut self,
        cx: &mut Context<'_>,
        command: Command<S, E>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        // SAFETY: no body code runs.
        let state = unsafe { self.slot.peek(Tag::of) };
        match state {
            Tag::Closed => Poll::Ready(match command {
                // CPython: athrow/aclose on a finished generator complete
                // with None.
                Command::Throw(_) | Command::Close => Ok(None),
                Command::Continue(_) => Err(Error::RuntimeError(RuntimeError::AwaitableReused)),
                _ => Err(Error::StopAsyncIteration(None)),
            }),
            Tag::Created => match command {
                Command::Next(_) | Command::Continue(_) => self.start(cx),
                // Stays Created; the value comes back.
                Command::Send(s) => {
                    Poll::Ready(Err(Error::TypeError(TypeError::SendBeforeStart(s))))
                }
                // The body never runs; the error comes straight back.
                Command::Throw(thrown) => {
                    self.drop_body();
                    Poll::Ready(Err(Self::uncaught(thrown)))
                }
                Command::Close => {
                    self.exit_requested = true;
                    self.drop_body();
                    Poll::Ready(Ok(None))
                }
            },
            Tag::Running => match command {
                // `anext` continues the step left in flight.
                Command::Next(_) => self.poll_continue(cx, None),
                Command::Continue(Continue(kind)) => {
                    self.step = kind;
                    self.poll_continue(cx, Some(command))
                }
                Command::Send(s) => Poll::Ready(already_running(Rejected::Send(s))),
                Command::Throw(t) => Poll::Ready(already_running(Rejected::throw(t))),
                Command::Close => Poll::Ready(already_running(Rejected::Close)),
            },
            Tag::Suspended | Tag::SuspendedLoose | Tag::SuspendedCatch | Tag::Delegating => {
                let kind = command.kind();
                if kind != StepKind::Next && command.is_call() && self.exit_requested {
                    return Poll::Ready(Err(Error::StopAsyncIteration(None)));
                }
                if kind == StepKind::Close {
                    self.exit_requested = true;
                }
                self.step = kind;
                match (state, command) {
                    (Tag::Delegating, command) => self.poll_chain(cx, Some(command)),
                    // SAFETY: `Suspended`; pinned (we came through a pin).
                    (Tag::Suspended, Command::Next(s) | Command::Send(s)) => unsafe {
                        self.resume_suspended(cx, s)
                    },
                    (Tag::Suspended | Tag::SuspendedLoose, Command::Throw(thrown)) => {
                        // A plain yield does not handle it: the body ends
                        // there, as by an uncaught exception.
                        self.drop_body();
                        Poll::Ready(Err(Self::uncaught(thrown)))
                    }
                    (Tag::Suspended | Tag::SuspendedLoose, Command::Close) => {
                        self.drop_body();
                        Poll::Ready(Ok(None))
                    }
                    (_, Command::Continue(_)) => {
                        // Only the chain sends these, to a generator in flight.
                        self.step = StepKind::Next;
                        Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused)))
                    }
                    (_, command) => {
                        let input = match command {
                            Command::Next(s) | Command::Send(s) => Cell::SentOwned(s),
                            Command::Throw(thrown) => Cell::Thrown(thrown),
                            _ => Cell::Thrown(Thrown::GeneratorExit),
                        };
                        // SAFETY: no body code runs; `SuspendedCatch` and
                        // `SuspendedLoose` have no payload.
                        unsafe { self.slot.write(input) };
                        self.poll_body(cx)
                    }
                }
            }
        }
    }

    /// Continues the step in flight.
    fn poll_continue(
        &mut self,
        cx: &mut Context<'_>,
        command: Option<Command<S, E>>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        if self.registration().is_some() {
            self.poll_chain(cx, command)
        } else {
            self.poll_body(cx)
        }
    }

    /// The generator's side of `poll_resume`, off the hot path.
    #[inline(never)]
    fn poll_resume_slow(
        &mut self,
        cx: &mut Context<'_>,
        command: &mut Option<Command<S, E>>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        match (command.take(), self.hot_chain()) {
            (Some(Command::Next(s) | Command::Send(s)), Some(chain)) => {
                match self.chain_next(cx, chain, s) {
                    Poll::Ready(FastStep::Yielded(y)) => Poll::Ready(Ok(Some(y))),
                    step => match self.after_chain_next(step) {
                        ChainNext::Yielded(y) => Poll::Ready(Ok(Some(y))),
                        ChainNext::Pending => Poll::Pending,
                        ChainNext::Continue => self.chain_continue(cx),
                    },
                }
            }
            (Some(command), _) => self.poll_command(cx, command),
            // SAFETY: no body code runs.
            (None, _) if unsafe { self.slot.peek(Tag::of) } == Tag::Running => {
                self.poll_continue(cx, None)
            }
            // A call future polled after its step ended.
            (None, _) => Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused))),
        }
    }

    /// What the slot says once a step through the chain (below our
    /// registration `top`) yielded: `DelegatingHot` if we are the chain's
    /// root, with its deepest stepper cached (the hot path then applies,
    /// through that stepper's hot entry, which declines to its general step
    /// if its inner has none), else `Delegating`.
    ///
    /// # Safety
    /// `top` is our slot's registration, our body parked in it (its
    /// stepper, and the cached one, valid: chain.rs).
    #[inline]
    unsafe fn parked_in(&self, top: StepperPtr<Y, S, E>) -> Cell<Y, S, E> {
        // SAFETY: the caller's contract.
        let leaf = unsafe { top.cache() }.get();
        if !self.driven && leaf.is_some() {
            Cell::DelegatingHot(top)
        } else {
            Cell::Delegating(top)
        }
    }

    /// A root parked in a delegation whose deepest stepper it has cached
    /// (`DelegatingHot`), and that stepper's hot entry:
    /// [`chain_next`](Self::chain_next) applies.
    #[inline(always)]
    pub(crate) fn hot_chain(&self) -> Option<HotChain<Y, S, E>> {
        let top = self.hot_registration()?;
        // Never `None` here (`Cell::DelegatingHot`); read as an option all
        // the same, so that nothing unsafe rests on the tag.
        // SAFETY: our registration is valid while our body is parked in it.
        let leaf = unsafe { top.cache() }.get()?;
        // SAFETY: the cached stepper is valid while cached (chain.rs).
        let hot = unsafe { leaf.hot() };
        Some((leaf, hot))
    }

    /// The chain's hot path: an `anext`/`asend` (or `Stream` poll) of a root
    /// parked in a delegation, with its deepest stepper cached, resumes that
    /// stepper's inner through its hot entry. Anything but a yield is
    /// finished by [`after_chain_next`](Self::after_chain_next) and, when a
    /// delegation finished, the general path
    /// ([`chain_continue`](Self::chain_continue)).
    ///
    /// `chain` is what [`hot_chain`](Self::hot_chain) answered just now.
    #[inline(always)]
    pub(crate) fn chain_next(
        &mut self,
        cx: &mut Context<'_>,
        (leaf, hot): HotChain<Y, S, E>,
        input: S,
    ) -> Poll<FastStep<Y>> {
        self.unwind_guarded(Self::close_chain_after_panic, |_| {
            // `leaf` is the deepest active stepper below our registration,
            // cached since the chain last changed; it stays valid while our
            // body is parked in its delegation (chain.rs). The slot still
            // holds the registration (`DelegatingHot`): no body code of ours
            // runs during the step. If it unwinds, every level is closed,
            // deepest first (the hot entry relies on it).
            // SAFETY: see above; the entry is `leaf`'s.
            unsafe { hot.step(cx, input, leaf) }
        })
    }

    /// [`chain_next`](Self::chain_next)'s step did not simply yield
    /// (`FastStep::Yielded` needs nothing more): the chain's bookkeeping, as
    /// in [`step_leaf`](Self::step_leaf). The chain is read again: nothing
    /// but this generator changes its registration or cache, and it did not
    /// during the step.
    #[cold]
    #[inline(never)]
    pub(crate) fn after_chain_next(&mut self, step: Poll<FastStep<Y>>) -> ChainNext<Y> {
        let top = self.hot_registration();
        let top = top.expect("the chain was read before the step");
        // SAFETY: our registration is valid while our body is parked in it.
        let leaf = unsafe { top.cache() }.get();
        let leaf = leaf.expect("the chain was read before the step");
        // SAFETY: no body code runs; a registration has no payload.
        unsafe { self.slot.write(Cell::DelegatingInFlight(top)) };
        // Extending the cache runs user code (the new deepest inner's
        // `state()`): guarded as `step_leaf` is inside `poll_chain`.
        self.unwind_guarded(Self::close_chain_after_panic, |this| {
            // SAFETY: the slot says the step is in flight; the registration
            // and every one below it stay valid while our body is parked in
            // its delegation (chain.rs).
            unsafe { this.settle(top, leaf, step) }
        })
    }

    /// After [`chain_next`](Self::chain_next) finished a delegation: the
    /// general path goes on with the step.
    #[cold]
    #[inline(never)]
    pub(crate) fn chain_continue(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ReplyOf<Y, S, E, K, Fut>> {
        self.poll_chain(cx, Some(Command::Continue(Continue(StepKind::Next))))
    }

    /// This generator's hot entry (`__hot`): one step of the inner of the
    /// stepper `call.leaf`, resumed by the chain's root with `input`. Parked
    /// at a plain yield, the step runs here and a yield is answered in place
    /// (the hot path, as in `poll_resume`); any other outcome is handed to
    /// the stepper to finish, and any other state takes the stepper's
    /// general step.
    ///
    /// Only `call` is kept across the poll of the body: the generator, the
    /// context and the stepper are read from it again after the poll (the
    /// compiler must, as the body could have written through any pointer it
    /// does not know about), so that the hot path saves one register.
    ///
    /// # Safety
    /// `call` is valid for reads during the call; `call.data` points to the
    /// body of this generator (as `__hot` made it, from a pointer to the
    /// whole generator), pinned, and nothing else uses it during the call;
    /// `call.leaf` is the registration of the stepper whose inner it is,
    /// valid and unused by anyone else during the call.
    unsafe fn hot_step(call: *mut HotCall<'_, '_, Y, S, E>, input: S) -> Poll<FastStep<Y>> {
        // SAFETY: the caller's contract.
        let this = unsafe { Self::of_call(call) };
        if !this.is_suspended() {
            // SAFETY: the caller's contract (that of every `HotFn`); `this`
            // is not used again.
            return unsafe { decline(call, input) };
        }
        // SAFETY: checked `Suspended`; the body is polled next.
        unsafe { this.send_in(input) };
        // Unguarded, unlike `poll_fut`: if the body panics, the root that
        // made this call closes every level of its chain, this one first
        // (`close_chain_after_panic`, around every hot step), which drops
        // this body as `poll_fut`'s guard would, and nothing here needs a
        // landing pad (which would keep a second register).
        // SAFETY: `Suspended` means the body is live; pinned (caller). The
        // context is the caller's, borrowed for the poll only.
        let poll = unsafe { this.body().poll(&mut *(*call).cx) };
        // SAFETY: as above; the first borrow is not used again.
        let this = unsafe { Self::of_call(call) };
        match this.hot_outcome(poll) {
            Hot::Yielded(value) => Poll::Ready(FastStep::Yielded(value)),
            // SAFETY: the caller's contract.
            hot => unsafe { this.hot_finish(call, hot) },
        }
    }

    /// The generator a [`HotCall`] is for.
    ///
    /// # Safety
    /// As for [`hot_step`](Self::hot_step); the reference must not outlive
    /// the call, nor be used once another is made.
    #[inline(always)]
    unsafe fn of_call<'x>(call: *mut HotCall<'_, '_, Y, S, E>) -> &'x mut Self {
        // SAFETY: the caller's contract: `data` is this generator's body
        // (`__hot`), derived from a pointer to the whole generator.
        unsafe {
            &mut *(*call)
                .data
                .cast::<u8>()
                .sub(Self::BODY_OFFSET)
                .cast::<Self>()
                .as_ptr()
        }
    }

    /// Where the body is in the generator: a hot entry's address.
    const BODY_OFFSET: usize = core::mem::offset_of!(Self, body);

    /// [`hot_step`](Self::hot_step)'s step ended otherwise than at a plain
    /// yield: answered as a call, and the reply handed to the stepper.
    ///
    /// # Safety
    /// As for [`hot_step`](Self::hot_step), `self` being its generator.
    #[cold]
    #[inline(never)]
    unsafe fn hot_finish(
        &mut self,
        call: *mut HotCall<'_, '_, Y, S, E>,
        hot: Hot<Y, Fut::Output>,
    ) -> Poll<FastStep<Y>> {
        // SAFETY: the caller's contract: `call` is valid.
        let (cx, leaf) = unsafe { (&mut *(*call).cx, (*call).leaf) };
        let mut reply = Some(self.answer(cx, hot));
        // SAFETY: the caller's contract; `reply` holds a reply of this
        // generator's types, which `leaf`'s inner has.
        unsafe { leaf.finish(NonNull::from(&mut reply).cast()) }
    }

    /// Parked at a plain yield: the hot path applies.
    #[inline(always)]
    pub(crate) fn is_suspended(&self) -> bool {
        // SAFETY: no body code runs (`&self` excludes a poll).
        unsafe { self.slot.peek(|c| matches!(c, Cell::Suspended)) }
    }

    /// Not started: [`start_hot`](Self::start_hot) applies.
    #[inline(always)]
    pub(crate) fn is_created(&self) -> bool {
        // SAFETY: no body code runs (`&self` excludes a poll).
        unsafe { self.slot.peek(|c| matches!(c, Cell::Created)) }
    }

    /// The `Stream` view's step off the hot path: the next reply, a step in
    /// flight continued as an `anext` (so that a yield is an item whatever
    /// call started the step).
    #[inline(never)]
    pub(crate) fn poll_item_slow(&mut self, cx: &mut Context<'_>) -> Poll<ReplyOf<Y, S, E, K, Fut>>
    where
        S: Default,
    {
        // SAFETY: no body code runs.
        let command = match unsafe { self.slot.peek(Tag::of) } {
            Tag::Closed => return Poll::Ready(Ok(None)),
            Tag::Running => Command::Continue(Continue(StepKind::Next)),
            _ => Command::Next(S::default()),
        };
        self.poll_command(cx, command)
    }
}

impl<Y, S, E, K, Fut> AsyncGen<Y, S, E, K, Fut> {
    /// Drops the body future in place; the generator is
    /// `Closed` afterwards, also if a destructor panics.
    fn drop_body(&mut self) {
        // SAFETY: no body code runs. `Running` has no payload and tells the
        // destructors that may still publish (a delegation future's) that no
        // registration of theirs is in the slot.
        let old = unsafe { self.slot.replace(Cell::Running) };
        let slot = &self.slot;
        // Whatever the body's destructors publish is dropped, and the tag
        // says Closed, however the drop below ends.
        let _closed = Defer(|| {
            // SAFETY: this runs once the body is gone (or while its drop
            // unwinds): no body code runs any more.
            drop(unsafe { slot.replace(Cell::Closed) })
        });
        match old {
            Cell::Closed => {}
            other => {
                // SAFETY: any tag but `Closed` means the future is live; it
                // is dropped in place (pinned), never used again.
                unsafe { ManuallyDrop::drop(self.body.get_mut()) };
                drop(other);
            }
        }
    }

    /// [`drop_body`](Self::drop_body) after the body's poll panicked. Out
    /// of line: in line, it would count against inlining the hot paths
    /// whose landing pad calls it into the consumer's loop.
    #[cold]
    #[inline(never)]
    fn drop_body_after_panic(&mut self) {
        self.drop_body();
    }

    /// The registration in the slot, if the body is parked in a chain
    /// delegation.
    fn registration(&self) -> Option<StepperPtr<Y, S, E>> {
        // SAFETY: no body code runs (`&self` excludes the `&mut` a poll needs).
        unsafe {
            self.slot.peek(|c| match c {
                Cell::Delegating(p) | Cell::DelegatingHot(p) | Cell::DelegatingInFlight(p) => {
                    Some(*p)
                }
                _ => None,
            })
        }
    }

    /// Our registration, if the slot says `DelegatingHot`.
    #[inline(always)]
    fn hot_registration(&self) -> Option<StepperPtr<Y, S, E>> {
        // SAFETY: no body code runs (`&self` excludes a poll).
        unsafe {
            self.slot.peek(|c| match c {
                Cell::DelegatingHot(top) => Some(*top),
                _ => None,
            })
        }
    }

    /// After a panic unwound out of a step of our chain: every level below
    /// closes, deepest first, then this one. (Out of line: it runs only
    /// while unwinding, and in line it would make the consumer's loop, where
    /// the chain's hot path is, too big to inline its other paths.)
    #[cold]
    #[inline(never)]
    fn close_chain_after_panic(&mut self) {
        if let Some(top) = self.registration() {
            // SAFETY: our registration is valid while our body exists.
            unsafe { top.close_after_panic() };
        }
        self.drop_body();
    }
}

/// A step through a root's registration `top` changed the chain below its
/// deepest stepper `leaf`: `grew`, the step left a deeper delegation, whose
/// deepest stepper becomes the root's cache; else `leaf`'s delegation
/// finished, and the cache is dropped (the root finds the level above on
/// its general path).
///
/// # Safety
/// `top` is the root's registration and `leaf` the deepest active stepper
/// below it, both valid while the root's body is parked in its delegation
/// (chain.rs); nothing else uses them during the call. With `grew`, this runs
/// user code (the new deepest inner's `state()`).
#[inline]
unsafe fn recache<Y, S, E>(top: StepperPtr<Y, S, E>, leaf: StepperPtr<Y, S, E>, grew: bool) {
    let deepest = if grew {
        // SAFETY: the caller's contract.
        unsafe { leaf.deepest() }
    } else {
        None
    };
    // SAFETY: as above.
    unsafe { top.cache() }.set(deepest);
}

/// The slot's tag, without its payload.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Created,
    Suspended,
    SuspendedLoose,
    SuspendedCatch,
    Delegating,
    Running,
    Closed,
}

impl Tag {
    fn of<Y, S, E>(cell: &Cell<Y, S, E>) -> Tag {
        match cell {
            Cell::Created => Tag::Created,
            Cell::Suspended => Tag::Suspended,
            Cell::SuspendedLoose => Tag::SuspendedLoose,
            Cell::SuspendedCatch => Tag::SuspendedCatch,
            Cell::Delegating(_) | Cell::DelegatingHot(_) => Tag::Delegating,
            Cell::Closed => Tag::Closed,
            // A step in flight; the transit states are only ever seen while
            // the body is polled.
            _ => Tag::Running,
        }
    }
}

impl<Y, S, E, K, Fut> Drop for AsyncGen<Y, S, E, K, Fut> {
    fn drop(&mut self) {
        // Closed first: nothing the body's destructors do can find it live.
        // SAFETY: no body code runs.
        let old = unsafe { self.slot.replace(Cell::Closed) };
        if !matches!(old, Cell::Closed) {
            // SAFETY: any tag but `Closed` means the future is live; it is
            // dropped in place (pinned) and never used again. The handle in
            // it points at the slot, which is dropped after it (a field).
            unsafe { ManuallyDrop::drop(self.body.get_mut()) };
        }
        // Whatever the body's destructors published is dropped with the slot.
        drop(old);
    }
}

fn already_running<T, R, E, S>(rejected: Rejected<S, E>) -> Result<T, Error<R, E, S>> {
    Err(Error::RuntimeError(RuntimeError::AlreadyRunning(rejected)))
}

impl<Y, S, E, K, Fut> AsyncGenerator for AsyncGen<Y, S, E, K, Fut>
where
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    type Yield = Y;
    type Send = S;
    type Return = <Fut::Output as BodyOutput<K>>::Return;
    type Error = E;

    #[inline]
    fn state(&self) -> GenState {
        // SAFETY: no body code runs (`&self` excludes a poll).
        unsafe {
            self.slot.peek(|c| match c {
                Cell::Created => GenState::Created,
                Cell::Suspended
                | Cell::SuspendedLoose
                | Cell::SuspendedCatch
                | Cell::Delegating(_)
                | Cell::DelegatingHot(_) => GenState::Suspended,
                Cell::Closed => GenState::Closed,
                _ => GenState::Running,
            })
        }
    }

    #[inline(always)]
    fn poll_resume(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<S, E>>,
    ) -> Poll<GenReply<Self>> {
        // SAFETY: nothing below moves the generator or its body.
        let this = unsafe { self.get_unchecked_mut() };
        if matches!(command, Some(Command::Next(_) | Command::Send(_))) && this.is_suspended() {
            if let Some(Command::Next(s) | Command::Send(s)) = command.take() {
                // SAFETY: checked `Suspended`; pinned.
                return unsafe { this.resume_suspended(cx, s) };
            }
        }
        this.poll_resume_slow(cx, command)
    }

    #[inline]
    fn __link(&self, _: Internal) -> Option<&dyn Link<Y, S, E>> {
        Some(self)
    }

    #[inline]
    fn __registration(&self, _: Internal) -> Option<StepperPtr<Y, S, E>> {
        self.registration()
    }

    #[inline]
    fn __link_mut(self: Pin<&mut Self>, _: Internal) -> Option<Pin<&mut dyn Link<Y, S, E>>> {
        Some(self)
    }

    #[inline]
    fn __hot(self: Pin<&mut Self>, _: Internal) -> Option<HotEntry<Y, S, E, Self::Return>> {
        // SAFETY: only the address is taken; nothing is moved out of the
        // pin, and the entry's users keep the generator where it is.
        let this = NonNull::from(unsafe { self.get_unchecked_mut() });
        // The entry's address is the body's, so that the hot step hands it
        // to the body's poll as it is; the generator is found again by
        // subtracting the offset (`of_call`). Computed from the pointer to
        // the whole generator, whose provenance the subtraction needs.
        // SAFETY: the body is a field of the generator `this` points to.
        let data = unsafe { this.cast::<u8>().add(Self::BODY_OFFSET) }.cast();
        // SAFETY: `hot_step` is made for this type with `data` at its body,
        // and hands `finish` replies of this generator's types.
        Some(unsafe { HotEntry::new(data, Self::hot_step) })
    }
}

impl<Y, S, E, K, Fut> Link<Y, S, E> for AsyncGen<Y, S, E, K, Fut> {
    fn registration(&self) -> Option<StepperPtr<Y, S, E>> {
        AsyncGen::registration(self)
    }

    fn set_driven(self: Pin<&mut Self>, driven: bool) {
        // SAFETY: plain fields; nothing is moved.
        let this = unsafe { self.get_unchecked_mut() };
        this.driven = driven;
        let Some(top) = this.registration() else {
            return;
        };
        // Whatever this generator cached is stale or about to be.
        // SAFETY: our registration and those below it are valid while our
        // body is parked in its delegation.
        unsafe { top.cache() }.set(None);
        if driven {
            if this.hot_registration().is_some() {
                // No cache any more: not hot.
                // SAFETY: no body code runs; a registration has no payload.
                unsafe { this.slot.write(Cell::Delegating(top)) };
            }
        } else {
            // Driven, its tag was not kept up to date: read it off the chain.
            // SAFETY: as above.
            let cell = match unsafe { top.chain_state() } {
                GenState::Suspended => Cell::Delegating(top),
                _ => Cell::DelegatingInFlight(top),
            };
            // SAFETY: no body code runs; a registration has no payload.
            unsafe { this.slot.write(cell) };
        }
    }

    fn close_after_panic(self: Pin<&mut Self>) {
        // SAFETY: nothing is moved; the body is dropped in place.
        unsafe { self.get_unchecked_mut() }.drop_body();
    }
}

impl<Y, S, E, K, Fut> GeneratorOutput for AsyncGen<Y, S, E, K, Fut>
where
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    type Output = Fut::Output;
    #[inline]
    fn output(result: Result<Self::Return, E>) -> Self::Output {
        <Fut::Output as BodyOutput<K>>::from_result(result)
    }
}
