//! Compile-fail cases: every misuse gives an error at the user's tokens.
//! Each `ui-tests/*.rs` has its reviewed `.stderr` beside it.
//!
//! `AGEN_UI="ui-tests/a.rs ui-tests/b*.rs"` runs only those cases.

#[test]
fn ui() {
    let cases = std::env::var("AGEN_UI").unwrap_or_else(|_| "ui-tests/*.rs".to_owned());
    let t = trybuild::TestCases::new();
    for case in cases.split_whitespace() {
        t.compile_fail(case);
    }
}
