//! Rewrites the generator's body: each `yield_!`, `yield_catch_!`, `raise_!`,
//! `yield_from_!` and `co!` becomes a call on the body's hidden handle.
//!
//! The handle is an identifier with `Span::mixed_site()`, so user code cannot
//! name it; these macros are the only way to reach it. Code that runs in
//! another scope (a closure, a nested `async` block, a nested `fn`) cannot
//! suspend the generator: a generator macro there is replaced by a
//! `compile_error!` that says why and what to write instead.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Macro, Stmt, Token, Type};

use crate::in_place;

/// The hidden handle's name.
pub fn handle() -> Ident {
    Ident::new("__agen_co", Span::mixed_site())
}

/// Where a generator macro was found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Body,
    Closure,
    AsyncBlock,
    NestedFn,
}

/// The macros this pass owns: by name (`yield_!`, imported), or by a path
/// through agen (`agen::yield_!`, `::agen::yield_!`, or the `crate = path`
/// given). `other::co!()` is another crate's macro: left alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GenMacro {
    Yield,
    YieldCatch,
    Raise,
    YieldFrom,
    YieldFromCatch,
    Co,
}

impl GenMacro {
    fn of(mac: &Macro, krate: &syn::Path) -> Option<Self> {
        let path = &mac.path;
        if path.segments.len() > 1 || path.leading_colon.is_some() {
            let prefix: Vec<String> = path
                .segments
                .iter()
                .take(path.segments.len() - 1)
                .map(|s| s.ident.to_string())
                .collect();
            let ours: Vec<String> = krate.segments.iter().map(|s| s.ident.to_string()).collect();
            if prefix != ["agen"] && prefix != ours {
                return None;
            }
        }
        let last = path.segments.last()?;
        Some(match last.ident.to_string().as_str() {
            "yield_" => GenMacro::Yield,
            "yield_catch_" => GenMacro::YieldCatch,
            "raise_" => GenMacro::Raise,
            "yield_from_" => GenMacro::YieldFrom,
            "yield_from_catch_" => GenMacro::YieldFromCatch,
            "co" => GenMacro::Co,
            _ => return None,
        })
    }

    fn is_delegation(self) -> bool {
        matches!(self, GenMacro::YieldFrom | GenMacro::YieldFromCatch)
    }

    fn name(self) -> &'static str {
        match self {
            GenMacro::Yield => "yield_!",
            GenMacro::YieldCatch => "yield_catch_!",
            GenMacro::Raise => "raise_!",
            GenMacro::YieldFrom => "yield_from_!",
            GenMacro::YieldFromCatch => "yield_from_catch_!",
            GenMacro::Co => "co!",
        }
    }
}

/// Is `mac` agen's `yield_from_!` or `yield_from_catch_!`?
pub fn is_delegation(mac: &Macro, krate: &syn::Path) -> bool {
    GenMacro::of(mac, krate).is_some_and(GenMacro::is_delegation)
}

/// Macros whose tokens belong to another generator: never rewritten here.
fn is_nested_generator(mac: &Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "async_gen")
}

fn has_generator_attr(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "async_generator")
    })
}

/// Rewrites `block` in place. `yield_ty` is the declared yield type: each
/// yielded value is checked against it (at the user's tokens) before it is
/// handed to the handle.
///
/// `in_place` names the arguments that `yield_from_!(name)` pins where they
/// are (see `in_place.rs`).
pub fn rewrite(
    block: &mut syn::Block,
    yield_ty: &Type,
    in_place: &HashSet<String>,
    krate: &syn::Path,
) {
    Rewriter {
        scope: Scope::Body,
        mode: Mode::Expand(yield_ty, in_place, krate),
    }
    .visit_block_mut(block);
}

/// Rewrites the body of a function whose attribute arguments are wrong (an
/// error was already reported): every generator macro becomes a placeholder
/// that type-checks quietly, so the user sees the attribute error alone, not
/// one follow-up error per `yield_!`.
///
/// `types` says what the placeholders evaluate to, as far as it is known.
pub fn neutralize(block: &mut syn::Block, types: &Recovered) {
    Rewriter {
        scope: Scope::Body,
        mode: Mode::Recover(types),
    }
    .visit_block_mut(block);
}

/// What is known of a generator whose attribute failed to parse.
pub struct Recovered {
    /// The send type, if the arguments name one that parses (`()` when they
    /// have no `send`); `None` leaves it to inference.
    pub send_ty: Option<Type>,
    /// The body's error type (from the fn's return type).
    pub err_ty: TokenStream,
}

#[derive(Clone, Copy)]
enum Mode<'a> {
    Expand(&'a Type, &'a HashSet<String>, &'a syn::Path),
    Recover(&'a Recovered),
}

struct Rewriter<'a> {
    scope: Scope,
    mode: Mode<'a>,
}

impl Rewriter<'_> {
    fn nested<T>(&mut self, scope: Scope, node: &mut T, visit: impl FnOnce(&mut Self, &mut T)) {
        // A scope nested in a closure or fn stays in the outer, stricter one.
        let outer = self.scope;
        if outer == Scope::Body || scope == Scope::NestedFn {
            self.scope = scope;
        }
        visit(self, node);
        self.scope = outer;
    }

    /// The expansion of one generator macro, or `None` for other macros.
    fn expand(&self, mac: &Macro, in_tokens: bool) -> Option<TokenStream> {
        let default;
        let krate = match self.mode {
            Mode::Expand(_, _, krate) => krate,
            Mode::Recover(_) => {
                default = syn::parse_quote!(::agen);
                &default
            }
        };
        let kind = GenMacro::of(mac, krate)?;
        let path = &mac.path;
        let span = mac.span();
        // Naming the user's macro path (an arm that expands to nothing) keeps
        // their `use agen::yield_;` a used import, also when the call is an
        // error. A successful expansion carries that marker inside its own
        // argument block, so it stays a plain call expression (no block around
        // it for lints such as `blocks_in_conditions` to see).
        let marked = |tokens: TokenStream| quote_spanned!(span=> { #path!(@__agen_used); #tokens });
        Some(match self.mode {
            Mode::Expand(yield_ty, in_place, krate) => {
                match expand_call(kind, mac, yield_ty, in_place, krate, self.scope, in_tokens) {
                    Ok(tokens) => tokens,
                    Err(err) => marked(err.to_compile_error()),
                }
            }
            Mode::Recover(types) => marked(placeholder(kind, mac, types)),
        })
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Macro(m) => {
                if let Some(tokens) = self.expand(&m.mac, false) {
                    *expr = Expr::Verbatim(tokens);
                } else if !is_nested_generator(&m.mac) {
                    m.mac.tokens = self.rewrite_tokens(m.mac.tokens.clone());
                }
            }
            Expr::Closure(c) => self.nested(Scope::Closure, c, |v, c| {
                visit_mut::visit_expr_closure_mut(v, c)
            }),
            Expr::Async(a) => self.nested(Scope::AsyncBlock, a, |v, a| {
                visit_mut::visit_expr_async_mut(v, a)
            }),
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        if let Stmt::Macro(m) = stmt {
            if let Some(tokens) = self.expand(&m.mac, false) {
                let semi = m.semi_token;
                *stmt = Stmt::Expr(Expr::Verbatim(tokens), semi);
            } else if !is_nested_generator(&m.mac) {
                m.mac.tokens = self.rewrite_tokens(m.mac.tokens.clone());
            }
            return;
        }
        visit_mut::visit_stmt_mut(self, stmt);
    }

    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        // A nested `#[async_generator]` fn has its own handle.
        if let syn::Item::Fn(f) = item {
            if has_generator_attr(&f.attrs) {
                return;
            }
        }
        self.nested(Scope::NestedFn, item, |v, i| {
            visit_mut::visit_item_mut(v, i)
        });
    }

    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        if !has_generator_attr(&f.attrs) {
            visit_mut::visit_impl_item_fn_mut(self, f);
        }
    }
}

impl Rewriter<'_> {
    /// Another macro's tokens (`println!("{}", yield_!(1))`): rewrite
    /// `name!(..)` sequences found among them, recursively.
    fn rewrite_tokens(&self, tokens: TokenStream) -> TokenStream {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out = TokenStream::new();
        let mut i = 0;
        while i < trees.len() {
            if let (
                TokenTree::Ident(ident),
                Some(TokenTree::Punct(bang)),
                Some(TokenTree::Group(group)),
            ) = (&trees[i], trees.get(i + 1), trees.get(i + 2))
            {
                let preceded_by_path =
                    i > 0 && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == ':');
                // `path::yield_!(..)` inside another macro's tokens is left alone.
                if bang.as_char() == '!' && !preceded_by_path {
                    let mac: Option<Macro> = syn::parse2(quote!(#ident #bang #group)).ok();
                    if let Some(mac) = mac {
                        if let Some(expanded) = self.expand(&mac, true) {
                            out.extend(Some(TokenTree::Group(Group::new(
                                Delimiter::None,
                                expanded,
                            ))));
                            i += 3;
                            continue;
                        }
                        if is_nested_generator(&mac) {
                            out.extend(trees[i..i + 3].iter().cloned());
                            i += 3;
                            continue;
                        }
                    }
                }
            }
            match &trees[i] {
                TokenTree::Group(g) => {
                    let mut inner = Group::new(g.delimiter(), self.rewrite_tokens(g.stream()));
                    inner.set_span(g.span());
                    out.extend(Some(TokenTree::Group(inner)));
                }
                other => out.extend(Some(other.clone())),
            }
            i += 1;
        }
        out
    }
}

/// `tokens`, every token at `span` (the user's call: errors point there, and
/// the path resolves as the user wrote it).
fn respan(tokens: &impl ToTokens, span: Span) -> TokenStream {
    tokens
        .to_token_stream()
        .into_iter()
        .map(|mut token| {
            match &token {
                // `$crate` resolves by its hygiene: keep it, move only the
                // location.
                TokenTree::Ident(ident) if ident == "$crate" => {
                    token.set_span(token.span().located_at(span));
                }
                _ => token.set_span(span),
            }
            token
        })
        .collect()
}

/// The code for one generator macro found in `scope`.
fn expand_call(
    kind: GenMacro,
    mac: &Macro,
    yield_ty: &Type,
    in_place: &HashSet<String>,
    krate: &syn::Path,
    scope: Scope,
    in_tokens: bool,
) -> syn::Result<TokenStream> {
    let args = mac.tokens.clone();
    // Naming the user's macro path (an arm that expands to nothing) keeps
    // their `use agen::yield_;` a used import.
    let path = &mac.path;
    let marker = quote_spanned!(mac.span()=> #path!(@__agen_used););
    // The expansion's first token sits on the macro's name and its last on the
    // closing delimiter, so an error about the whole call (a type mismatch on
    // what it evaluates to, a borrow of the handle) underlines `yield_!(..)`.
    let span = mac.span();
    let end = mac.delimiter.span().close();
    // The handle keeps its hygiene (user code cannot name it) but is located
    // at the user's call.
    let co = Ident::new("__agen_co", Span::mixed_site().located_at(span));
    // The path to agen, located at the user's call like the rest of the
    // expansion (so that errors underline the call, not the attribute).
    let agen_path = krate;
    let krate = respan(krate, span);
    let name = kind.name();
    match (scope, kind) {
        (Scope::Body, _) | (Scope::Closure | Scope::AsyncBlock, GenMacro::Co) => {}
        (Scope::Closure, _) => {
            return Err(syn::Error::new_spanned(
                mac,
                format!(
                    "`{name}` cannot be used inside a closure: a closure is a separate function and cannot suspend the generator\n\
                     help: write the loop in the generator body itself, or move the code into a helper `async fn` that takes `co!()` (an `agen::Yielder`) and calls `.yield_(v).await` on it"
                ),
            ));
        }
        (Scope::AsyncBlock, _) => {
            return Err(syn::Error::new_spanned(
                mac,
                format!(
                    "`{name}` cannot be used inside a nested `async` block: the block is a separate future that could outlive the generator's step\n\
                     help: write the code directly in the generator body, or yield from the block's items with `yield_from_!(async_gen!(yield = T => {{ .. }}))`"
                ),
            ));
        }
        (Scope::NestedFn, _) => {
            return Err(syn::Error::new_spanned(
                mac,
                format!(
                    "`{name}` cannot be used inside a nested `fn`: it belongs to the enclosing generator\n\
                     help: make the nested function an `async fn` that takes `co: agen::Yielder<'_, T>` and calls `co.yield_(v).await`, then call it with `helper(co!()).await`"
                ),
            ));
        }
    }
    Ok(match kind {
        GenMacro::Co => {
            if !args.is_empty() {
                return Err(syn::Error::new_spanned(
                    args,
                    "`co!()` takes no arguments: write `co!()`",
                ));
            }
            let reborrow = quote_spanned!(span=> #krate::Yielder::reborrow);
            quote_spanned!(end=> #reborrow({ #marker &mut #co }))
        }
        GenMacro::Yield
        | GenMacro::YieldCatch
        | GenMacro::Raise
        | GenMacro::YieldFrom
        | GenMacro::YieldFromCatch => {
            let arg = one_argument(kind, mac)?;
            let method = Ident::new(
                match kind {
                    GenMacro::Yield => "yield_",
                    GenMacro::YieldCatch => "yield_catch",
                    GenMacro::Raise => "raise",
                    GenMacro::YieldFromCatch => "yield_from_catch",
                    _ => "yield_from",
                },
                span,
            );
            // `#krate::Yielder::method(&mut <handle>, ..).await`: the call
            // starts at the macro's name and ends at its closing delimiter,
            // so an error about what it evaluates to underlines `name!(..)`.
            let call = quote_spanned!(span=> #krate::Yielder::#method);
            let handle = quote_spanned!(span=> &mut #co);
            match kind {
                GenMacro::Raise => {
                    quote_spanned!(end=> match #call({ #marker #handle }, #arg).await {})
                }
                GenMacro::Yield if !in_tokens => {
                    // In the body's own syntax: as below, through the yield
                    // that is sound only when awaited at once (an `unsafe
                    // fn`): the `.await` is on the block that makes it. The `unsafe` block holds only
                    // the call on hidden names (the user's value is bound
                    // before it), and its token is the macro's own, so a
                    // `#![forbid(unsafe_code)]` crate still builds.
                    let value = Ident::new("__agen_value", Span::mixed_site().located_at(span));
                    let awaited = Ident::new("__yield_awaited", span);
                    let call = quote_spanned!(span=> #krate::Yielder::#awaited);
                    let unsafe_token = quote_spanned!(Span::mixed_site()=> unsafe);
                    quote_spanned! {end=>
                        {
                            #marker
                            let #value: #yield_ty = #arg;
                            // SAFETY: awaited at once, right here.
                            #unsafe_token { #call(#handle, #value) }
                        }.await
                    }
                }
                GenMacro::Yield | GenMacro::YieldCatch => {
                    // (A `yield_!` here is inside another macro's tokens,
                    // where the `.await` can be separated from the future —
                    // a user's macro can strip it — or the future raced and
                    // dropped by `select!`: the guarded `Yielder::yield_`,
                    // which takes the value sent in with a write, and no
                    // `unsafe` token a macro could capture.)
                    // A typed binding: a value of the wrong type is reported
                    // at the value, against the declared `yield = Y`. Its
                    // block ends before the await, so the binding takes no
                    // room in the body's state.
                    let value = Ident::new("__agen_value", Span::mixed_site().located_at(span));
                    quote_spanned! {end=>
                        #call(#handle, {
                            #marker
                            let #value: #yield_ty = #arg;
                            #value
                        }).await
                    }
                }
                _ => {
                    // The inner is evaluated in a block that ends before the
                    // await, so only the delegation future (which owns it)
                    // lives in the body's state: one copy per level. The
                    // adapter is picked by autoref specialization: full
                    // forwarding for a generator, items only for a Stream.
                    // Three tiers: a generator of the outer's exact types gets
                    // the fast path (`SameDelegate`), any other generator
                    // `GenDelegate`, a Stream `StreamDelegate`. Method-call
                    // syntax, so that the tag may look at the handle's types
                    // while its `&mut` is only reserved (two-phase borrow).
                    let inner =
                        Ident::new("__agen_inner", Span::mixed_site().located_at(arg.span()));
                    // At the user's argument: an inner that cannot be
                    // delegated to is reported there.
                    let delegate = quote_spanned! {arg.span()=>
                        (&&&#krate::__private::tag(&#inner, &#co)).__agen_delegate(#inner)
                    };
                    let method_ident = Ident::new(
                        if kind == GenMacro::YieldFromCatch {
                            "yield_from_catch"
                        } else {
                            "yield_from"
                        },
                        span,
                    );
                    let _ = (&call, &handle);
                    let pinned_in_place = in_place::delegated_ident(mac, agen_path)
                        .is_some_and(|name| in_place.contains(&name));
                    if pinned_in_place {
                        // The argument is a variable of the pinned body
                        // future: pin it where it is. The move that is never
                        // taken makes any later use of it a compile error, so
                        // it is never moved again and is dropped in place.
                        let place =
                            Ident::new("__agen_place", Span::mixed_site().located_at(arg.span()));
                        let out = Ident::new("__agen_out", Span::mixed_site().located_at(span));
                        let unsafe_token = quote_spanned!(Span::mixed_site()=> unsafe);
                        return Ok(quote_spanned! {end=>
                            {
                                let #out = #co.#method_ident({
                                    #marker
                                    let #place = &mut #arg;
                                    // SAFETY: `#arg` is a variable of the body
                                    // future, which is pinned; see above.
                                    let #inner = #unsafe_token { #krate::__private::Pin::new_unchecked(#place) };
                                    #[allow(unused_imports)]
                                    #[allow(clippy::items_after_statements)]
                                    use #krate::__private::{ViaGenerator as _, ViaSame as _, ViaStream as _};
                                    #delegate
                                }).await;
                                if false {
                                    ::core::mem::drop(#arg);
                                }
                                #out
                            }
                        });
                    }
                    quote_spanned! {end=>
                        #co.#method_ident({
                            #marker
                            let #inner = #arg;
                            #[allow(unused_imports)]
                            #[allow(clippy::items_after_statements)]
                                    use #krate::__private::{ViaGenerator as _, ViaSame as _, ViaStream as _};
                            #delegate
                        }).await
                    }
                }
            }
        }
    })
}

/// The single expression argument of `yield_!` and friends.
fn one_argument(kind: GenMacro, mac: &Macro) -> syn::Result<Expr> {
    let name = kind.name();
    if mac.tokens.is_empty() {
        let example = match kind {
            GenMacro::Yield => "`yield_!(value)`; for a generator of `()`, write `yield_!(())`",
            GenMacro::YieldCatch => "`yield_catch_!(value)`",
            GenMacro::Raise => "`raise_!(thrown)` with an `agen::Thrown` or the body's error",
            GenMacro::YieldFromCatch => {
                "`yield_from_catch_!(inner)` with another generator or a `Stream`"
            }
            _ => "`yield_from_!(inner)` with another generator or a `Stream`",
        };
        return Err(syn::Error::new_spanned(
            mac,
            format!("`{name}` needs an argument: write {example}"),
        ));
    }
    let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
    match parser.parse2(mac.tokens.clone()) {
        Ok(list) if list.len() == 1 => Ok(list.into_iter().next().expect("one element")),
        Ok(list) if list.len() > 1 => {
            let hint = match kind {
                GenMacro::Yield | GenMacro::YieldCatch => {
                    ": to yield several values at once, yield a tuple, as in `yield_!((a, b))`"
                }
                _ => "",
            };
            Err(syn::Error::new_spanned(
                &mac.tokens,
                format!("`{name}` takes one expression, not {}{hint}", list.len()),
            ))
        }
        _ => syn::parse2::<Expr>(mac.tokens.clone())
            .map_err(|e| syn::Error::new(e.span(), format!("`{name}` takes one expression: {e}"))),
    }
}

/// What a generator macro becomes in a body whose attribute failed: a
/// diverging expression of the type the call would have (as far as it is
/// known), so the code after it type-checks and no second error is reported.
/// The argument is still evaluated, for its uses.
fn placeholder(kind: GenMacro, mac: &Macro, types: &Recovered) -> TokenStream {
    let span = mac.span();
    let send = match &types.send_ty {
        Some(ty) => quote!(#ty),
        None => quote!(_),
    };
    let err = &types.err_ty;
    let ty = match kind {
        GenMacro::Co => quote!(::agen::Yielder<'_, _, #send, #err>),
        GenMacro::Yield => send,
        GenMacro::YieldCatch => quote!(::core::result::Result<#send, ::agen::Thrown<#err>>),
        // `!`, or a type only the (unknown) inner generator decides.
        _ => quote!(_),
    };
    let arg = match kind {
        GenMacro::Co => None,
        _ => syn::parse2::<Expr>(mac.tokens.clone()).ok(),
    };
    let arg = arg.map(|arg| quote_spanned!(span=> let _ = #arg;));
    let value = Ident::new("__agen_value", Span::mixed_site().located_at(span));
    quote_spanned! {span=>
        #arg
        let #value: #ty = ::core::unreachable!();
        #value
    }
}
