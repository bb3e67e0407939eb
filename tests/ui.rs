//! Compile-fail cases: every misuse gives an error at the user's tokens.
//! Each `ui-tests/*.rs` has its reviewed `.stderr` beside it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui-tests/*.rs");
}
