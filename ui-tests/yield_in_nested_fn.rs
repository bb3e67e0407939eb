// Misuse: `yield_!` inside a fn nested in the generator body.
use agen::{async_generator, yield_};

#[async_generator(yield = u32)]
async fn numbers() {
    fn helper() {
        yield_!(1u32);
    }
    helper();
}

fn main() {
    let _ = numbers();
}
