// Misuse: `raise_!` with a value that is neither the body's error type nor a `Thrown`.
use agen::{async_generator, raise_, yield_};

#[async_generator(yield = u32)]
async fn numbers() -> Result<(), std::io::Error> {
    yield_!(1);
    raise_!("disk on fire");
}

fn main() {
    let _ = numbers();
}
