//! The driver: runs a scenario's driver script against the interpreter
//! generator, polling every call by hand, and records the trace.
//!
//! # Borrowing (rules R1 and R5)
//!
//! Each `anext`/`asend`/`athrow`/`aclose` awaitable holds `Pin<&mut G>`, so
//! while it exists nothing else may touch the generator: no other call, not
//! even `state()` (`&self`). The driver is written the way a user would have
//! to write it: the awaitable lives in a scope, the *window*, that runs from
//! the op creating it to the last op using it (`await`, `step`, `join`,
//! `reuse`, `abandon`), computed from the script before running
//! ([`Plan`]). Inside a window:
//! * an op creating another awaitable is a second `&mut` borrow: the
//!   scenario is not expressible and its trace is the R1 skip line;
//! * `state` cannot be asked: while the awaitable is alive (made and not
//!   awaited, or spawned and pending) R5 says it prints no line. (A completed
//!   awaitable kept for a later `reuse` blocks `state()` too; the rules do
//!   not cover that case, and the driver prints no line for it either.)
//!
//! Outside a window the generator is free: `state`, `drop`, the next call.
//!
//! `hooks`, `drop`'s finalizer work and `loop_shutdown` are in `hooks.rs`.
//! `loop_shutdown` inside a window is a second borrow too when the event
//! loop would close the generator under test.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use agen::hooks::Finalizable;
use agen::{AsyncGenerator, AsyncGeneratorExt, GenState, Thrown};

use crate::compile::Program;
use crate::hooks::Finalization;
use crate::interp::{Scene, Trace, interpret};
use crate::pyerr::{ErrKind, PyErr};
use crate::rules::{SKIP_R1, SKIP_R4, body_observes_itself};
use crate::scenario::{Call, DriverOp, Scenario};

/// Runs `sc` and returns its trace (or its one skip line, rules R1/R4).
/// `Err` for a malformed driver script.
pub fn run(sc: &Scenario) -> Result<Vec<String>, String> {
    if body_observes_itself(sc) {
        return Ok(vec![SKIP_R4.to_owned()]);
    }
    let plan = Plan::new(&sc.driver)?;
    // A scenario with hooks runs the owned, finalizable form of every
    // generator (main and subs); the others the generators themselves.
    let finalizable = sc.asyncio_env
        || sc
            .driver
            .iter()
            .any(|op| matches!(op, DriverOp::Hooks { .. }));
    let scene = Arc::new(Scene {
        program: Program::new(sc),
        trace: Trace::default(),
        finalizable_subs: finalizable,
    });
    let trace = scene.trace.clone();
    // Installs the environment's hooks; clears them when dropped.
    let finalization = Finalization::new(&trace, sc.asyncio_env);
    let generator = interpret(Arc::clone(&scene), "main".to_owned());
    // `execute` drops the generator at the end; nothing after the last
    // driver op is recorded.
    let expressible = if finalizable {
        let generator = Box::pin(Finalizable::named("main", generator));
        execute(generator, &plan, &finalization)
    } else {
        execute(Box::pin(generator), &plan, &finalization)
    };
    drop(finalization);
    let lines = trace.take();
    Ok(match expressible {
        Ok(()) => lines,
        Err(SecondBorrow) => vec![SKIP_R1.to_owned()],
    })
}

/// The interpreter generator, named by what the driver needs of it.
pub trait PyGen:
    AsyncGenerator<Yield = i64, Send = Option<i64>, Return = Option<i64>, Error = PyErr>
{
}
impl<G> PyGen for G where
    G: AsyncGenerator<Yield = i64, Send = Option<i64>, Return = Option<i64>, Error = PyErr>
        + ?Sized
{
}

/// What a call awaitable can resolve to besides a value.
type CallError = agen::Error<Option<i64>, PyErr, Option<i64>>;

// ---------------------------------------------------------------------------
// The plan: which op uses which awaitable, and how long each one lives
// ---------------------------------------------------------------------------

/// The driver script with `concurrent_anext` expanded, each reference to an
/// awaitable resolved to the op that created it, and each awaitable's window.
struct Plan {
    ops: Vec<DriverOp>,
    /// For `await`/`reuse`/`step`/`join`/`abandon`: the creating op.
    target: Vec<Option<usize>>,
    /// For creating ops: the last op that uses the awaitable.
    window_end: Vec<usize>,
}

impl Plan {
    fn new(script: &[DriverOp]) -> Result<Plan, String> {
        let mut ops = Vec::new();
        for op in script {
            match op {
                // README: `spawn anext as c`, then `second`, then `join c`.
                DriverOp::ConcurrentAnext(second) => {
                    ops.push(DriverOp::Spawn {
                        call: Call::Anext,
                        id: "c".to_owned(),
                    });
                    ops.push(DriverOp::Call {
                        call: second.clone(),
                        id: None,
                    });
                    ops.push(DriverOp::Join("c".to_owned()));
                }
                op => ops.push(op.clone()),
            }
        }
        let mut target = vec![None; ops.len()];
        let mut window_end: Vec<usize> = (0..ops.len()).collect();
        // The bookkeeping of oracle.py: awaitables by id, and the one a bare
        // `reuse` means (the latest call/await/spawn/join).
        let mut ids = std::collections::HashMap::new();
        let mut last: Option<usize> = None;
        for (j, op) in ops.iter().enumerate() {
            let by_id = |id: &String| {
                ids.get(id)
                    .copied()
                    .ok_or_else(|| format!("driver op {j}: unknown awaitable id {id:?}"))
            };
            let used = match op {
                DriverOp::Call { id, .. } => {
                    if let Some(id) = id {
                        ids.insert(id.clone(), j);
                    }
                    last = Some(j);
                    None
                }
                DriverOp::Make { id, .. } => {
                    ids.insert(id.clone(), j);
                    None
                }
                DriverOp::Spawn { id, .. } => {
                    ids.insert(id.clone(), j);
                    last = Some(j);
                    None
                }
                DriverOp::Await(id) | DriverOp::Join(id) => {
                    let t = by_id(id)?;
                    last = Some(t);
                    Some(t)
                }
                DriverOp::Step(id) => Some(by_id(id)?),
                DriverOp::Reuse(Some(id)) => Some(by_id(id)?),
                DriverOp::Reuse(None) => {
                    Some(last.ok_or_else(|| format!("driver op {j}: reuse before any call"))?)
                }
                DriverOp::Abandon(id) => {
                    let t = by_id(id)?;
                    ids.remove(id);
                    if last == Some(t) {
                        last = None;
                    }
                    Some(t)
                }
                DriverOp::Drop => {
                    ids.clear();
                    last = None;
                    None
                }
                DriverOp::State | DriverOp::Hooks { .. } | DriverOp::LoopShutdown => None,
                DriverOp::ConcurrentAnext(_) => unreachable!("expanded above"),
            };
            if let Some(t) = used {
                target[j] = Some(t);
                window_end[t] = window_end[t].max(j);
            }
        }
        for (i, op) in ops.iter().enumerate() {
            if creates_awaitable(op) {
                if let Some(d) = (i..=window_end[i]).find(|&j| matches!(ops[j], DriverOp::Drop)) {
                    return Err(format!(
                        "driver op {d}: drop while awaitable {i} is still used"
                    ));
                }
            }
        }
        Ok(Plan {
            ops,
            target,
            window_end,
        })
    }
}

fn creates_awaitable(op: &DriverOp) -> bool {
    matches!(
        op,
        DriverOp::Call { .. } | DriverOp::Make { .. } | DriverOp::Spawn { .. }
    )
}

// ---------------------------------------------------------------------------
// Call awaitables
// ---------------------------------------------------------------------------

/// A call's awaitable, boxed because its type cannot be named (the calls
/// return `impl Future + Unpin`).
type Boxed<'g, T> = Box<dyn Future<Output = T> + Unpin + 'g>;

/// The awaitable of one call: agen's own futures, boxed but otherwise kept as
/// they are so that a `reuse` polls the very future that already completed.
enum CallFuture<'g, G: PyGen> {
    Next(Boxed<'g, Result<G::Yield, CallError>>),
    Send(Boxed<'g, Result<G::Yield, CallError>>),
    Throw(Boxed<'g, Result<Option<G::Yield>, CallError>>),
    Close(Boxed<'g, Result<(), CallError>>),
}

impl<'g, G: PyGen> CallFuture<'g, G> {
    fn new(generator: Pin<&'g mut G>, call: &Call) -> Self {
        match call {
            Call::Anext => CallFuture::Next(Box::new(generator.anext())),
            // Python's `asend(None)` is `__anext__()` except in two states:
            // it may start a just-started generator (Rust's `asend` refuses
            // any value there, so that is `anext`), and it is "already
            // running" while a step is in flight (where Rust's `anext`
            // continues the step, so that is `asend`).
            Call::Asend(None) if generator.state() == GenState::Created => {
                CallFuture::Next(Box::new(generator.anext()))
            }
            Call::Asend(v) => CallFuture::Send(Box::new(generator.asend(*v))),
            // Python's `athrow(GeneratorExit)` is agen's too.
            Call::Athrow(e) if e.kind == ErrKind::GeneratorExit => {
                CallFuture::Throw(Box::new(generator.athrow(Thrown::GeneratorExit)))
            }
            Call::Athrow(e) => CallFuture::Throw(Box::new(generator.athrow(e.clone()))),
            Call::Aclose => CallFuture::Close(Box::new(generator.aclose())),
        }
    }

    /// Polls once with a no-op waker (the driver polls by hand, like the
    /// oracle's `awaitable.send(None)`); `Ready` carries the rendered outcome.
    fn poll_once(&mut self) -> Poll<String> {
        let mut cx = Context::from_waker(Waker::noop());
        let rendered = match self {
            CallFuture::Next(f) => match Pin::new(f).poll(&mut cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(y)) => format!("yielded {y}"),
                Poll::Ready(Err(e)) => render_error(e),
            },
            CallFuture::Send(f) => match Pin::new(f).poll(&mut cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(y)) => format!("yielded {y}"),
                Poll::Ready(Err(e)) => render_error(e),
            },
            CallFuture::Throw(f) => match Pin::new(f).poll(&mut cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(Some(y))) => format!("yielded {y}"),
                Poll::Ready(Ok(None)) => "ok".to_owned(),
                Poll::Ready(Err(e)) => render_error(e),
            },
            CallFuture::Close(f) => match Pin::new(f).poll(&mut cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => "ok".to_owned(),
                Poll::Ready(Err(e)) => render_error(e),
            },
        };
        Poll::Ready(rendered)
    }

    /// Polls until ready (`await`, `join`, a plain call).
    fn drive(&mut self) -> String {
        const MAX_POLLS: usize = 10_000;
        for _ in 0..MAX_POLLS {
            if let Poll::Ready(outcome) = self.poll_once() {
                return outcome;
            }
        }
        panic!("a call still pending after {MAX_POLLS} polls");
    }
}

/// The outcome of a call that raised, in the trace's words.
fn render_error(e: CallError) -> String {
    match e {
        agen::Error::StopAsyncIteration(_) => "returned".to_owned(),
        agen::Error::Raised(e) => format!("raised {e}"),
        agen::Error::GeneratorExit => "raised GeneratorExit".to_owned(),
        agen::Error::RuntimeError(_) => "raised RuntimeError".to_owned(),
        agen::Error::TypeError(_) => "raised TypeError".to_owned(),
        other => panic!("an agen error kind the trace grammar lacks: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------

/// The scenario needs a second borrow of the generator (rule R1).
struct SecondBorrow;

fn execute<G: PyGen>(
    generator: Pin<Box<G>>,
    plan: &Plan,
    env: &Finalization,
) -> Result<(), SecondBorrow> {
    let trace = env.trace();
    let mut generator = Some(generator);
    let mut i = 0;
    while i < plan.ops.len() {
        let op = &plan.ops[i];
        match op {
            DriverOp::Call { call, .. }
            | DriverOp::Make { call, .. }
            | DriverOp::Spawn { call, .. } => {
                let g = generator
                    .as_mut()
                    .expect("planned: no call after drop")
                    .as_mut();
                // The window: this scope is where the awaitable borrows `g`.
                let mut window = Window {
                    future: Some(CallFuture::new(g, call)),
                    plan,
                    env,
                };
                for j in i..=plan.window_end[i] {
                    window.op(i, j)?;
                }
                i = plan.window_end[i] + 1;
                continue;
            }
            DriverOp::State => {
                let g = generator.as_ref().expect("planned: no state after drop");
                trace.push(format!("state -> {}", g.state()));
            }
            // A finalizable generator bound to a finalizer hook hands itself
            // to it; otherwise (R3) dropping it drops the body future and no
            // body code runs. Then the finalizer's work runs.
            DriverOp::Drop => {
                generator = None;
                env.settle();
                trace.push("drop -> ok".to_owned());
            }
            DriverOp::Hooks {
                firstiter,
                finalizer,
            } => env.install(*firstiter, *finalizer),
            DriverOp::LoopShutdown => env.shutdown(),
            DriverOp::Await(_)
            | DriverOp::Reuse(_)
            | DriverOp::Step(_)
            | DriverOp::Join(_)
            | DriverOp::Abandon(_) => unreachable!("planned: inside its awaitable's window"),
            DriverOp::ConcurrentAnext(_) => unreachable!("planned: expanded"),
        }
        i += 1;
    }
    // Nothing after the last driver op is recorded (dropping the generator
    // may call a finalizer hook).
    trace.close();
    Ok(())
}

/// One awaitable's window: the ops from its creation to its last use.
struct Window<'p, 'g, G: PyGen> {
    /// `None` once abandoned (dropped unfinished).
    future: Option<CallFuture<'g, G>>,
    plan: &'p Plan,
    env: &'p Finalization,
}

impl<'g, G: PyGen> Window<'_, 'g, G> {
    fn record(&self, line: String) {
        self.env.trace().push(line);
    }

    fn future(&mut self) -> &mut CallFuture<'g, G> {
        self.future
            .as_mut()
            .expect("planned: not used after abandon")
    }

    /// Polls to completion and records `<label> -> <outcome>`.
    fn complete(&mut self, label: String) {
        let outcome = self.future().drive();
        self.record(format!("{label} -> {outcome}"));
    }

    /// Polls once and records `<label> -> pending|<outcome>`.
    fn step(&mut self, label: String) {
        let outcome = match self.future().poll_once() {
            Poll::Pending => "pending".to_owned(),
            Poll::Ready(outcome) => outcome,
        };
        self.record(format!("{label} -> {outcome}"));
    }

    /// Runs op `j` of the window of the awaitable created by op `i`.
    fn op(&mut self, i: usize, j: usize) -> Result<(), SecondBorrow> {
        let op = &self.plan.ops[j];
        if j == i {
            match op {
                DriverOp::Call { call, .. } => self.complete(call.label()),
                DriverOp::Make { call, id } => {
                    self.record(format!("make {} as {id} -> ok", call.label()))
                }
                DriverOp::Spawn { call, id } => {
                    self.step(format!("spawn {} as {id}", call.label()))
                }
                _ => unreachable!("a window starts with the op creating its awaitable"),
            }
            return Ok(());
        }
        if creates_awaitable(op) {
            return Err(SecondBorrow);
        }
        debug_assert!(
            self.plan.target[j].is_none_or(|t| t == i),
            "op {j} in window {i}"
        );
        match op {
            DriverOp::Await(id) => self.complete(format!("await {id}")),
            DriverOp::Join(id) => self.complete(format!("join {id}")),
            DriverOp::Reuse(None) => self.complete("reuse".to_owned()),
            DriverOp::Reuse(Some(id)) => self.complete(format!("reuse {id}")),
            DriverOp::Step(id) => self.step(format!("step {id}")),
            // R2: dropping the future leaves the generator running its step;
            // the next `anext` continues it (built into agen).
            DriverOp::Abandon(id) => {
                self.future = None;
                self.record(format!("abandon {id} -> ok"));
            }
            // R5 (see the module docs).
            DriverOp::State => {}
            DriverOp::Drop => unreachable!("planned: no drop inside a window"),
            DriverOp::Hooks {
                firstiter,
                finalizer,
            } => self.env.install(*firstiter, *finalizer),
            // The loop's `aclose()` of a generator the driver is borrowing
            // would be a second borrow (R1).
            DriverOp::LoopShutdown if self.env.shutdown_closes_main() => {
                return Err(SecondBorrow);
            }
            DriverOp::LoopShutdown => self.env.shutdown(),
            DriverOp::Call { .. }
            | DriverOp::Make { .. }
            | DriverOp::Spawn { .. }
            | DriverOp::ConcurrentAnext(_) => unreachable!("handled above"),
        }
        Ok(())
    }
}
