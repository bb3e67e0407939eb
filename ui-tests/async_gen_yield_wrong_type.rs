// Misuse: yielding a `String` from an `async_gen!` declared `yield = u32`.
use agen::{async_gen, yield_};

fn main() {
    let _g = async_gen!(yield = u32 => {
        yield_!(String::from("one"));
    });
}
