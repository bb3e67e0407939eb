//! The macro arguments: `yield = Y, send = S` (and `return = R` in the
//! expression form).

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Token, Type};

/// Parsed `key = Type` arguments.
pub struct Args {
    pub yield_ty: Type,
    pub send_ty: Option<Type>,
    pub return_ty: Option<Type>,
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
        while !input.is_empty() && !(form == Form::Expression && input.peek(Token![=>])) {
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
            input.parse::<Token![=]>()?;
            let ty: Type = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    format!("expected a type after `{key} =`, as in `{key} = u32`"),
                )
            })?;
            let slot = match key {
                "yield" => &mut yield_ty,
                "send" => &mut send_ty,
                _ => &mut return_ty,
            };
            if slot.is_some() {
                return Err(syn::Error::new(key_span, format!("`{key}` is given twice")));
            }
            *slot = Some(ty);
            if input.is_empty() || (form == Form::Expression && input.peek(Token![=>])) {
                break;
            }
            input.parse::<Token![,]>()?;
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
            return Err(syn::Error::new(Span::call_site(), msg));
        };
        Ok(Args {
            yield_ty,
            send_ty,
            return_ty,
        })
    }
}

fn unknown_key(key: &str, span: Span, form: Form) -> syn::Error {
    let allowed = match form {
        Form::Attribute => "`yield` and `send`",
        Form::Expression => "`yield`, `send` and `return`",
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
