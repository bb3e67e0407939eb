//! The `AsyncGenerator` trait and the awaitables its calls return.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::error::{Error, RuntimeError};
use crate::state::GenState;

/// What a call asks of the generator.
#[derive(Debug)]
pub enum Command<S, E> {
    /// `anext()`: resume with `S::default()`, or continue a step in flight.
    Next(S),
    /// `asend(value)`.
    Send(S),
    /// `athrow(error)`.
    Throw(E),
    /// `aclose()`.
    Close,
    /// The delegation this generator was awaiting finished under the fast
    /// path: resume the body (no input) for a step of this kind. Only ever
    /// sent by the runtime to a generator it drives as a delegate.
    #[doc(hidden)]
    Continue(crate::fast::StepKind),
}

/// The answer to one call: `Ok(Some(y))` yielded, `Ok(None)` completed with
/// no value (`aclose`, or `athrow` on a finished generator), or an error.
pub type Reply<Y, R, E, S> = Result<Option<Y>, Error<R, E, S>>;

/// The [`Error`] type of generator `G`.
pub type GenError<G> =
    Error<<G as AsyncGenerator>::Return, <G as AsyncGenerator>::Error, <G as AsyncGenerator>::Send>;

/// Python's async generator protocol: `anext`, `asend`, `athrow`, `aclose`
/// and `state`, with PEP 525 semantics.
///
/// Every `#[async_generator]` function returns an implementation. Name it in
/// bounds (`impl AsyncGenerator<Yield = u32>`), or box it as `Pin<Box<dyn
/// AsyncGenerator<..>>>`, which is itself an `AsyncGenerator` (and `Unpin`).
/// The call methods need `Self: Sized` (they return awaitables that name
/// `Self`); on a trait object use [`poll_resume`](Self::poll_resume) or go
/// through the `Pin<Box<dyn ..>>`.
///
/// Each call borrows the generator mutably for as long as its awaitable
/// lives, so there is at most one call in flight per generator: a second
/// concurrent call is a compile error, not a run-time `RuntimeError`.
///
/// ```
/// use agen_runtime::{AsyncGen, AsyncGenerator, Co, Error, Value};
///
/// // What `#[async_generator(yield = u32, send = u32)]` expands to.
/// let doubler = AsyncGen::<u32, u32, _, Value, _, _>::new(|mut co: Co<u32, u32, _>| async move {
///     let mut y = co.yielder();
///     let mut n = y.yield_(0).await;
///     loop {
///         n = y.yield_(n * 2).await;
///     }
/// });
///
/// # futures::executor::block_on(async {
/// let mut g = std::pin::pin!(doubler);
/// assert_eq!(g.as_mut().anext().await, Ok(0));
/// assert_eq!(g.as_mut().asend(21).await, Ok(42));
/// assert_eq!(g.as_mut().aclose().await, Ok(()));
/// assert!(matches!(g.as_mut().anext().await, Err(Error::StopAsyncIteration(None))));
/// # });
/// ```
pub trait AsyncGenerator {
    /// What the body yields.
    type Yield;
    /// What `asend` sends in (`yield_!` evaluates to it).
    type Send;
    /// What the body returns when it finishes.
    type Return;
    /// What the body raises and `athrow` injects.
    type Error;

    /// The life state, as `inspect.getasyncgenstate` reports it.
    fn state(&self) -> GenState;

    /// The one primitive every call is built on: run `command` (taken on the
    /// first poll), or continue the step in flight when `command` is `None`.
    ///
    /// Low level: prefer [`anext`](Self::anext) and friends.
    fn poll_resume(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<Self::Send, Self::Error>>,
    ) -> Poll<GenReply<Self>>;

    /// Called when a call's awaitable is created, before it is first polled
    /// (`closing` for `aclose`). A [`Finalizable`](crate::Finalizable) binds
    /// the finalization hooks here, as CPython does at the first call; the
    /// default does nothing.
    #[inline]
    fn on_call(self: Pin<&mut Self>, closing: bool) {
        let _ = closing;
    }

    /// Marks this generator as the inner of a fast-path delegation: it must
    /// not cache its own delegation chain, because the root drives it.
    #[doc(hidden)]
    #[inline]
    fn mark_delegated(self: Pin<&mut Self>) {}

    /// The delegation registered in this generator's slot, if any.
    #[doc(hidden)]
    #[inline]
    fn fast_delegate(
        &self,
    ) -> Option<crate::fast::StepperPtr<Self::Yield, Self::Send, Self::Error>> {
        None
    }

    /// Python's `__anext__()`: resumes with `Send::default()` and resolves to
    /// the next yielded value. If a step is in flight (its awaitable was
    /// dropped), continues it.
    fn anext(self: Pin<&mut Self>) -> Next<'_, Self>
    where
        Self: Sized,
        Self::Send: Default,
    {
        let mut this = self;
        this.as_mut().on_call(false);
        Next(Call::new(this, Command::Next(Default::default())))
    }

    /// Python's `asend(value)`: resumes the body with `value` (the result of
    /// its `yield_!`). Before the first `anext` it is the `TypeError` kind,
    /// and the generator stays `Created`.
    fn asend(self: Pin<&mut Self>, value: Self::Send) -> ASend<'_, Self>
    where
        Self: Sized,
    {
        let mut this = self;
        this.as_mut().on_call(false);
        ASend(Call::new(this, Command::Send(value)))
    }

    /// Python's `athrow(error)`: raises `error` in the body at its yield.
    /// Resolves to `Ok(Some(y))` if the body catches it and yields,
    /// `Ok(None)` on a finished generator, or an error.
    fn athrow(self: Pin<&mut Self>, error: Self::Error) -> AThrow<'_, Self>
    where
        Self: Sized,
    {
        let mut this = self;
        this.as_mut().on_call(false);
        AThrow(Call::new(this, Command::Throw(error)))
    }

    /// Python's `aclose()`: raises `GeneratorExit` in the body at its yield
    /// and waits for the body to finish (running its async cleanup if it
    /// catches the exit). `Ok(())` also on a finished or unstarted generator.
    fn aclose(self: Pin<&mut Self>) -> AClose<'_, Self>
    where
        Self: Sized,
    {
        let mut this = self;
        this.as_mut().on_call(true);
        AClose(Call::new(this, Command::Close))
    }
}

/// The [`Reply`] type of generator `G`.
pub type GenReply<G> = Reply<
    <G as AsyncGenerator>::Yield,
    <G as AsyncGenerator>::Return,
    <G as AsyncGenerator>::Error,
    <G as AsyncGenerator>::Send,
>;

/// One call in flight: the command until the first poll, then a borrow of the
/// step. Polling again after completion is `RuntimeError::AwaitableReused`.
struct Call<'a, G: AsyncGenerator + ?Sized> {
    generator: Pin<&'a mut G>,
    command: Option<Command<G::Send, G::Error>>,
    done: bool,
}

impl<'a, G: AsyncGenerator + ?Sized> Call<'a, G> {
    fn new(generator: Pin<&'a mut G>, command: Command<G::Send, G::Error>) -> Self {
        Call {
            generator,
            command: Some(command),
            done: false,
        }
    }

    #[inline]
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<GenReply<G>> {
        if self.done {
            return Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused)));
        }
        let reply = core::task::ready!(self.generator.as_mut().poll_resume(cx, &mut self.command));
        self.done = true;
        Poll::Ready(reply)
    }
}

macro_rules! call_future {
    ($(#[$doc:meta])* $name:ident, $output:ty, |$reply:ident| $map:expr) => {
        $(#[$doc])*
        #[must_use = "futures do nothing unless you `.await` or poll them"]
        pub struct $name<'a, G: AsyncGenerator + ?Sized>(Call<'a, G>);

        impl<G: AsyncGenerator + ?Sized> Unpin for $name<'_, G> {}

        impl<G: AsyncGenerator + ?Sized> Future for $name<'_, G> {
            type Output = $output;
            #[inline]
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                let $reply = core::task::ready!(self.get_mut().0.poll(cx));
                Poll::Ready($map)
            }
        }
    };
}

call_future!(
    /// Awaitable of [`AsyncGenerator::anext`].
    Next, Result<G::Yield, GenError<G>>,
    |reply| match reply {
        Ok(Some(y)) => Ok(y),
        // Only when continuing an abandoned athrow/aclose step that ended
        // without a value: the generator is finished.
        Ok(None) => Err(Error::StopAsyncIteration(None)),
        Err(e) => Err(e),
    }
);
call_future!(
    /// Awaitable of [`AsyncGenerator::asend`].
    ASend, Result<G::Yield, GenError<G>>,
    |reply| match reply {
        Ok(Some(y)) => Ok(y),
        Ok(None) => Err(Error::StopAsyncIteration(None)),
        Err(e) => Err(e),
    }
);
call_future!(
    /// Awaitable of [`AsyncGenerator::athrow`]: `Ok(Some(y))` if the body
    /// caught the error and yielded, `Ok(None)` on a finished generator.
    AThrow, Result<Option<G::Yield>, GenError<G>>,
    |reply| reply
);
call_future!(
    /// Awaitable of [`AsyncGenerator::aclose`].
    AClose, Result<(), GenError<G>>,
    |reply| reply.map(|_| ())
);

/// A pinned pointer to a generator is a generator: `Pin<Box<dyn
/// AsyncGenerator<..>>>` is how a generator is boxed as a trait object
/// (call it through `Pin::new(&mut boxed).anext()`, or pin it again).
impl<P> AsyncGenerator for Pin<P>
where
    P: core::ops::DerefMut + Unpin,
    P::Target: AsyncGenerator,
{
    type Yield = <P::Target as AsyncGenerator>::Yield;
    type Send = <P::Target as AsyncGenerator>::Send;
    type Return = <P::Target as AsyncGenerator>::Return;
    type Error = <P::Target as AsyncGenerator>::Error;

    fn state(&self) -> GenState {
        (**self).state()
    }

    fn on_call(self: Pin<&mut Self>, closing: bool) {
        self.get_mut().as_mut().on_call(closing)
    }

    fn mark_delegated(self: Pin<&mut Self>) {
        self.get_mut().as_mut().mark_delegated()
    }

    fn fast_delegate(
        &self,
    ) -> Option<crate::fast::StepperPtr<Self::Yield, Self::Send, Self::Error>> {
        (**self).fast_delegate()
    }

    fn poll_resume(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<Self::Send, Self::Error>>,
    ) -> Poll<GenReply<Self>> {
        self.get_mut().as_mut().poll_resume(cx, command)
    }
}
