use agen::{async_generator, yield_};

// Meant to add up what `asend` sends, but declares no `send = Type`.
#[async_generator(yield = i64)]
async fn running_total() {
    let mut total = 0;
    loop {
        total += yield_!(total);
    }
}

fn main() {
    let _ = running_total();
}
