// The body's handle type (`Co`) is not exported: no path names it, so no
// user code can hold one or store one. (`agen`'s hidden macro-support
// module re-exports `agen_runtime::expansion::*`, checked here.)
use agen::agen_runtime::expansion::Co;
use agen_runtime::Co as RuntimeCo;

fn by_private_module(_: agen_runtime::yielder::Co<u32, (), std::convert::Infallible>) {}

fn main() {}
