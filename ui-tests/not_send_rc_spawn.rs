// Misuse: a generator holding an `Rc` across a yield is not `Send`, so it
// cannot be consumed in a `tokio::spawn`ed task.
use std::rc::Rc;

use agen::{async_generator, yield_};
use futures::StreamExt;

#[async_generator(yield = u32)]
async fn counted() {
    let shared = Rc::new(1u32);
    yield_!(*shared);
    yield_!(*shared + 1);
}

#[tokio::main]
async fn main() {
    tokio::spawn(async move {
        let mut g = std::pin::pin!(counted());
        while let Some(n) = g.next().await {
            println!("{n}");
        }
    })
    .await
    .unwrap();
}
