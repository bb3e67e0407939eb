// The body of an `#[async_generator]` fn is not inside the expansion's
// `unsafe` block: calling an `unsafe fn` there still needs `unsafe`.
use agen::{async_generator, yield_};

unsafe fn danger() {}

#[async_generator(yield = u32)]
async fn g() {
    danger();
    yield_!(1);
}

fn main() {
    let _ = g();
}
