// Misuse: `athrow` with an error type other than the body's `Result<_, E>` error.
use agen::{AsyncGenerator, AsyncGeneratorExt, async_generator, yield_};

#[derive(Debug)]
struct DbError;

#[async_generator(yield = u32)]
async fn rows() -> Result<(), DbError> {
    yield_!(1);
    Ok(())
}

#[tokio::main]
async fn main() {
    let mut g = std::pin::pin!(rows());
    let _ = g.as_mut().anext().await;
    let _ = g.as_mut().athrow(std::io::Error::other("boom")).await;
}
