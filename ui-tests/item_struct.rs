// Misuse: `#[async_generator]` on a struct.
use agen::async_generator;

#[async_generator(yield = u32)]
struct Numbers {
    next: u32,
}

fn main() {
    let _ = Numbers { next: 0 };
}
