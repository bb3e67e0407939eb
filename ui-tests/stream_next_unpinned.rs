// Misuse: `StreamExt::next` on a generator that is not pinned.
use agen::{async_generator, yield_};
use futures::StreamExt;

#[async_generator(yield = u32)]
async fn numbers() {
    yield_!(1);
}

#[tokio::main]
async fn main() {
    let mut g = numbers();
    let _ = g.next().await;
}
