// `yield_from_!` of something that is neither a generator nor a Stream.
use agen::{async_generator, yield_from_};

#[async_generator(yield = u32)]
async fn numbers() {
    yield_from_!(vec![1u32, 2, 3]);
}

fn main() {
    let _ = numbers();
}
