// Misuse: `co!` takes no arguments.
use agen::{async_generator, co};

#[async_generator(yield = u32)]
async fn numbers() {
    let mut handle = co!(1u32);
    handle.yield_(1).await;
}

fn main() {
    let _ = numbers();
}
