//! The protocol trait, `AsyncGenerator`, and the awaitables its calls
//! return.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::chain::{Link, StepperPtr};
use crate::error::{Error, RuntimeError, Thrown};
use crate::state::GenState;
use crate::step::{Command, Internal, Reply};

/// The chain's view of a generator, pinned (see `AsyncGenerator::__link_mut`).
pub(crate) type PinnedLink<'a, Y, S, E> = Pin<&'a mut dyn Link<Y, S, E>>;

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
/// use agen::{async_generator, yield_, AsyncGenerator, Error};
///
/// #[async_generator(yield = u32, send = u32)]
/// async fn doubler() {
///     let mut n = yield_!(0);
///     loop {
///         n = yield_!(n * 2);
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let mut g = std::pin::pin!(doubler());
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

    /// The runtime's view of this generator for the delegation chain. Only
    /// the runtime's own generators answer; the token keeps other crates
    /// from implementing or calling it.
    #[doc(hidden)]
    #[inline]
    fn __link(&self, _: Internal) -> Option<&dyn Link<Self::Yield, Self::Send, Self::Error>> {
        None
    }

    /// The registration of this generator's chain delegation, if its body
    /// is parked in one (what [`__link`](Self::__link)`.registration()`
    /// answers, in one call).
    #[doc(hidden)]
    #[inline]
    fn __registration(
        &self,
        _: Internal,
    ) -> Option<StepperPtr<Self::Yield, Self::Send, Self::Error>> {
        None
    }

    /// [`__link`](Self::__link), pinned and mutable.
    #[doc(hidden)]
    #[inline]
    fn __link_mut(
        self: Pin<&mut Self>,
        _: Internal,
    ) -> Option<PinnedLink<'_, Self::Yield, Self::Send, Self::Error>> {
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
    ///
    /// `error` is the body's error type, or any [`Thrown`]: Python can throw
    /// `GeneratorExit` too (`athrow(Thrown::GeneratorExit)`). Unlike
    /// [`aclose`](Self::aclose), a body that catches it and yields answers
    /// with the item, and if it re-raises it the call fails with
    /// [`Error::GeneratorExit`]; a delegating body closes its inner first.
    fn athrow(self: Pin<&mut Self>, error: impl Throwable<Self::Error>) -> AThrow<'_, Self>
    where
        Self: Sized,
    {
        let mut this = self;
        this.as_mut().on_call(false);
        AThrow(Call::new(this, Command::Throw(error.into_thrown())))
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

/// What [`athrow`](AsyncGenerator::athrow) takes: the generator's error type
/// `E`, or a [`Thrown<E>`] (to throw `GeneratorExit`). Sealed.
#[diagnostic::on_unimplemented(
    message = "`athrow` takes the generator's error type `{E}` or a `Thrown<{E}>`, not `{Self}`",
    label = "not a `{E}`",
    note = "convert it into `{E}` first, or throw `Thrown::GeneratorExit`"
)]
pub trait Throwable<E>: sealed::Sealed<E> {
    /// The exception this value raises in the body.
    fn into_thrown(self) -> Thrown<E>;
}

mod sealed {
    pub trait Sealed<E> {}
    impl<E> Sealed<E> for E {}
    impl<E> Sealed<E> for super::Thrown<E> {}
}

impl<E> Throwable<E> for E {
    fn into_thrown(self) -> Thrown<E> {
        Thrown::Error(self)
    }
}

impl<E> Throwable<E> for Thrown<E> {
    fn into_thrown(self) -> Thrown<E> {
        self
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
    /// `None` once the call completed (the borrow is not used again).
    generator: Option<Pin<&'a mut G>>,
    command: Option<Command<G::Send, G::Error>>,
}

impl<'a, G: AsyncGenerator + ?Sized> Call<'a, G> {
    fn new(generator: Pin<&'a mut G>, command: Command<G::Send, G::Error>) -> Self {
        Call {
            generator: Some(generator),
            command: Some(command),
        }
    }

    #[inline]
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<GenReply<G>> {
        let Some(generator) = self.generator.as_mut() else {
            return Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused)));
        };
        let reply = core::task::ready!(generator.as_mut().poll_resume(cx, &mut self.command));
        self.generator = None;
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

macro_rules! forward_through_pin {
    ($(#[$doc:meta])* [$($cfg:meta)?] $ptr:ty) => {
        $(#[$doc])*
        $(#[cfg($cfg)])?
        impl<G: AsyncGenerator + ?Sized> AsyncGenerator for Pin<$ptr> {
            type Yield = G::Yield;
            type Send = G::Send;
            type Return = G::Return;
            type Error = G::Error;

            #[inline]
            fn state(&self) -> GenState {
                G::state(self)
            }

            #[inline]
            fn on_call(self: Pin<&mut Self>, closing: bool) {
                G::on_call(self.get_mut().as_mut(), closing)
            }

            #[inline]
            fn __link(&self, token: Internal) -> Option<&dyn Link<G::Yield, G::Send, G::Error>> {
                G::__link(self, token)
            }

            #[inline]
            fn __registration(&self, token: Internal) -> Option<StepperPtr<G::Yield, G::Send, G::Error>> {
                G::__registration(self, token)
            }

            #[inline]
            fn __link_mut(
                self: Pin<&mut Self>,
                token: Internal,
            ) -> Option<PinnedLink<'_, G::Yield, G::Send, G::Error>> {
                G::__link_mut(self.get_mut().as_mut(), token)
            }

            #[inline]
            fn poll_resume(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                command: &mut Option<Command<G::Send, G::Error>>,
            ) -> Poll<GenReply<Self>> {
                G::poll_resume(self.get_mut().as_mut(), cx, command)
            }
        }

        $(#[cfg($cfg)])?
        impl<G: GeneratorOutput + ?Sized> GeneratorOutput for Pin<$ptr> {
            type Output = G::Output;
            #[inline]
            fn output(result: Result<G::Return, G::Error>) -> G::Output {
                G::output(result)
            }
        }
    };
}

// Only the pointers whose `Deref` and `DerefMut` are the standard library's:
// the delegation chain follows them, so they must reach one object, always.
forward_through_pin!(
    /// A pinned reference to a generator is a generator: delegate to one
    /// you keep (`yield_from_!(g.as_mut())`), or drive it through the
    /// reference.
    [] &mut G
);
forward_through_pin!(
    /// `Pin<Box<G>>` is a generator, also for `G = dyn AsyncGenerator<..>`:
    /// box a generator as a trait object this way.
    [feature = "alloc"] alloc::boxed::Box<G>
);

/// A generator that knows its body's written return type: what delegating
/// to it evaluates to. Every `#[async_generator]` fn returns one.
pub trait GeneratorOutput: AsyncGenerator {
    /// The body's written return type (`()`, `T`, or `Result<T, E>`).
    type Output;
    /// Reassembles the output from the generator's return value or error.
    fn output(result: Result<Self::Return, Self::Error>) -> Self::Output;
}
