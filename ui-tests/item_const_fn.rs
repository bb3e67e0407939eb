// Misuse: `#[async_generator]` on a `const fn`.
use agen::{async_generator, yield_};

#[async_generator(yield = u32)]
const fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
