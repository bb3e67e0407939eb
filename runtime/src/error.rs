//! What an `anext`/`asend`/`athrow`/`aclose` awaitable can resolve to besides
//! a value: one kind per Python exception that can come out of a call.

use core::fmt;

/// An exception raised in the body where it is parked: what `athrow`/`aclose`
/// inject at a yield, or what a delegation raises at `yield_from_!`.
///
/// A plain `yield_!` never shows it to the body: the body ends there as if the
/// exception were uncaught (its destructors run). `yield_catch_!` and
/// `yield_from_catch_!` hand it to the body, which may `.await` cleanup and
/// then yield, return or re-raise it with `raise_!`.
///
/// ```
/// use agen_runtime::Thrown;
///
/// fn describe(t: Thrown<std::io::Error>) -> String {
///     match t {
///         Thrown::GeneratorExit => "closing".into(),
///         Thrown::Error(e) => format!("athrow: {e}"),
///         other => format!("{other:?}"), // `Thrown` is `#[non_exhaustive]`
///     }
/// }
/// assert_eq!(describe(Thrown::GeneratorExit), "closing");
/// // An `E` converts into `Thrown<E>` (what `raise_!(e)` and `athrow(e)` rely on).
/// let t: Thrown<&str> = "boom".into();
/// assert_eq!(t, Thrown::Error("boom"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Thrown<E> {
    /// `aclose()` (Python's `GeneratorExit`): the consumer wants the body to
    /// finish. Re-raise it, or return, to let `aclose()` succeed.
    GeneratorExit,
    /// `athrow(e)`: the consumer injects the body's own error type.
    Error(E),
    /// Python's `RuntimeError`, raised at a `yield_from_!` when the
    /// delegation failed (the inner ignored a forwarded close). Re-raised, the
    /// caller gets [`Error::RuntimeError`] with the same cause.
    RuntimeError(DelegateError),
}

/// Why a delegation failed: raised in the outer at the `yield_from_!` as
/// [`Thrown::RuntimeError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DelegateError {
    /// The inner caught the `GeneratorExit` of a forwarded close and yielded
    /// ("async generator ignored GeneratorExit").
    IgnoredGeneratorExit,
    /// The inner had already finished before the delegation started, so
    /// there is no return value to evaluate to.
    AlreadyFinished,
}

impl<E, S> From<DelegateError> for RuntimeError<E, S> {
    fn from(error: DelegateError) -> Self {
        match error {
            DelegateError::IgnoredGeneratorExit => RuntimeError::IgnoredGeneratorExit,
            DelegateError::AlreadyFinished => RuntimeError::DelegateFinished,
        }
    }
}

impl<E> From<E> for Thrown<E> {
    fn from(error: E) -> Self {
        Thrown::Error(error)
    }
}

/// The value a call carried when the generator refused it, handed back so
/// that nothing is lost.
///
/// ```
/// use agen_runtime::{Error, Rejected, RuntimeError};
///
/// let refused: Error<(), String, u32> = Error::RuntimeError(RuntimeError::AlreadyRunning(Rejected::Send(7)));
/// if let Error::RuntimeError(RuntimeError::AlreadyRunning(Rejected::Send(value))) = refused {
///     assert_eq!(value, 7); // send it again once the step in flight is done
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rejected<S, E> {
    /// An `asend(value)`.
    Send(S),
    /// An `athrow(error)` of the body's error.
    Throw(E),
    /// An `athrow(Thrown::GeneratorExit)`.
    ThrowExit,
    /// An `athrow(Thrown::RuntimeError(cause))`: the cause is in the variant
    /// (unit variants keep the error small to match on, on the hot path).
    ThrowIgnoredGeneratorExit,
    /// See [`ThrowIgnoredGeneratorExit`](Self::ThrowIgnoredGeneratorExit).
    ThrowDelegateFinished,

    /// An `aclose()`.
    Close,
}

/// The causes of [`Error::RuntimeError`], each a distinct CPython message.
///
/// ```
/// use agen_runtime::{Error, RuntimeError};
///
/// let e: Error<(), std::io::Error, ()> = Error::RuntimeError(RuntimeError::IgnoredGeneratorExit);
/// assert_eq!(e.to_string(), "RuntimeError: async generator ignored GeneratorExit");
/// assert_eq!(e.kind_name(), "RuntimeError");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuntimeError<E, S> {
    /// "asynchronous generator is already running": `asend`/`athrow`/`aclose`
    /// while a step is in flight. The refused call's payload comes back.
    AlreadyRunning(Rejected<S, E>),
    /// "async generator ignored GeneratorExit": the body caught the exit
    /// injected by `aclose()` and yielded instead of finishing.
    IgnoredGeneratorExit,
    /// "async generator raised StopAsyncIteration" (PEP 479): the body let an
    /// error escape that means "iteration finished"; the original error is
    /// kept as the source.
    RaisedStopIteration(E),
    /// "cannot reuse already awaited ...": an awaitable polled again after it
    /// completed.
    AwaitableReused,
    /// `yield_from_!` on a generator that had already finished: there is no
    /// return value for the expression to evaluate to (Python would use
    /// `None`; Rust has no value of an arbitrary type to make up).
    DelegateFinished,
}

/// The causes of [`Error::TypeError`].
///
/// ```
/// use agen_runtime::{Error, TypeError};
///
/// let e: Error<(), std::convert::Infallible, &str> = Error::TypeError(TypeError::SendBeforeStart("hi"));
/// assert!(e.to_string().starts_with("TypeError: can't send a value to a just-started"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TypeError<S> {
    /// "can't send non-None value to a just-started async generator":
    /// `asend(v)` before the first `anext()`. The value comes back; the
    /// generator stays `Created`.
    SendBeforeStart(S),
}

/// The error an awaitable of a generator resolves to.
///
/// `R` is the body's return value type, `E` its error type, `S` the send
/// type. [`GenError`](crate::GenError) names it for a given generator.
///
/// ```
/// use agen::{async_gen, yield_, AsyncGenerator, AsyncGeneratorExt, Error};
///
/// let g = async_gen!(yield = u8, return = Result<u32, &'static str> => {
///     yield_!(1);
///     Err("boom")
/// });
/// let mut g = std::pin::pin!(g);
/// futures::executor::block_on(async {
///     assert_eq!(g.as_mut().anext().await, Ok(1));
///     match g.as_mut().anext().await {
///         Err(Error::Raised(e)) => assert_eq!(e, "boom"), // the body's own error
///         other => panic!("{other:?}"),
///     }
///     // Finished: every later call says so.
///     assert!(matches!(g.as_mut().anext().await, Err(Error::StopAsyncIteration(None))));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error<R, E, S> {
    /// Python's `StopAsyncIteration`: the generator has finished. The call
    /// that saw the body return carries its return value (`Some`); every later
    /// call on the finished generator carries `None`.
    StopAsyncIteration(Option<R>),
    /// The body's own error: raised by the body (`Err(e)` / `?`), or thrown in
    /// by `athrow` and not caught.
    Raised(E),
    /// `GeneratorExit` escaped a call other than `aclose()`: `athrow` of an
    /// exit, or `anext` resuming a body that had ignored `aclose()` and then
    /// re-raised the exit.
    GeneratorExit,
    /// Python's `RuntimeError`, with its cause.
    RuntimeError(RuntimeError<E, S>),
    /// Python's `TypeError`, with its cause.
    TypeError(TypeError<S>),
}

impl<R, E, S> Error<R, E, S> {
    /// `true` for [`Error::StopAsyncIteration`]: the generator is finished.
    pub fn is_stop(&self) -> bool {
        matches!(self, Error::StopAsyncIteration(_))
    }
    /// The body's error if this is [`Error::Raised`].
    pub fn into_raised(self) -> Option<E> {
        match self {
            Error::Raised(e) => Some(e),
            _ => None,
        }
    }
    /// The short Python name of the kind: `"StopAsyncIteration"`, `"Raised"`,
    /// `"GeneratorExit"`, `"RuntimeError"` or `"TypeError"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::StopAsyncIteration(_) => "StopAsyncIteration",
            Error::Raised(_) => "Raised",
            Error::GeneratorExit => "GeneratorExit",
            Error::RuntimeError(_) => "RuntimeError",
            Error::TypeError(_) => "TypeError",
        }
    }
}

impl<R, E: fmt::Debug, S> fmt::Debug for Error<R, E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::StopAsyncIteration(r) => f
                .debug_tuple("StopAsyncIteration")
                .field(&r.as_ref().map(|_| ".."))
                .finish(),
            Error::Raised(e) => f.debug_tuple("Raised").field(e).finish(),
            Error::GeneratorExit => f.write_str("GeneratorExit"),
            Error::RuntimeError(r) => f.debug_tuple("RuntimeError").field(&RtDebug(r)).finish(),
            Error::TypeError(_) => f.write_str("TypeError(SendBeforeStart(..))"),
        }
    }
}

struct RtDebug<'a, E, S>(&'a RuntimeError<E, S>);
impl<E: fmt::Debug, S> fmt::Debug for RtDebug<'_, E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            RuntimeError::AlreadyRunning(_) => f.write_str("AlreadyRunning(..)"),
            RuntimeError::IgnoredGeneratorExit => f.write_str("IgnoredGeneratorExit"),
            RuntimeError::RaisedStopIteration(e) => {
                f.debug_tuple("RaisedStopIteration").field(e).finish()
            }
            RuntimeError::AwaitableReused => f.write_str("AwaitableReused"),
            RuntimeError::DelegateFinished => f.write_str("DelegateFinished"),
        }
    }
}

impl<R, E: fmt::Display, S> fmt::Display for Error<R, E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::StopAsyncIteration(_) => f.write_str("StopAsyncIteration: the generator has finished"),
            Error::Raised(e) => fmt::Display::fmt(e, f),
            Error::GeneratorExit => f.write_str("GeneratorExit"),
            Error::RuntimeError(RuntimeError::AlreadyRunning(_)) => {
                f.write_str("RuntimeError: asynchronous generator is already running")
            }
            Error::RuntimeError(RuntimeError::IgnoredGeneratorExit) => {
                f.write_str("RuntimeError: async generator ignored GeneratorExit")
            }
            Error::RuntimeError(RuntimeError::RaisedStopIteration(e)) => {
                write!(f, "RuntimeError: async generator raised StopAsyncIteration ({e})")
            }
            Error::RuntimeError(RuntimeError::AwaitableReused) => {
                f.write_str("RuntimeError: cannot reuse already awaited awaitable")
            }
            Error::RuntimeError(RuntimeError::DelegateFinished) => {
                f.write_str("RuntimeError: yield_from_! on a generator that had already finished")
            }
            Error::TypeError(TypeError::SendBeforeStart(_)) => f.write_str(
                "TypeError: can't send a value to a just-started async generator; start it with anext()",
            ),
        }
    }
}

impl<R, E, S> core::error::Error for Error<R, E, S>
where
    E: core::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Raised(e) | Error::RuntimeError(RuntimeError::RaisedStopIteration(e)) => Some(e),
            _ => None,
        }
    }
}

/// PEP 479 for your error type: says whether an error means "iteration has
/// finished" (Python's `StopAsyncIteration`/`StopIteration`).
///
/// When such an error escapes a generator body it must not look like the
/// generator finishing, so it is turned into
/// [`RuntimeError::RaisedStopIteration`], the original kept. agen's own
/// [`Error`] implements it (its `StopAsyncIteration` kind), so
/// `inner.anext().await?` on an exhausted inner generator is caught. Implement
/// it for your own error type if it can carry such a value; the macro picks
/// the implementation up for concrete error types.
pub trait StopIterationLike {
    /// `true` if this error means "iteration finished".
    fn is_stop_iteration(&self) -> bool;
}

impl<R, E, S> StopIterationLike for Error<R, E, S> {
    fn is_stop_iteration(&self) -> bool {
        self.is_stop()
    }
}

impl<S, E> Rejected<S, E> {
    /// The refused `athrow`'s exception, handed back.
    pub(crate) fn throw(thrown: Thrown<E>) -> Self {
        match thrown {
            Thrown::Error(e) => Rejected::Throw(e),
            Thrown::GeneratorExit => Rejected::ThrowExit,
            Thrown::RuntimeError(DelegateError::IgnoredGeneratorExit) => {
                Rejected::ThrowIgnoredGeneratorExit
            }
            Thrown::RuntimeError(DelegateError::AlreadyFinished) => Rejected::ThrowDelegateFinished,
        }
    }
}
