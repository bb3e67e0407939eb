// Misuse: an argument the attribute does not have (`foo = 1`).
use agen::{async_generator, yield_};

#[async_generator(yield = u32, foo = 1)]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
