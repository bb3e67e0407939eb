//! What a call asks of a generator, and what a step can answer: the leaf
//! module every other one builds on.

use crate::error::{Error, Thrown};

/// What a call asks of the generator: the argument of
/// [`AsyncGenerator::poll_resume`](crate::AsyncGenerator::poll_resume).
#[derive(Debug)]
#[non_exhaustive]
pub enum Command<S, E> {
    /// `anext()`: resume with this value (`S::default()`), or continue the
    /// step in flight if there is one.
    Next(S),
    /// `asend(value)`.
    Send(S),
    /// `athrow(error)`: the body's error, or `GeneratorExit`.
    Throw(Thrown<E>),
    /// `aclose()`.
    Close,
    /// Continue the step in flight as a step of the given kind. Only the
    /// runtime makes these (the value cannot be built outside it); a
    /// hand-written generator may treat it as a continuation (`None`).
    #[doc(hidden)]
    Continue(Continue),
}

/// Which call started a step: decides how the step's end is reported.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum StepKind {
    /// `anext`, `asend`, or a continuation of one.
    Next,
    /// `athrow`.
    Throw,
    /// `athrow(GeneratorExit)`: reported by the generator like any throw,
    /// but a delegation forwards it to its inner as a close (PEP 380: the
    /// delegating level closes its inner, then `GeneratorExit` goes on in
    /// it), also to the levels of a chain continued after a deeper one
    /// finished.
    ThrowExit,
    /// `aclose`.
    Close,
}

/// The payload of [`Command::Continue`]: opaque outside the runtime.
#[derive(Clone, Copy, Debug)]
pub struct Continue(pub(crate) StepKind);

impl<S, E> Command<S, E> {
    /// The kind of step this command starts.
    pub(crate) fn kind(&self) -> StepKind {
        match self {
            Command::Next(_) | Command::Send(_) => StepKind::Next,
            Command::Throw(Thrown::GeneratorExit) => StepKind::ThrowExit,
            Command::Throw(_) => StepKind::Throw,
            Command::Close => StepKind::Close,
            Command::Continue(Continue(kind)) => *kind,
        }
    }

    /// What a delegation hands its inner for this command: PEP 380 turns
    /// `athrow(GeneratorExit)` at a `yield from` into a close of the inner
    /// (`GeneratorExit` then goes on in the delegating generator), for the
    /// call itself and for a chain's step continued after a deeper level
    /// finished; every other command is handed on as it is.
    pub(crate) fn forwarded(self) -> Self {
        match self {
            Command::Throw(Thrown::GeneratorExit) => Command::Close,
            Command::Continue(Continue(StepKind::ThrowExit)) => {
                Command::Continue(Continue(StepKind::Close))
            }
            other => other,
        }
    }

    /// A new call (not a continuation of a step in flight).
    pub(crate) fn is_call(&self) -> bool {
        !matches!(self, Command::Continue(_))
    }
}

/// The answer to one call: `Ok(Some(y))` yielded, `Ok(None)` completed with
/// no value (`aclose`, or `athrow` on a finished generator), or an error.
pub type Reply<Y, R, E, S> = Result<Option<Y>, Error<R, E, S>>;

/// Proof of being the runtime: the argument of the protocol trait's hidden
/// methods, so that only the runtime can implement or call them.
#[derive(Clone, Copy, Debug)]
pub struct Internal(());

impl Internal {
    pub(crate) const fn new() -> Self {
        Internal(())
    }
}
