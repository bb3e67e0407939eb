// Misuse: `return = Type` in the attribute; the fn's own return type is the body's.
use agen::{async_generator, yield_};

#[async_generator(yield = u32, return = bool)]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
