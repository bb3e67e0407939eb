//! Python's classic finalization example, in Rust: break out of the loop
//! after the first item; the generator's cleanup, which awaits, still runs
//! and prints.
//!
//! ```sh
//! cargo run --example early_break --features tokio
//! ```
//!
//! Twice: once with the finalization hooks (the generator is dropped
//! unfinished and the tokio finalizer runs its `aclose()`), once with
//! `aclosing` (the scope closes it explicitly).

use std::pin::pin;
use std::time::Duration;

use agen::hooks::Finalizable;
use agen::{aclosing, async_generator, raise_, yield_catch_};
use futures::StreamExt;

/// Python's
/// ```python
/// async def agen():
///     try:
///         yield 1
///         yield 2
///     finally:
///         await asyncio.sleep(0.01)
///         print("finally executed")
/// ```
#[async_generator(yield = u32)]
async fn agen(label: &'static str) {
    for i in 1..=2 {
        if let Err(exit) = yield_catch_!(i) {
            tokio::time::sleep(Duration::from_millis(10)).await;
            println!("[{label}] finally executed (after an await)");
            raise_!(exit);
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("-- with the finalization hooks");
    let finalization = agen::tokio::install();
    {
        let mut g = Finalizable::named("agen", agen("hooks"));
        // Python's `async for i in agen(): break`.
        #[allow(clippy::never_loop)]
        while let Some(item) = g.next().await {
            println!("[hooks] got {item}; breaking out of the loop");
            break;
        }
    } // dropped here, suspended at `yield 1`: handed to the finalizer
    // The finalizer spawned `aclose()` on this runtime; the shutdown waits
    // for it.
    let errors = finalization.shutdown().await;
    println!("[hooks] shutdown: {} cleanup errors", errors.len());

    println!("-- with aclosing");
    let g = pin!(agen("aclosing"));
    let (first, closed) = aclosing(g, async |mut g| {
        let first = g.next().await;
        println!("[aclosing] got {first:?}; leaving the scope early");
        first
    })
    .await;
    println!("[aclosing] scope returned {first:?}, aclose -> {closed:?}");
}
