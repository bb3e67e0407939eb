//! Boxed generators: type erasure for recursion and for storing generators of
//! different bodies behind one type.

use alloc::boxed::Box;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::chain::{HotEntry, Link, StepperPtr};
use crate::output::{BodyOutput, Fallible, Value};
use crate::protocol::{AsyncGenerator, GeneratorOutput};
use crate::state::GenState;
use crate::step::{Command, Internal, Reply};
use crate::stream::poll_next_item;

/// A body output type a boxed generator can name: `()` or `Result<T, E>`.
///
/// (A boxed generator must name its output without the macro's help, and
/// Rust cannot tell "any `T`" from `Result<T, E>` without specialization;
/// box a `T`-returning generator as `Result<T, Infallible>` by writing its
/// body that way.)
pub trait BoxOutput: BodyOutput<Self::Kind> {
    /// [`Value`] or [`Fallible`].
    type Kind;
}

impl BoxOutput for () {
    type Kind = Value;
}

impl<T, E> BoxOutput for Result<T, E> {
    type Kind = Fallible;
}

type Dyn<'a, Y, S, O> = dyn AsyncGenerator<
        Yield = Y,
        Send = S,
        Return = <O as BodyOutput<<O as BoxOutput>::Kind>>::Return,
        Error = <O as BodyOutput<<O as BoxOutput>::Kind>>::Error,
    > + Send
    + 'a;

type LocalDyn<'a, Y, S, O> = dyn AsyncGenerator<
        Yield = Y,
        Send = S,
        Return = <O as BodyOutput<<O as BoxOutput>::Kind>>::Return,
        Error = <O as BodyOutput<<O as BoxOutput>::Kind>>::Error,
    > + 'a;

macro_rules! boxed_generator {
    ($(#[$doc:meta])* $name:ident, $dyn:ident, $($send:tt)*) => {
        $(#[$doc])*
        pub struct $name<'a, Y, S = (), O = ()>
        where
            O: BoxOutput,
        {
            inner: Pin<Box<$dyn<'a, Y, S, O>>>,
        }

        impl<'a, Y, S, O: BoxOutput> $name<'a, Y, S, O> {
            /// Boxes `generator`.
            pub fn new<G>(generator: G) -> Self
            where
                G: AsyncGenerator<Yield = Y, Send = S, Return = O::Return, Error = O::Error> $($send)* + 'a,
            {
                $name { inner: Box::pin(generator) }
            }
        }

        impl<Y, S, O: BoxOutput> AsyncGenerator for $name<'_, Y, S, O> {
            type Yield = Y;
            type Send = S;
            type Return = O::Return;
            type Error = O::Error;

            #[inline]
            fn state(&self) -> GenState {
                self.inner.state()
            }

            #[inline]
            fn on_call(self: Pin<&mut Self>, closing: bool) {
                self.get_mut().inner.as_mut().on_call(closing)
            }

            #[inline]
            fn __link(&self, token: Internal) -> Option<&dyn Link<Y, S, O::Error>> {
                self.inner.__link(token)
            }

            #[inline]
            fn __registration(&self, token: Internal) -> Option<StepperPtr<Y, S, O::Error>> {
                self.inner.__registration(token)
            }

            #[inline]
            fn __link_mut(self: Pin<&mut Self>, token: Internal) -> Option<Pin<&mut dyn Link<Y, S, O::Error>>> {
                self.get_mut().inner.as_mut().__link_mut(token)
            }

            #[inline]
            fn __hot(self: Pin<&mut Self>, token: Internal) -> Option<HotEntry<Y, S, O::Error, O::Return>> {
                self.get_mut().inner.as_mut().__hot(token)
            }

            #[inline]
            fn poll_resume(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                command: &mut Option<Command<S, O::Error>>,
            ) -> Poll<Reply<Y, O::Return, O::Error, S>> {
                self.get_mut().inner.as_mut().poll_resume(cx, command)
            }
        }

        impl<Y, S, O: BoxOutput> GeneratorOutput for $name<'_, Y, S, O> {
            type Output = O;
            #[inline]
            fn output(result: Result<O::Return, O::Error>) -> O {
                O::from_result(result)
            }
        }

        impl<Y, S: Default, O: BoxOutput> Stream for $name<'_, Y, S, O> {
            type Item = O::Item<Y>;
            #[inline]
            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                poll_next_item::<Self, O, O::Kind>(self, cx)
            }
        }

        impl<Y, S: Default, O: BoxOutput> FusedStream for $name<'_, Y, S, O> {
            fn is_terminated(&self) -> bool {
                self.inner.state() == GenState::Closed
            }
        }
    };
}

boxed_generator!(
    /// A boxed, `Send` generator yielding `Y`, taking `S`, whose body returns
    /// `O` (`()` or `Result<T, E>`). It is `Unpin`, an [`AsyncGenerator`], a
    /// `Stream`, and what `yield_from_!` of it evaluates to is `O`.
    ///
    /// Recursion needs it, as any recursive async fn needs a box (the `agen`
    /// crate's docs show a recursive tree walk with `yield_from_!`):
    ///
    /// ```
    /// use agen::{async_gen, yield_, AsyncGenerator, AsyncGeneratorExt, BoxAsyncGenerator};
///
/// let g = async_gen!(yield = u8 => { yield_!(1); });
/// let mut boxed: BoxAsyncGenerator<'_, u8> = BoxAsyncGenerator::new(g);
/// futures::executor::block_on(async {
///     assert_eq!(std::pin::Pin::new(&mut boxed).anext().await, Ok(1));
/// });
/// ```
    BoxAsyncGenerator, Dyn, + Send
);

boxed_generator!(
    /// [`BoxAsyncGenerator`] without the `Send` bound, for bodies that hold
    /// `Rc`s and the like.
    LocalBoxAsyncGenerator, LocalDyn,
);
