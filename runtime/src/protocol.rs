//! The protocol trait, `AsyncGenerator`: the state, the one primitive every
//! call is built on, and the forwarding impls for pinned pointers.

use core::pin::Pin;
use core::task::{Context, Poll};

use crate::chain::{HotEntry, Link, StepperPtr};
use crate::error::Error;
use crate::state::GenState;
use crate::step::{Command, Internal, Reply};

/// The chain's view of a generator, pinned (see `AsyncGenerator::__link_mut`).
pub(crate) type PinnedLink<'a, Y, S, E> = Pin<&'a mut dyn Link<Y, S, E>>;

/// The hot entry of generator `G` (see `AsyncGenerator::__hot`).
pub(crate) type GenHot<G> = HotEntry<
    <G as AsyncGenerator>::Yield,
    <G as AsyncGenerator>::Send,
    <G as AsyncGenerator>::Error,
    <G as AsyncGenerator>::Return,
>;

/// The [`Error`] type of generator `G`.
pub type GenError<G> =
    Error<<G as AsyncGenerator>::Return, <G as AsyncGenerator>::Error, <G as AsyncGenerator>::Send>;

/// Python's async generator protocol: `anext`, `asend`, `athrow`, `aclose`
/// and `state`, with PEP 525 semantics.
///
/// Every `#[async_generator]` function returns an implementation. Name it in
/// bounds (`impl AsyncGenerator<Yield = u32>`), or box it as `Pin<Box<dyn
/// AsyncGenerator<..>>>`, which is itself an `AsyncGenerator` (and `Unpin`).
/// The calls (`anext`, `asend`, `athrow`, `aclose`, `try_anext`,
/// `try_asend`) are in [`AsyncGeneratorExt`](crate::AsyncGeneratorExt),
/// implemented for every generator, trait objects included.
///
/// It can be implemented by hand, as `Stream` is: `poll_resume` runs a
/// [`Command`] and answers a [`GenReply`]. A hand-written generator behaves
/// like any other under `yield_from_!` (which then forwards each call to it).
///
/// ```
/// use agen::{async_generator, yield_, AsyncGenerator, AsyncGeneratorExt, Error};
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
    /// Low level: prefer [`anext`](crate::AsyncGeneratorExt::anext) and friends.
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

    /// The hot entry the delegation chain resumes this generator through,
    /// when it is the inner of a registered delegation (only the runtime's
    /// own generators have one).
    #[doc(hidden)]
    #[inline]
    fn __hot(self: Pin<&mut Self>, _: Internal) -> Option<GenHot<Self>> {
        None
    }
}

/// The [`Reply`] type of generator `G`.
pub type GenReply<G> = Reply<
    <G as AsyncGenerator>::Yield,
    <G as AsyncGenerator>::Return,
    <G as AsyncGenerator>::Error,
    <G as AsyncGenerator>::Send,
>;

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
            fn __hot(
                self: Pin<&mut Self>,
                token: Internal,
            ) -> Option<GenHot<Self>> {
                G::__hot(self.get_mut().as_mut(), token)
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
