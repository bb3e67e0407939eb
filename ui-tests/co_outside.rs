// Misuse: `co!()` outside any generator body.
use agen::co;

async fn numbers() {
    let _handle = co!();
}

fn main() {
    let _ = numbers();
}
