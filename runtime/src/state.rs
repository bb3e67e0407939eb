//! The four states a generator can be observed in.

use core::fmt;

/// Where a generator is in its life, as `inspect.getasyncgenstate` reports it.
///
/// ```
/// use agen_runtime::GenState;
/// assert_eq!(GenState::Created.to_string(), "CREATED");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GenState {
    /// Made but never resumed: the body has not run a single instruction.
    Created,
    /// A step is in flight: the body is running or waiting at an `.await`
    /// that is not a yield (also after that step's awaitable was dropped).
    Running,
    /// Parked at a yield, waiting for `anext`/`asend`/`athrow`/`aclose`.
    Suspended,
    /// Finished: returned, raised, closed or panicked. Nothing runs again.
    Closed,
}

impl fmt::Display for GenState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GenState::Created => "CREATED",
            GenState::Running => "RUNNING",
            GenState::Suspended => "SUSPENDED",
            GenState::Closed => "CLOSED",
        })
    }
}
