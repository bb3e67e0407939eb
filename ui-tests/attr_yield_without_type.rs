// Misuse: `yield` without `= Type`.
use agen::{async_generator, yield_};

#[async_generator(yield)]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
