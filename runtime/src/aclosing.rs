//! `aclosing`: the `async_generator` library's helper, as a scope.

use core::pin::Pin;

use crate::calls::AsyncGeneratorExt;
use crate::protocol::{AsyncGenerator, GenError};

/// Runs `body` with the generator, then always `aclose()`s it, also when
/// `body` returns early (`?`, `return`, `break` out of the loop).
///
/// Python's `async with aclosing(agen) as g: ...`. Resolves to what `body`
/// returned and what `aclose()` returned, so neither is lost. (A panic in
/// `body` unwinds past the close: Rust has no async drop; the generator's
/// synchronous destructors still run when it is dropped.)
///
/// ```
/// use agen::{aclosing, async_gen, raise_, yield_catch_};
/// use futures::StreamExt;
/// use std::sync::{Arc, Mutex};
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let l = log.clone();
/// let numbers = async_gen!(yield = u32 => {
///     for i in 0.. {
///         if let Err(exit) = yield_catch_!(i) {
///             async {}.await; // async cleanup
///             l.lock().unwrap().push(format!("closed after {i}"));
///             raise_!(exit);
///         }
///     }
/// });
///
/// # futures::executor::block_on(async {
/// let g = std::pin::pin!(numbers);
/// let (first, closed) = aclosing(g, async |mut g| {
///     g.next().await // stop early: the rest is never pulled
/// })
/// .await;
/// assert_eq!(first, Some(0));
/// assert_eq!(closed, Ok(()));
/// assert_eq!(*log.lock().unwrap(), ["closed after 0"]);
/// # });
/// ```
pub async fn aclosing<G, T>(
    mut generator: Pin<&mut G>,
    body: impl AsyncFnOnce(Pin<&mut G>) -> T,
) -> (T, Result<(), GenError<G>>)
where
    G: AsyncGenerator,
{
    let value = body(generator.as_mut()).await;
    let closed = generator.aclose().await;
    (value, closed)
}
