// Misuse: `yield_!` inside a closure in an `async_gen!` body.
use agen::{async_gen, yield_};

fn main() {
    let _g = async_gen!(yield = u32 => {
        let emit = |n: u32| yield_!(n);
        emit(1);
    });
}
