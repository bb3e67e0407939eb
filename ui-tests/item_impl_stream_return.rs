// Misuse: the return type written as the generator's type (`impl Stream`)
// instead of the body's return type.
use agen::{async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() -> impl futures::Stream<Item = u32> {
    yield_!(1u32);
}

fn main() {
    let _ = numbers();
}
