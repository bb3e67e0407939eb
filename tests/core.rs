use agen::{async_generator, yield_};
use futures::StreamExt;

#[async_generator(yield = u32)]
async fn countdown(from: u32) {
    for i in (0..=from).rev() {
        yield_!(i);
    }
}

#[tokio::test]
async fn smoke() {
    let g = std::pin::pin!(countdown(3));
    assert_eq!(g.collect::<Vec<_>>().await, [3, 2, 1, 0]);
}
