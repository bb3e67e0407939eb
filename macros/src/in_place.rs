//! Which arguments `yield_from_!` can delegate to in place.
//!
//! An argument is captured by the body future, which is pinned while it
//! runs: `yield_from_!(arg)` can pin the argument where it already is and
//! delegate to it through a `Pin<&mut _>`, instead of moving it into the
//! delegation future (which would store it twice: the captured copy stays).
//! That keeps a stack of forwarders that take each other as arguments
//! linear in size.
//!
//! It is done only where the name surely means the argument: the body never
//! binds the same name in any pattern (a `let`, a closure's or nested fn's
//! parameter, a `match` arm, ...) and never mentions it inside another
//! macro's tokens (which could bind it). Elsewhere `yield_from_!` moves its
//! argument, as it does for any other expression.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{Block, Expr, Macro};

use crate::body;

/// The names of `params` that the body delegates to by name and that can be
/// pinned in place.
pub fn candidates(block: &Block, params: &[String], krate: &syn::Path) -> HashSet<String> {
    let mut scan = Scan {
        krate,
        delegated: HashSet::new(),
        bound: HashSet::new(),
        in_macros: HashSet::new(),
    };
    scan.visit_block(block);
    params
        .iter()
        .filter(|p| {
            scan.delegated.contains(*p) && !scan.bound.contains(*p) && !scan.in_macros.contains(*p)
        })
        .cloned()
        .collect()
}

/// The identifier `mac` delegates to, if it is agen's `yield_from_!(ident)`
/// or `yield_from_catch_!(ident)` (recognised as every body macro is).
pub fn delegated_ident(mac: &Macro, krate: &syn::Path) -> Option<String> {
    if !body::is_delegation(mac, krate) {
        return None;
    }
    match syn::parse2::<Expr>(mac.tokens.clone()).ok()? {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => {
            p.path.get_ident().map(ToString::to_string)
        }
        _ => None,
    }
}

struct Scan<'a> {
    krate: &'a syn::Path,
    /// Names delegated to as `yield_from_!(name)`.
    delegated: HashSet<String>,
    /// Names bound by a pattern somewhere in the body.
    bound: HashSet<String>,
    /// Identifiers found in the tokens of other macros.
    in_macros: HashSet<String>,
}

impl<'ast> Visit<'ast> for Scan<'_> {
    fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
        self.bound.insert(p.ident.to_string());
        visit::visit_pat_ident(self, p);
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        match delegated_ident(mac, self.krate) {
            Some(name) => {
                self.delegated.insert(name);
            }
            None => collect_idents(mac.tokens.clone(), &mut self.in_macros),
        }
    }
}

fn collect_idents(tokens: TokenStream, into: &mut HashSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                into.insert(ident.to_string());
            }
            TokenTree::Group(group) => collect_idents(group.stream(), into),
            _ => {}
        }
    }
}
