// Misuse: only `send = Type` is given; `yield = Type` is still required.
use agen::{async_generator, yield_};

#[async_generator(send = u32)]
async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
