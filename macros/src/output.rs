//! The body's return type: which output kind it is, and the types the
//! generated code names.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Type;

/// What the generated code needs to know about the body's return type.
pub struct Output {
    /// The written return type (`()` when none is written).
    pub ty: Type,
    /// `true` for `Result<T, E>` (by the last path segment, so aliases such
    /// as `io::Result<T>` count).
    pub fallible: bool,
}

impl Output {
    pub fn new(ty: Option<Type>) -> Self {
        let ty = ty.unwrap_or_else(|| syn::parse_quote!(()));
        let fallible = match &ty {
            Type::Path(p) => {
                p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Result")
            }
            _ => false,
        };
        Output { ty, fallible }
    }

    /// The body's error type `E`.
    pub fn error_ty(&self) -> TokenStream {
        let ty = &self.ty;
        if self.fallible {
            quote!(<#ty as ::agen::__private::ResultParts>::Err)
        } else {
            quote!(::core::convert::Infallible)
        }
    }

    /// The return value type `T`.
    pub fn return_ty(&self) -> TokenStream {
        let ty = &self.ty;
        if self.fallible {
            quote!(<#ty as ::agen::__private::ResultParts>::Ok)
        } else {
            quote!(#ty)
        }
    }

    /// The `Stream` item for a yield type.
    pub fn item_ty(&self, yield_ty: &Type) -> TokenStream {
        if self.fallible {
            let err = self.error_ty();
            quote!(::core::result::Result<#yield_ty, #err>)
        } else {
            quote!(#yield_ty)
        }
    }

    /// An expression whose value is the kind marker. For a fallible body the
    /// PEP 479 policy is picked by autoref specialization: the error type's
    /// `StopIterationLike` impl if it has one, else no check.
    pub fn kind_expr(&self) -> TokenStream {
        let span = Span::mixed_site();
        if self.fallible {
            let err = self.error_ty();
            quote_spanned! {span=> {
                #[allow(unused_imports)]
                use ::agen::__private::{ViaNoStopCheck as _, ViaStopCheck as _};
                (&&::agen::__private::Probe::<#err>::new()).__agen_kind()
            }}
        } else {
            quote_spanned!(span=> ::agen::__private::Value)
        }
    }
}
