//! What `#[async_generator]` and `async_gen!` expand to.
//!
//! These items are named by generated code, and so by the compiler's
//! messages about it; they are documented for that reader. Nothing here is
//! meant to be used by hand, and none of it has semver guarantees: the
//! constructors are `unsafe` because they rely on what the macros guarantee.

use core::marker::PhantomData;

use crate::error::StopIterationLike;
use crate::output::{Fallible, NoStopCheck, StopCheck};
use crate::protocol::GeneratorOutput;
use crate::yielder::Yielder;

pub use crate::delegate::{GenDelegate, SameDelegate, StreamDelegate};
pub use crate::generator::AsyncGen;
pub use crate::handoff::{Handle, handle};
pub use crate::output::Chained;

/// The send type of a generator: `anext()` and the `Stream` view resume the
/// body with `S::default()`, so the type named by `send = S` must have one.
#[diagnostic::on_unimplemented(
    message = "the send type `{Self}` must implement `Default`",
    label = "`anext()` and the `Stream` view resume with `{Self}::default()`",
    note = "derive or implement `Default` for `{Self}`, or send `Option<{Self}>` (`None` is its default)"
)]
pub trait SendType {}
impl<T: Default> SendType for T {}

/// Checked where the user writes `send = S`, so that a send type without
/// `Default` is reported at those tokens.
#[inline(always)]
pub fn send_type_has_default<S: SendType>() {}

/// Projects `Result<T, E>`, named through any alias, to its parts.
pub trait ResultParts {
    /// `T`.
    type Ok;
    /// `E`.
    type Err;
}
impl<T, E> ResultParts for Result<T, E> {
    type Ok = T;
    type Err = E;
}

/// What `yield_from_!` delegates to: the inner `T` and the outer's yield,
/// send and error types. It picks the delegation by autoref
/// specialization: a generator of exactly the outer's types gets the fast
/// path ([`ViaSame`]), any other generator full forwarding
/// ([`ViaGenerator`]), any other `Stream` is polled for items ([`ViaStream`]).
#[allow(clippy::type_complexity)]
pub struct Tag<T, Y, S, E>(PhantomData<fn() -> (T, Y, S, E)>);

/// The [`Tag`] of `inner` delegated to from the body that lent `co`.
pub fn tag<T, Y, S, E>(_inner: &T, _co: &Yielder<'_, Y, S, E>) -> Tag<T, Y, S, E> {
    Tag(PhantomData)
}

/// The first tier: a generator of the outer's own types.
pub trait ViaSame<T: GeneratorOutput<Send: Default>> {
    /// The fast path's adapter.
    fn __agen_delegate(&self, inner: T) -> SameDelegate<T>;
}
impl<T, Y, S, E> ViaSame<T> for &&Tag<T, Y, S, E>
where
    T: GeneratorOutput<Yield = Y, Send = S, Error = E>,
    S: Default,
{
    fn __agen_delegate(&self, inner: T) -> SameDelegate<T> {
        SameDelegate::new(inner)
    }
}

/// The second tier: any other generator.
pub trait ViaGenerator<T> {
    /// The forwarding adapter.
    fn __agen_delegate(&self, inner: T) -> GenDelegate<T>;
}
impl<T: GeneratorOutput, Y, S, E> ViaGenerator<T> for &Tag<T, Y, S, E> {
    fn __agen_delegate(&self, inner: T) -> GenDelegate<T> {
        GenDelegate::new(inner)
    }
}

/// The last tier: any `Stream` of the outer's yield type. It matches
/// anything, so that what is neither a generator nor a `Stream` gets
/// [`DelegateTarget`]'s message instead of a list of bounds.
pub trait ViaStream<T, Y> {
    /// The stream adapter.
    fn __agen_delegate(&self, inner: T) -> StreamDelegate<T>
    where
        T: DelegateTarget<Y>;
}
impl<T, Y, S, E> ViaStream<T, Y> for Tag<T, Y, S, E> {
    fn __agen_delegate(&self, inner: T) -> StreamDelegate<T>
    where
        T: DelegateTarget<Y>,
    {
        StreamDelegate::new(inner)
    }
}

/// What `yield_from_!` can delegate to besides a generator: a `Stream` of
/// the outer's yield type.
#[diagnostic::on_unimplemented(
    message = "`yield_from_!` cannot delegate to `{Self}`: it is neither an agen generator nor a `Stream` of `{Y}`",
    label = "not a generator or a `Stream<Item = {Y}>`",
    note = "delegate to an `#[async_generator]` fn's value, an `async_gen!`, a `BoxAsyncGenerator`, or any `Stream<Item = {Y}>`; for an iterator, write `futures::stream::iter(..)`"
)]
pub trait DelegateTarget<Y> {}
impl<T: futures_core::Stream<Item = Y>, Y> DelegateTarget<Y> for T {}

/// Picks the PEP 479 policy of a fallible body's error type `E` by autoref
/// specialization: [`ViaStopCheck`] when `E: StopIterationLike`, else
/// [`ViaNoStopCheck`].
pub struct Probe<E>(PhantomData<fn() -> E>);
impl<E> Default for Probe<E> {
    fn default() -> Self {
        Self::new()
    }
}
impl<E> Probe<E> {
    /// The probe of `E`.
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

/// `E: StopIterationLike`: a leaked `StopAsyncIteration` becomes a
/// `RuntimeError`.
pub trait ViaStopCheck {
    /// The checking kind.
    fn __agen_kind(&self) -> Fallible<StopCheck>;
}
impl<E: StopIterationLike> ViaStopCheck for &Probe<E> {
    fn __agen_kind(&self) -> Fallible<StopCheck> {
        Fallible::new()
    }
}

/// Any other `E`: nothing to check.
pub trait ViaNoStopCheck {
    /// The plain kind.
    fn __agen_kind(&self) -> Fallible<NoStopCheck>;
}
impl<E> ViaNoStopCheck for Probe<E> {
    fn __agen_kind(&self) -> Fallible<NoStopCheck> {
        Fallible::new()
    }
}
