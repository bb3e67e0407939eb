// The generator's constructor is `unsafe`: the body must take its handle
// first and keep it (the macros guarantee both). Calling it from safe code
// is E0133.
fn main() {
    let _g = agen::__private::AsyncGen::<
        u32,
        (),
        std::convert::Infallible,
        agen::__private::Value,
        _,
    >::new(async {});
    let _h = agen::__private::AsyncGen::<u32, (), std::convert::Infallible, _, _>::with_kind(
        agen::__private::Value,
        async {},
    );
}
