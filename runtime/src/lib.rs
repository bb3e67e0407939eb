//! The runtime of [agen](https://docs.rs/agen): an implementation detail.
//! Depend on the `agen` crate, which re-exports what users need next to the
//! macros; nothing here is meant to be used directly.
//!
//! This crate is `#![no_std]`; without the `std` feature it allocates nothing
//! and uses no thread-locals.
//!
//! # Layers
//!
//! Modules import only from the layers above them in this list (checked by
//! `tests/layers.rs`); modules on one line do not import each other:
//!
//! 1. `state`, `error`: the life states and the error kinds;
//! 2. `output`, `step`: the body's output kinds, the commands a call sends;
//! 3. `chain`: the delegation chain's registrations and walk;
//! 4. `protocol`: the `AsyncGenerator` trait and its call futures;
//! 5. `delegate`: `yield_from_!`'s adapters (one is the chain's stepper);
//! 6. `slot`: the raw cell between a generator and its body;
//! 7. `yielder`: the body's side (`Yielder` and the futures it makes);
//! 8. `handoff`: how a body gets its handle, at its first poll;
//! 9. `generator`: the state machine;
//! 10. `stream`: its `Stream` view;
//! 11. `boxed`, `aclosing`;
//! 12. `closable`: the shared cell of an owned generator, and cleanup errors;
//! 13. `hooks`: the hooks, their scope, orphans; 14. `registry`: an event
//!     loop's bookkeeping; 15. `finalize`: the owned forms. All built on the
//!     protocol, behind the `std` feature.
#![no_std]
#![deny(missing_docs)]
#![warn(
    unsafe_op_in_unsafe_fn,
    unreachable_pub,
    clippy::undocumented_unsafe_blocks
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod aclosing;
#[cfg(feature = "alloc")]
mod boxed;
mod chain;
#[cfg(feature = "std")]
mod closable;
mod delegate;
mod error;
#[cfg(feature = "std")]
mod finalize;
mod generator;
mod handoff;
#[cfg(feature = "std")]
mod hooks;
mod output;
mod protocol;
#[cfg(feature = "std")]
mod registry;
mod slot;
mod state;
mod step;
mod stream;
mod yielder;

pub use aclosing::aclosing;
#[cfg(feature = "alloc")]
pub use boxed::{BoxAsyncGenerator, BoxOutput, LocalBoxAsyncGenerator};
pub use delegate::Delegate;
pub use error::{Error, Rejected, RuntimeError, StopIterationLike, Thrown, TypeError};
#[cfg(feature = "std")]
pub use finalize::{Finalizable, LocalFinalizable};
pub use output::{BodyOutput, Fallible, NoStopCheck, StopCheck, StopPolicy, Value};
pub use protocol::{
    AClose, ASend, AThrow, AsyncGenerator, GenError, GenReply, GeneratorOutput, Next,
};
pub use state::GenState;
pub use step::{Command, Reply};
pub use yielder::{Raise, Yield, YieldCatch, YieldFrom, Yielder};

/// Finalization: hooks, registries and the owned forms (feature `std`).
#[cfg(feature = "std")]
pub mod finalization {
    pub use crate::closable::{FinalizeError, FinalizeErrorKind};
    pub use crate::finalize::{Finalizable, LocalFinalizable};
    pub use crate::hooks::{
        ACloseOrphan, ContextSource, FinalizerHook, FirstIterHook, GenHandle, Hooks, HooksGuard,
        Orphan, Registration, add_context_source, current, enter,
    };
    pub use crate::registry::{Cleanup, LocalCleanup, LocalGuard, LocalRegistry, Registry, Scoped};
}

/// What the macros expand to. Not public API: no semver guarantees.
#[doc(hidden)]
pub mod __private {
    pub use crate::delegate::{GenDelegate, SameDelegate, StreamDelegate};
    pub use crate::generator::AsyncGen;
    pub use crate::handoff::handle;
}
