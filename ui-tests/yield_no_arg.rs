// Misuse: `yield_!()` with no value.
use agen::{async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() {
    yield_!();
}

fn main() {
    let _ = numbers();
}
