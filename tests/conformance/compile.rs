//! Compiles a body tree into a flat instruction list.
//!
//! Why flat: `yield_catch_!` may only appear directly in the generator's own
//! body (not in a helper fn or a recursive async call), so the interpreter is
//! one loop with one yield site. Nesting (loops, `try`, `if`) becomes jumps
//! plus a run-time block stack (see `interp.rs`), much like CPython's own
//! bytecode before 3.11.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::pyerr::{ErrPattern, PyErr};
use crate::scenario::{BodyOp, Clause, Expr, Scenario};

/// A variable, by index into the interpreter's variable table.
pub type Var = usize;

/// A value expression with its variable resolved.
#[derive(Clone, Debug)]
pub enum Value {
    Const(i64),
    /// `var * mul + add`.
    Var {
        var: Var,
        mul: i64,
        add: i64,
    },
}

#[derive(Clone, Debug)]
pub struct Handler {
    pub errs: Vec<ErrPattern>,
    /// First instruction of the handler body.
    pub at: usize,
}

#[derive(Clone, Debug)]
pub enum Instr {
    /// Record `[B] log <msg>`.
    Log(String),
    /// `x = yield value`; the interpreter parks on this instruction until the
    /// generator is resumed, then records `got`, stores `into` and moves on.
    Yield {
        value: Value,
        into: Option<Var>,
    },
    /// `await asyncio.sleep(0)`: one pending poll, not a yield.
    Sleep0,
    Raise(PyErr),
    /// Bare `raise` in a handler.
    Reraise,
    /// `return` (with the emulated return value of a sub).
    Return(Option<Value>),
    /// Pushes a loop block (counter 0) whose exit is `exit`.
    LoopEnter {
        exit: usize,
    },
    /// Loop head: leaves through the loop block's exit when `count` is
    /// reached, else stores the counter in `var` and enters the body.
    LoopNext {
        count: Option<i64>,
        var: Option<Var>,
    },
    Jump(usize),
    Break,
    /// `if var == eq` (`eq: None` = `var is None`); jumps to `target` when false.
    JumpUnless {
        var: Var,
        eq: Option<i64>,
        target: usize,
    },
    /// Start of a `try` body with `except` clauses.
    SetupExcept(Vec<Handler>),
    /// Start of a `try` body with a `finally` (its code starts at `at`).
    SetupFinally {
        at: usize,
    },
    /// The `try` body ended normally: drop its except block.
    PopExcept,
    /// A handler ended normally: the exception is no longer being handled.
    EndHandler,
    /// The `try` (and handlers) ended normally: run the finally with nothing
    /// pending.
    EnterFinally,
    /// End of a finally: resume what was pending (nothing, an error, a
    /// return or a break).
    EndFinally,
    /// Delegation to `subs[name]`; the interpreter parks on this instruction
    /// while it delegates, then records `yield_from` and moves on.
    YieldFrom(String),
    /// A body observing its own state (never run: rule R4 skips it statically).
    State,
}

/// One compiled body (`main` or a sub).
#[derive(Debug)]
pub struct Code {
    /// `main` or the sub's name: the `[B]` of the trace lines.
    pub name: String,
    pub instrs: Vec<Instr>,
    /// Variable names, by index (for messages).
    pub vars: Vec<String>,
}

/// Every body of a scenario, compiled: `main` and the subs it delegates to.
#[derive(Debug)]
pub struct Program {
    pub bodies: BTreeMap<String, Arc<Code>>,
}

impl Program {
    pub fn new(sc: &Scenario) -> Self {
        let mut bodies = BTreeMap::new();
        bodies.insert("main".to_owned(), Arc::new(compile("main", &sc.body)));
        for (name, ops) in &sc.subs {
            bodies.insert(name.clone(), Arc::new(compile(name, ops)));
        }
        Program { bodies }
    }
}

pub fn compile(name: &str, body: &[BodyOp]) -> Code {
    let mut c = Compiler {
        instrs: Vec::new(),
        vars: HashMap::new(),
        names: Vec::new(),
    };
    c.block(body);
    Code {
        name: name.to_owned(),
        instrs: c.instrs,
        vars: c.names,
    }
}

struct Compiler {
    instrs: Vec<Instr>,
    vars: HashMap<String, Var>,
    names: Vec<String>,
}

impl Compiler {
    fn var(&mut self, name: &str) -> Var {
        if let Some(&v) = self.vars.get(name) {
            return v;
        }
        let v = self.names.len();
        self.names.push(name.to_owned());
        self.vars.insert(name.to_owned(), v);
        v
    }

    fn value(&mut self, e: &Expr) -> Value {
        match e {
            Expr::Const(k) => Value::Const(*k),
            Expr::Var { var, mul, add } => Value::Var {
                var: self.var(var),
                mul: *mul,
                add: *add,
            },
        }
    }

    fn here(&self) -> usize {
        self.instrs.len()
    }

    fn emit(&mut self, i: Instr) -> usize {
        self.instrs.push(i);
        self.instrs.len() - 1
    }

    fn block(&mut self, ops: &[BodyOp]) {
        for op in ops {
            self.op(op);
        }
    }

    fn op(&mut self, op: &BodyOp) {
        match op {
            BodyOp::Log(msg) => {
                self.emit(Instr::Log(msg.clone()));
            }
            BodyOp::Yield { value, into } => self.yield_(value, into.as_deref()),
            BodyOp::Sleep0 => {
                self.emit(Instr::Sleep0);
            }
            BodyOp::Raise(e) => {
                self.emit(Instr::Raise(e.clone()));
            }
            BodyOp::Reraise => {
                self.emit(Instr::Reraise);
            }
            BodyOp::Return(v) => {
                let v = v.as_ref().map(|v| self.value(v));
                self.emit(Instr::Return(v));
            }
            BodyOp::Loop { count, var, body } => {
                //   LoopEnter(exit)
                // head: LoopNext   (leaves through the block's exit)
                //   body
                //   Jump(head)
                // exit:
                let enter = self.emit(Instr::LoopEnter { exit: 0 });
                let var = var.as_deref().map(|v| self.var(v));
                let head = self.emit(Instr::LoopNext { count: *count, var });
                self.block(body);
                self.emit(Instr::Jump(head));
                let exit = self.here();
                self.instrs[enter] = Instr::LoopEnter { exit };
            }
            BodyOp::Break => {
                self.emit(Instr::Break);
            }
            BodyOp::If {
                var,
                eq,
                then,
                otherwise,
            } => {
                let var = self.var(var);
                let test = self.emit(Instr::JumpUnless {
                    var,
                    eq: *eq,
                    target: 0,
                });
                self.block(then);
                let skip_else = self.emit(Instr::Jump(0));
                let else_at = self.here();
                self.block(otherwise);
                let end = self.here();
                self.instrs[test] = Instr::JumpUnless {
                    var,
                    eq: *eq,
                    target: else_at,
                };
                self.instrs[skip_else] = Instr::Jump(end);
            }
            BodyOp::Try {
                body,
                except,
                finally,
            } => self.try_(body, except, finally.as_deref()),
            BodyOp::Catch {
                value,
                into,
                clause,
            } => {
                // Exactly what the oracle generates: the `got` line and the
                // store are inside the try.
                let body = [BodyOp::Yield {
                    value: value.clone(),
                    into: into.clone(),
                }];
                self.try_(&body, std::slice::from_ref(clause), None);
            }
            BodyOp::YieldFrom(sub) => {
                self.emit(Instr::YieldFrom(sub.clone()));
            }
            BodyOp::State => {
                self.emit(Instr::State);
            }
        }
    }

    fn yield_(&mut self, value: &Expr, into: Option<&str>) {
        let value = self.value(value);
        let into = into.map(|v| self.var(v));
        self.emit(Instr::Yield { value, into });
    }

    /// `try/except/finally` is compiled as Python defines it:
    /// `try: (try: body except: handlers) finally: fin`.
    ///
    /// ```text
    ///   SetupFinally(fin)        if finally
    ///   SetupExcept(handlers)    if except
    ///   body
    ///   PopExcept; Jump(after)   if except
    /// h1: handler1; EndHandler; Jump(after)
    ///   ...
    /// after:
    ///   EnterFinally             if finally
    /// fin: finally; EndFinally
    /// ```
    fn try_(&mut self, body: &[BodyOp], except: &[Clause], finally: Option<&[BodyOp]>) {
        let setup_finally = finally.map(|_| self.emit(Instr::SetupFinally { at: 0 }));
        let mut jumps_to_after = Vec::new();
        if except.is_empty() {
            self.block(body);
        } else {
            let setup = self.emit(Instr::SetupExcept(Vec::new()));
            self.block(body);
            self.emit(Instr::PopExcept);
            jumps_to_after.push(self.emit(Instr::Jump(0)));
            let mut handlers = Vec::new();
            for clause in except {
                handlers.push(Handler {
                    errs: clause.errs.clone(),
                    at: self.here(),
                });
                self.block(&clause.handler);
                self.emit(Instr::EndHandler);
                jumps_to_after.push(self.emit(Instr::Jump(0)));
            }
            self.instrs[setup] = Instr::SetupExcept(handlers);
        }
        let after = self.here();
        for j in jumps_to_after {
            self.instrs[j] = Instr::Jump(after);
        }
        if let (Some(setup), Some(fin)) = (setup_finally, finally) {
            self.emit(Instr::EnterFinally);
            let at = self.here();
            self.instrs[setup] = Instr::SetupFinally { at };
            self.block(fin);
            self.emit(Instr::EndFinally);
        }
    }
}
