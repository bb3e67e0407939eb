//! `yield_!` inside another macro's tokens (`select!`, `join!`, a user's
//! `macro_rules!`): there the expansion's `.await` can be separated from the
//! yield future, or the future raced and dropped, so the rewriter uses the
//! guarded yield there. Each module was undefined behaviour, a lost value or
//! a leak with the awaited-at-once yield; all run under Miri in CI.
#![forbid(unsafe_code)]

#[path = "yield_in_macros/awaited.rs"]
mod awaited;
#[path = "yield_in_macros/leak.rs"]
mod leak;
#[path = "yield_in_macros/select_loop.rs"]
mod select_loop;
