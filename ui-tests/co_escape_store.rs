// Misuse: the body's `Yielder` stored in a place that outlives the body.
use agen::{Yielder, async_gen, co};

fn main() {
    let mut kept: Vec<Yielder<'static, u32>> = Vec::new();
    let kept_ref = &mut kept;
    let _g = async_gen!(yield = u32 => {
        kept_ref.push(co!());
    });
}
