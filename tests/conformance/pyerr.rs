//! The error vocabulary of the scenarios: Python exceptions as one Rust type.
//!
//! The interpreter raises and catches [`PyErr`] values, `athrow` injects them,
//! and the generator's `Error` type is `PyErr`, so every error the runtime
//! reports back (`Error::Raised(e)`) renders exactly as the oracle renders
//! the Python exception.

use std::fmt;

/// The exception classes a scenario can name in `raise` / `athrow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrKind {
    E1,
    E2,
    E3,
    StopAsyncIteration,
    StopIteration,
    GeneratorExit,
    RuntimeError,
    ValueError,
    TypeError,
}

impl ErrKind {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "E1" => ErrKind::E1,
            "E2" => ErrKind::E2,
            "E3" => ErrKind::E3,
            "StopAsyncIteration" => ErrKind::StopAsyncIteration,
            "StopIteration" => ErrKind::StopIteration,
            "GeneratorExit" => ErrKind::GeneratorExit,
            "RuntimeError" => ErrKind::RuntimeError,
            "ValueError" => ErrKind::ValueError,
            "TypeError" => ErrKind::TypeError,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ErrKind::E1 => "E1",
            ErrKind::E2 => "E2",
            ErrKind::E3 => "E3",
            ErrKind::StopAsyncIteration => "StopAsyncIteration",
            ErrKind::StopIteration => "StopIteration",
            ErrKind::GeneratorExit => "GeneratorExit",
            ErrKind::RuntimeError => "RuntimeError",
            ErrKind::ValueError => "ValueError",
            ErrKind::TypeError => "TypeError",
        }
    }

    /// The user-defined classes, the only ones whose payload is rendered.
    pub fn is_user(self) -> bool {
        matches!(self, ErrKind::E1 | ErrKind::E2 | ErrKind::E3)
    }
}

/// A Python exception instance: its class and the payload it was built with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyErr {
    pub kind: ErrKind,
    pub payload: Option<String>,
}

impl PyErr {
    pub fn new(kind: ErrKind, payload: Option<String>) -> Self {
        PyErr { kind, payload }
    }

    /// What `aclose()` throws in (`Thrown::GeneratorExit` seen as an exception).
    pub fn runtime_error() -> Self {
        PyErr::new(ErrKind::RuntimeError, None)
    }

    pub fn generator_exit() -> Self {
        PyErr::new(ErrKind::GeneratorExit, None)
    }
}

/// The trace rendering (`ERR` in the trace grammar): user errors carry their
/// payload, every other kind is its bare name.
impl fmt::Display for PyErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind.is_user() {
            write!(
                f,
                "{}: {}",
                self.kind.name(),
                self.payload.as_deref().unwrap_or("")
            )
        } else {
            f.write_str(self.kind.name())
        }
    }
}

/// PEP 479: the runtime must turn these into `RuntimeError` when they escape
/// the body (the trace then shows `raised RuntimeError`), so the conversion is
/// tested in the library, not emulated here.
impl agen::StopIterationLike for PyErr {
    fn is_stop_iteration(&self) -> bool {
        matches!(
            self.kind,
            ErrKind::StopAsyncIteration | ErrKind::StopIteration
        )
    }
}

/// A name in an `except` / `catch` clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrPattern {
    /// One class (the vocabulary has no subclass relations between them).
    Kind(ErrKind),
    /// `Exception`: everything but `GeneratorExit` (a `BaseException`).
    Exception,
    /// `*` (`BaseException`): everything.
    Any,
}

impl ErrPattern {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "Exception" => Some(ErrPattern::Exception),
            "*" => Some(ErrPattern::Any),
            _ => ErrKind::parse(name).map(ErrPattern::Kind),
        }
    }

    pub fn matches(self, err: &PyErr) -> bool {
        match self {
            ErrPattern::Kind(k) => err.kind == k,
            ErrPattern::Exception => err.kind != ErrKind::GeneratorExit,
            ErrPattern::Any => true,
        }
    }
}

/// What agen raises in a body, as the Python exception it stands for.
impl From<agen::Thrown<PyErr>> for PyErr {
    fn from(thrown: agen::Thrown<PyErr>) -> Self {
        match thrown {
            agen::Thrown::GeneratorExit => PyErr::generator_exit(),
            agen::Thrown::Error(e) => e,
            // `Thrown` may grow: anything else is a RuntimeError here.
            _ => PyErr::runtime_error(),
        }
    }
}
