// Misuse: `async_gen!` without `=>` between the arguments and the body.
use agen::{async_gen, yield_};

fn main() {
    let _g = async_gen!(yield = u32 {
        yield_!(1);
    });
}
