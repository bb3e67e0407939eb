// Misuse: `async_gen!` with an argument it does not have (`item = u8`).
use agen::{async_gen, yield_};

fn main() {
    let _g = async_gen!(yield = u32, item = u8 => {
        yield_!(1);
    });
}
