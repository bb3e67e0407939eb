// Misuse: `athrow` on a generator whose body is not fallible (its error type
// is `Infallible`): make the body return `Result<(), E>` to accept errors.
use agen::{AsyncGenerator, AsyncGeneratorExt, async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() {
    yield_!(1);
}

#[tokio::main]
async fn main() {
    let mut g = std::pin::pin!(numbers());
    let _ = g.as_mut().anext().await;
    let _ = g.as_mut().athrow("boom").await;
}
