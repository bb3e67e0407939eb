// Misuse: stray tokens after the last argument.
use agen::{async_generator, yield_};

#[async_generator(yield = u32 extra)]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
