// Misuse: using `yield_catch_!`'s result as the sent value without handling
// the `Err(Thrown)` case.
use agen::{async_generator, yield_catch_};

#[async_generator(yield = u32, send = u32)]
async fn numbers() {
    let sent: u32 = yield_catch_!(1);
    let _ = sent;
}

fn main() {
    let _ = numbers();
}
