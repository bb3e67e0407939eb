// Misuse: `yield_!` in a plain fn that is not a generator.
use agen::yield_;

fn numbers() {
    yield_!(1u32);
}

fn main() {
    numbers();
}
