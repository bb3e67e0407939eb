// Misuse: the attribute has no `yield = Type`, so the yielded type is unknown.
use agen::{async_generator, yield_};

#[async_generator]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
