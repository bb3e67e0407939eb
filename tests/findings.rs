//! Regression tests for review findings, through the public API only (plus
//! `agen::__private::SameDelegate` where a body needs a delegation future of
//! its own to poll by hand).
//!
//! Small and executor-free (a bounded poll loop with a no-op waker and
//! hand-written futures), so that they also run under Miri.

mod support;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use support::sleep0;

use agen::{
    AsyncGenerator, AsyncGeneratorExt, Error, GenState, Rejected, RuntimeError, Thrown, async_gen,
    async_generator, co, yield_, yield_catch_, yield_from_,
};
use futures::StreamExt;
use futures::stream::FusedStream;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future + ?Sized>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `fut` to completion; panics if it takes more than a few polls (a
/// hang). Every pending future here wakes itself, so looping is enough.
fn run<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    for _ in 0..100 {
        if let Poll::Ready(v) = poll_once(fut.as_mut()) {
            return v;
        }
    }
    panic!("future still pending after 100 polls: a hang");
}

type Log = Rc<RefCell<Vec<&'static str>>>;

/// Pushes its name to the log when dropped: a body's `finally`.
struct Guard(Log, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

/// Counts values made and dropped, by id.
#[derive(Default)]
struct Ledger {
    made: RefCell<Vec<u32>>,
    dropped: RefCell<Vec<u32>>,
}

impl Ledger {
    fn new() -> Rc<Self> {
        Rc::default()
    }

    fn make(self: &Rc<Self>, id: u32) -> Tracked {
        self.made.borrow_mut().push(id);
        Tracked(id, self.clone())
    }

    /// Every value made was dropped exactly once.
    fn assert_balanced(&self) {
        let mut made = self.made.borrow().clone();
        let mut dropped = self.dropped.borrow().clone();
        made.sort();
        dropped.sort();
        assert_eq!(made, dropped, "made vs dropped (by id)");
    }
}

/// A value whose drop is recorded.
struct Tracked(u32, Rc<Ledger>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1.dropped.borrow_mut().push(self.0);
    }
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tracked({})", self.0)
    }
}

/// Drains `g` with `anext` (at most `limit` calls), returning the ids of the
/// items and how it ended.
fn drain_tracked<G>(mut g: Pin<&mut G>, limit: usize) -> (Vec<u32>, String)
where
    G: AsyncGenerator<Yield = Tracked, Send = (), Return = (), Error = std::convert::Infallible>,
{
    let mut ids = Vec::new();
    for _ in 0..limit {
        match run(g.as_mut().anext()) {
            Ok(t) => ids.push(t.0),
            Err(Error::StopAsyncIteration(r)) => {
                return (ids, format!("StopAsyncIteration({})", r.is_some()));
            }
            Err(e) => return (ids, format!("{e:?}")),
        }
    }
    panic!("more than {limit} items: {ids:?}");
}

// ---------------------------------------------------------------------------
// Finding 4: a delegation future polled by hand, then an unrelated wait
// ---------------------------------------------------------------------------

/// A body polls its own `yield_from` future once by hand (it registers in the
/// delegation chain), then awaits something unrelated that is pending once,
/// then awaits the delegation to its end. Whatever items come first, the
/// generator must not hang, abort, or report `DelegateFinished`, and the
/// inner's return value (7) must reach the body.
#[test]
fn finding4_hand_polled_delegation_then_unrelated_await_delivers_the_return_value() {
    let polled_by_hand = Rc::new(Cell::new(None::<bool>));
    let seen_by_body = polled_by_hand.clone();
    let g = async_gen!(yield = u32, return = u32 => {
        let inner = async_gen!(yield = u32, return = u32 => {
            yield_!(1);
            yield_!(2);
            7
        });
        let out = {
            let mut y = co!();
            let mut fut = pin!(y.yield_from(agen::__private::SameDelegate::new(inner)));
            let first = futures::poll!(fut.as_mut());
            seen_by_body.set(Some(first.is_pending()));
            sleep0().await;
            fut.await
        };
        yield_!(out);
        out
    });
    let mut g = pin!(g);
    let mut items = Vec::new();
    let mut end = None;
    for _ in 0..10 {
        match run(g.as_mut().anext()) {
            Ok(v) => items.push(v),
            Err(Error::StopAsyncIteration(r)) => {
                end = Some(Ok(r));
                break;
            }
            Err(e) => {
                end = Some(Err(format!("{e:?}")));
                break;
            }
        }
    }
    eprintln!("finding 4: items {items:?}, end {end:?}");
    assert_eq!(
        polled_by_hand.get(),
        Some(true),
        "the hand poll did not complete at once"
    );
    assert_eq!(
        end,
        Some(Ok(Some(7))),
        "the body must finish with the inner's return value (items {items:?})"
    );
    assert_eq!(
        items.last(),
        Some(&7),
        "the body yields the inner's return value last"
    );
    assert!(
        items.iter().all(|v| [1, 2, 7].contains(v)),
        "only the inner's items and its return value: {items:?}"
    );
    assert_eq!(g.state(), GenState::Closed);
}

/// As finding 4, but the body drops its hand-polled delegation future after
/// the unrelated wait instead of awaiting it: the chain had already driven
/// the inner to its end, so the outcome (a value with a drop counter) is
/// dropped with the future, once, and the body goes on.
#[test]
fn finding4_hand_polled_delegation_dropped_after_unrelated_await() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let g = async_gen!(yield = u32, return = u32 => {
        let inner = async_gen!(yield = u32, return = Tracked => {
            yield_!(1);
            yield_!(2);
            l.make(7)
        });
        {
            let mut y = co!();
            let mut fut = pin!(y.yield_from(agen::__private::SameDelegate::new(inner)));
            assert!(futures::poll!(fut.as_mut()).is_pending());
            sleep0().await;
        }
        yield_!(50);
        51
    });
    let mut g = pin!(g);
    let mut items = Vec::new();
    let mut end = None;
    for _ in 0..10 {
        match run(g.as_mut().anext()) {
            Ok(v) => items.push(v),
            Err(Error::StopAsyncIteration(r)) => {
                end = Some(Ok(r));
                break;
            }
            Err(e) => {
                end = Some(Err(format!("{e:?}")));
                break;
            }
        }
    }
    assert_eq!(end, Some(Ok(Some(51))), "items {items:?}");
    assert_eq!(items.last(), Some(&50));
    assert!(items.iter().all(|v| [1, 2, 50].contains(v)), "{items:?}");
    ledger.assert_balanced();
}

/// As finding 4, with the outer closed while the chain drives the inner
/// (the body waits at the unrelated await): the inner is closed, and the
/// body, picking the outcome up at its delegation, ends with the exit.
#[test]
fn finding4_hand_polled_delegation_then_aclose() {
    let log: Log = Rc::default();
    let (l1, l2) = (log.clone(), log.clone());
    let g = async_gen!(yield = u32, return = u32 => {
        let _outer = Guard(l1, "outer");
        let inner = async_gen!(yield = u32, return = u32 => {
            let _inner = Guard(l2, "inner");
            yield_!(1);
            yield_!(2);
            7
        });
        let out = {
            let mut y = co!();
            let mut fut = pin!(y.yield_from(agen::__private::SameDelegate::new(inner)));
            let _ = futures::poll!(fut.as_mut());
            sleep0().await;
            fut.await
        };
        yield_!(out);
        out
    });
    let mut g = pin!(g);
    let first = run(g.as_mut().anext());
    assert!(matches!(first, Ok(1) | Ok(7)), "{first:?}");
    assert_eq!(run(g.as_mut().aclose()), Ok(()));
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(*log.borrow(), ["inner", "outer"]);
}

// ---------------------------------------------------------------------------
// Finding 5: a middle generator kept by the caller, abandoned mid-step
// ---------------------------------------------------------------------------

#[async_generator(yield = u32, send = u32)]
async fn sleepy_leaf() {
    let mut i = 0;
    loop {
        yield_!(i);
        sleep0().await;
        i += 1;
    }
}

#[async_generator(yield = u32, send = u32)]
async fn middle_of_sleepy() {
    yield_from_!(sleepy_leaf());
}

/// The outer delegates to a middle generator the caller keeps (`m.as_mut()`);
/// a step is left in flight (the leaf waits at `Sleep0`) and the outer is
/// dropped. The middle is then running (its step is in flight): `asend` is
/// refused with `AlreadyRunning`, giving the value back, and `anext`
/// continues the step.
#[test]
fn finding5_middle_kept_by_caller_is_running_after_outer_dropped_mid_step() {
    let mut m = pin!(middle_of_sleepy());
    {
        let m_ref = m.as_mut();
        let mut outer = pin!(async_gen!(yield = u32, send = u32 => {
            yield_from_!(m_ref);
        }));
        assert_eq!(run(outer.as_mut().anext()), Ok(0));
        {
            let mut step = outer.as_mut().anext();
            assert!(poll_once(Pin::new(&mut step)).is_pending());
        }
        assert_eq!(outer.state(), GenState::Running);
    } // the outer is dropped here, mid-step
    assert_eq!(m.state(), GenState::Running);
    assert_eq!(
        run(m.as_mut().asend(6)),
        Err(Error::RuntimeError(RuntimeError::AlreadyRunning(
            Rejected::Send(6)
        )))
    );
    // `anext` continues the step in flight: the leaf wakes and yields 1.
    assert_eq!(run(m.as_mut().anext()), Ok(1));
    assert_eq!(m.state(), GenState::Suspended);
    assert_eq!(run(m.as_mut().asend(6)), Ok(2));
}

/// The outer delegates to a middle generator the caller keeps and is dropped
/// while the chain is parked at a yield. The middle, itself parked in its
/// delegation with nothing cached, is then driven as a `Stream` and by
/// `anext`: it walks its chain again and delivers every item.
#[test]
fn middle_kept_by_caller_after_outer_dropped_at_a_yield_streams_on() {
    use futures::StreamExt;
    #[async_generator(yield = u32)]
    async fn three() {
        for i in 0..3 {
            yield_!(i);
        }
    }
    #[async_generator(yield = u32)]
    async fn middle() {
        yield_from_!(three());
        yield_!(99);
    }
    let mut m = pin!(middle());
    {
        let m_ref = m.as_mut();
        let mut outer = pin!(async_gen!(yield = u32 => {
            yield_from_!(m_ref);
        }));
        assert_eq!(run(outer.as_mut().anext()), Ok(0));
    } // the outer is dropped here, the chain parked at a yield
    assert_eq!(m.state(), GenState::Suspended);
    assert_eq!(run(m.as_mut().next()), Some(1));
    assert_eq!(run(m.as_mut().anext()), Ok(2));
    assert_eq!(run(m.as_mut().collect::<Vec<_>>()), [99]);
}

#[async_generator(yield = u32, send = u32)]
async fn sleepy_leaf_fallible(log: Log) -> Result<(), u8> {
    let _g = Guard(log, "leaf");
    let mut i = 0;
    loop {
        yield_!(i);
        sleep0().await;
        i += 1;
    }
}

#[async_generator(yield = u32, send = u32)]
async fn middle_of_sleepy_fallible(log: Log) -> Result<(), u8> {
    let _g = Guard(log.clone(), "middle");
    yield_from_!(sleepy_leaf_fallible(log))
}

/// Finding 5 for the other calls: while the kept middle's step is in flight
/// (the outer was dropped mid-step), `athrow` and `aclose` are refused with
/// `AlreadyRunning` (the error comes back); once `anext` has finished the
/// step, `aclose` closes the whole chain.
#[test]
fn finding5_middle_kept_by_caller_refuses_athrow_and_aclose_mid_step() {
    let log: Log = Rc::default();
    let mut m = pin!(middle_of_sleepy_fallible(log.clone()));
    {
        let m_ref = m.as_mut();
        let mut outer = pin!(
            async_gen!(yield = u32, send = u32, return = Result<(), u8> => {
                yield_from_!(m_ref)
            })
        );
        assert_eq!(run(outer.as_mut().anext()), Ok(0));
        let mut step = outer.as_mut().anext();
        assert!(poll_once(Pin::new(&mut step)).is_pending());
    }
    assert!(log.borrow().is_empty());
    assert_eq!(m.state(), GenState::Running);
    assert_eq!(
        run(m.as_mut().athrow(3)),
        Err(Error::RuntimeError(RuntimeError::AlreadyRunning(
            Rejected::Throw(3)
        )))
    );
    assert_eq!(
        run(m.as_mut().aclose()),
        Err(Error::RuntimeError(RuntimeError::AlreadyRunning(
            Rejected::Close
        )))
    );
    assert_eq!(m.state(), GenState::Running);
    assert_eq!(run(m.as_mut().anext()), Ok(1));
    assert_eq!(run(m.as_mut().aclose()), Ok(()));
    assert_eq!(m.state(), GenState::Closed);
    assert_eq!(*log.borrow(), ["leaf", "middle"]);
}

/// Finding 5, then the kept middle is dropped while its step is in flight:
/// both bodies are dropped (leaf first), nothing else happens.
#[test]
fn finding5_middle_kept_by_caller_dropped_mid_step() {
    let log: Log = Rc::default();
    {
        let mut m = pin!(middle_of_sleepy_fallible(log.clone()));
        {
            let m_ref = m.as_mut();
            let mut outer = pin!(
                async_gen!(yield = u32, send = u32, return = Result<(), u8> => {
                    yield_from_!(m_ref)
                })
            );
            assert_eq!(run(outer.as_mut().anext()), Ok(0));
            let mut step = outer.as_mut().anext();
            assert!(poll_once(Pin::new(&mut step)).is_pending());
        }
        assert_eq!(m.state(), GenState::Running);
        assert!(log.borrow().is_empty());
    }
    assert_eq!(*log.borrow(), ["leaf", "middle"]);
}

// ---------------------------------------------------------------------------
// Finding 5b: a panic in the leaf during a chain step
// ---------------------------------------------------------------------------

#[async_generator(yield = u32)]
async fn panicking_leaf(log: Log) {
    let _g = Guard(log, "leaf");
    yield_!(1);
    panic!("leaf panics on its second resumption");
}

#[async_generator(yield = u32)]
async fn guarded_middle(log: Log) {
    let _g = Guard(log.clone(), "middle");
    yield_from_!(panicking_leaf(log));
}

/// A panic in the leaf of a chain unwinds to the consumer; every level of
/// the chain is closed during the unwind (the bodies' destructors run,
/// deepest first), so the outer is `Closed` when `catch_unwind` returns and
/// the middle, kept by the caller, is `Closed` once the outer is gone.
#[test]
fn finding5b_panic_in_leaf_closes_every_level_during_the_unwind() {
    let log: Log = Rc::default();
    let mut m = pin!(guarded_middle(log.clone()));
    {
        let m_ref = m.as_mut();
        let outer_log = log.clone();
        let mut outer = pin!(async_gen!(yield = u32 => {
            let _g = Guard(outer_log, "outer");
            yield_from_!(m_ref);
        }));
        assert_eq!(run(outer.as_mut().anext()), Ok(1));
        assert!(log.borrow().is_empty());

        let caught = catch_unwind(AssertUnwindSafe(|| run(outer.as_mut().anext())));
        let payload = caught.expect_err("the leaf's panic must reach the consumer");
        assert_eq!(
            payload.downcast_ref::<&str>().copied(),
            Some("leaf panics on its second resumption")
        );
        // Before the outer generator itself is dropped:
        assert_eq!(*log.borrow(), ["leaf", "middle", "outer"]);
        assert_eq!(outer.state(), GenState::Closed);
        assert!(matches!(
            run(outer.as_mut().anext()),
            Err(Error::StopAsyncIteration(None))
        ));
    }
    assert_eq!(m.state(), GenState::Closed);
    assert!(matches!(
        run(m.as_mut().anext()),
        Err(Error::StopAsyncIteration(None))
    ));
    assert_eq!(*log.borrow(), ["leaf", "middle", "outer"]);
}

#[async_generator(yield = u32)]
async fn returning_leaf(log: Log) -> u32 {
    let _g = Guard(log, "leaf");
    yield_!(1);
    5
}

#[async_generator(yield = u32)]
async fn middle_panicking_after_delegation(log: Log) {
    let _g = Guard(log.clone(), "middle");
    let got = yield_from_!(returning_leaf(log));
    if got == 5 {
        panic!("middle panics after its delegation");
    }
}

/// A panic in a middle body, resumed by the chain when its own delegation
/// finished: it reaches the consumer, and every level is closed during the
/// unwind.
#[test]
fn finding5b_panic_in_middle_after_its_delegation_closes_every_level() {
    let log: Log = Rc::default();
    let mut m = pin!(middle_panicking_after_delegation(log.clone()));
    {
        let m_ref = m.as_mut();
        let outer_log = log.clone();
        let mut outer = pin!(async_gen!(yield = u32 => {
            let _g = Guard(outer_log, "outer");
            yield_from_!(m_ref);
            yield_!(100);
        }));
        assert_eq!(run(outer.as_mut().anext()), Ok(1));
        let caught = catch_unwind(AssertUnwindSafe(|| run(outer.as_mut().anext())));
        let payload = caught.expect_err("the middle's panic must reach the consumer");
        assert_eq!(
            payload.downcast_ref::<&str>().copied(),
            Some("middle panics after its delegation")
        );
        assert_eq!(*log.borrow(), ["leaf", "middle", "outer"]);
        assert_eq!(outer.state(), GenState::Closed);
    }
    assert_eq!(m.state(), GenState::Closed);
}

// ---------------------------------------------------------------------------
// Finding 6: the Stream view after an abandoned aclose
// ---------------------------------------------------------------------------

#[async_generator(yield = u32)]
async fn yields_after_cleanup() {
    match yield_catch_!(1) {
        Ok(()) => yield_!(2),
        Err(_) => {
            // Async cleanup, then the body goes on yielding.
            sleep0().await;
            yield_!(10);
            yield_!(11);
        }
    }
}

/// `aclose()` is started (the body catches the exit and waits in its
/// cleanup) and abandoned. The `Stream` view continues the step as an
/// `anext`: the body's next yield is an item, and `is_terminated()` is false
/// exactly while items keep coming, true once `next()` returned `None`.
#[test]
fn finding6_stream_after_abandoned_aclose_is_terminated_only_once_exhausted() {
    let mut g = pin!(yields_after_cleanup());
    assert_eq!(run(g.as_mut().anext()).ok(), Some(1));
    {
        let mut close = g.as_mut().aclose();
        assert!(poll_once(Pin::new(&mut close)).is_pending());
    }
    assert_eq!(g.state(), GenState::Running);
    assert!(!g.is_terminated());

    let mut seen = Vec::new();
    for _ in 0..10 {
        let terminated_before = g.is_terminated();
        let item = run(g.next());
        seen.push((terminated_before, item));
        if item.is_none() {
            break;
        }
    }
    assert_eq!(
        seen.first().map(|s| s.1),
        Some(Some(10)),
        "the first next() after the abandoned aclose is the item after the cleanup"
    );
    for (terminated_before, item) in &seen {
        if item.is_some() {
            assert!(!terminated_before, "terminated before an item: {seen:?}");
        }
    }
    assert_eq!(seen, [(false, Some(10)), (false, Some(11)), (false, None)]);
    assert!(g.is_terminated());
    assert_eq!(run(g.next()), None);
    assert_eq!(run(g.next()), None);
    assert!(g.is_terminated());
}

/// Records current behaviour: `anext` after an abandoned `aclose` continues
/// the step *as the aclose it was* (the `Next` awaitable documents this: a
/// step in flight is continued), so the body's yield after its cleanup is
/// "async generator ignored GeneratorExit" (and the body stays suspended
/// there); the `Stream` view (finding 6) continues it as an `anext` instead.
#[test]
fn anext_after_abandoned_aclose_continues_it_as_aclose() {
    let mut g = pin!(yields_after_cleanup());
    assert_eq!(run(g.as_mut().anext()).ok(), Some(1));
    {
        let mut close = g.as_mut().aclose();
        assert!(poll_once(Pin::new(&mut close)).is_pending());
    }
    let next = run(g.as_mut().anext());
    eprintln!("anext after abandoned aclose: {next:?}");
    assert_eq!(
        next,
        Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit))
    );
    // As in CPython, a body that ignored the exit stays suspended at its
    // yield (the value 10 was dropped) and resumable by `anext`.
    assert_eq!(g.state(), GenState::Suspended);
    assert_eq!(run(g.as_mut().anext()), Ok(11));
    assert!(matches!(
        run(g.as_mut().anext()),
        Err(Error::StopAsyncIteration(Some(())))
    ));
    assert_eq!(g.state(), GenState::Closed);
}

// ---------------------------------------------------------------------------
// Yield futures dropped unpolled, forgotten, or raced in `select!`
// ---------------------------------------------------------------------------

/// A yield future made and dropped unpolled, then a normal yield: the
/// dropped future's value is replaced by the next publication (and dropped).
#[test]
fn yield_future_dropped_unpolled_then_yield() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let g = async_gen!(yield = Tracked => {
        let mut y = co!();
        let f = y.yield_(l.make(5));
        drop(f);
        yield_!(l.make(6));
        yield_!(l.make(7));
    });
    let (ids, end) = drain_tracked(pin!(g).as_mut(), 10);
    assert_eq!(ids, [6, 7]);
    assert_eq!(end, "StopAsyncIteration(true)");
    ledger.assert_balanced();
}

/// A yield future dropped unpolled, then a real wait: the generator takes
/// the published value as an item (the body looks parked there).
#[test]
fn yield_future_dropped_unpolled_then_real_wait() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let g = async_gen!(yield = Tracked => {
        let mut y = co!();
        let f = y.yield_(l.make(5));
        drop(f);
        sleep0().await;
        yield_!(l.make(6));
    });
    let (ids, end) = drain_tracked(pin!(g).as_mut(), 10);
    assert_eq!(ids, [5, 6]);
    assert_eq!(end, "StopAsyncIteration(true)");
    ledger.assert_balanced();
}

/// A yield future forgotten (`mem::forget`): it owns nothing (its value is
/// in the slot), so nothing leaks; the next yield replaces the value.
#[test]
fn yield_future_forgotten_then_yields() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let g = async_gen!(yield = Tracked => {
        let mut y = co!();
        #[allow(clippy::forget_non_drop)] // on purpose: the future is forgotten
        std::mem::forget(y.yield_(l.make(7)));
        yield_!(l.make(8));
        yield_!(l.make(9));
    });
    let (ids, end) = drain_tracked(pin!(g).as_mut(), 10);
    assert_eq!(ids, [8, 9]);
    assert_eq!(end, "StopAsyncIteration(true)");
    ledger.assert_balanced();
}

/// A yield future raced in `select_biased!` against a ready future that
/// wins (listed first): the yield future is dropped without completing.
#[test]
fn yield_future_losing_a_select_then_yields() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let winner = Rc::new(Cell::new(""));
    let w = winner.clone();
    let g = async_gen!(yield = Tracked => {
        {
            let mut y = co!();
            use futures::FutureExt;
            futures::select_biased! {
                () = futures::future::ready(()) => w.set("ready"),
                () = y.yield_(l.make(8)).fuse() => w.set("yield"),
            }
        }
        yield_!(l.make(9));
        yield_!(l.make(10));
    });
    let (ids, end) = drain_tracked(pin!(g).as_mut(), 10);
    assert_eq!(winner.get(), "ready");
    assert_eq!(ids, [9, 10]);
    assert_eq!(end, "StopAsyncIteration(true)");
    ledger.assert_balanced();
}

/// The same race with the yield future listed first: it is polled (pending:
/// nothing sent yet), loses to the ready future, and is dropped.
#[test]
fn yield_future_polled_then_losing_a_select_then_yields() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let winner = Rc::new(Cell::new(""));
    let w = winner.clone();
    let g = async_gen!(yield = Tracked => {
        {
            let mut y = co!();
            use futures::FutureExt;
            futures::select_biased! {
                () = y.yield_(l.make(8)).fuse() => w.set("yield"),
                () = futures::future::ready(()) => w.set("ready"),
            }
        }
        yield_!(l.make(9));
    });
    let (ids, end) = drain_tracked(pin!(g).as_mut(), 10);
    assert_eq!(winner.get(), "ready");
    assert_eq!(ids, [9]);
    assert_eq!(end, "StopAsyncIteration(true)");
    ledger.assert_balanced();
}

/// A value sent while the body waits after an abandoned yield future: the
/// dropped yield's value was an item; the sent value is not taken by
/// anything and is dropped when the body's next yield publishes. Every
/// value, yielded or sent, is dropped exactly once.
#[test]
fn value_sent_to_an_abandoned_yield_is_dropped_once() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let received = Rc::new(RefCell::new(Vec::new()));
    let r = received.clone();
    let g = async_gen!(yield = Tracked, send = Option<Tracked> => {
        {
            let mut y = co!();
            let f = y.yield_(l.make(1));
            drop(f);
        }
        sleep0().await;
        let s = yield_!(l.make(2));
        r.borrow_mut().push(s.as_ref().map(|t| t.0));
        let s = yield_!(l.make(3));
        r.borrow_mut().push(s.as_ref().map(|t| t.0));
    });
    {
        let mut g = pin!(g);
        let ids = vec![
            run(g.as_mut().anext()).map(|t| t.0).ok(),
            run(g.as_mut().asend(Some(ledger.make(100))))
                .map(|t| t.0)
                .ok(),
            run(g.as_mut().asend(Some(ledger.make(101))))
                .map(|t| t.0)
                .ok(),
            run(g.as_mut().asend(Some(ledger.make(102))))
                .map(|t| t.0)
                .ok(),
        ];
        assert_eq!(ids, [Some(1), Some(2), Some(3), None]);
        assert_eq!(g.state(), GenState::Closed);
        // 100 went to the abandoned yield and was dropped; 101 and 102 were
        // received by the yields of 2 and 3.
        assert_eq!(*received.borrow(), [Some(101), Some(102)]);
    } // the generator is dropped here
    ledger.assert_balanced();
}

/// `yield_!` takes the value sent in without writing to the slot (the tag
/// stays `Sent` until the body's next publication). Sent values taken that
/// way, then held across a real wait, a yield future made and dropped
/// unpolled, and the generator's drop in the middle of a step: each is
/// dropped exactly once (Miri checks there is no double drop).
#[test]
fn sent_values_taken_by_yield_are_dropped_once_across_waits_and_drops() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let received = Rc::new(RefCell::new(Vec::new()));
    let r = received.clone();
    let g = async_gen!(yield = Tracked, send = Option<Tracked> => {
        let s = yield_!(l.make(0));
        // The taken value's tag is still in the slot here: a yield future
        // made now publishes over it without dropping it.
        {
            let mut y = co!();
            drop(y.yield_(l.make(1000)));
        }
        sleep0().await;
        r.borrow_mut().push(s.as_ref().map(|t| t.0));
        let s = yield_!(l.make(1));
        sleep0().await;
        r.borrow_mut().push(s.as_ref().map(|t| t.0));
        let s = yield_!(l.make(2));
        sleep0().await;
        r.borrow_mut().push(s.as_ref().map(|t| t.0));
        yield_!(l.make(3));
    });
    {
        let mut g = pin!(g);
        let mut next = |send: Option<u32>| {
            let reply = match send {
                None => run(g.as_mut().anext()),
                Some(id) => run(g.as_mut().asend(Some(ledger.make(id)))),
            };
            reply.map(|t| t.0).ok()
        };
        assert_eq!(next(None), Some(0));
        // 100 taken; the dropped future's value is the item (the body waits).
        assert_eq!(next(Some(100)), Some(1000));
        // Nothing takes 101: the next `yield_!` publishes over it (dropped).
        assert_eq!(next(Some(101)), Some(1));
        // 102 taken, held across the wait: the step stays in flight.
        {
            let mut send = g.as_mut().asend(Some(ledger.make(102)));
            assert!(poll_once(Pin::new(&mut send)).is_pending());
        }
        assert_eq!(g.state(), GenState::Running);
        assert_eq!(run(g.as_mut().anext()).map(|t| t.0).ok(), Some(2));
        // Dropped while the body holds 103 across its wait.
        let mut send = g.as_mut().asend(Some(ledger.make(103)));
        assert!(poll_once(Pin::new(&mut send)).is_pending());
    } // the generator is dropped here, mid-step
    assert_eq!(*received.borrow(), [Some(100), Some(102)]);
    ledger.assert_balanced();
}

/// A `Yielder::yield_` future awaited by reference, then polled again by
/// hand after it completed: it takes nothing the second time (it wrote
/// `Running` when it took the value), and every value is dropped once.
#[test]
fn a_yield_future_polled_again_after_it_completed_takes_nothing() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let received = Rc::new(RefCell::new(Vec::new()));
    let r = received.clone();
    let g = async_gen!(yield = Tracked, send = Option<Tracked> => {
        let mut y = co!();
        let mut f = y.yield_(l.make(1));
        let s = (&mut f).await;
        r.borrow_mut().push(s.as_ref().map(|t| t.0));
        let again = futures::poll!(&mut f);
        r.borrow_mut().push(Some(if again.is_pending() { 0 } else { 1 }));
        drop(f);
        let s = yield_!(l.make(2));
        r.borrow_mut().push(s.as_ref().map(|t| t.0));
    });
    {
        let mut g = pin!(g);
        assert_eq!(run(g.as_mut().anext()).map(|t| t.0).ok(), Some(1));
        assert_eq!(
            run(g.as_mut().asend(Some(ledger.make(100))))
                .map(|t| t.0)
                .ok(),
            Some(2)
        );
        assert!(matches!(
            run(g.as_mut().asend(Some(ledger.make(101)))),
            Err(Error::StopAsyncIteration(Some(())))
        ));
    }
    assert_eq!(*received.borrow(), [Some(100), Some(0), Some(101)]);
    ledger.assert_balanced();
}

thread_local! {
    /// Zero-sized send values made and dropped on this thread.
    static ZST_MADE: Cell<u32> = const { Cell::new(0) };
    static ZST_DROPPED: Cell<u32> = const { Cell::new(0) };
}

/// A zero-sized send type with a destructor: `anext`/`asend` move it into
/// a body parked at `yield_!` without writing to the slot.
struct Zst;

impl Zst {
    fn new() -> Self {
        ZST_MADE.with(|c| c.set(c.get() + 1));
        Zst
    }
}

impl Default for Zst {
    fn default() -> Self {
        Zst::new()
    }
}

impl Drop for Zst {
    fn drop(&mut self) {
        ZST_DROPPED.with(|c| c.set(c.get() + 1));
    }
}

/// Zero-sized values sent in (by `anext` and `asend`, to `yield_!` and to a
/// `Yielder::yield_` future, one of them raced and dropped, and the
/// generator dropped mid-step) are each dropped exactly once.
#[test]
fn zero_sized_send_values_are_moved_in_exactly_once() {
    let kept = Rc::new(RefCell::new(Vec::new()));
    let k = kept.clone();
    let g = async_gen!(yield = u32, send = Zst => {
        let z = yield_!(1);
        k.borrow_mut().push(z);
        let z = {
            let mut y = co!();
            y.yield_(2).await
        };
        drop(z);
        {
            let mut y = co!();
            drop(y.yield_(3));
        }
        sleep0().await;
        let z = yield_!(4);
        sleep0().await;
        k.borrow_mut().push(z);
        yield_!(5);
    });
    {
        let mut g = pin!(g);
        assert_eq!(run(g.as_mut().anext()).ok(), Some(1));
        assert_eq!(run(g.as_mut().asend(Zst::new())).ok(), Some(2));
        assert_eq!(run(g.as_mut().anext()).ok(), Some(3));
        assert_eq!(run(g.as_mut().asend(Zst::new())).ok(), Some(4));
        let mut send = g.as_mut().asend(Zst::new());
        assert!(poll_once(Pin::new(&mut send)).is_pending());
    }
    assert_eq!(kept.borrow().len(), 1);
    drop(kept);
    assert_eq!(
        ZST_MADE.with(Cell::get),
        ZST_DROPPED.with(Cell::get),
        "made vs dropped"
    );
}

/// Forgetting a yield future whose value was taken as an item, then
/// throwing at the generator: consistent (the generator treats the body as
/// parked at a plain yield), no leak.
#[test]
fn yield_future_forgotten_then_athrow() {
    let ledger = Ledger::new();
    let l = ledger.clone();
    let g = async_gen!(yield = Tracked, return = Result<(), u8> => {
        {
            let mut y = co!();
            #[allow(clippy::forget_non_drop)] // on purpose: the future is forgotten
            std::mem::forget(y.yield_(l.make(1)));
        }
        sleep0().await;
        match yield_catch_!(l.make(2)) {
            Ok(()) => {}
            Err(Thrown::Error(e)) => {
                yield_!(l.make(u32::from(e)));
            }
            Err(Thrown::GeneratorExit) => {}
            Err(other) => agen::raise_!(other),
        }
        Ok(())
    });
    {
        let mut g = pin!(g);
        assert_eq!(run(g.as_mut().anext()).map(|t| t.0).ok(), Some(1));
        let thrown = run(g.as_mut().athrow(50));
        let outcome = match thrown {
            Ok(Some(t)) => format!("yielded {}", t.0),
            Ok(None) => "finished".into(),
            Err(e) => format!("{e:?}"),
        };
        // The forgotten yield's value was taken as an item, so the body looks
        // parked at a plain yield there: the error ends the body, uncaught (it
        // never reaches the `yield_catch_!` after the wait).
        assert_eq!(outcome, "Raised(50)");
        assert_eq!(g.state(), GenState::Closed);
        assert!(matches!(
            run(g.as_mut().anext()),
            Err(Error::StopAsyncIteration(None))
        ));
    } // the generator is dropped here
    ledger.assert_balanced();
}

/// A body parked in an await that holds a `&mut` to its own state (a
/// `poll_fn` over a local), observed through `state()` in between: the
/// shared borrow of the generator must not invalidate the body's borrow
/// (found by Miri under Stacked Borrows; the body lives in an
/// `UnsafeCell`).
#[test]
fn state_while_the_body_holds_a_borrow_of_its_own_state() {
    #[agen::async_generator(yield = u32)]
    async fn holds_a_borrow() {
        let mut polled = false;
        std::future::poll_fn(|cx| {
            if std::mem::replace(&mut polled, true) {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await;
        agen::yield_!(1);
    }
    let mut g = pin!(holds_a_borrow());
    {
        let mut step = pin!(g.as_mut().anext());
        assert!(poll_once(step.as_mut()).is_pending());
    }
    assert_eq!(g.state(), GenState::Running);
    let shared: &dyn Fn() -> GenState = &|| g.state();
    assert_eq!(shared(), GenState::Running);
    assert_eq!(run(g.as_mut().anext()).ok(), Some(1));
}
