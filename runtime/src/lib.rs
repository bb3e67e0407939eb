//! The runtime of [agen](https://docs.rs/agen): the async generator state
//! machine, its error kinds and the protocol trait.
//!
//! Users depend on the `agen` crate, which re-exports everything here next to
//! the `#[async_generator]` macro. This crate is `#![no_std]`; it allocates
//! nothing and uses no thread-locals.
//!
//! A generator by hand, without the macro (the macro writes exactly this):
//!
//! ```
//! use agen_runtime::{AsyncGen, AsyncGenerator, Co, Value};
//!
//! let g = AsyncGen::<u32, (), _, Value, _, _>::new(|mut co: Co<u32, (), _>| async move {
//!     let mut y = co.yielder();
//!     y.yield_(1).await;
//!     y.yield_(2).await;
//! });
//! let mut g = std::pin::pin!(g);
//! futures::executor::block_on(async {
//!     assert_eq!(g.as_mut().anext().await, Ok(1));
//!     assert_eq!(g.as_mut().anext().await, Ok(2));
//!     assert!(g.as_mut().anext().await.is_err());
//! });
//! ```
#![no_std]
#![deny(missing_docs)]
#![warn(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod aclosing;
mod api;
#[cfg(feature = "alloc")]
mod boxed;
mod delegate;
mod error;
#[doc(hidden)]
pub mod fast;
#[cfg(feature = "std")]
mod finalize;
mod generator;
#[cfg(feature = "std")]
pub mod hooks;
mod output;
mod slot;
mod state;

pub use aclosing::aclosing;
pub use api::{AClose, ASend, AThrow, AsyncGenerator, Command, GenError, GenReply, Next, Reply};
#[cfg(feature = "alloc")]
pub use boxed::{BoxAsyncGenerator, BoxOutput, LocalBoxAsyncGenerator};
pub use delegate::{
    Delegate, Delegated, Failure, GenDelegate, GeneratorOutput, Resume, StreamDelegate, YieldFrom,
};
pub use error::{Error, Rejected, RuntimeError, StopIterationLike, Thrown, TypeError};
pub use fast::SameDelegate;
#[cfg(feature = "std")]
pub use finalize::Finalizable;
pub use generator::AsyncGen;
pub use output::{BodyOutput, Fallible, NoStopCheck, StopCheck, StopPolicy, Value};
pub use slot::{Co, Raise, Yield, YieldCatch, Yielder};
pub use state::GenState;
