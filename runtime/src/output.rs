//! How the body's written return type maps onto the generator's outcome.
//!
//! The macro picks the *kind* from the written type: a type whose last path
//! segment is `Result` is [`Fallible`] (`Ok` is the return value, `Err` what
//! the body raises and what `athrow` injects); anything else is [`Value`]
//! (the whole type is the return value, nothing can be raised or thrown).
//! The kind is a zero-sized marker, so the choice costs nothing at run time.

use core::convert::Infallible;
use core::marker::PhantomData;

use crate::error::StopIterationLike;

/// Kind marker: the body returns `Result<T, E>`; `P` decides PEP 479.
pub struct Fallible<P = NoStopCheck>(PhantomData<P>);

impl<P> Fallible<P> {
    /// The marker value.
    pub const fn new() -> Self {
        Fallible(PhantomData)
    }
}

impl<P> Default for Fallible<P> {
    fn default() -> Self {
        Self::new()
    }
}

/// Kind marker: the body returns a plain value (`()` or any `T`).
pub struct Value;

/// Decides whether an escaping error means "iteration finished" (PEP 479).
pub trait StopPolicy<E> {
    /// `true` when `error` must become `RuntimeError` instead of escaping.
    fn is_stop(error: &E) -> bool;
}

/// PEP 479 policy for error types that cannot mean "iteration finished".
pub struct NoStopCheck;

/// PEP 479 policy for error types implementing [`StopIterationLike`].
pub struct StopCheck;

impl<E> StopPolicy<E> for NoStopCheck {
    #[inline]
    fn is_stop(_: &E) -> bool {
        false
    }
}

impl<E: StopIterationLike> StopPolicy<E> for StopCheck {
    #[inline]
    fn is_stop(error: &E) -> bool {
        error.is_stop_iteration()
    }
}

/// The body's output seen through a kind `K`: what it returns, what it
/// raises, and what the `Stream` view yields per item.
pub trait BodyOutput<K>: Sized {
    /// The return value (`yield_from_!` hands it to a delegating generator).
    type Return;
    /// What the body raises and `athrow` injects.
    type Error;
    /// The `Stream` item for a yielded `Y`: `Y`, or `Result<Y, Error>`.
    type Item<Y>;
    /// The body may delegate (its kind is [`Chained`]).
    #[doc(hidden)]
    const CHAIN: bool = false;
    /// Splits the output into returned or raised.
    fn into_result(self) -> Result<Self::Return, Self::Error>;
    /// The inverse of [`into_result`](Self::into_result).
    fn from_result(result: Result<Self::Return, Self::Error>) -> Self;
    /// PEP 479: does this error mean "iteration finished"?
    fn is_stop(error: &Self::Error) -> bool;
    /// A yielded value as a stream item.
    fn item<Y>(value: Y) -> Self::Item<Y>;
    /// A raised error as a stream item.
    fn error_item<Y>(error: Self::Error) -> Self::Item<Y>;
}

impl<T, E, P: StopPolicy<E>> BodyOutput<Fallible<P>> for Result<T, E> {
    type Return = T;
    type Error = E;
    type Item<Y> = Result<Y, E>;
    #[inline]
    fn into_result(self) -> Result<T, E> {
        self
    }
    #[inline]
    fn from_result(result: Result<T, E>) -> Self {
        result
    }
    #[inline]
    fn is_stop(error: &E) -> bool {
        P::is_stop(error)
    }
    #[inline]
    fn item<Y>(value: Y) -> Result<Y, E> {
        Ok(value)
    }
    #[inline]
    fn error_item<Y>(error: E) -> Result<Y, E> {
        Err(error)
    }
}

/// The kind `K` of a body that may delegate: the macro wraps the kind in it
/// when `yield_from_!`, `yield_from_catch_!` or `co!()` appears in the
/// body's tokens. The outcome is `K`'s; only the `Stream` view differs: it
/// keeps the delegation chain's hot path in line (where a body that never
/// delegates would pay for it with a consumer's loop too big to inline the
/// rest). A body that delegates without it still does, on the general path.
#[doc(hidden)]
pub struct Chained<K>(PhantomData<K>);

impl<K> Chained<K> {
    /// The chained form of `kind`.
    #[inline(always)]
    pub fn new(kind: K) -> Self {
        let _ = kind;
        Chained(PhantomData)
    }
}

impl<T: BodyOutput<K>, K> BodyOutput<Chained<K>> for T {
    type Return = T::Return;
    type Error = T::Error;
    type Item<Y> = T::Item<Y>;
    const CHAIN: bool = true;
    #[inline]
    fn into_result(self) -> Result<Self::Return, Self::Error> {
        BodyOutput::<K>::into_result(self)
    }
    #[inline]
    fn from_result(result: Result<Self::Return, Self::Error>) -> Self {
        <T as BodyOutput<K>>::from_result(result)
    }
    #[inline]
    fn is_stop(error: &Self::Error) -> bool {
        <T as BodyOutput<K>>::is_stop(error)
    }
    #[inline]
    fn item<Y>(value: Y) -> Self::Item<Y> {
        <T as BodyOutput<K>>::item(value)
    }
    #[inline]
    fn error_item<Y>(error: Self::Error) -> Self::Item<Y> {
        <T as BodyOutput<K>>::error_item(error)
    }
}

impl<T> BodyOutput<Value> for T {
    type Return = T;
    type Error = Infallible;
    type Item<Y> = Y;
    #[inline]
    fn into_result(self) -> Result<T, Infallible> {
        Ok(self)
    }
    #[inline]
    fn from_result(result: Result<T, Infallible>) -> Self {
        match result {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }
    #[inline]
    fn is_stop(_: &Infallible) -> bool {
        false
    }
    #[inline]
    fn item<Y>(value: Y) -> Y {
        value
    }
    #[inline]
    fn error_item<Y>(error: Infallible) -> Y {
        match error {}
    }
}
