// Misuse: calling `.anext()` on a generator that is not pinned.
use agen::{AsyncGenerator, AsyncGeneratorExt, async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() {
    yield_!(1);
}

#[tokio::main]
async fn main() {
    let mut g = numbers();
    let _ = g.anext().await;
}
