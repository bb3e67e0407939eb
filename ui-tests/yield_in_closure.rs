// Misuse: `yield_!` inside a closure in the body: the closure cannot suspend the generator.
use agen::{async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() {
    [1u32, 2, 3].iter().for_each(|n| {
        yield_!(*n);
    });
}

fn main() {
    let _ = numbers();
}
