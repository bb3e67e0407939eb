// Misuse: a stray `;` after the arguments.
use agen::{async_generator, yield_};

#[async_generator(yield = u32;)]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
