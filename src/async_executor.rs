//! Finalization on [`async_executor`] (smol's executor; feature
//! `async-executor`).
//!
//! An `async-executor` has no ambient "current executor", so a registry is
//! in scope where you say: wrap each `executor.run(..)` in
//! [`Registry::scope`] (or [`LocalRegistry::enter`] the thread for a
//! `LocalExecutor`).
//!
//! ```
//! use agen::hooks::Finalizable;
//! use agen::{async_generator, raise_, yield_catch_};
//! use async_executor::Executor;
//! use futures::StreamExt;
//! use std::sync::{Arc, Mutex};
//!
//! #[async_generator(yield = u32)]
//! async fn numbers(log: Arc<Mutex<Vec<&'static str>>>) {
//!     for i in 0.. {
//!         if let Err(exit) = yield_catch_!(i) {
//!             async {}.await; // async cleanup
//!             log.lock().unwrap().push("cleaned up");
//!             raise_!(exit);
//!         }
//!     }
//! }
//!
//! let executor = Arc::new(Executor::new());
//! let registry = agen::async_executor::registry(&executor);
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let errors = futures::executor::block_on(registry.scope(executor.run(async {
//!     let mut g = Finalizable::named("numbers", numbers(log.clone()));
//!     assert_eq!(g.next().await, Some(0));
//!     drop(g); // unfinished: its cleanup is spawned on the executor
//!     registry.shutdown().await
//! })));
//! assert!(errors.is_empty());
//! assert_eq!(*log.lock().unwrap(), ["cleaned up"]);
//! ```

use std::rc::Rc;
use std::sync::Arc;

use async_executor::{Executor, LocalExecutor};

use crate::hooks::{LocalRegistry, Registry};

/// A registry that spawns cleanups on `executor`. It does not keep the
/// executor alive: once the executor is gone, a cleanup is dropped and
/// reported as [`NotRun`](crate::hooks::FinalizeErrorKind::NotRun).
pub fn registry(executor: &Arc<Executor<'static>>) -> Arc<Registry> {
    let executor = Arc::downgrade(executor);
    Registry::new(move |cleanup| {
        if let Some(executor) = executor.upgrade() {
            executor.spawn(cleanup).detach();
        }
    })
}

/// A local registry that spawns the cleanups of `!Send` generators on
/// `executor` (same rules as [`registry`]). Enter it on the executor's
/// thread with [`LocalRegistry::enter`].
pub fn local_registry(executor: &Rc<LocalExecutor<'static>>) -> Rc<LocalRegistry> {
    let executor = Rc::downgrade(executor);
    LocalRegistry::new(move |cleanup| {
        if let Some(executor) = executor.upgrade() {
            executor.spawn(cleanup).detach();
        }
    })
}
