// Misuse: `yield` given twice.
use agen::{async_generator, yield_};

#[async_generator(yield = u32, yield = u64)]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
