// The generator's constructor is `unsafe`: the body must take its handle
// first and keep it (the macros guarantee both). Calling it from safe code
// is E0133, by every path (`agen`'s hidden macro-support module re-exports
// this same item).
fn main() {
    let _g = agen_runtime::expansion::AsyncGen::<
        u32,
        (),
        std::convert::Infallible,
        agen_runtime::Value,
        _,
    >::new(async {});
    let _h = agen::agen_runtime::expansion::AsyncGen::<u32, (), std::convert::Infallible, _, _>::with_kind(
        agen_runtime::Value,
        async {},
    );
}
