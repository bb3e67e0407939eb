// Misuse: `yield_!(a, b)` with two values (yield a tuple instead).
use agen::{async_generator, yield_};

#[async_generator(yield = (u32, u32))]
async fn pairs() {
    yield_!(1, 2);
}

fn main() {
    let _ = pairs();
}
