//! The bodies under test, each twice: as an agen generator, and as the
//! model's hand-written state machine of what that body does.

use std::cell::RefCell;
use std::rc::Rc;

use agen::{
    LocalBoxAsyncGenerator, Thrown, async_generator, raise_, yield_, yield_catch_, yield_from_,
};

/// The log both the real bodies (through `Rc`) and the model write.
pub type Log = Rc<RefCell<Vec<String>>>;

/// The error the bodies raise and `athrow` injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Boom(pub u8);

impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Boom({})", self.0)
    }
}

/// A body's `finally`: logs when dropped (returned, raised, closed, dropped,
/// unwound).
struct Guard(Log, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1.to_owned());
    }
}

fn note(log: &Log, line: String) {
    log.borrow_mut().push(line);
}

/// An `.await` that is not a yield: pending once (waking itself), then ready.
async fn sleep0() {
    let mut polled = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut polled, true) {
            std::task::Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Plain yields after non-yield awaits, a drop guard, logs what is sent.
    Plain,
    /// The catch form: async cleanup on close (and a yield during cleanup
    /// when closed at its second item), handles some thrown errors.
    Catching,
    /// Fails with `?` before its third item.
    Fallible,
    /// Fast-path delegation two levels deep: outer → middle → leaf.
    Delegating,
    /// Delegation to a plain `Stream`, then a yield of its own.
    StreamDelegating,
    /// Panics when resumed after its second item.
    Panicking,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Plain,
        Kind::Catching,
        Kind::Fallible,
        Kind::Delegating,
        Kind::StreamDelegating,
        Kind::Panicking,
    ];
}

/// Every body has these types, so one harness drives them all.
pub type Gen = LocalBoxAsyncGenerator<'static, i64, i64, Result<i64, Boom>>;

pub fn make(kind: Kind, log: Log) -> Gen {
    match kind {
        Kind::Plain => Gen::new(plain(log)),
        Kind::Catching => Gen::new(catching(log)),
        Kind::Fallible => Gen::new(fallible(log)),
        Kind::Delegating => Gen::new(outer(log)),
        Kind::StreamDelegating => Gen::new(streamer(log)),
        Kind::Panicking => Gen::new(panicking(log)),
    }
}

#[async_generator(yield = i64, send = i64)]
async fn plain(log: Log) -> Result<i64, Boom> {
    let _finally = Guard(log.clone(), "plain dropped");
    for i in 0..5 {
        sleep0().await;
        let sent = yield_!(i);
        note(&log, format!("plain got {sent}"));
    }
    Ok(100)
}

#[async_generator(yield = i64, send = i64)]
async fn catching(log: Log) -> Result<i64, Boom> {
    let _finally = Guard(log.clone(), "catching dropped");
    let mut i = 0;
    while i < 4 {
        match yield_catch_!(i) {
            Ok(sent) => {
                note(&log, format!("catching got {sent}"));
                i += 1;
            }
            Err(Thrown::GeneratorExit) => {
                sleep0().await;
                note(&log, "catching cleanup".to_owned());
                if i == 1 {
                    yield_!(99); // a yield during cleanup
                }
                raise_!(Thrown::GeneratorExit);
            }
            Err(Thrown::Error(Boom(k))) => {
                note(&log, format!("catching caught {k}"));
                if k == 2 {
                    return Err(Boom(k));
                }
                i += 1;
            }
            Err(other) => raise_!(other),
        }
    }
    Ok(i)
}

fn check(i: i64) -> Result<(), Boom> {
    if i == 2 { Err(Boom(7)) } else { Ok(()) }
}

#[async_generator(yield = i64, send = i64)]
async fn fallible(log: Log) -> Result<i64, Boom> {
    let _finally = Guard(log.clone(), "fallible dropped");
    for i in 0..4 {
        sleep0().await;
        check(i)?;
        let sent = yield_!(i);
        note(&log, format!("fallible got {sent}"));
    }
    Ok(4)
}

#[async_generator(yield = i64, send = i64)]
async fn leaf(log: Log) -> Result<i64, Boom> {
    let _finally = Guard(log.clone(), "leaf dropped");
    for i in 0..3 {
        sleep0().await;
        let sent = yield_!(i);
        note(&log, format!("leaf got {sent}"));
    }
    Ok(5)
}

#[async_generator(yield = i64, send = i64)]
async fn middle(log: Log) -> Result<i64, Boom> {
    let _finally = Guard(log.clone(), "middle dropped");
    let r = yield_from_!(leaf(log.clone()))?;
    let sent = yield_!(50 + r);
    note(&log, format!("middle got {sent}"));
    Ok(r + 10)
}

#[async_generator(yield = i64, send = i64)]
async fn outer(log: Log) -> Result<i64, Boom> {
    let _finally = Guard(log.clone(), "outer dropped");
    let r = yield_from_!(middle(log.clone()))?;
    yield_!(r);
    Ok(r + 1)
}

#[async_generator(yield = i64, send = i64)]
async fn streamer(log: Log) -> Result<i64, Boom> {
    let _finally = Guard(log.clone(), "streamer dropped");
    yield_from_!(futures::stream::iter([1i64, 2, 3]));
    let sent = yield_!(9);
    note(&log, format!("streamer got {sent}"));
    Ok(0)
}

#[async_generator(yield = i64, send = i64)]
async fn panicking(log: Log) -> Result<i64, Boom> {
    let _finally = Guard(log.clone(), "panicking dropped");
    yield_!(0);
    sleep0().await;
    yield_!(1);
    panic!("the body panics");
}

// ---------------------------------------------------------------------------
// The model's bodies
// ---------------------------------------------------------------------------

/// What a body is resumed with.
#[derive(Clone, Copy, Debug)]
pub enum Input {
    /// Its first poll.
    Start,
    /// The value of the yield it is parked at.
    Send(i64),
    /// An exception raised at the catching yield it is parked at.
    Throw(Exc),
    /// The non-yield await it is parked at is ready.
    Resume,
}

/// An exception in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exc {
    Exit,
    Boom(u8),
}

/// What a body does next.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    Yield(i64),
    /// Waits at a non-yield await.
    Pending,
    Return(i64),
    Raise(Exc),
    Panic,
}

/// A body as the model sees it.
pub trait Body {
    /// Runs from where it is parked until its next event.
    fn resume(&mut self, input: Input, log: &mut Vec<String>) -> Event;
    /// Whether it is parked at a catching yield (thrown values reach it).
    fn catching(&self) -> bool;
    /// Drops it where it is parked: its guards log, innermost first.
    fn drop_body(&mut self, log: &mut Vec<String>);
}

/// The guards a body holds, innermost last.
#[derive(Default)]
struct Guards(Vec<&'static str>);

impl Guards {
    fn pop(&mut self, log: &mut Vec<String>) {
        if let Some(g) = self.0.pop() {
            log.push(g.to_owned());
        }
    }
    fn all(&mut self, log: &mut Vec<String>) {
        while !self.0.is_empty() {
            self.pop(log);
        }
    }
}

pub fn model(kind: Kind) -> Box<dyn Body> {
    match kind {
        Kind::Plain => Box::new(Plain::default()),
        Kind::Catching => Box::new(Catching::default()),
        Kind::Fallible => Box::new(Fallible::default()),
        Kind::Delegating => Box::new(Delegating::default()),
        Kind::StreamDelegating => Box::new(Streamer::default()),
        Kind::Panicking => Box::new(Panicking::default()),
    }
}

fn unexpected(body: &str, at: impl std::fmt::Debug, input: Input) -> ! {
    panic!("model: {body} resumed at {at:?} with {input:?}")
}

/// `plain`: for i in 0..5 { sleep; sent = yield i; log } return 100.
#[derive(Default)]
struct Plain {
    /// `(i, parked at the yield rather than the sleep)`.
    at: (i64, bool),
    guards: Guards,
}

impl Body for Plain {
    fn resume(&mut self, input: Input, log: &mut Vec<String>) -> Event {
        match (input, self.at) {
            (Input::Start, _) => {
                self.guards.0.push("plain dropped");
                self.at = (0, false);
                Event::Pending
            }
            (Input::Resume, (i, false)) => {
                self.at = (i, true);
                Event::Yield(i)
            }
            (Input::Send(s), (i, true)) => {
                log.push(format!("plain got {s}"));
                if i + 1 < 5 {
                    self.at = (i + 1, false);
                    Event::Pending
                } else {
                    self.guards.all(log);
                    Event::Return(100)
                }
            }
            (input, at) => unexpected("plain", at, input),
        }
    }
    fn catching(&self) -> bool {
        false
    }
    fn drop_body(&mut self, log: &mut Vec<String>) {
        self.guards.all(log);
    }
}

#[derive(Default, Debug, Clone, Copy)]
enum CatchAt {
    #[default]
    Start,
    Yield(i64),
    CleanupSleep(i64),
    CleanupYield,
}

/// `catching`: see the agen body above.
#[derive(Default)]
struct Catching {
    at: CatchAt,
    guards: Guards,
}

impl Catching {
    fn next_item(&mut self, i: i64, log: &mut Vec<String>) -> Event {
        if i < 4 {
            self.at = CatchAt::Yield(i);
            Event::Yield(i)
        } else {
            self.guards.all(log);
            Event::Return(i)
        }
    }
}

impl Body for Catching {
    fn resume(&mut self, input: Input, log: &mut Vec<String>) -> Event {
        match (input, self.at) {
            (Input::Start, CatchAt::Start) => {
                self.guards.0.push("catching dropped");
                self.next_item(0, log)
            }
            (Input::Send(s), CatchAt::Yield(i)) => {
                log.push(format!("catching got {s}"));
                self.next_item(i + 1, log)
            }
            (Input::Throw(Exc::Exit), CatchAt::Yield(i)) => {
                self.at = CatchAt::CleanupSleep(i);
                Event::Pending
            }
            (Input::Resume, CatchAt::CleanupSleep(i)) => {
                log.push("catching cleanup".to_owned());
                if i == 1 {
                    self.at = CatchAt::CleanupYield;
                    Event::Yield(99)
                } else {
                    self.guards.all(log);
                    Event::Raise(Exc::Exit)
                }
            }
            (Input::Send(_), CatchAt::CleanupYield) => {
                self.guards.all(log);
                Event::Raise(Exc::Exit)
            }
            (Input::Throw(Exc::Boom(k)), CatchAt::Yield(i)) => {
                log.push(format!("catching caught {k}"));
                if k == 2 {
                    self.guards.all(log);
                    Event::Raise(Exc::Boom(k))
                } else {
                    self.next_item(i + 1, log)
                }
            }
            (input, at) => unexpected("catching", at, input),
        }
    }
    fn catching(&self) -> bool {
        matches!(self.at, CatchAt::Yield(_))
    }
    fn drop_body(&mut self, log: &mut Vec<String>) {
        self.guards.all(log);
    }
}

/// `fallible`: for i in 0..4 { sleep; check(i)?; sent = yield i; log } return 4.
#[derive(Default)]
struct Fallible {
    at: (i64, bool),
    guards: Guards,
}

impl Body for Fallible {
    fn resume(&mut self, input: Input, log: &mut Vec<String>) -> Event {
        match (input, self.at) {
            (Input::Start, _) => {
                self.guards.0.push("fallible dropped");
                self.at = (0, false);
                Event::Pending
            }
            (Input::Resume, (i, false)) => {
                if i == 2 {
                    self.guards.all(log);
                    return Event::Raise(Exc::Boom(7));
                }
                self.at = (i, true);
                Event::Yield(i)
            }
            (Input::Send(s), (i, true)) => {
                log.push(format!("fallible got {s}"));
                if i + 1 < 4 {
                    self.at = (i + 1, false);
                    Event::Pending
                } else {
                    self.guards.all(log);
                    Event::Return(4)
                }
            }
            (input, at) => unexpected("fallible", at, input),
        }
    }
    fn catching(&self) -> bool {
        false
    }
    fn drop_body(&mut self, log: &mut Vec<String>) {
        self.guards.all(log);
    }
}

#[derive(Default, Debug, Clone, Copy)]
enum DelegAt {
    #[default]
    Start,
    /// In the leaf: `(i, at its yield rather than its sleep)`.
    Leaf(i64, bool),
    MiddleYield,
    OuterYield,
}

/// `outer` → `middle` → `leaf`, flattened: every yield is a plain one, so a
/// throw or close anywhere unwinds all three, innermost first.
#[derive(Default)]
struct Delegating {
    at: DelegAt,
    guards: Guards,
}

impl Body for Delegating {
    fn resume(&mut self, input: Input, log: &mut Vec<String>) -> Event {
        match (input, self.at) {
            (Input::Start, DelegAt::Start) => {
                self.guards
                    .0
                    .extend(["outer dropped", "middle dropped", "leaf dropped"]);
                self.at = DelegAt::Leaf(0, false);
                Event::Pending
            }
            (Input::Resume, DelegAt::Leaf(i, false)) => {
                self.at = DelegAt::Leaf(i, true);
                Event::Yield(i)
            }
            (Input::Send(s), DelegAt::Leaf(i, true)) => {
                log.push(format!("leaf got {s}"));
                if i + 1 < 3 {
                    self.at = DelegAt::Leaf(i + 1, false);
                    Event::Pending
                } else {
                    // The leaf returns 5; the middle yields 55.
                    self.guards.pop(log);
                    self.at = DelegAt::MiddleYield;
                    Event::Yield(55)
                }
            }
            (Input::Send(s), DelegAt::MiddleYield) => {
                log.push(format!("middle got {s}"));
                // The middle returns 15; the outer yields it.
                self.guards.pop(log);
                self.at = DelegAt::OuterYield;
                Event::Yield(15)
            }
            (Input::Send(_), DelegAt::OuterYield) => {
                self.guards.pop(log);
                Event::Return(16)
            }
            (input, at) => unexpected("delegating", at, input),
        }
    }
    fn catching(&self) -> bool {
        false
    }
    fn drop_body(&mut self, log: &mut Vec<String>) {
        self.guards.all(log);
    }
}

/// `streamer`: yields 1, 2, 3 from a stream (sent values go nowhere), then
/// 9 of its own, returns 0.
#[derive(Default)]
struct Streamer {
    /// The next value, once started.
    at: Option<i64>,
    guards: Guards,
}

impl Body for Streamer {
    fn resume(&mut self, input: Input, log: &mut Vec<String>) -> Event {
        match (input, self.at) {
            (Input::Start, None) => {
                self.guards.0.push("streamer dropped");
                self.at = Some(1);
                Event::Yield(1)
            }
            (Input::Send(_), Some(v @ 1..=2)) => {
                self.at = Some(v + 1);
                Event::Yield(v + 1)
            }
            (Input::Send(_), Some(3)) => {
                self.at = Some(9);
                Event::Yield(9)
            }
            (Input::Send(s), Some(9)) => {
                log.push(format!("streamer got {s}"));
                self.guards.all(log);
                Event::Return(0)
            }
            (input, at) => unexpected("streamer", at, input),
        }
    }
    fn catching(&self) -> bool {
        false
    }
    fn drop_body(&mut self, log: &mut Vec<String>) {
        self.guards.all(log);
    }
}

/// `panicking`: yield 0; sleep; yield 1; panic.
#[derive(Default)]
struct Panicking {
    /// 0: not started; 1: at yield 0; 2: at the sleep; 3: at yield 1.
    at: u8,
    guards: Guards,
}

impl Body for Panicking {
    fn resume(&mut self, input: Input, log: &mut Vec<String>) -> Event {
        match (input, self.at) {
            (Input::Start, 0) => {
                self.guards.0.push("panicking dropped");
                self.at = 1;
                Event::Yield(0)
            }
            (Input::Send(_), 1) => {
                self.at = 2;
                Event::Pending
            }
            (Input::Resume, 2) => {
                self.at = 3;
                Event::Yield(1)
            }
            (Input::Send(_), 3) => {
                // Unwinding drops the body's locals.
                self.guards.all(log);
                Event::Panic
            }
            (input, at) => unexpected("panicking", at, input),
        }
    }
    fn catching(&self) -> bool {
        false
    }
    fn drop_body(&mut self, log: &mut Vec<String>) {
        self.guards.all(log);
    }
}
