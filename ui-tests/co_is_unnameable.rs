// The body's handle type (`Co`) is not exported: no path names it, so no
// user code can hold one or store one.
use agen::__private::Co;
use agen_runtime::Co as RuntimeCo;

fn by_private_module(_: agen_runtime::yielder::Co<u32, (), std::convert::Infallible>) {}

fn main() {}
