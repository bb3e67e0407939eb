// Misuse: `yield_catch_!` and `raise_!` outside any generator body.
use agen::{raise_, yield_catch_};

async fn numbers() {
    if let Err(thrown) = yield_catch_!(1u32) {
        raise_!(thrown);
    }
}

fn main() {
    let _ = numbers();
}
