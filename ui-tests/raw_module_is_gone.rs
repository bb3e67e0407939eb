// The old `agen::raw` module (a safe constructor for generators around any
// body future) is gone: nothing outside the macros can build a generator.
use agen::raw::AsyncGen;

fn main() {}
