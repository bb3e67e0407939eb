// `yield_!(v)` makes its yield inside an `unsafe` block of the expansion's
// own, but `v` is evaluated before it: an `unsafe fn` call in the value
// still needs `unsafe`, in both macro forms.
use agen::{async_gen, async_generator, yield_};

unsafe fn danger() -> u32 {
    1
}

#[async_generator(yield = u32)]
async fn numbers() {
    yield_!(danger());
}

fn main() {
    let _g = numbers();
    let _h = async_gen!(yield = u32 => {
        yield_!(danger());
    });
}
