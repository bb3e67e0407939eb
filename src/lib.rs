//! # agen: Python-grade async generators for Rust
//!
//! Write an `async fn` whose body yields; get a value that is a
//! [`Stream`] *and* speaks Python's async generator
//! protocol (PEP 525): [`anext`](AsyncGeneratorExt::anext),
//! [`asend`](AsyncGeneratorExt::asend), [`athrow`](AsyncGeneratorExt::athrow),
//! [`aclose`](AsyncGeneratorExt::aclose) and [`state`](AsyncGenerator::state).
//!
//! ```
//! use agen::{async_generator, yield_};
//! use futures::StreamExt;
//!
//! #[async_generator(yield = u32)]
//! async fn countdown(from: u32) {
//!     for i in (0..=from).rev() {
//!         yield_!(i);
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let mut g = std::pin::pin!(countdown(3));
//! let mut seen = Vec::new();
//! while let Some(n) = g.next().await {
//!     seen.push(n);
//! }
//! assert_eq!(seen, [3, 2, 1, 0]);
//! # });
//! ```
//!
//! ## Talking back: `asend`
//!
//! `yield_!(v)` evaluates to the value the consumer sends in (`send = S`,
//! default `()`). `anext()` and the `Stream` send `S::default()`, so `S`
//! must implement `Default`; `Option<T>` is Python's `None`-or-value.
//!
//! ```
//! use agen::{async_generator, yield_, AsyncGenerator, AsyncGeneratorExt};
//!
//! #[async_generator(yield = String, send = Option<String>)]
//! async fn echo() {
//!     let mut last = None;
//!     loop {
//!         last = yield_!(format!("got {last:?}"));
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let mut g = std::pin::pin!(echo());
//! assert_eq!(g.as_mut().anext().await.unwrap(), "got None");
//! assert_eq!(g.as_mut().asend(Some("hi".into())).await.unwrap(), r#"got Some("hi")"#);
//! # });
//! ```
//!
//! ## Errors, `athrow` and async cleanup
//!
//! A body returning `Result<T, E>` is fallible: `?` works, the `Stream` yields
//! `Result<Y, E>`, and `athrow` injects an `E`. With `yield_!`, an injected
//! error (or `aclose()`'s `GeneratorExit`) ends the body at that yield as an
//! uncaught exception would: its destructors run and the error goes back to
//! the caller. With `yield_catch_!`, the body sees what was injected as
//! `Err(`[`Thrown`]`)`, may `.await` its cleanup, then yield, return, or
//! re-raise with `raise_!`.
//!
//! ```
//! use agen::{async_generator, yield_catch_, raise_, AsyncGenerator, AsyncGeneratorExt, Thrown};
//!
//! #[async_generator(yield = u32)]
//! async fn with_cleanup(log: &std::cell::RefCell<Vec<&'static str>>) {
//!     if let Err(thrown) = yield_catch_!(1) {
//!         async { log.borrow_mut().push("async cleanup ran") }.await;
//!         raise_!(thrown);
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let log = std::cell::RefCell::new(Vec::new());
//! let mut g = std::pin::pin!(with_cleanup(&log));
//! assert_eq!(g.as_mut().anext().await, Ok(1));
//! assert_eq!(g.as_mut().aclose().await, Ok(()));
//! assert_eq!(*log.borrow(), ["async cleanup ran"]);
//! # });
//! ```
//!
//! ## Inline generators
//!
//! ```
//! use agen::{async_gen, yield_};
//! use futures::StreamExt;
//!
//! # futures::executor::block_on(async {
//! let evens = async_gen!(yield = u32 => {
//!     for i in 0..4 {
//!         yield_!(i * 2);
//!     }
//! });
//! assert_eq!(evens.collect::<Vec<_>>().await, [0, 2, 4, 6]);
//! # });
//! ```
//!
//! ## Helpers that yield
//!
//! `co!()` lends the body's handle as a [`Yielder`], so a long body can be
//! split into `async fn`s that yield. The handle cannot escape the body: it
//! borrows it.
//!
//! ```
//! use agen::{async_generator, co, yield_, Yielder};
//! use futures::StreamExt;
//!
//! async fn pair(mut co: Yielder<'_, u32>, base: u32) {
//!     co.yield_(base).await;
//!     co.yield_(base + 1).await;
//! }
//!
//! #[async_generator(yield = u32)]
//! async fn pairs() {
//!     pair(co!(), 10).await;
//!     yield_!(99);
//!     pair(co!(), 20).await;
//! }
//!
//! # futures::executor::block_on(async {
//! assert_eq!(pairs().collect::<Vec<_>>().await, [10, 11, 99, 20, 21]);
//! # });
//! ```
//!
//! ## Delegation and recursion: `yield_from_!`
//!
//! `yield_from_!(inner)` yields every item of another generator (or any
//! `Stream`), forwards `asend`/`athrow`/`aclose` to it while it runs (PEP 380),
//! and evaluates to its outcome: the type its body returns. The outer's send
//! and error types must convert `Into` the inner's (`Into` is reflexive, so
//! equal types work; an infallible outer can delegate only to an infallible
//! inner: give it the inner's error type to delegate to a fallible one).
//!
//! Recursion boxes the inner, as any recursive async fn must:
//! `yield_from_!(Box::pin(..))`. The generator stays `Send` if its body is.
//!
//! ```
//! use agen::{async_generator, yield_, yield_from_};
//! use futures::StreamExt;
//!
//! struct Node { value: u32, children: Vec<Node> }
//!
//! #[async_generator(yield = u32)]
//! async fn walk(node: &Node) -> usize {
//!     yield_!(node.value);
//!     let mut count = 1;
//!     for child in &node.children {
//!         count += yield_from_!(Box::pin(walk(child)));
//!     }
//!     count
//! }
//!
//! fn spawnable<T: Send>(_: &T) {}
//!
//! let tree = Node { value: 1, children: vec![
//!     Node { value: 2, children: vec![Node { value: 3, children: vec![] }] },
//!     Node { value: 4, children: vec![] },
//! ] };
//! # futures::executor::block_on(async {
//! spawnable(&walk(&tree));
//! let mut g = std::pin::pin!(walk(&tree));
//! let mut seen = Vec::new();
//! while let Some(v) = g.next().await { seen.push(v); }
//! assert_eq!(seen, [1, 2, 3, 4]);
//! # });
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

/// Turns an `async fn` whose body uses [`yield_!`] into an async generator:
/// the function returns a value that is both a `Stream` of the yielded items
/// and an [`AsyncGenerator`] (`anext`, `asend`, `athrow`, `aclose`, `state`).
///
/// Arguments: `yield = Y` (required), `send = S` (what `asend` takes and
/// `yield_!` evaluates to; default `()`), and `crate = path` for a crate that
/// re-exports agen under another name. The body may also use
/// [`yield_catch_!`], [`raise_!`], [`yield_from_!`], [`yield_from_catch_!`]
/// and [`co!`].
///
/// # Examples
///
/// On a free `async fn`, a method, or a trait-impl method; the written return
/// type is the body's (`()`, `T` or `Result<T, E>`):
///
/// ```
/// use agen::{async_generator, yield_, AsyncGenerator, AsyncGeneratorExt, Error};
///
/// struct Db { rows: Vec<&'static str> }
///
/// impl Db {
///     #[async_generator(yield = &'static str, send = Option<usize>)]
///     async fn rows(&self) -> Result<usize, std::io::Error> {
///         let mut skip = 0;
///         for (i, row) in self.rows.iter().enumerate() {
///             if i < skip { continue; }
///             if let Some(n) = yield_!(*row) { skip = i + 1 + n; }
///         }
///         Ok(self.rows.len())
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let db = Db { rows: vec!["a", "b", "c", "d"] };
/// let mut g = std::pin::pin!(db.rows());
/// assert_eq!(g.as_mut().anext().await.unwrap(), "a");
/// assert_eq!(g.as_mut().asend(Some(1)).await.unwrap(), "c"); // skip one
/// assert_eq!(g.as_mut().anext().await.unwrap(), "d");
/// assert!(matches!(g.as_mut().anext().await, Err(Error::StopAsyncIteration(Some(4)))));
/// # });
/// ```
pub use agen_macros::async_generator;

/// An inline async generator, as an expression:
/// `async_gen!(yield = Y, send = S, return = R => { body })`. `send` and
/// `return` are optional (`()` by default); the body captures by move, as an
/// `async move` block does. It finds agen through `$crate`, so it works from
/// a crate that re-exports agen under another name.
///
/// ```
/// use agen::{async_gen, yield_};
/// use futures::TryStreamExt;
///
/// # futures::executor::block_on(async {
/// let numbers = async_gen!(yield = u32, return = Result<(), std::num::ParseIntError> => {
///     for word in ["1", "2", "3"] {
///         yield_!(word.parse()?);
///     }
///     Ok(())
/// });
/// assert_eq!(numbers.try_collect::<Vec<_>>().await.unwrap(), [1, 2, 3]);
/// # });
/// ```
#[macro_export]
macro_rules! async_gen {
    ($($tokens:tt)*) => {
        $crate::async_gen_expand!(crate = $crate, $($tokens)*)
    };
}
pub use agen_runtime::aclosing;
pub use agen_runtime::{
    AsyncGenerator, AsyncGeneratorExt, Command, DelegateError, Error, GenError, GenReply, GenState,
    GeneratorOutput, Rejected, RuntimeError, StopIterationLike, Thrown, TypeError, Yielder,
};
/// futures-core's stream traits, which every generator implements:
/// re-exported so that a signature can name them without another dependency.
pub use futures_core::{FusedStream, Stream};

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub use agen_runtime::{BoxAsyncGenerator, BoxOutput, LocalBoxAsyncGenerator};

/// Finalization: async cleanup for generators dropped before they finished
/// (asyncio's `sys.set_asyncgen_hooks`). Needs the `std` feature.
///
/// - [`Finalizable`](hooks::Finalizable) (and
///   [`LocalFinalizable`](hooks::LocalFinalizable) for `!Send` generators):
///   the owned forms that take part;
/// - [`Registry`](hooks::Registry) (and [`LocalRegistry`](hooks::LocalRegistry)):
///   an event loop's bookkeeping for any executor, with `shutdown()`
///   (`loop.shutdown_asyncgens()`);
/// - [`enter`](hooks::enter) and [`Hooks`](hooks::Hooks): the low-level
///   `firstiter` and `finalizer` hooks, scoped to a thread or a runtime;
/// - `agen::tokio` (feature `tokio`) and `agen::async_executor` (feature
///   `async-executor`): ready integrations.
///
/// A generator binds hooks when its first call's awaitable is created, and
/// keeps them: those [`enter`](hooks::enter)ed on the thread (innermost
/// first; a registry's `enter` and `scope` too), else those of the tokio
/// runtime the call is made in if `agen::tokio::install` gave it a registry,
/// else none ([`current`](hooks::current) tells which).
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod hooks {
    pub use agen_runtime::finalization::{
        Cleanup, Finalizable, FinalizeError, FinalizeErrorKind, GenHandle, Hooks, HooksGuard,
        LocalCleanup, LocalFinalizable, LocalRegistry, Orphan, Registry, current, enter,
    };
}

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;

#[cfg(feature = "async-executor")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-executor")))]
pub mod async_executor;

/// Yields a value from a generator body; evaluates to the value sent in.
///
/// Only valid directly in the body of an `#[async_generator]` fn or an
/// `async_gen!` block, where the macro rewrites it. If the consumer calls
/// `athrow`/`aclose` at this yield, the body ends here (its destructors run)
/// and the error goes back to the consumer; use [`yield_catch_!`] to handle it.
///
/// ```
/// use agen::{async_gen, yield_, AsyncGenerator, AsyncGeneratorExt};
///
/// # futures::executor::block_on(async {
/// let mut g = std::pin::pin!(async_gen!(yield = u32, send = u32 => {
///     let mut total = 0;
///     loop {
///         total += yield_!(total); // evaluates to the value sent in
///     }
/// }));
/// assert_eq!(g.as_mut().anext().await, Ok(0));
/// assert_eq!(g.as_mut().asend(5).await, Ok(5));
/// assert_eq!(g.as_mut().asend(2).await, Ok(7));
/// # });
/// ```
#[macro_export]
macro_rules! yield_ {
    (@__agen_used) => {};
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`yield_!` can only be used directly in the body of an `#[async_generator]` fn or an `async_gen!` block"
        )
    };
}

/// Yields a value; evaluates to `Ok(sent)` or to `Err(`[`Thrown`]`)` when the
/// consumer injects an error (`athrow`) or `GeneratorExit` (`aclose`) here.
///
/// Only valid directly in a generator body.
///
/// ```
/// use agen::{async_gen, raise_, yield_catch_, AsyncGenerator, AsyncGeneratorExt, Thrown};
///
/// # futures::executor::block_on(async {
/// let mut g = std::pin::pin!(async_gen!(yield = &'static str, return = Result<(), String> => {
///     match yield_catch_!("ready") {
///         Ok(()) => Ok(()),
///         Err(Thrown::Error(e)) => { yield_!("recovered"); Err(e) }
///         Err(exit) => raise_!(exit),
///     }
/// }));
/// assert_eq!(g.as_mut().anext().await, Ok("ready"));
/// assert_eq!(g.as_mut().athrow("oops".to_string()).await, Ok(Some("recovered")));
/// # });
/// # use agen::yield_;
/// ```
#[macro_export]
macro_rules! yield_catch_ {
    (@__agen_used) => {};
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`yield_catch_!` can only be used directly in the body of an `#[async_generator]` fn or an `async_gen!` block"
        )
    };
}

/// Raises a [`Thrown`] (or the body's error) through the generator: the body
/// ends here, its destructors run, and the current call resolves to it.
/// `raise_!(Thrown::GeneratorExit)` lets `aclose()` succeed.
///
/// Only valid directly in a generator body.
///
/// ```
/// use agen::{async_gen, raise_, yield_catch_, AsyncGenerator, AsyncGeneratorExt, Error};
///
/// # futures::executor::block_on(async {
/// let mut g = std::pin::pin!(async_gen!(yield = u8, return = Result<(), &'static str> => {
///     if yield_catch_!(1).is_err() {
///         raise_!("cleanup failed"); // an `E` converts into `Thrown<E>`
///     }
///     Ok(())
/// }));
/// assert_eq!(g.as_mut().anext().await, Ok(1));
/// assert_eq!(g.as_mut().aclose().await, Err(Error::Raised("cleanup failed")));
/// # });
/// ```
#[macro_export]
macro_rules! raise_ {
    (@__agen_used) => {};
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`raise_!` can only be used directly in the body of an `#[async_generator]` fn or an `async_gen!` block"
        )
    };
}

/// Delegates to another generator or `Stream` (PEP 380 `yield from`);
/// evaluates to the inner's outcome.
///
/// Every item of the inner is yielded by the outer generator. While the inner
/// runs, `asend(v)` on the outer goes to `inner.asend(v)`, `athrow(e)` to
/// `inner.athrow(e)` and `aclose()` closes the inner first, then ends the outer
/// body at this point (use [`yield_from_catch_!`] to clean up instead).
///
/// - A generator inner (an `#[async_generator]` fn's value, or a
///   [`BoxAsyncGenerator`]): the expression has the type its body returns:
///   `()`, `T`, or `Result<T, E>` (its error, which the outer can handle or
///   `?`). The outer's send and error types must convert `Into` the inner's.
/// - A plain `Stream<Item = Y>`: evaluates to `()`. Sent values are dropped (a
///   stream cannot take them); `athrow(e)` ends the outer body at this point
///   with `e`, as an uncaught error at a `yield_!` would.
///
/// Only valid directly in a generator body.
///
/// ```
/// use agen::{async_generator, yield_, yield_from_};
/// use futures::StreamExt;
///
/// #[async_generator(yield = u32)]
/// async fn inner() -> u32 {
///     yield_!(1);
///     yield_!(2);
///     40
/// }
///
/// #[async_generator(yield = u32)]
/// async fn outer() {
///     let returned = yield_from_!(inner()); // the inner's return value
///     yield_from_!(futures::stream::iter([returned + 2])); // any Stream
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(std::pin::pin!(outer()).collect::<Vec<_>>().await, [1, 2, 42]);
/// # });
/// ```
#[macro_export]
macro_rules! yield_from_ {
    (@__agen_used) => {};
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`yield_from_!` can only be used directly in the body of an `#[async_generator]` fn or an `async_gen!` block"
        )
    };
}

/// `yield_from_!` whose exceptions come back as values: evaluates to
/// `Ok(outcome)`, or `Err(`[`Thrown`]`)` for an exception raised at this
/// point: `GeneratorExit` when the outer is closed (the inner has been closed
/// already), `RuntimeError` when the inner ignored that close
/// ([`DelegateError`]), or an error thrown at a stream inner.
///
/// Only valid directly in a generator body.
///
/// ```
/// use agen::{async_gen, yield_, yield_from_catch_, AsyncGenerator, AsyncGeneratorExt, Thrown};
///
/// # futures::executor::block_on(async {
/// let mut g = std::pin::pin!(async_gen!(yield = u32 => {
///     let inner = async_gen!(yield = u32 => { loop { yield_!(7); } });
///     if let Err(Thrown::GeneratorExit) = yield_from_catch_!(inner) {
///         // the inner is closed already; the outer's async cleanup runs here
///     }
/// }));
/// assert_eq!(g.as_mut().anext().await, Ok(7));
/// assert_eq!(g.as_mut().aclose().await, Ok(()));
/// # });
/// ```
#[macro_export]
macro_rules! yield_from_catch_ {
    (@__agen_used) => {};
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`yield_from_catch_!` can only be used directly in the body of an `#[async_generator]` fn or an `async_gen!` block"
        )
    };
}

/// The body's handle as a [`Yielder`], to pass to helper `async fn`s.
///
/// Only valid in a generator body.
///
/// ```
/// use agen::{async_generator, co, Yielder};
/// use futures::StreamExt;
///
/// async fn twice(mut co: Yielder<'_, char>, c: char) {
///     co.yield_(c).await;
///     co.yield_(c).await;
/// }
///
/// #[async_generator(yield = char)]
/// async fn stutter(word: &str) {
///     for c in word.chars() {
///         twice(co!(), c).await;
///     }
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(std::pin::pin!(stutter("ab")).collect::<String>().await, "aabb");
/// # });
/// ```
#[macro_export]
macro_rules! co {
    (@__agen_used) => {};
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "`co!()` can only be used in the body of an `#[async_generator]` fn or an `async_gen!` block"
        )
    };
}

/// The runtime crate. Generated code and the compiler's messages about it
/// name its `expansion` module (`agen::agen_runtime::expansion::AsyncGen` is
/// the type a generator fn returns); an implementation detail, without
/// semver guarantees.
#[doc(hidden)]
pub use agen_runtime;

/// `async_gen!`'s expander, which `async_gen!` calls with `crate = $crate`.
#[doc(hidden)]
pub use agen_macros::async_gen as async_gen_expand;

/// What the macros expand to; not public API.
#[doc(hidden)]
pub mod __private {
    pub use agen_runtime::expansion::*;
    pub use agen_runtime::{GeneratorOutput, Value};
    pub use core::pin::Pin;
}
