// Misuse: `yield_!` in a plain `async fn` that is not a generator
// (the `#[async_generator]` attribute is missing).
use agen::yield_;

async fn numbers() {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
