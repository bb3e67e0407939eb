//! Procedural macros of [agen](https://docs.rs/agen): `#[async_generator]`
//! and `async_gen!`. Use them through the `agen` crate, which re-exports them
//! and provides the runtime paths they expand to.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod body;
mod expand;
mod in_place;
mod misuse;
mod output;

use proc_macro::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};

// Documented where `agen` re-exports it: rustdoc appends an original's docs
// to the re-export's, so docs here would be repeated under agen's.
#[allow(missing_docs)]
#[proc_macro_attribute]
pub fn async_generator(args: TokenStream, item: TokenStream) -> TokenStream {
    attribute(args.into(), item.into()).into()
}

/// The attribute's expansion, on `proc_macro2` tokens (unit-testable).
fn attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let item2 = item.clone();
    let args2 = args.clone();
    let args = match syn::parse2::<args::AttrArgs>(args) {
        Ok(args) => args.0,
        Err(err) => {
            // Keep the user's function so that rust-analyzer still completes
            // in it, with its `yield_!`s quieted: the attribute is the error.
            return match syn::parse2::<syn::ItemFn>(item) {
                Ok(mut f) => {
                    let written = match &f.sig.output {
                        syn::ReturnType::Type(_, ty)
                            if !matches!(**ty, syn::Type::ImplTrait(_)) =>
                        {
                            Some((**ty).clone())
                        }
                        _ => None,
                    };
                    let types = body::Recovered {
                        send_ty: args::recover_send_ty(args2),
                        err_ty: output::Output::new(written, &syn::parse_quote!(::agen)).error_ty(),
                    };
                    body::neutralize(&mut f.block, &types);
                    // The placeholders make the rest of the body unreachable.
                    f.attrs.push(syn::parse_quote!(#[allow(unused)]));
                    with_error(err, quote!(#f))
                }
                Err(_) => with_error(err, item2),
            };
        }
    };
    match syn::parse2::<syn::ItemFn>(item) {
        Ok(f) => expand::function(&args, f),
        Err(err) => {
            let is_fn = item2
                .clone()
                .into_iter()
                .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "fn"));
            let ends_with_semi = matches!(
                item2.clone().into_iter().last(),
                Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == ';'
            );
            let err = if is_fn && ends_with_semi {
                syn::Error::new_spanned(
                    &item2,
                    "#[async_generator] needs the function's body: put it on a method with a body (in the `impl` block, or a provided trait method), not on a declaration ending in `;`",
                )
            } else if is_fn {
                err
            } else {
                syn::Error::new_spanned(
                    &item2,
                    "#[async_generator] goes on an `async fn` (a free function or a method with a body)",
                )
            };
            with_error(err, item2)
        }
    }
}

// Documented at agen's `async_gen!`, which calls it with `crate = $crate`.
#[allow(missing_docs)]
#[proc_macro]
pub fn async_gen(input: TokenStream) -> TokenStream {
    expression(input.into()).into()
}

/// The expression form's expansion, on `proc_macro2` tokens.
fn expression(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    match syn::parse2::<ExprInput>(input) {
        Ok(ExprInput { args, block }) => expand::expression(&args, block),
        Err(err) => {
            let err = err.to_compile_error();
            // `!` coerces to whatever the surrounding code expects, so the
            // only error shown is the one above.
            quote!({ #err; ::core::unreachable!() })
        }
    }
}

fn with_error(err: syn::Error, item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let err = err.to_compile_error();
    quote!(#err #item)
}

#[cfg(test)]
mod tests;

struct ExprInput {
    args: args::Args,
    block: syn::Block,
}

impl Parse for ExprInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let args = args::Args::parse(input, args::Form::Expression)?;
        input.parse::<syn::Token![=>]>().map_err(|e| {
            syn::Error::new(e.span(), "expected `=> { body }` after the arguments, as in `async_gen!(yield = u32 => { yield_!(1); })`")
        })?;
        if !input.peek(syn::token::Brace) {
            return Err(input.error(
                "expected the generator's body as a block after `=>`, as in `async_gen!(yield = u32 => { yield_!(1); })`",
            ));
        }
        let block: syn::Block = input.parse()?;
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the body block: `async_gen!(..)` ends with `=> { body }`",
            ));
        }
        Ok(ExprInput { args, block })
    }
}
