// Misuse: `#[async_generator]` on a plain (non-async) fn.
use agen::{async_generator, yield_};

#[async_generator(yield = u32)]
fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
