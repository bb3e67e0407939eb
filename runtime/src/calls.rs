//! The calls: `anext`, `asend`, `athrow`, `aclose` (Python's names and
//! semantics) and `try_anext`, `try_asend` (Rust's shape), as an extension
//! trait implemented for every generator, sized or not, and the awaitables
//! they return. The awaitables' types are private: the trait's methods return
//! them as `impl Future`, so that they can change without a breaking release,
//! and callers still see their auto traits (`Send`, `Sync`) through the opaque
//! type.

use core::future::Future;

use core::pin::Pin;
use core::task::{Context, Poll};
use futures_core::{FusedStream, Stream};

use crate::error::{Error, RuntimeError, Thrown};
use crate::protocol::{AsyncGenerator, GenError, GenReply};
use crate::step::Command;

/// The calls on a generator, for every [`AsyncGenerator`] (trait objects
/// included: `boxed.as_mut().anext()` on a `Pin<Box<dyn AsyncGenerator<..>>>`).
/// Import it with the trait, as you import `StreamExt` with `Stream`.
///
/// Each call borrows the generator mutably for as long as its awaitable
/// lives, so there is at most one call in flight per generator: a second
/// concurrent call is a compile error, not a run-time `RuntimeError`.
///
/// The awaitables are `impl Future` (and [`replies`](Self::replies) an
/// `impl FusedStream`), all `Unpin`: store one in a generic parameter or behind
/// `Box<dyn Future>` rather than by name. They are `Send` and `Sync` when
/// the generator and the values they carry in are. In generic code, bound
/// the generator by [`AsyncGenerator`] (`G: AsyncGenerator + Send`), not by
/// this trait: the compiler sees through the blanket implementation to the
/// futures' auto traits, but not through a `G: AsyncGeneratorExt` bound.
///
/// Python's four calls report the end of iteration as an error
/// ([`Error::StopAsyncIteration`]), as Python raises it; `try_anext` and
/// `try_asend` have Rust's shape instead: `Ok(Some(item))`, `Ok(None)` at the
/// end, `Err` for a real error, so that `?` propagates only real errors:
///
/// ```
/// use agen::{async_generator, yield_, AsyncGenerator, AsyncGeneratorExt};
///
/// #[async_generator(yield = u32, send = u32)]
/// async fn running_total() -> Result<(), std::io::Error> {
///     let mut total = 0;
///     loop {
///         total += yield_!(total);
///     }
/// }
///
/// async fn sum(items: &[u32]) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
///     let mut g = std::pin::pin!(running_total());
///     g.as_mut().try_anext().await?; // start it
///     let mut last = 0;
///     for &item in items {
///         if let Some(total) = g.as_mut().try_asend(item).await? {
///             last = total;
///         }
///     }
///     Ok(last)
/// }
/// # assert_eq!(futures::executor::block_on(sum(&[1, 2, 3])).unwrap(), 6);
/// ```
pub trait AsyncGeneratorExt: AsyncGenerator {
    /// Python's `__anext__()`: resumes with `Send::default()` and resolves to
    /// the next yielded value. If a step is in flight (its awaitable was
    /// dropped), continues it.
    fn anext(
        self: Pin<&mut Self>,
    ) -> impl Future<Output = Result<Self::Yield, GenError<Self>>> + Unpin
    where
        Self::Send: Default,
    {
        next(self)
    }

    /// Python's `asend(value)`: resumes the body with `value` (the result of
    /// its `yield_!`). Before the first `anext` it is the `TypeError` kind,
    /// and the generator stays `Created`.
    fn asend(
        self: Pin<&mut Self>,
        value: Self::Send,
    ) -> impl Future<Output = Result<Self::Yield, GenError<Self>>> + Unpin {
        send(self, value)
    }

    /// Python's `athrow(error)`: raises `error` in the body at its yield.
    /// Resolves to `Ok(Some(y))` if the body catches it and yields,
    /// `Ok(None)` on a finished generator, or an error.
    ///
    /// `error` is the body's error type `E`, or any [`Thrown<E>`]: Python can
    /// throw `GeneratorExit` too (`athrow(Thrown::GeneratorExit)`). Any other
    /// type is a compile error naming the expected `Thrown<E>`: convert the
    /// value into `E` first. Unlike [`aclose`](Self::aclose), a body that
    /// catches it and yields answers with the item, and if it re-raises it
    /// the call fails with [`Error::GeneratorExit`]; a delegating body closes
    /// its inner first.
    fn athrow(
        self: Pin<&mut Self>,
        error: impl Into<Thrown<Self::Error>>,
    ) -> impl Future<Output = Result<Option<Self::Yield>, GenError<Self>>> + Unpin {
        let mut this = self;
        this.as_mut().on_call(false);
        AThrow(Call::new(this, Command::Throw(error.into())))
    }

    /// Python's `aclose()`: raises `GeneratorExit` in the body at its yield
    /// and waits for the body to finish (running its async cleanup if it
    /// catches the exit). `Ok(())` also on a finished or unstarted generator.
    fn aclose(self: Pin<&mut Self>) -> impl Future<Output = Result<(), GenError<Self>>> + Unpin {
        let mut this = self;
        this.as_mut().on_call(true);
        AClose(Call::new(this, Command::Close))
    }

    /// `anext`, in Rust's shape: `Ok(Some(item))`, `Ok(None)` once the
    /// generator has finished (its return value, if any, is dropped: use
    /// [`anext`](Self::anext) to see it), `Err` for any other error.
    fn try_anext(
        self: Pin<&mut Self>,
    ) -> impl Future<Output = Result<Option<Self::Yield>, GenError<Self>>> + Unpin
    where
        Self::Send: Default,
    {
        TryNext(next(self))
    }

    /// `asend`, in Rust's shape: see [`try_anext`](Self::try_anext).
    fn try_asend(
        self: Pin<&mut Self>,
        value: Self::Send,
    ) -> impl Future<Output = Result<Option<Self::Yield>, GenError<Self>>> + Unpin {
        TrySend(send(self, value))
    }

    /// Drives the generator from a stream of inputs: a `Stream` of its
    /// replies. A generator not started yet is started first (`anext`: its
    /// first item answers the start); then each input is sent (`asend`) and
    /// its reply is the next item. A real error is an `Err` item, after which
    /// the stream ends; it also ends when the inputs or the generator do.
    ///
    /// ```
    /// use agen::{async_generator, yield_, AsyncGeneratorExt};
    /// use futures::StreamExt;
    ///
    /// #[async_generator(yield = u32, send = u32)]
    /// async fn running_total() {
    ///     let mut total = 0;
    ///     loop {
    ///         total += yield_!(total);
    ///     }
    /// }
    ///
    /// # futures::executor::block_on(async {
    /// let mut g = std::pin::pin!(running_total());
    /// let inputs = futures::stream::iter([1, 2, 3]);
    /// let replies: Vec<_> = g.as_mut().replies(inputs).collect().await;
    /// assert_eq!(replies, [Ok(0), Ok(1), Ok(3), Ok(6)]);
    /// # });
    /// ```
    fn replies<St>(
        self: Pin<&mut Self>,
        inputs: St,
    ) -> impl FusedStream<Item = Result<Self::Yield, GenError<Self>>> + Unpin
    where
        Self::Send: Default,
        St: Stream<Item = Self::Send> + Unpin,
    {
        Replies {
            generator: self,
            inputs,
            command: None,
            in_flight: false,
            done: false,
        }
    }
}

impl<G: AsyncGenerator + ?Sized> AsyncGeneratorExt for G {}

/// `anext`'s awaitable, which `try_anext` wraps.
fn next<G: AsyncGenerator + ?Sized>(mut generator: Pin<&mut G>) -> Next<'_, G>
where
    G::Send: Default,
{
    generator.as_mut().on_call(false);
    Next(Call::new(generator, Command::Next(Default::default())))
}

/// `asend`'s awaitable, which `try_asend` wraps.
fn send<G: AsyncGenerator + ?Sized>(mut generator: Pin<&mut G>, value: G::Send) -> ASend<'_, G> {
    generator.as_mut().on_call(false);
    ASend(Call::new(generator, Command::Send(value)))
}

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
        pub(crate) struct $name<'a, G: AsyncGenerator + ?Sized>(Call<'a, G>);

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
    /// Awaitable of [`AsyncGeneratorExt::anext`].
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
    /// Awaitable of [`AsyncGeneratorExt::asend`].
    ASend, Result<G::Yield, GenError<G>>,
    |reply| match reply {
        Ok(Some(y)) => Ok(y),
        Ok(None) => Err(Error::StopAsyncIteration(None)),
        Err(e) => Err(e),
    }
);
call_future!(
    /// Awaitable of [`AsyncGeneratorExt::athrow`]: `Ok(Some(y))` if the body
    /// caught the error and yielded, `Ok(None)` on a finished generator.
    AThrow, Result<Option<G::Yield>, GenError<G>>,
    |reply| reply
);
call_future!(
    /// Awaitable of [`AsyncGeneratorExt::aclose`].
    AClose, Result<(), GenError<G>>,
    |reply| reply.map(|_| ())
);

/// The end of iteration as `Ok(None)`.
fn end_as_none<Y, R, E, S>(result: Result<Y, Error<R, E, S>>) -> Result<Option<Y>, Error<R, E, S>> {
    match result {
        Ok(y) => Ok(Some(y)),
        Err(Error::StopAsyncIteration(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A Rust-shaped awaitable: Python's call, with the end as `Ok(None)`.
macro_rules! try_future {
    ($(#[$doc:meta])* $name:ident, $call:ident) => {
        $(#[$doc])*
        #[must_use = "futures do nothing unless you `.await` or poll them"]
        pub(crate) struct $name<'a, G: AsyncGenerator + ?Sized>($call<'a, G>);

        impl<G: AsyncGenerator + ?Sized> Future for $name<'_, G> {
            type Output = Result<Option<G::Yield>, GenError<G>>;
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                Pin::new(&mut self.0).poll(cx).map(end_as_none)
            }
        }
    };
}

try_future!(
    /// Awaitable of [`AsyncGeneratorExt::try_anext`].
    TryNext, Next
);
try_future!(
    /// Awaitable of [`AsyncGeneratorExt::try_asend`].
    TrySend, ASend
);

/// The `Stream` of [`AsyncGeneratorExt::replies`].
#[must_use = "streams do nothing unless polled"]
pub(crate) struct Replies<'a, G: AsyncGenerator + ?Sized, St> {
    generator: Pin<&'a mut G>,
    inputs: St,
    /// The call in flight's command, until its first poll takes it.
    command: Option<Command<G::Send, G::Error>>,
    in_flight: bool,
    done: bool,
}

impl<G: AsyncGenerator + ?Sized, St: Unpin> Unpin for Replies<'_, G, St> {}

impl<G, St> Stream for Replies<'_, G, St>
where
    G: AsyncGenerator + ?Sized,
    G::Send: Default,
    St: Stream<Item = G::Send> + Unpin,
{
    type Item = Result<G::Yield, GenError<G>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if !this.in_flight {
            let command = if this.generator.state() == crate::state::GenState::Created {
                Command::Next(Default::default())
            } else {
                match core::task::ready!(Pin::new(&mut this.inputs).poll_next(cx)) {
                    Some(value) => Command::Send(value),
                    None => {
                        this.done = true;
                        return Poll::Ready(None);
                    }
                }
            };
            this.generator.as_mut().on_call(false);
            this.command = Some(command);
            this.in_flight = true;
        }
        let reply = core::task::ready!(this.generator.as_mut().poll_resume(cx, &mut this.command));
        this.in_flight = false;
        Poll::Ready(match reply {
            Ok(Some(y)) => Some(Ok(y)),
            Ok(None) | Err(Error::StopAsyncIteration(_)) => {
                this.done = true;
                None
            }
            Err(e) => {
                this.done = true;
                Some(Err(e))
            }
        })
    }
}

impl<G, St> FusedStream for Replies<'_, G, St>
where
    G: AsyncGenerator + ?Sized,
    G::Send: Default,
    St: Stream<Item = G::Send> + Unpin,
{
    fn is_terminated(&self) -> bool {
        self.done
    }
}
