// Misuse: `asend` of a value on a generator whose `send` type is `()` (the default).
use agen::{AsyncGenerator, AsyncGeneratorExt, async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() {
    yield_!(1);
}

#[tokio::main]
async fn main() {
    let mut g = std::pin::pin!(numbers());
    let _ = g.as_mut().anext().await;
    let _ = g.as_mut().asend(5u32).await;
}
