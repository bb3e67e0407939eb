// Misuse: two awaitables alive at once on the same generator (a second
// `&mut` borrow): there is at most one call in flight per generator.
use agen::{AsyncGenerator, AsyncGeneratorExt, async_generator, yield_};

#[async_generator(yield = u32, send = u32)]
async fn numbers() {
    loop {
        yield_!(1);
    }
}

#[tokio::main]
async fn main() {
    let mut g = std::pin::pin!(numbers());
    let first = g.as_mut().anext();
    let second = g.as_mut().asend(2);
    let _ = futures::join!(first, second);
}
