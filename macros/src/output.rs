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
    /// `T` and `E` when written out (`Result<T, E>`), so that the signature
    /// users see names them; an alias (`io::Result<T>`) is projected.
    parts: Option<(Type, Type)>,
    /// Where agen is (`crate = path`).
    krate: syn::Path,
}

impl Output {
    pub fn new(ty: Option<Type>, krate: &syn::Path) -> Self {
        let ty = ty.unwrap_or_else(|| syn::parse_quote!(()));
        let last = match &ty {
            Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
            _ => None,
        };
        let fallible = last.is_some_and(|s| s.ident == "Result");
        let parts = last.filter(|_| fallible).and_then(|s| match &s.arguments {
            syn::PathArguments::AngleBracketed(a) => {
                match (a.args.len(), a.args.first(), a.args.last()) {
                    (
                        2,
                        Some(syn::GenericArgument::Type(ok)),
                        Some(syn::GenericArgument::Type(err)),
                    ) => Some((ok.clone(), err.clone())),
                    _ => None,
                }
            }
            _ => None,
        });
        Output {
            ty,
            fallible,
            parts,
            krate: krate.clone(),
        }
    }

    /// The body's error type `E`.
    pub fn error_ty(&self) -> TokenStream {
        let (ty, krate) = (&self.ty, &self.krate);
        match &self.parts {
            Some((_, err)) => quote!(#err),
            None if self.fallible => quote!(<#ty as #krate::__private::ResultParts>::Err),
            None => quote!(::core::convert::Infallible),
        }
    }

    /// The return value type `T`.
    pub fn return_ty(&self) -> TokenStream {
        let (ty, krate) = (&self.ty, &self.krate);
        match &self.parts {
            Some((ok, _)) => quote!(#ok),
            None if self.fallible => quote!(<#ty as #krate::__private::ResultParts>::Ok),
            None => quote!(#ty),
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
        let krate = &self.krate;
        if self.fallible {
            let err = self.error_ty();
            quote_spanned! {span=> {
                #[allow(unused_imports, clippy::items_after_statements)]
                use #krate::__private::{ViaNoStopCheck as _, ViaStopCheck as _};
                (&&#krate::__private::Probe::<#err>::new()).__agen_kind()
            }}
        } else {
            quote_spanned!(span=> #krate::__private::Value)
        }
    }
}
