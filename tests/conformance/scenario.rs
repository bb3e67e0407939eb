//! Scenario files (`public/<name>.json`) parsed into typed Rust values.
//!
//! The format is the README's "Scenario format". Parsing is strict (unknown
//! keys and ops are errors, as in `oracle.py`): a typo in a scenario must not
//! silently turn into a different test.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::pyerr::{ErrKind, ErrPattern, PyErr};

/// One scenario: the generator under test (`body`, plus `subs` for
/// delegation) and the driver script that exercises it.
#[derive(Debug)]
pub struct Scenario {
    pub name: String,
    /// `"env": "asyncio"`: the event loop's own finalization hooks apply.
    pub asyncio_env: bool,
    pub body: Vec<BodyOp>,
    pub subs: BTreeMap<String, Vec<BodyOp>>,
    pub driver: Vec<DriverOp>,
}

/// A value expression: an int, or `var * mul + add`.
#[derive(Clone, Debug)]
pub enum Expr {
    Const(i64),
    Var { var: String, mul: i64, add: i64 },
}

/// The body language (README "Body language").
#[derive(Clone, Debug)]
pub enum BodyOp {
    Log(String),
    Yield {
        value: Expr,
        into: Option<String>,
    },
    Sleep0,
    Raise(PyErr),
    Reraise,
    Return(Option<Expr>),
    Loop {
        count: Option<i64>,
        var: Option<String>,
        body: Vec<BodyOp>,
    },
    Break,
    If {
        var: String,
        eq: Option<i64>,
        then: Vec<BodyOp>,
        otherwise: Vec<BodyOp>,
    },
    Try {
        body: Vec<BodyOp>,
        except: Vec<Clause>,
        finally: Option<Vec<BodyOp>>,
    },
    /// `try: x = yield value / except errs: handler`.
    Catch {
        value: Expr,
        into: Option<String>,
        clause: Clause,
    },
    YieldFrom(String),
    State,
}

#[derive(Clone, Debug)]
pub struct Clause {
    pub errs: Vec<ErrPattern>,
    pub handler: Vec<BodyOp>,
}

/// The four protocol calls, with what they carry.
#[derive(Clone, Debug)]
pub enum Call {
    Anext,
    /// `asend(None)` is Python's `__anext__()`; the driver maps it so.
    Asend(Option<i64>),
    Athrow(PyErr),
    Aclose,
}

impl Call {
    /// The call as the trace names it: `anext`, `asend 7`, `athrow E1(p)`.
    pub fn label(&self) -> String {
        match self {
            Call::Anext => "anext".into(),
            Call::Asend(Some(v)) => format!("asend {v}"),
            Call::Asend(None) => "asend None".into(),
            Call::Athrow(e) => match e.payload.as_deref() {
                Some(p) if !p.is_empty() => format!("athrow {}({p})", e.kind.name()),
                _ => format!("athrow {}", e.kind.name()),
            },
            Call::Aclose => "aclose".into(),
        }
    }
}

/// The driver script (README "Driver ops").
#[derive(Clone, Debug)]
pub enum DriverOp {
    /// `anext` / `asend` / `athrow` / `aclose`: create and await at once.
    Call {
        call: Call,
        id: Option<String>,
    },
    Make {
        call: Call,
        id: String,
    },
    Await(String),
    Reuse(Option<String>),
    Spawn {
        call: Call,
        id: String,
    },
    Step(String),
    Join(String),
    Abandon(String),
    /// Sugar for `spawn anext as c; <second>; join c` (expanded by the planner).
    ConcurrentAnext(Call),
    State,
    Drop,
    /// Installs recording hooks (`sys.set_asyncgen_hooks`).
    Hooks {
        firstiter: bool,
        finalizer: FinalizerHook,
    },
    LoopShutdown,
}

/// The `finalizer` of a `hooks` op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalizerHook {
    /// No finalizer hook.
    None,
    /// Records `hook finalizer <gen>`; the generator is freed without cleanup.
    Record,
    /// Records it and queues `gen.aclose()` for the next settle point.
    Aclose,
}

type Obj = Map<String, Value>;

pub fn parse(text: &str) -> Result<Scenario, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("bad JSON: {e}"))?;
    let top = v.as_object().ok_or("scenario must be a JSON object")?;
    check_keys(
        top,
        "scenario",
        &["name", "category", "title", "mirrors", "body", "driver"],
        &["subs", "env", "covers", "notes"],
    )?;
    let name = str_field(top, "name")?.to_owned();
    let asyncio_env = match top.get("env").map(|e| e.as_str()) {
        None | Some(Some("bare")) => false,
        Some(Some("asyncio")) => true,
        Some(_) => return Err("env must be \"bare\" or \"asyncio\"".into()),
    };
    let body = body_ops(&top["body"], "body")?;
    let mut subs = BTreeMap::new();
    if let Some(s) = top.get("subs") {
        for (k, ops) in s.as_object().ok_or("subs must be an object")? {
            subs.insert(k.clone(), body_ops(ops, &format!("subs.{k}"))?);
        }
    }
    let driver = top["driver"]
        .as_array()
        .ok_or("driver must be a list")?
        .iter()
        .enumerate()
        .map(|(i, op)| driver_op(op, &format!("driver[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(Scenario {
        name,
        asyncio_env,
        body,
        subs,
        driver,
    })
}

fn check_keys(obj: &Obj, at: &str, required: &[&str], optional: &[&str]) -> Result<(), String> {
    for k in required {
        if !obj.contains_key(*k) {
            return Err(format!("{at}: missing key {k:?}"));
        }
    }
    for k in obj.keys() {
        if k != "op" && !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            return Err(format!("{at}: unexpected key {k:?}"));
        }
    }
    Ok(())
}

fn str_field<'a>(obj: &'a Obj, key: &str) -> Result<&'a str, String> {
    obj[key]
        .as_str()
        .ok_or_else(|| format!("{key} must be a string"))
}

fn opt_str(obj: &Obj, key: &str) -> Result<Option<String>, String> {
    obj.get(key)
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{key} must be a string"))
        })
        .transpose()
}

fn int(v: &Value, what: &str) -> Result<i64, String> {
    v.as_i64().ok_or_else(|| format!("{what} must be an int"))
}

/// An int or `null` (Python `None`).
fn int_or_null(v: &Value, what: &str) -> Result<Option<i64>, String> {
    if v.is_null() {
        Ok(None)
    } else {
        int(v, what).map(Some)
    }
}

fn expr(v: &Value, at: &str) -> Result<Expr, String> {
    if let Some(k) = v.as_i64() {
        return Ok(Expr::Const(k));
    }
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{at}: bad value expression {v}"))?;
    check_keys(obj, at, &["var"], &["mul", "add"])?;
    Ok(Expr::Var {
        var: str_field(obj, "var")?.to_owned(),
        mul: obj
            .get("mul")
            .map(|m| int(m, "mul"))
            .transpose()?
            .unwrap_or(1),
        add: obj
            .get("add")
            .map(|a| int(a, "add"))
            .transpose()?
            .unwrap_or(0),
    })
}

/// `err` + optional `payload` of a `raise` op or an `athrow` call.
fn error(obj: &Obj, at: &str) -> Result<PyErr, String> {
    let name = str_field(obj, "err")?;
    let kind = ErrKind::parse(name).ok_or_else(|| format!("{at}: unknown error {name:?}"))?;
    let payload = opt_str(obj, "payload")?;
    if kind.is_user() && payload.is_none() {
        return Err(format!("{at}: {name} needs a payload"));
    }
    Ok(PyErr::new(kind, payload))
}

fn patterns(v: &Value, at: &str) -> Result<Vec<ErrPattern>, String> {
    let list = v
        .as_array()
        .ok_or_else(|| format!("{at}: errs must be a list"))?;
    list.iter()
        .map(|e| {
            e.as_str()
                .and_then(ErrPattern::parse)
                .ok_or_else(|| format!("{at}: bad error name {e}"))
        })
        .collect()
}

fn body_ops(v: &Value, at: &str) -> Result<Vec<BodyOp>, String> {
    v.as_array()
        .ok_or_else(|| format!("{at}: a body must be a list"))?
        .iter()
        .enumerate()
        .map(|(i, op)| body_op(op, &format!("{at}[{i}]")))
        .collect()
}

/// An op: a JSON object with a string `"op"`.
fn op_object<'v>(
    v: &'v Value,
    at: &str,
) -> Result<(&'v serde_json::Map<String, Value>, &'v str), String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{at}: an op must be an object"))?;
    let op = obj
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at}: missing \"op\""))?;
    Ok((obj, op))
}

fn body_op(v: &Value, at: &str) -> Result<BodyOp, String> {
    let (obj, op) = op_object(v, at)?;
    let keys = |req: &[&str], opt: &[&str]| check_keys(obj, at, req, opt);
    Ok(match op {
        "log" => {
            keys(&["msg"], &[])?;
            BodyOp::Log(str_field(obj, "msg")?.to_owned())
        }
        "yield" => {
            keys(&["value"], &["into"])?;
            BodyOp::Yield {
                value: expr(&obj["value"], at)?,
                into: opt_str(obj, "into")?,
            }
        }
        "sleep0" => {
            keys(&[], &[])?;
            BodyOp::Sleep0
        }
        "raise" => {
            keys(&["err"], &["payload"])?;
            BodyOp::Raise(error(obj, at)?)
        }
        "reraise" => {
            keys(&[], &[])?;
            BodyOp::Reraise
        }
        "return" => {
            keys(&[], &["value"])?;
            BodyOp::Return(obj.get("value").map(|e| expr(e, at)).transpose()?)
        }
        "loop" => {
            keys(&["count", "body"], &["var"])?;
            BodyOp::Loop {
                count: int_or_null(&obj["count"], "count")?,
                var: opt_str(obj, "var")?,
                body: body_ops(&obj["body"], &format!("{at}.body"))?,
            }
        }
        "break" => {
            keys(&[], &[])?;
            BodyOp::Break
        }
        "if" => {
            keys(&["var", "eq", "then"], &["else"])?;
            BodyOp::If {
                var: str_field(obj, "var")?.to_owned(),
                eq: int_or_null(&obj["eq"], "eq")?,
                then: body_ops(&obj["then"], &format!("{at}.then"))?,
                otherwise: match obj.get("else") {
                    Some(e) => body_ops(e, &format!("{at}.else"))?,
                    None => Vec::new(),
                },
            }
        }
        "try" => {
            keys(&["body"], &["except", "finally"])?;
            let mut except = Vec::new();
            if let Some(list) = obj.get("except") {
                let list = list
                    .as_array()
                    .ok_or_else(|| format!("{at}: except must be a list"))?;
                for (j, c) in list.iter().enumerate() {
                    let cat = format!("{at}.except[{j}]");
                    let c = c
                        .as_object()
                        .ok_or_else(|| format!("{cat}: not an object"))?;
                    check_keys(c, &cat, &["errs", "handler"], &[])?;
                    except.push(Clause {
                        errs: patterns(&c["errs"], &cat)?,
                        handler: body_ops(&c["handler"], &cat)?,
                    });
                }
            }
            let finally = obj
                .get("finally")
                .map(|f| body_ops(f, &format!("{at}.finally")))
                .transpose()?;
            if except.is_empty() && finally.is_none() {
                return Err(format!("{at}: try needs except or finally"));
            }
            BodyOp::Try {
                body: body_ops(&obj["body"], &format!("{at}.body"))?,
                except,
                finally,
            }
        }
        "catch" => {
            keys(&["value", "errs", "handler"], &["into"])?;
            BodyOp::Catch {
                value: expr(&obj["value"], at)?,
                into: opt_str(obj, "into")?,
                clause: Clause {
                    errs: patterns(&obj["errs"], at)?,
                    handler: body_ops(&obj["handler"], &format!("{at}.handler"))?,
                },
            }
        }
        "yield_from" => {
            keys(&["sub"], &[])?;
            BodyOp::YieldFrom(str_field(obj, "sub")?.to_owned())
        }
        "state" => {
            keys(&[], &[])?;
            BodyOp::State
        }
        other => return Err(format!("{at}: unknown body op {other:?}")),
    })
}

/// The call of a call op (`anext`..) or of `make`/`spawn` (`"call": ..`).
fn call(obj: &Obj, name: &str, at: &str) -> Result<Call, String> {
    let carried: &[&str] = match name {
        "asend" => &["value"],
        "athrow" => &["err", "payload"],
        _ => &[],
    };
    for k in ["value", "err", "payload"] {
        if obj.contains_key(k) && !carried.contains(&k) {
            return Err(format!("{at}: {name} does not take {k:?}"));
        }
    }
    Ok(match name {
        "anext" => Call::Anext,
        "asend" => Call::Asend(int_or_null(
            obj.get("value")
                .ok_or_else(|| format!("{at}: asend needs a value"))?,
            "value",
        )?),
        "athrow" => Call::Athrow(error(obj, at)?),
        "aclose" => Call::Aclose,
        other => return Err(format!("{at}: unknown call {other:?}")),
    })
}

fn driver_op(v: &Value, at: &str) -> Result<DriverOp, String> {
    let (obj, op) = op_object(v, at)?;
    let keys = |req: &[&str], opt: &[&str]| check_keys(obj, at, req, opt);
    let id = || str_field(obj, "id").map(str::to_owned);
    Ok(match op {
        "anext" | "asend" | "athrow" | "aclose" => {
            keys(&[], &["id", "value", "err", "payload"])?;
            DriverOp::Call {
                call: call(obj, op, at)?,
                id: opt_str(obj, "id")?,
            }
        }
        "make" | "spawn" => {
            keys(&["call", "id"], &["value", "err", "payload"])?;
            let c = call(obj, str_field(obj, "call")?, at)?;
            if op == "make" {
                DriverOp::Make { call: c, id: id()? }
            } else {
                DriverOp::Spawn { call: c, id: id()? }
            }
        }
        "await" | "step" | "join" | "abandon" => {
            keys(&["id"], &[])?;
            let id = id()?;
            match op {
                "await" => DriverOp::Await(id),
                "step" => DriverOp::Step(id),
                "join" => DriverOp::Join(id),
                _ => DriverOp::Abandon(id),
            }
        }
        "reuse" => {
            keys(&[], &["id"])?;
            DriverOp::Reuse(opt_str(obj, "id")?)
        }
        "concurrent_anext" => {
            keys(&["second"], &[])?;
            match driver_op(&obj["second"], &format!("{at}.second"))? {
                DriverOp::Call { call, id: None } => DriverOp::ConcurrentAnext(call),
                _ => return Err(format!("{at}: second must be a call op without id")),
            }
        }
        "state" | "drop" | "loop_shutdown" => {
            keys(&[], &[])?;
            match op {
                "state" => DriverOp::State,
                "drop" => DriverOp::Drop,
                _ => DriverOp::LoopShutdown,
            }
        }
        "hooks" => {
            keys(&["firstiter", "finalizer"], &[])?;
            DriverOp::Hooks {
                firstiter: obj["firstiter"]
                    .as_bool()
                    .ok_or_else(|| format!("{at}: firstiter must be a bool"))?,
                finalizer: match str_field(obj, "finalizer")? {
                    "none" => FinalizerHook::None,
                    "record" => FinalizerHook::Record,
                    "aclose" => FinalizerHook::Aclose,
                    other => {
                        return Err(format!(
                            "{at}: finalizer must be none|record|aclose, not {other:?}"
                        ));
                    }
                },
            }
        }
        other => return Err(format!("{at}: unknown driver op {other:?}")),
    })
}
