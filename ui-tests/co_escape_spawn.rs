// Misuse: the body's `Yielder` (from `co!()`) moved into a `'static` spawned task.
use agen::{async_generator, co};

#[async_generator(yield = u32)]
async fn numbers() {
    let mut handle = co!();
    tokio::spawn(async move {
        handle.yield_(1).await;
    })
    .await
    .unwrap();
}

fn main() {
    let _ = numbers();
}
