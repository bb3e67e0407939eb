// Misuse: `yield_from_!()` without the generator or stream to delegate to.
use agen::{async_generator, yield_from_};

#[async_generator(yield = u32)]
async fn numbers() {
    yield_from_!();
}

fn main() {
    let _ = numbers();
}
