//! The expansion itself, for what trybuild cannot show: that a broken input
//! still expands to the user's function (so rust-analyzer keeps completing
//! inside it) plus one `compile_error!`.

use proc_macro2::TokenStream;
use quote::quote;

fn expand(args: TokenStream, item: TokenStream) -> String {
    super::attribute(args, item).to_string()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn a_body_with_a_syntax_error_keeps_the_users_tokens_and_adds_one_error() {
    let out = expand(
        quote!(yield = u32),
        quote! {
            async fn typing(rows: Vec<u32>) {
                for row in rows {
                    yield_!(row.);
                }
                let half_written = rows.
            }
        },
    );
    assert_eq!(count(&out, "compile_error"), 1, "{out}");
    for users_token in ["typing", "rows", "row", "half_written", "yield_"] {
        assert!(
            out.contains(users_token),
            "`{users_token}` missing from {out}"
        );
    }
}

#[test]
fn wrong_arguments_keep_the_function_with_its_body_and_add_one_error() {
    let out = expand(
        quote!(yeild = u32),
        quote! {
            async fn numbers(limit: u32) {
                for i in 0..limit {
                    yield_!(i);
                }
            }
        },
    );
    assert_eq!(count(&out, "compile_error"), 1, "{out}");
    assert!(out.contains("unknown argument `yeild`"), "{out}");
    assert!(out.contains("fn numbers"), "{out}");
    assert!(out.contains("limit"), "{out}");
}

#[test]
fn a_correct_input_expands_without_errors_to_a_generator() {
    let out = expand(
        quote!(yield = u32, send = Option<u32>),
        quote! {
            async fn numbers(limit: u32) -> Result<(), std::io::Error> {
                yield_!(limit);
                Ok(())
            }
        },
    );
    assert_eq!(count(&out, "compile_error"), 0, "{out}");
    assert!(out.contains("AsyncGen"), "{out}");
    assert!(out.contains("impl :: agen :: AsyncGenerator"), "{out}");
    assert!(
        !out.contains("async fn"),
        "the fn is no longer async: {out}"
    );
}

#[test]
fn a_non_async_fn_is_still_expanded_with_one_error() {
    let out = expand(
        quote!(yield = u32),
        quote!(
            fn numbers() {
                yield_!(1);
            }
        ),
    );
    assert_eq!(count(&out, "compile_error"), 1, "{out}");
    assert!(out.contains("AsyncGen"), "{out}");
}

#[test]
fn the_expression_form_reports_a_missing_arrow_once() {
    let out = super::expression(quote!(yield = u32 { yield_!(1); })).to_string();
    assert_eq!(count(&out, "compile_error"), 1, "{out}");
}
