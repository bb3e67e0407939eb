// Misuse: a misspelled argument (`yeild` for `yield`).
use agen::{async_generator, yield_};

#[async_generator(yeild = u32)]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
