// Misuse: yielding a `&str` from a generator declared `yield = u32`.
use agen::{async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() {
    yield_!("one");
}

fn main() {
    let _ = numbers();
}
