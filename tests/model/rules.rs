//! The model: the README's rules for calls on a generator, over a model body
//! (`bodies::Body`). It answers, for each operation, what the call resolves
//! to and what the body logs meanwhile, in the same words as the harness.

use crate::bodies::{Body, Event, Exc, Input, Kind, model};
use crate::harness::{Call, Op};

/// The generator's life state (rules: `state()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Created,
    Suspended,
    Running,
    Closed,
}

/// Which call started the step in flight: decides how its end is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Next,
    Throw,
    Close,
}

/// What a step ends with, before the call's future renders it.
enum Reply {
    Yielded(i64),
    /// Finished without a value (a close that completed).
    Done,
    Failed(String),
    Pending,
    Panicked,
}

pub struct Model {
    body: Box<dyn Body>,
    state: State,
    step: Step,
    /// `aclose()` has begun: later `athrow`/`aclose` calls report the end
    /// without entering the body.
    exit_requested: bool,
    log: Vec<String>,
    reported: usize,
}

impl Model {
    pub fn new(kind: Kind) -> Self {
        Model {
            body: model(kind),
            state: State::Created,
            step: Step::Next,
            exit_requested: false,
            log: Vec::new(),
            reported: 0,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// What `op` resolves to, and what was logged meanwhile.
    pub fn apply(&mut self, op: &Op) -> String {
        let outcome = match op {
            Op::Call(call) => {
                let reply = self.call(*call, false);
                render(*call, reply)
            }
            Op::Abandon(call) => {
                let reply = self.call(*call, true);
                render(*call, reply)
            }
            Op::StreamNext => {
                let reply = self.stream_next();
                render_item(reply)
            }
            Op::Reuse => match render(Call::Anext, self.call(Call::Anext, false)) {
                panicked if panicked == "panic" => panicked,
                first => format!("{first}; again Reused"),
            },
            Op::State => format!("state {:?}", self.state),
        };
        self.with_log(outcome)
    }

    /// Drops the generator: a body not finished is dropped where it is.
    pub fn drop_generator(mut self) -> String {
        if self.state != State::Closed {
            self.body.drop_body(&mut self.log);
        }
        self.with_log("dropped".to_owned())
    }

    fn with_log(&mut self, outcome: String) -> String {
        let new = &self.log[self.reported..];
        self.reported = self.log.len();
        format!("{outcome} {new:?}")
    }

    fn call(&mut self, call: Call, once: bool) -> Reply {
        let step = match call {
            Call::Anext | Call::Asend(_) => Step::Next,
            Call::Athrow(_) => Step::Throw,
            Call::Aclose => Step::Close,
        };
        match self.state {
            // Rule 4: a finished generator says so; athrow/aclose complete.
            State::Closed => match step {
                Step::Next => Reply::Failed("stop None".into()),
                _ => Reply::Done,
            },
            State::Created => match call {
                Call::Anext => self.run(Input::Start, Step::Next, once),
                // Rule 1: the value comes back, it stays Created.
                Call::Asend(_) => Reply::Failed("TypeError".into()),
                // Rule 2: the body never runs.
                Call::Athrow(e) => {
                    self.state = State::Closed;
                    Reply::Failed(uncaught(e))
                }
                Call::Aclose => {
                    self.state = State::Closed;
                    self.exit_requested = true;
                    Reply::Done
                }
            },
            // Rule 7: `anext` continues the step left in flight; any other
            // call is refused.
            State::Running => match call {
                Call::Anext => self.run(Input::Resume, self.step, once),
                _ => Reply::Failed("AlreadyRunning".into()),
            },
            State::Suspended => {
                if step != Step::Next && self.exit_requested {
                    return Reply::Failed("stop None".into());
                }
                if step == Step::Close {
                    self.exit_requested = true;
                }
                match call {
                    Call::Anext => self.run(Input::Send(0), Step::Next, once),
                    Call::Asend(v) => self.run(Input::Send(v), Step::Next, once),
                    // A plain yield does not see it: the body ends there.
                    Call::Athrow(_) | Call::Aclose if !self.body.catching() => {
                        self.body.drop_body(&mut self.log);
                        self.state = State::Closed;
                        let exc = match call {
                            Call::Athrow(e) => e,
                            _ => Exc::Exit,
                        };
                        self.propagated(exc, step)
                    }
                    Call::Athrow(e) => self.run(Input::Throw(e), Step::Throw, once),
                    Call::Aclose => self.run(Input::Throw(Exc::Exit), Step::Close, once),
                }
            }
        }
    }

    /// The `Stream` view: an `anext` per item, a step in flight continued as
    /// an `anext`.
    fn stream_next(&mut self) -> Reply {
        match self.state {
            State::Closed => Reply::Done,
            State::Running => self.run(Input::Resume, Step::Next, false),
            State::Created => self.run(Input::Start, Step::Next, false),
            State::Suspended => self.run(Input::Send(0), Step::Next, false),
        }
    }

    fn propagated(&self, exc: Exc, step: Step) -> Reply {
        match (exc, step) {
            (Exc::Exit, Step::Close) => Reply::Done,
            (exc, _) => Reply::Failed(uncaught(exc)),
        }
    }

    /// Runs the body until it yields, finishes, or (`once`) first waits.
    fn run(&mut self, input: Input, step: Step, once: bool) -> Reply {
        self.step = step;
        self.state = State::Running;
        let mut input = input;
        loop {
            match self.body.resume(input, &mut self.log) {
                Event::Pending if once => return Reply::Pending,
                Event::Pending => input = Input::Resume,
                Event::Yield(v) => {
                    self.state = State::Suspended;
                    let step = std::mem::replace(&mut self.step, Step::Next);
                    // Rule 5: a close answered with a yield.
                    return if step == Step::Close {
                        Reply::Failed("IgnoredGeneratorExit".into())
                    } else {
                        Reply::Yielded(v)
                    };
                }
                Event::Return(r) => {
                    self.state = State::Closed;
                    return match self.step {
                        Step::Close => Reply::Done,
                        _ => Reply::Failed(format!("stop Some({r})")),
                    };
                }
                Event::Raise(exc) => {
                    self.state = State::Closed;
                    return self.propagated(exc, self.step);
                }
                Event::Panic => {
                    // Rule 9.
                    self.state = State::Closed;
                    return Reply::Panicked;
                }
            }
        }
    }
}

fn uncaught(exc: Exc) -> String {
    match exc {
        Exc::Exit => "GeneratorExit".into(),
        Exc::Boom(k) => format!("raised Boom({k})"),
    }
}

/// How each call's future renders a reply.
fn render(call: Call, reply: Reply) -> String {
    match reply {
        Reply::Yielded(v) => format!("yield {v}"),
        Reply::Done => match call {
            Call::Anext | Call::Asend(_) => "stop None".into(),
            Call::Athrow(_) | Call::Aclose => "ok".into(),
        },
        Reply::Failed(why) => why,
        Reply::Pending => "pending".into(),
        Reply::Panicked => "panic".into(),
    }
}

/// How the `Stream` renders a reply: an item, the body's error once, or the
/// end.
fn render_item(reply: Reply) -> String {
    match reply {
        Reply::Yielded(v) => format!("item {v}"),
        Reply::Failed(why) if why.starts_with("raised ") => {
            format!("item-err {}", &why["raised ".len()..])
        }
        Reply::Panicked => "panic".into(),
        Reply::Pending => "pending".into(),
        Reply::Done | Reply::Failed(_) => "end".into(),
    }
}
