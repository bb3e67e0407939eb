// Misuse: `#[async_generator]` on a trait method declaration without a body.
use agen::async_generator;

trait Source {
    #[async_generator(yield = u32)]
    async fn numbers(&self);
}

fn main() {}
