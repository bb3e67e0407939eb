// Misuse: `async_gen!` without `yield = Type`.
use agen::{async_gen, yield_};

fn main() {
    let _g = async_gen!(send = u32 => {
        yield_!(1u32);
    });
}
