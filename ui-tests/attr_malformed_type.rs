// Misuse: the yield type does not parse (unclosed generic argument list).
use agen::{async_generator, yield_};

#[async_generator(yield = Vec<u32)]
async fn numbers() {
    yield_!(vec![1u32]);
}

fn main() {
    let _ = numbers();
}
