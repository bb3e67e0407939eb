//! Finalization on the tokio runtime (feature `tokio`).
//!
//! ```
//! use agen::{async_generator, yield_catch_, raise_};
//! use agen::hooks::Finalizable;
//! use futures::StreamExt;
//! use std::sync::{Arc, Mutex};
//!
//! #[async_generator(yield = u32)]
//! async fn numbers(log: Arc<Mutex<Vec<&'static str>>>) {
//!     for i in 0.. {
//!         if let Err(exit) = yield_catch_!(i) {
//!             tokio::task::yield_now().await; // async cleanup
//!             log.lock().unwrap().push("cleaned up");
//!             raise_!(exit);
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let finalization = agen::tokio::install();
//! let log = Arc::new(Mutex::new(Vec::new()));
//! {
//!     let mut g = Finalizable::named("numbers", numbers(log.clone()));
//!     assert_eq!(g.next().await, Some(0));
//! } // dropped unfinished: its aclose() is spawned
//! tokio::task::yield_now().await;
//! tokio::task::yield_now().await;
//! assert_eq!(*log.lock().unwrap(), ["cleaned up"]);
//! assert!(finalization.shutdown().await.is_empty());
//! # });
//! ```

use std::sync::Arc;
use std::vec::Vec;

use crate::hooks::{FinalizeError, Hooks, Registry, set_hooks};

/// A [`Registry`] whose finalizer spawns each cleanup on the tokio runtime
/// current where the generator is dropped. Dropped outside a runtime, the
/// cleanup cannot run: the generator is freed with its synchronous
/// destructors only, and the registry reports a `FinalizeError` of kind
/// `"NoExecutor"` (returned by the next `shutdown`).
pub fn registry() -> Arc<Registry> {
    Registry::new(|cleanup| match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            drop(handle.spawn(cleanup));
            Ok(())
        }
        Err(_) => Err(cleanup),
    })
}

/// Installs a tokio [`registry`]'s hooks process-wide. Keep the returned
/// value and call [`shutdown`](Finalization::shutdown) before the runtime
/// ends; dropping it restores the previous hooks.
pub fn install() -> Finalization {
    let registry = registry();
    let previous = set_hooks(registry.hooks());
    Finalization {
        registry,
        previous: Some(previous),
    }
}

/// Installed tokio finalization: see [`install`].
pub struct Finalization {
    registry: Arc<Registry>,
    previous: Option<Hooks>,
}

impl Finalization {
    /// The registry behind the hooks.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// `loop.shutdown_asyncgens()`: acloses every finalizable generator still
    /// alive, restores the previous hooks, and returns every cleanup error.
    pub async fn shutdown(mut self) -> Vec<FinalizeError> {
        let errors = self.registry.shutdown().await;
        if let Some(previous) = self.previous.take() {
            set_hooks(previous);
        }
        errors
    }
}

impl Drop for Finalization {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            set_hooks(previous);
        }
    }
}
