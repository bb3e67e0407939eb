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
//! 4. `protocol`: the `AsyncGenerator` trait;
//! 5. `calls`: the calls (`AsyncGeneratorExt`) and their futures; `delegate`:
//!    `yield_from_!`'s adapters (one is the chain's stepper);
//! 6. `slot`: the raw cell between a generator and its body;
//! 7. `yielder`: the body's side (`Yielder` and the futures it makes);
//! 8. `handoff`: how a body gets its handle, at its first poll;
//! 9. `generator`: the state machine;
//! 10. `stream`: its `Stream` view;
//! 11. `boxed`, `aclosing`, `expansion` (what the macros expand to);
//! 12. `closable`: the shared cell of an owned generator, and cleanup errors;
//! 13. `hooks`: the hooks, their scope, orphans; 14. `registry`: an event
//!     loop's bookkeeping; 15. `finalize`: the owned forms. All built on the
//!     protocol, behind the `std` feature.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
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
mod calls;
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
pub use calls::AsyncGeneratorExt;
pub use delegate::Delegate;
pub use error::{
    DelegateError, Error, Rejected, RuntimeError, StopIterationLike, Thrown, TypeError,
};
#[cfg(feature = "std")]
pub use finalize::{Finalizable, LocalFinalizable};
pub use output::{BodyOutput, Fallible, NoStopCheck, StopCheck, StopPolicy, Value};
pub use protocol::{AsyncGenerator, GenError, GenReply, GeneratorOutput};
pub use state::GenState;
pub use step::{Command, Reply};
pub use yielder::{Raise, Yield, YieldAwaited, YieldCatch, YieldFrom, Yielder};

#[cfg(feature = "std")]
pub mod finalization {
    //! Finalization: hooks, registries and the owned forms (feature `std`), in
    //! the spirit of asyncio's `sys.set_asyncgen_hooks`.
    //!
    //! Rust has no async drop: a generator dropped while unfinished can only run
    //! its synchronous destructors. The hooks give its async cleanup a second
    //! chance, at asyncio's two moments:
    //!
    //! - `firstiter`, when iteration starts (the first call on a
    //!   [`Finalizable`] generator is created): a registry
    //!   learns about the generator, so that its shutdown can close it;
    //! - `finalizer`, when an unfinished generator is dropped: it receives an
    //!   [`Orphan`] whose [`aclose`](Orphan::aclose) future runs the generator's
    //!   cleanup, to be spawned on an executor.
    //!
    //! # Scope: the runtime a generator is first iterated under
    //!
    //! asyncio's hooks are per thread because each event loop owns its thread. A
    //! Rust runtime moves tasks between worker threads, and one process often
    //! runs several runtimes (every `#[tokio::test]` has its own), so the hooks a
    //! generator binds are found, when its first call is created, in this order:
    //!
    //! 1. the hooks [`enter`]ed on this thread (a scope: an executor's thread, a
    //!    test), innermost first;
    //! 2. the *context sources* that integrations register with
    //!    [`add_context_source`]: `agen::tokio` answers with the hooks of the
    //!    tokio runtime whose task is running, whichever worker thread it is on;
    //! 3. none: the generator is not finalized (dropped unfinished, its
    //!    synchronous destructors run; use `aclosing` where that matters).
    //!
    //! A generator keeps what it bound: hooks entered or removed later do not
    //! change it, and it is finalized by its own runtime's hooks even when it is
    //! dropped on a thread of another runtime. There is no process-wide "last
    //! installed" hook.

    pub use crate::closable::{FinalizeError, FinalizeErrorKind};
    pub use crate::finalize::{Finalizable, LocalFinalizable};
    pub use crate::hooks::{
        GenHandle, Hooks, HooksGuard, Orphan, add_context_source, current, enter,
    };
    pub use crate::registry::{Cleanup, LocalCleanup, LocalRegistry, Registry};
}

pub mod expansion;
