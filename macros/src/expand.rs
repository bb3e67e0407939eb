//! Builds the generator: the function for the attribute, the expression for
//! `async_gen!`.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, ReturnType, Type};

use crate::args::Args;
use crate::body;
use crate::in_place;
use crate::misuse;
use crate::output::Output;

/// The generator value: `AsyncGen::with_kind(kind, move |co| async move { .. })`.
///
/// `prelude` runs first inside the body (the moved-in arguments).
pub fn generator(
    args: &Args,
    output: &Output,
    prelude: TokenStream,
    in_place: &HashSet<String>,
    mut block: syn::Block,
) -> TokenStream {
    let chained = may_delegate(block.to_token_stream());
    body::rewrite(&mut block, &args.yield_ty, in_place, &args.krate);
    let krate = &args.krate;
    let hidden = Span::mixed_site();
    let co = body::handle();
    let yield_ty = &args.yield_ty;
    let send_ty = send_ty(args);
    let err_ty = output.error_ty();
    let ret_ty = &output.ty;
    let mut kind = output.kind_expr();
    if chained {
        kind = quote_spanned!(Span::mixed_site()=> #krate::__private::Chained::new(#kind));
    }
    let stmts = &block.stmts;
    let ret = quote_spanned!(hidden=> __agen_ret);
    let body = quote_spanned!(hidden=> __agen_body);
    let unsafe_token = quote_spanned!(hidden=> unsafe);
    // The body future is built outside the `unsafe` block, so the user's
    // code is never in an unsafe context. The constructor is `unsafe`
    // because the handle must be the body's first await and must stay in the
    // body: it is, kept in a binding user code cannot name, lent out only as
    // a borrowed `Yielder`.
    // `anext` and the `Stream` view resume with `S::default()`: say so at
    // the user's `send = S` when `S` has no `Default` (zero-cost: an empty
    // generic function).
    let send_check = args.send_ty.as_ref().map(|ty| {
        quote_spanned! {ty.span()=>
            #krate::__private::send_type_has_default::<#ty>();
        }
    });
    quote_spanned! {hidden=>
        {
            #send_check
            let #body = async move {
                // SAFETY: the body's first await, for this generator's types.
                let mut #co = #unsafe_token {
                    #krate::__private::handle::<#yield_ty, #send_ty, #err_ty>()
                }.await;
                #prelude
                #[allow(unused_mut, unused_variables)]
                let mut #co = #co.yielder();
                #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::unnecessary_operation)]
                let #ret: #ret_ty = { #(#stmts)* };
                #[allow(unreachable_code)]
                #ret
            };
            // SAFETY: see above.
            #unsafe_token {
                #krate::__private::AsyncGen::<#yield_ty, #send_ty, #err_ty, _, _>::with_kind(#kind, #body)
            }
        }
    }
}

/// Whether the body may delegate to another generator: `yield_from_!`,
/// `yield_from_catch_!` or `co!` appears anywhere in its tokens (also inside
/// other macros' tokens; a `co` that is something else only costs the
/// generator's `Stream` view a bigger hot path). Its kind is then wrapped in
/// `Chained`, which keeps the delegation chain's hot path in line.
fn may_delegate(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => {
            ident == "yield_from_" || ident == "yield_from_catch_" || ident == "co"
        }
        proc_macro2::TokenTree::Group(group) => may_delegate(group.stream()),
        _ => false,
    })
}

fn send_ty(args: &Args) -> TokenStream {
    match &args.send_ty {
        Some(ty) => ty.to_token_stream(),
        None => quote!(()),
    }
}

/// `#[async_generator(..)] async fn` → `fn .. -> impl AsyncGenerator + FusedStream`.
pub fn function(args: &Args, mut item: ItemFn) -> TokenStream {
    let mut errors = Vec::new();
    if item.sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            item.sig.fn_token,
            "#[async_generator] goes on an `async fn`: write `async fn`, the body may `.await` and `yield_!`",
        ));
    }
    if let Some(c) = item.sig.constness.take() {
        // Dropped from the output: the generator is built by non-const code.
        errors.push(syn::Error::new_spanned(
            c,
            "an async generator cannot be a `const fn`: remove `const`",
        ));
    }
    if let Some(v) = &item.sig.variadic {
        errors.push(syn::Error::new_spanned(
            v,
            "an async generator cannot be variadic",
        ));
    }
    item.sig.asyncness = None;
    let no_return_type = matches!(item.sig.output, ReturnType::Default);

    let written = match &item.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => {
            if let Type::ImplTrait(t) = &**ty {
                errors.push(syn::Error::new_spanned(
                    t,
                    "write the body's return type here, not the generator's: `-> ()` (or nothing), `-> Result<T, E>`, or `-> T`; the macro makes the function return `impl AsyncGenerator`",
                ));
                // Go on as if nothing were written (`impl Trait` cannot be
                // the body's type), so no second error follows.
                None
            } else {
                Some((**ty).clone())
            }
        }
    };
    let output = Output::new(written, &args.krate);
    let krate = &args.krate;
    let ret_span = match &item.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => item.sig.ident.span(),
    };

    // Arguments move into the body future, as they do for an `async fn`:
    // captured whole (`let _ = &x;` makes the `async move` block capture a
    // variable its code may not mention), not re-bound into locals, which
    // would store each one twice.
    let params: Vec<String> = item
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(arg) => match &*arg.pat {
                Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none() => {
                    Some(id.ident.to_string())
                }
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect();
    let in_place = in_place::candidates(&item.block, &params, &args.krate);
    let mut prelude = TokenStream::new();
    for (i, input) in item.sig.inputs.iter_mut().enumerate() {
        match input {
            FnArg::Receiver(r) => {
                let self_token = &r.self_token;
                prelude.extend(quote!(#[allow(unused_variables)] let _ = &#self_token;));
            }
            FnArg::Typed(arg) => {
                let pat = (*arg.pat).clone();
                // A `#[cfg]`'d parameter's statements carry its `cfg`.
                let cfgs: Vec<_> = arg
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("cfg"))
                    .cloned()
                    .collect();
                match &mut *arg.pat {
                    Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none() => {
                        let name = &id.ident;
                        prelude.extend(quote!(#(#cfgs)* let _ = &#name;));
                        if in_place.contains(&name.to_string()) && id.mutability.is_none() {
                            // Pinned in place: the captured variable is
                            // borrowed mutably.
                            id.mutability = Some(Default::default());
                        }
                    }
                    _ => {
                        // Captured whole first, as an `async fn` moves every
                        // argument in: a `_` (or a `_` inside the pattern)
                        // then drops with the body, not when the function
                        // returns.
                        let name = format_ident!("__agen_arg{}", i, span = Span::mixed_site());
                        prelude
                            .extend(quote!(#(#cfgs)* let _ = &#name; #(#cfgs)* let #pat = #name;));
                        *arg.pat = Pat::Ident(syn::PatIdent {
                            attrs: Vec::new(),
                            by_ref: None,
                            mutability: None,
                            ident: name,
                            subpat: None,
                        });
                    }
                }
            }
        }
    }

    let yield_ty = &args.yield_ty;
    let send_ty = send_ty(args);
    let ret_ty = output.return_ty();
    let err_ty = output.error_ty();
    let item_ty = output.item_ty(yield_ty);
    let written = &output.ty;
    // `impl` at a mixed-site span gets this crate's edition (2024): the
    // opaque type captures every lifetime of the signature.
    let impl_token = quote_spanned!(Span::mixed_site()=> impl);
    let signature_ty: Type = syn::parse2(quote_spanned! {ret_span=>
        #impl_token #krate::AsyncGenerator<Yield = #yield_ty, Send = #send_ty, Return = #ret_ty, Error = #err_ty>
            + #krate::FusedStream<Item = #item_ty>
            + #krate::__private::GeneratorOutput<Output = #written>
    })
    .unwrap_or_else(|_| syn::parse_quote!(()));
    item.sig.output = ReturnType::Type(Default::default(), Box::new(signature_ty));
    // `GeneratorOutput` implies `AsyncGenerator`, but the signature names
    // both so that readers (and rustdoc) see the protocol; in a trait impl it
    // may say more than the trait's `impl AsyncGenerator<..>`: on purpose.
    item.attrs
        .push(syn::parse_quote!(#[allow(clippy::implied_bounds_in_impls, refining_impl_trait)]));

    let mut block = (*item.block).clone();
    check_unsent_values(
        args,
        &mut block,
        "#[async_generator(yield = {}, send = {})]",
    );
    if no_return_type {
        misuse::result_without_return_type(&mut block);
    }
    let generator = generator(args, &output, prelude, &in_place, block);
    *item.block = syn::parse_quote!({ #generator });

    let errors = errors.into_iter().map(|e| e.to_compile_error());
    quote!(#(#errors)* #item)
}

/// `async_gen!(yield = Y, send = S, return = R => { .. })`.
pub fn expression(args: &Args, mut block: syn::Block) -> TokenStream {
    check_unsent_values(
        args,
        &mut block,
        "async_gen!(yield = {}, send = {} => { .. })",
    );
    let output = Output::new(args.return_ty.clone(), &args.krate);
    generator(args, &output, TokenStream::new(), &HashSet::new(), block)
}

/// Without `send = Type`, a `yield_!` whose value is used is an error that
/// names the fix: `form` is the macro's call with `{}` for both types.
fn check_unsent_values(args: &Args, block: &mut syn::Block, form: &str) {
    if args.send_ty.is_none() {
        let ty = args.yield_ty.to_token_stream().to_string();
        misuse::unsent_values(block, &format!("`{}`", form.replace("{}", &ty)));
    }
}
