//! What the runner does not run: scenarios Rust cannot express (rules R1 and
//! R4 of the README, whose traces are a single `skip: static (..)` line), and
//! scenarios waiting for a later issue.

use crate::scenario::{BodyOp, DriverOp, Scenario};

/// R1: a second call awaitable while one is alive needs a second `&mut`
/// borrow of the generator. Detected by the driver while it runs.
pub const SKIP_R1: &str =
    "skip: static (a second awaitable would need a second &mut borrow; rejected at compile time)";

/// R4: a `state` op in a body or sub. Detected statically.
pub const SKIP_R4: &str = "skip: static (a body cannot observe its own generator)";

/// The parts of the scenario language this runner can drive. A feature that
/// is `false` makes every scenario using it a `SKIP` with the reason below;
/// when its issue lands, implement it and flip the flag.
pub struct Capabilities {
    /// `yield_from` body ops: the interpreter will delegate to a boxed
    /// sub-interpreter with `yield_from_!` (see `Suspend::YieldFrom`).
    pub delegation: bool,
    /// The `hooks` and `loop_shutdown` driver ops and `"env": "asyncio"`.
    pub finalization_hooks: bool,
}

pub const CAPABILITIES: Capabilities = Capabilities {
    delegation: true,
    finalization_hooks: true,
};

pub const NEEDS_DELEGATION: &str = "needs yield_from_! (issue 3)";
pub const NEEDS_HOOKS: &str = "needs finalization hooks (issue 6)";

/// `Some(reason)` when `sc` uses a feature `caps` lacks.
pub fn needs_later_issue(sc: &Scenario, caps: &Capabilities) -> Option<&'static str> {
    let delegates = any_op(&sc.body, &|op| matches!(op, BodyOp::YieldFrom(_)))
        || sc
            .subs
            .values()
            .any(|ops| any_op(ops, &|op| matches!(op, BodyOp::YieldFrom(_))));
    if delegates && !caps.delegation {
        return Some(NEEDS_DELEGATION);
    }
    let hooks = sc.asyncio_env
        || sc
            .driver
            .iter()
            .any(|op| matches!(op, DriverOp::Hooks { .. } | DriverOp::LoopShutdown));
    if hooks && !caps.finalization_hooks {
        return Some(NEEDS_HOOKS);
    }
    None
}

/// R4: does a body or sub contain a `state` op?
pub fn body_observes_itself(sc: &Scenario) -> bool {
    let is_state = |op: &BodyOp| matches!(op, BodyOp::State);
    any_op(&sc.body, &is_state) || sc.subs.values().any(|ops| any_op(ops, &is_state))
}

/// Does any op of `ops`, at any depth, satisfy `pred`?
fn any_op(ops: &[BodyOp], pred: &dyn Fn(&BodyOp) -> bool) -> bool {
    ops.iter().any(|op| {
        pred(op)
            || match op {
                BodyOp::Loop { body, .. } => any_op(body, pred),
                BodyOp::If {
                    then, otherwise, ..
                } => any_op(then, pred) || any_op(otherwise, pred),
                BodyOp::Try {
                    body,
                    except,
                    finally,
                } => {
                    any_op(body, pred)
                        || except.iter().any(|c| any_op(&c.handler, pred))
                        || finally.as_deref().is_some_and(|f| any_op(f, pred))
                }
                BodyOp::Catch { clause, .. } => any_op(&clause.handler, pred),
                _ => false,
            }
    })
}
