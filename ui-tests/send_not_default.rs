// Misuse: `send = S` where `S` does not implement `Default` (`anext()` and the
// `Stream` send `S::default()`).
use agen::{async_generator, yield_};

struct Command(u8);

#[async_generator(yield = u32, send = Command)]
async fn numbers() {
    let Command(c) = yield_!(1);
    let _ = c;
}

fn main() {
    let _ = numbers();
}
