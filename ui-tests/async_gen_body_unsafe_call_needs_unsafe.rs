// The body of an `async_gen!` is not inside the expansion's `unsafe` block:
// calling an `unsafe fn` there still needs `unsafe`.
use agen::{async_gen, yield_};

unsafe fn danger() {}

fn main() {
    let _g = async_gen!(yield = u32 => {
        danger();
        yield_!(1);
    });
}
