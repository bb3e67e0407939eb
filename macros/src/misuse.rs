//! Common mistakes caught before rustc sees them, each replaced by one error
//! that names the fix at the user's tokens (rustc's own error would talk
//! about `()` and never mention the attribute).

use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Macro, Stmt};

/// `yield_!`'s value used where no `send = Type` was declared: the value is
/// `()`, which is surely not what the user meant by `total += yield_!(x)`.
pub fn unsent_values(block: &mut syn::Block, form_hint: &str) {
    UnsentValues { form_hint }.visit_block_mut(block);
}

struct UnsentValues<'a> {
    form_hint: &'a str,
}

/// Is `expr` a call of `yield_!` (by name or through an `agen` path)?
fn yield_call(expr: &Expr) -> Option<&Macro> {
    match expr {
        Expr::Macro(m) if m.mac.path.segments.last()?.ident == "yield_" => Some(&m.mac),
        _ => None,
    }
}

impl UnsentValues<'_> {
    /// Replaces `expr` (a `yield_!` whose value is used) with the error.
    fn check(&self, expr: &mut Expr) {
        let Some(mac) = yield_call(expr) else {
            return;
        };
        let msg = format!(
            "`yield_!` evaluates to the value `asend` sends, but this generator declares no `send = Type`, so it is `()`: add one, as in {}",
            self.form_hint
        );
        // An error over the whole call (`new_spanned` underlines from its
        // first to its last token).
        let error = syn::Error::new_spanned(mac, msg).to_compile_error();
        *expr = syn::parse2(error).unwrap_or_else(|_| expr.clone());
    }
}

impl VisitMut for UnsentValues<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            // `total += yield_!(x)`, `yield_!(x) + 1`
            Expr::Binary(b) => {
                self.check(&mut b.left);
                self.check(&mut b.right);
            }
            // `f(yield_!(x))`, `v.push(yield_!(x))`, `yield_!(x).len()`
            Expr::Call(c) => c.args.iter_mut().for_each(|a| self.check(a)),
            Expr::MethodCall(m) => {
                self.check(&mut m.receiver);
                m.args.iter_mut().for_each(|a| self.check(a));
            }
            Expr::Assign(a) => self.check(&mut a.right),
            _ => {}
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        // `let n: u32 = yield_!(x);` (a typed or named binding; `let _ =`
        // and `let () =` are fine).
        if let Stmt::Local(local) = stmt {
            let wants_value = match &local.pat {
                syn::Pat::Wild(_) => false,
                syn::Pat::Tuple(t) => !t.elems.is_empty(),
                _ => true,
            };
            if wants_value {
                if let Some(init) = &mut local.init {
                    self.check(&mut init.expr);
                }
            }
        }
        visit_mut::visit_stmt_mut(self, stmt);
    }

    // Nested generators have their own arguments.
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
}

/// A body that ends in `Ok(..)` or `Err(..)` in a function that declares no
/// return type: the generator returns `()`. Replaces that tail with the
/// error.
pub fn result_without_return_type(block: &mut syn::Block) {
    let Some(Stmt::Expr(tail, None)) = block.stmts.last_mut() else {
        return;
    };
    let Expr::Call(call) = &*tail else {
        return;
    };
    let Expr::Path(func) = &*call.func else {
        return;
    };
    let Some(name) = func.path.get_ident().map(ToString::to_string) else {
        return;
    };
    if name != "Ok" && name != "Err" {
        return;
    }
    let msg = format!(
        "this generator's body ends in `{name}(..)`, but the fn declares no return type, so the body must return `()`: declare it, as in `async fn name(..) -> Result<(), MyError>` (the generator is then fallible: its `Stream` items are `Result`s)"
    );
    if let Ok(error) = syn::parse2(syn::Error::new_spanned(&*tail, msg).to_compile_error()) {
        *tail = error;
    }
}
