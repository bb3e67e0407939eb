// `Delegate` (what `Yielder::yield_from` drives) is sealed: only the
// runtime's three adapters implement it.
struct MyDelegate;

impl agen_runtime::Delegate<u32, (), std::convert::Infallible> for MyDelegate {
    type Output = ();
}

fn main() {}
