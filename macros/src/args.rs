//! The macro arguments: `yield = Y, send = S` (and `return = R` in the
//! expression form).

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Token, Type};

/// Parsed `key = Type` arguments.
pub struct Args {
    pub yield_ty: Type,
    pub send_ty: Option<Type>,
    pub return_ty: Option<Type>,
    /// `crate = path`: where the expansion finds agen (default `::agen`),
    /// for crates that re-export it.
    pub krate: syn::Path,
}

/// Which macro is parsing: the expression form also takes `return = R` and
/// ends its arguments at `=>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Attribute,
    Expression,
}

impl Args {
    pub fn parse(input: ParseStream<'_>, form: Form) -> syn::Result<Self> {
        let mut yield_ty = None;
        let mut send_ty = None;
        let mut return_ty = None;
        let mut krate: Option<syn::Path> = None;
        // Where the arguments start and end, to underline them all when
        // `yield` is missing.
        let mut first_span = input.span();
        let mut last_span = None;
        // The arguments end at the end of the input, or at `=>` in the
        // expression form.
        let at_end = |input: ParseStream<'_>| {
            input.is_empty() || (form == Form::Expression && input.peek(Token![=>]))
        };
        while !at_end(input) {
            if input.peek(Token![crate]) && input.peek2(Token![=]) {
                let key_span = input.parse::<Token![crate]>()?.span;
                input.parse::<Token![=]>()?;
                let path = syn::Path::parse_mod_style(input).map_err(|_| {
                    syn::Error::new(
                        key_span,
                        "expected a path after `crate =`, as in `crate = ::my_crate::agen`",
                    )
                })?;
                if krate.replace(path).is_some() {
                    return Err(syn::Error::new(key_span, "`crate` is given twice"));
                }
                if at_end(input) {
                    break;
                }
                input.parse::<Token![,]>()?;
                // A missing `yield` underlines the other arguments.
                first_span = input.span();
                continue;
            }
            let key_span;
            let key = if input.peek(Token![yield]) {
                key_span = input.parse::<Token![yield]>()?.span;
                "yield"
            } else if input.peek(Token![return]) && form == Form::Expression {
                key_span = input.parse::<Token![return]>()?.span;
                "return"
            } else if input.peek(syn::Ident) {
                let ident: syn::Ident = input.parse()?;
                key_span = ident.span();
                if ident == "send" {
                    "send"
                } else {
                    return Err(unknown_key(&ident.to_string(), ident.span(), form));
                }
            } else {
                // (The expression form took `return` above.)
                let hint = if input.peek(Token![return]) {
                    "`return = ..` is not an argument of the attribute: write the body's return type as the fn's return type (`async fn f() -> Result<(), E>`)"
                } else {
                    "expected `yield = Type`, `send = Type`"
                };
                return Err(input.error(hint));
            };
            if !input.peek(Token![=]) {
                return Err(syn::Error::new(
                    key_span,
                    format!("expected `=` and a type after `{key}`, as in `{key} = u32`"),
                ));
            }
            let eq_span = input.parse::<Token![=]>()?.span;
            // The argument's tokens, for an error at the end of the input.
            let rest = input.fork().cursor().token_stream();
            let ty: Type = input.parse().map_err(|e| {
                let msg = format!("expected a type after `{key} =`, as in `{key} = u32`");
                // (syn leaves the input where the type stopped parsing.)
                if input.is_empty() {
                    // syn reports the end of the input at the macro's call
                    // site (the whole attribute): underline the argument.
                    let last = rest.clone().into_iter().last();
                    let detail = if last.is_none() {
                        String::new()
                    } else {
                        " (the type is incomplete)".to_string()
                    };
                    let last = last.map_or(eq_span, |t| t.span());
                    spanning(key_span, last, format!("{msg}{detail}"))
                } else {
                    syn::Error::new(e.span(), format!("{msg} ({e})"))
                }
            })?;
            last_span = Some(ty_last_span(&ty));
            let slot = match key {
                "yield" => &mut yield_ty,
                "send" => &mut send_ty,
                _ => &mut return_ty,
            };
            if slot.is_some() {
                return Err(syn::Error::new(key_span, format!("`{key}` is given twice")));
            }
            *slot = Some(ty);
            if at_end(input) {
                break;
            }
            input.parse::<Token![,]>().map_err(|e| {
                let msg = match form {
                    Form::Attribute => {
                        "expected `,` before the next argument: the arguments are `yield = Type, send = Type`"
                    }
                    Form::Expression => {
                        "expected `,` before the next argument, or `=> { body }`, as in `async_gen!(yield = u32 => { yield_!(1); })`"
                    }
                };
                syn::Error::new(e.span(), msg)
            })?;
        }
        let Some(yield_ty) = yield_ty else {
            let msg = match form {
                Form::Attribute => {
                    "missing `yield = Type`: say what the generator yields, as in `#[async_generator(yield = u32)]`"
                }
                Form::Expression => {
                    "missing `yield = Type`: say what the generator yields, as in `async_gen!(yield = u32 => { .. })`"
                }
            };
            return Err(match last_span {
                Some(last) => spanning(first_span, last, msg),
                // No argument at all: the whole call (for the attribute,
                // `#[async_generator]`; for the expression form, `=>`).
                None if form == Form::Expression && !input.is_empty() => input.error(msg),
                None => syn::Error::new(Span::call_site(), msg),
            });
        };
        Ok(Args {
            yield_ty,
            send_ty,
            return_ty,
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::agen)),
        })
    }
}

/// An error underlining the tokens from `first` to `last`.
fn spanning(first: Span, last: Span, msg: impl std::fmt::Display) -> syn::Error {
    let mut tokens = TokenStream::new();
    tokens.extend([
        TokenTree::Ident(Ident::new("first", first)),
        TokenTree::Ident(Ident::new("last", last)),
    ]);
    syn::Error::new_spanned(tokens, msg)
}

/// The span of a type's last token.
fn ty_last_span(ty: &Type) -> Span {
    ty.to_token_stream()
        .into_iter()
        .last()
        .map_or_else(Span::call_site, |t| t.span())
}

fn unknown_key(key: &str, span: Span, form: Form) -> syn::Error {
    let allowed = match form {
        Form::Attribute => "`yield`, `send` and `crate`",
        Form::Expression => "`yield`, `send`, `return` and `crate`",
    };
    syn::Error::new(
        span,
        format!("unknown argument `{key}`: the arguments are {allowed}"),
    )
}

/// The attribute's arguments: all of the input.
pub struct AttrArgs(pub Args);

impl Parse for AttrArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Args::parse(input, Form::Attribute).map(AttrArgs)
    }
}

/// After the arguments failed to parse: the `send` type, if they name one
/// that parses; `()` if they have no `send` at all; `None` if it is broken.
pub fn recover_send_ty(args: TokenStream) -> Option<Type> {
    let scan = |input: ParseStream<'_>| -> syn::Result<Option<Type>> {
        let mut send = Some(syn::parse_quote!(()));
        while !input.is_empty() {
            if input.peek(syn::Ident) && input.peek2(Token![=]) && !input.peek2(Token![=>]) {
                let key: Ident = input.parse()?;
                if key == "send" {
                    input.parse::<Token![=]>()?;
                    let ty: Type = input.parse()?;
                    let complete = input.is_empty() || input.peek(Token![,]);
                    send = complete.then_some(ty);
                    // The rest is skipped (it may be what is broken).
                    input.parse::<TokenStream>()?;
                }
            } else {
                input.parse::<TokenTree>()?;
            }
        }
        Ok(send)
    };
    syn::parse::Parser::parse2(scan, args).ok().flatten()
}
