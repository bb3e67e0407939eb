// Misuse: `async_gen!` with `=>` but no `{ body }` block.
use agen::{async_gen, yield_};

fn main() {
    let _g = async_gen!(yield = u32 => yield_!(1));
}
