//! The interpreter: a compiled body run as an agen generator.
//!
//! Two layers:
//! * [`Machine`], plain synchronous code with Python's control-flow
//!   semantics (exceptions, handlers, `finally`, loops, `break`, `return`).
//!   It runs instructions until the body must suspend and says why
//!   ([`Suspend`]).
//! * [`interpret`], the `#[async_generator]` that owns a machine and performs
//!   its suspensions: the only `yield_catch_!` of the runner, the only real
//!   await (`sleep0`), the only delegation (`yield_from_catch_!` to a boxed
//!   sub-interpreter), and the body's end (`return` / `Err` / `raise_!`).
//!
//! So everything the library must get right (what a yield receives, what a
//! call reports when the body ends, raises or ignores an exit, PEP 479, what
//! a delegation forwards and evaluates to) goes through agen, and only the
//! Python language itself is emulated here.
//!
//! The generators are `Send + 'static` (shared state behind `Arc`/`Mutex`),
//! as `agen::hooks::Finalizable` requires.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use agen::hooks::Finalizable;
use agen::{BoxAsyncGenerator, Thrown, async_generator, raise_, yield_catch_, yield_from_catch_};

use crate::compile::{Code, Instr, Program, Value};
use crate::pyerr::{ErrKind, PyErr};

/// The trace shared by the driver, every body it runs and the hooks, in
/// event order. `Send + Sync`: finalizable generators and hooks must be.
#[derive(Clone, Default)]
pub struct Trace(Arc<TraceLines>);

#[derive(Default)]
struct TraceLines {
    lines: Mutex<Vec<String>>,
    /// Set after the last driver op: nothing after it is recorded (a
    /// finalizer hook called when the driver finally drops the generator).
    closed: AtomicBool,
}

impl Trace {
    pub fn push(&self, line: String) {
        if !self.0.closed.load(Ordering::Relaxed) {
            self.lines().push(line);
        }
    }

    /// Stops recording.
    pub fn close(&self) {
        self.0.closed.store(true, Ordering::Relaxed);
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines())
    }

    fn lines(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        // A panic while recording fails the scenario anyway.
        self.0.lines.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What every generator of one scenario shares.
pub struct Scene {
    pub program: Program,
    pub trace: Trace,
    /// Subs are wrapped in `Finalizable` (the scenario uses hooks): each is a
    /// generator of its own that binds hooks and can be finalized.
    pub finalizable_subs: bool,
}

/// A sub generator as the delegation sees it: boxed (the interpreter's
/// opaque type cannot contain itself), with exactly the outer's yield, send
/// and error types, so `yield_from_catch_!` takes the library's fast path.
pub type SubGenerator = BoxAsyncGenerator<'static, i64, Option<i64>, Result<Option<i64>, PyErr>>;

/// A fresh instance of `subs[name]`. A plain fn with a named return type, so
/// that proving `interpret(..)` is `Send` does not depend on itself.
fn sub_generator(scene: &Arc<Scene>, name: &str) -> SubGenerator {
    let generator = interpret(Arc::clone(scene), name.to_owned());
    if scene.finalizable_subs {
        SubGenerator::new(Finalizable::named(name.to_owned(), generator))
    } else {
        SubGenerator::new(generator)
    }
}

/// The generator under test: yields ints, receives `None` or an int, returns
/// the (emulated) return value of a sub, raises [`PyErr`].
///
/// `#[async_generator]` on a `-> Result<_, PyErr>` body makes it fallible,
/// and picks up `PyErr`'s `StopIterationLike` impl for PEP 479.
#[async_generator(yield = i64, send = Option<i64>)]
pub async fn interpret(scene: Arc<Scene>, body: String) -> Result<Option<i64>, PyErr> {
    let mut machine = Machine::new(
        Arc::clone(&scene.program.bodies[&body]),
        scene.trace.clone(),
    );
    let mut input = Resume::Start;
    loop {
        input = match machine.run(input) {
            Suspend::Yield(v) => Resume::Yielded(yield_catch_!(v)),
            Suspend::Sleep0 => {
                Sleep0::default().await;
                Resume::Awaited
            }
            Suspend::Return(v) => return Ok(v),
            // An exit escaping the body is reported by the runtime itself:
            // `aclose()` completes, any other call raises `GeneratorExit`.
            Suspend::Raise(e) if e.kind == ErrKind::GeneratorExit => {
                raise_!(Thrown::GeneratorExit)
            }
            Suspend::Raise(e) => return Err(e),
            // The library forwards sends, throws and closes to the inner;
            // what comes back: the inner's outcome (its return value or the
            // error it raised), or an exception raised at the delegation
            // point: `GeneratorExit` (the outer is being closed; the inner
            // already is), or `RuntimeError` (the inner ignored that close).
            Suspend::YieldFrom(sub) => {
                let inner = sub_generator(&scene, &sub);
                Resume::Delegated(match yield_from_catch_!(inner) {
                    Ok(outcome) => outcome,
                    Err(thrown) => Err(PyErr::from(thrown)),
                })
            }
        };
    }
}

/// `await asyncio.sleep(0)`: pending once (waking itself), then ready. Not a
/// yield: the runtime sees a real wait, and the call in flight stays pending.
#[derive(Default)]
struct Sleep0 {
    polled: bool,
}

impl Future for Sleep0 {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            Poll::Ready(())
        } else {
            self.polled = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// `None` or an int, as the trace writes it.
fn fmt_value(v: Option<i64>) -> String {
    match v {
        Some(n) => n.to_string(),
        None => "None".to_owned(),
    }
}

/// How the machine is resumed after a [`Suspend`].
pub enum Resume {
    /// The body's first run.
    Start,
    /// After a `Yield`: what the yield received (a sent value, or what
    /// `athrow`/`aclose` threw in).
    Yielded(Result<Option<i64>, Thrown<PyErr>>),
    /// After `Sleep0`.
    Awaited,
    /// After `YieldFrom`: the delegation's result, or the error it raises in
    /// this body.
    Delegated(Result<Option<i64>, PyErr>),
}

/// Why the machine stopped running instructions.
pub enum Suspend {
    Yield(i64),
    Sleep0,
    /// The body ended; the value is the emulated `return value` (subs).
    Return(Option<i64>),
    /// An exception escaped the body.
    Raise(PyErr),
    /// Delegate to a fresh instance of this sub.
    YieldFrom(String),
}

/// What a `finally` block resumes when it ends normally.
#[derive(Debug)]
enum Pending {
    Nothing,
    Error(PyErr),
    Return,
    Break,
}

/// Python's block stack: the regions the program counter is in.
#[derive(Debug)]
enum Block {
    /// A `try` body with except clauses (at `SetupExcept` instruction `at`).
    Except {
        at: usize,
    },
    /// A `try` body (or its handlers) protected by a finally starting at `at`.
    Finally {
        at: usize,
    },
    /// Running an except handler for this exception (for `reraise`).
    Handling(PyErr),
    /// Running a finally block; what to resume when it ends.
    InFinally(Pending),
    Loop {
        counter: i64,
        exit: usize,
    },
}

/// Unwinding: why control leaves the current blocks.
enum Unwind {
    Error(PyErr),
    Return,
    Break,
}

/// Guards against a body that loops forever without suspending.
const MAX_INSTRUCTIONS_PER_STEP: usize = 1_000_000;

pub struct Machine {
    code: Arc<Code>,
    pc: usize,
    blocks: Vec<Block>,
    /// `None`: unbound; `Some(None)`: Python `None`.
    vars: Vec<Option<Option<i64>>>,
    /// The emulated return value (the oracle's `_slot.value`): set by
    /// `return value` and kept whatever happens afterwards.
    ret: Option<i64>,
    trace: Trace,
}

impl Machine {
    pub fn new(code: Arc<Code>, trace: Trace) -> Self {
        Machine {
            vars: vec![None; code.vars.len()],
            code,
            pc: 0,
            blocks: Vec::new(),
            ret: None,
            trace,
        }
    }

    fn log(&self, event: String) {
        self.trace.push(format!("[{}] {event}", self.code.name));
    }

    fn eval(&self, v: &Value) -> i64 {
        match *v {
            Value::Const(k) => k,
            Value::Var { var, mul, add } => {
                let n = self.get(var).unwrap_or_else(|| {
                    panic!("arithmetic on None (variable {:?})", self.code.vars[var])
                });
                n.checked_mul(mul)
                    .and_then(|n| n.checked_add(add))
                    .expect("value expression overflows i64")
            }
        }
    }

    fn get(&self, var: usize) -> Option<i64> {
        self.vars[var].unwrap_or_else(|| panic!("variable {:?} is unbound", self.code.vars[var]))
    }

    /// Runs from where the body stopped until its next suspension.
    pub fn run(&mut self, input: Resume) -> Suspend {
        let code = Arc::clone(&self.code);
        match input {
            Resume::Start | Resume::Awaited => {}
            Resume::Yielded(Ok(sent)) => {
                let Instr::Yield { into, .. } = &code.instrs[self.pc] else {
                    unreachable!("resumed from a yield, but not parked at one");
                };
                self.log(format!("got {}", fmt_value(sent)));
                if let Some(var) = *into {
                    self.vars[var] = Some(sent);
                }
                self.pc += 1;
            }
            // What `athrow`/`aclose` throw in is raised at the yield.
            Resume::Yielded(Err(thrown)) => {
                if let Some(end) = self.unwind(Unwind::Error(PyErr::from(thrown))) {
                    return end;
                }
            }
            Resume::Delegated(Ok(result)) => {
                let Instr::YieldFrom(sub) = &code.instrs[self.pc] else {
                    unreachable!("resumed from a delegation, but not parked at one");
                };
                self.log(format!("yield_from {sub} = {}", fmt_value(result)));
                self.pc += 1;
            }
            Resume::Delegated(Err(err)) => {
                // PEP 479 happened in the inner: a StopAsyncIteration or
                // StopIteration escaping it became RuntimeError there, and
                // that is what `yield from` raises here. (The library hands
                // back the inner's original error, the only one its output
                // type can carry; no other stop-like error can come out of a
                // delegation, so this undoes nothing else.)
                let err = if agen::StopIterationLike::is_stop_iteration(&err) {
                    PyErr::new(ErrKind::RuntimeError, None)
                } else {
                    err
                };
                if let Some(end) = self.unwind(Unwind::Error(err)) {
                    return end;
                }
            }
        }
        for _ in 0..MAX_INSTRUCTIONS_PER_STEP {
            let Some(instr) = code.instrs.get(self.pc) else {
                // Fell off the end of the body.
                debug_assert!(self.blocks.is_empty(), "unbalanced blocks at body end");
                return Suspend::Return(self.ret);
            };
            let unwind = match instr {
                Instr::Log(msg) => {
                    self.log(format!("log {msg}"));
                    None
                }
                // Park here: `Resume::Yielded` finishes the instruction.
                Instr::Yield { value, .. } => return Suspend::Yield(self.eval(value)),
                Instr::Sleep0 => {
                    self.pc += 1;
                    return Suspend::Sleep0;
                }
                Instr::Raise(e) => Some(Unwind::Error(e.clone())),
                Instr::Reraise => Some(Unwind::Error(self.handled().unwrap_or_else(|| {
                    // Python: "RuntimeError: No active exception to reraise".
                    PyErr::new(ErrKind::RuntimeError, None)
                }))),
                Instr::Return(v) => {
                    if let Some(v) = v {
                        self.ret = Some(self.eval(v));
                    }
                    Some(Unwind::Return)
                }
                Instr::LoopEnter { exit } => {
                    self.blocks.push(Block::Loop {
                        counter: 0,
                        exit: *exit,
                    });
                    None
                }
                Instr::LoopNext { count, var } => {
                    let Some(Block::Loop { counter, exit }) = self.blocks.last_mut() else {
                        unreachable!("loop head outside its loop block");
                    };
                    if count.is_some_and(|c| *counter >= c) {
                        self.pc = *exit;
                        self.blocks.pop();
                        continue;
                    }
                    let i = *counter;
                    *counter += 1;
                    if let Some(var) = *var {
                        self.vars[var] = Some(Some(i));
                    }
                    None
                }
                Instr::Jump(target) => {
                    self.pc = *target;
                    continue;
                }
                Instr::Break => Some(Unwind::Break),
                Instr::JumpUnless { var, eq, target } => {
                    if self.get(*var) != *eq {
                        self.pc = *target;
                        continue;
                    }
                    None
                }
                Instr::SetupExcept(_) => {
                    self.blocks.push(Block::Except { at: self.pc });
                    None
                }
                Instr::SetupFinally { at } => {
                    self.blocks.push(Block::Finally { at: *at });
                    None
                }
                Instr::PopExcept => {
                    let b = self.blocks.pop();
                    debug_assert!(matches!(b, Some(Block::Except { .. })), "{b:?}");
                    None
                }
                Instr::EndHandler => {
                    let b = self.blocks.pop();
                    debug_assert!(matches!(b, Some(Block::Handling(_))), "{b:?}");
                    None
                }
                Instr::EnterFinally => {
                    let b = self.blocks.pop();
                    debug_assert!(matches!(b, Some(Block::Finally { .. })), "{b:?}");
                    self.blocks.push(Block::InFinally(Pending::Nothing));
                    None
                }
                Instr::EndFinally => match self.blocks.pop() {
                    Some(Block::InFinally(pending)) => match pending {
                        Pending::Nothing => None,
                        // An error that was pending before the finally (even
                        // one that yielded or awaited) resurfaces now.
                        Pending::Error(e) => Some(Unwind::Error(e)),
                        Pending::Return => Some(Unwind::Return),
                        Pending::Break => Some(Unwind::Break),
                    },
                    b => unreachable!("end of finally outside its block: {b:?}"),
                },
                // Park here: `Resume::Delegated` finishes the instruction.
                Instr::YieldFrom(sub) => return Suspend::YieldFrom(sub.clone()),
                Instr::State => unreachable!("a body `state` op (rule R4 skips it)"),
            };
            match unwind {
                None => self.pc += 1,
                Some(why) => {
                    if let Some(end) = self.unwind(why) {
                        return end;
                    }
                }
            }
        }
        panic!("the body ran {MAX_INSTRUCTIONS_PER_STEP} instructions without suspending");
    }

    /// The exception a bare `raise` re-raises: the innermost one being handled
    /// (by an except handler, or by a finally running because of it).
    fn handled(&self) -> Option<PyErr> {
        self.blocks.iter().rev().find_map(|b| match b {
            Block::Handling(e) | Block::InFinally(Pending::Error(e)) => Some(e.clone()),
            _ => None,
        })
    }

    /// Leaves blocks until one takes control (an except clause matching the
    /// error, a finally, the loop a `break` leaves); sets `pc` there and
    /// returns `None`. `Some` when the body itself ends (error or return).
    fn unwind(&mut self, why: Unwind) -> Option<Suspend> {
        while let Some(block) = self.blocks.pop() {
            match block {
                Block::Except { at } => {
                    let Unwind::Error(e) = &why else { continue };
                    let Instr::SetupExcept(handlers) = &self.code.instrs[at] else {
                        unreachable!("except block without its setup");
                    };
                    // First matching clause wins.
                    if let Some(h) = handlers
                        .iter()
                        .find(|h| h.errs.iter().any(|p| p.matches(e)))
                    {
                        self.pc = h.at;
                        self.log(format!("caught {e}"));
                        self.blocks.push(Block::Handling(e.clone()));
                        return None;
                    }
                }
                Block::Finally { at } => {
                    self.pc = at;
                    self.blocks.push(Block::InFinally(match why {
                        Unwind::Error(e) => Pending::Error(e),
                        Unwind::Return => Pending::Return,
                        Unwind::Break => Pending::Break,
                    }));
                    return None;
                }
                Block::Loop { exit, .. } if matches!(why, Unwind::Break) => {
                    self.pc = exit;
                    return None;
                }
                // Leaving a finally early (error, return or break inside it)
                // discards what it had pending: an error raised in a finally
                // replaces the pending one, a return or break drops it.
                // Leaving a handler ends the handling; other blocks are just
                // left.
                Block::Loop { .. } | Block::Handling(_) | Block::InFinally(_) => {}
            }
        }
        Some(match why {
            Unwind::Error(e) => Suspend::Raise(e),
            Unwind::Return => Suspend::Return(self.ret),
            Unwind::Break => unreachable!("break outside a loop"),
        })
    }
}
