// Misuse: `yield_!` in a nested async block handed to `tokio::spawn`: the
// task would outlive the generator's step.
use agen::{async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() {
    tokio::spawn(async move {
        yield_!(1u32);
    })
    .await
    .unwrap();
}

fn main() {
    let _ = numbers();
}
