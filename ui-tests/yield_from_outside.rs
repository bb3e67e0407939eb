// Misuse: `yield_from_!` outside any generator body.
use agen::yield_from_;

async fn numbers() {
    yield_from_!(futures::stream::iter([1u32, 2]));
}

fn main() {
    let _ = numbers();
}
