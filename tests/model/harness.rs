//! The operations, and the subject: a real agen generator they are applied
//! to, rendered in the model's words.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use agen::{AsyncGenerator, AsyncGeneratorExt, Error, RuntimeError, Thrown};
use futures::Stream;

use crate::Rng;
use crate::bodies::{Boom, Exc, Gen, Kind, Log, make};

/// A protocol call.
#[derive(Clone, Copy, Debug)]
pub enum Call {
    Anext,
    Asend(i64),
    Athrow(Exc),
    Aclose,
}

/// One operation of a sequence.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// A call awaited to completion.
    Call(Call),
    /// A call polled once and dropped (while the body waits at a non-yield
    /// await, its step stays in flight).
    Abandon(Call),
    /// One item of the `Stream` view.
    StreamNext,
    /// An `anext` awaited, then its completed awaitable polled again.
    Reuse,
    /// `state()`.
    State,
}

impl Op {
    pub fn random(rng: &mut Rng) -> Op {
        // Weighted towards resuming: a throw or a close usually ends the
        // body, and a sequence should see every state.
        let call = |rng: &mut Rng| match rng.below(20) {
            0..=9 => Call::Anext,
            10..=13 => Call::Asend(1 + rng.below(9) as i64),
            14..=16 => Call::Athrow(match rng.below(4) {
                0 => Exc::Exit,
                k => Exc::Boom(k as u8),
            }),
            _ => Call::Aclose,
        };
        match rng.below(12) {
            0..=4 => Op::Call(call(rng)),
            5..=7 => Op::Abandon(call(rng)),
            8 | 9 => Op::StreamNext,
            10 => Op::Reuse,
            _ => Op::State,
        }
    }

    pub fn name(&self) -> String {
        let call = |c: &Call| match c {
            Call::Anext => "anext",
            Call::Asend(_) => "asend",
            Call::Athrow(_) => "athrow",
            Call::Aclose => "aclose",
        };
        match self {
            Op::Call(c) => call(c).to_owned(),
            Op::Abandon(c) => format!("~{}", call(c)),
            Op::StreamNext => "stream".to_owned(),
            Op::Reuse => "reuse".to_owned(),
            Op::State => "state".to_owned(),
        }
    }
}

pub struct Subject {
    generator: Pin<Box<Gen>>,
    log: Log,
    reported: usize,
}

/// How many polls a call gets before it counts as hung.
const MAX_POLLS: usize = 1000;

/// What a poll gave, a panic included.
enum Polled<T> {
    Ready(T),
    Pending,
    Panicked,
}

fn poll<F: Future + Unpin>(future: &mut F) -> Polled<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *future).poll(&mut cx))) {
        Ok(Poll::Ready(out)) => Polled::Ready(out),
        Ok(Poll::Pending) => Polled::Pending,
        Err(_) => Polled::Panicked,
    }
}

/// Polls until ready (`once`: a single poll).
fn drive<F: Future + Unpin>(
    future: &mut F,
    once: bool,
    render: impl Fn(F::Output) -> String,
) -> String {
    for _ in 0..MAX_POLLS {
        match poll(future) {
            Polled::Ready(out) => return render(out),
            Polled::Panicked => return "panic".into(),
            Polled::Pending if once => return "pending".into(),
            Polled::Pending => {}
        }
    }
    "hung".into()
}

fn error(e: Error<i64, Boom, i64>) -> String {
    match e {
        Error::StopAsyncIteration(r) => format!("stop {r:?}"),
        Error::Raised(b) => format!("raised {b}"),
        Error::GeneratorExit => "GeneratorExit".into(),
        Error::RuntimeError(RuntimeError::AlreadyRunning(_)) => "AlreadyRunning".into(),
        Error::RuntimeError(RuntimeError::IgnoredGeneratorExit) => "IgnoredGeneratorExit".into(),
        Error::RuntimeError(RuntimeError::AwaitableReused) => "Reused".into(),
        Error::TypeError(_) => "TypeError".into(),
        other => format!("{other:?}"),
    }
}

fn thrown(e: Exc) -> Thrown<Boom> {
    match e {
        Exc::Exit => Thrown::GeneratorExit,
        Exc::Boom(k) => Thrown::Error(Boom(k)),
    }
}

impl Subject {
    pub fn new(kind: Kind) -> Self {
        let log = Log::default();
        Subject {
            generator: Box::pin(make(kind, log.clone())),
            log,
            reported: 0,
        }
    }

    pub fn apply(&mut self, op: &Op) -> String {
        let outcome = match *op {
            Op::Call(call) => self.call(call, false),
            Op::Abandon(call) => self.call(call, true),
            Op::StreamNext => {
                let mut next = futures::future::poll_fn(|cx| self.generator.as_mut().poll_next(cx));
                drive(&mut next, false, |item| match item {
                    Some(Ok(v)) => format!("item {v}"),
                    Some(Err(b)) => format!("item-err {b}"),
                    None => "end".into(),
                })
            }
            Op::Reuse => {
                let mut call = self.generator.as_mut().anext();
                let first = drive(&mut call, false, |r| {
                    r.map_or_else(error, |v| format!("yield {v}"))
                });
                if first == "panic" {
                    first
                } else {
                    let again = drive(&mut call, true, |r| {
                        r.map_or_else(error, |v| format!("yield {v}"))
                    });
                    format!("{first}; again {again}")
                }
            }
            Op::State => format!("state {:?}", self.generator.state()),
        };
        self.with_log(outcome)
    }

    fn call(&mut self, call: Call, once: bool) -> String {
        let g = self.generator.as_mut();
        match call {
            Call::Anext => drive(&mut g.anext(), once, |r| {
                r.map_or_else(error, |v| format!("yield {v}"))
            }),
            Call::Asend(v) => drive(&mut g.asend(v), once, |r| {
                r.map_or_else(error, |v| format!("yield {v}"))
            }),
            Call::Athrow(e) => drive(&mut g.athrow(thrown(e)), once, |r| match r {
                Ok(Some(v)) => format!("yield {v}"),
                Ok(None) => "ok".into(),
                Err(e) => error(e),
            }),
            Call::Aclose => drive(&mut g.aclose(), once, |r| {
                r.map_or_else(error, |()| "ok".into())
            }),
        }
    }

    pub fn drop_generator(mut self) -> String {
        let generator = std::mem::replace(&mut self.generator, Box::pin(Gen::new(empty())));
        drop(generator);
        self.with_log("dropped".to_owned())
    }

    fn with_log(&mut self, outcome: String) -> String {
        let log = self.log.borrow();
        let new = &log[self.reported..];
        let rendered = format!("{outcome} {new:?}");
        self.reported = log.len();
        rendered
    }
}

#[agen::async_generator(yield = i64, send = i64)]
async fn empty() -> Result<i64, Boom> {
    Ok(0)
}
