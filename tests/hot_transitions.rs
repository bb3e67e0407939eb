//! A generator moving between being the root of its delegation chain (parked
//! `DelegatingHot`, resuming its cached leaf through the hot entry) and being
//! driven by an outer generator's chain, in both directions; a panic in a hot
//! leaf holding a heap value sent in; `athrow` on a root parked hot. Small and
//! executor-free, so that it also runs under Miri (Stacked and Tree Borrows).
mod support;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;

use agen::{
    AsyncGenerator, AsyncGeneratorExt, Error, GenState, async_gen, async_generator, yield_,
    yield_catch_, yield_from_,
};
use futures::StreamExt;
use support::{Log, OnDrop, block_on, log, poll_once, sleep0};

#[async_generator(yield = u32, send = String)]
async fn sleaf(log: Log, n: u32) -> u32 {
    let _f = OnDrop(log.clone(), "leaf finally");
    let mut acc = 0;
    for i in 0..n {
        let s = yield_!(i);
        acc += s.len() as u32;
        if s == "panic" {
            panic!("leaf boom");
        }
        if s == "sleep" {
            sleep0().await;
        }
    }
    acc
}

#[async_generator(yield = u32, send = String)]
async fn sroot(log: Log, n: u32) {
    let _f = OnDrop(log.clone(), "root finally");
    let r = yield_from_!(sleaf(log.clone(), n));
    log.borrow_mut().push(format!("root got {r}"));
    yield_!(100);
}

/// A generator driven by an outer chain (the outer parked hot on its leaf),
/// released mid-way (the outer dropped), then its own root, hot again.
#[test]
fn driven_then_root() {
    let lg = log();
    let mut a = Box::pin(sroot(lg.clone(), 20));
    {
        let ar = a.as_mut();
        let mut c = Box::pin(async_gen!(yield = u32, send = String => {
            yield_from_!(ar);
        }));
        assert_eq!(block_on(c.as_mut().anext()), Ok(0));
        assert_eq!(block_on(c.as_mut().asend("xyz".into())), Ok(1));
        assert_eq!(block_on(c.as_mut().next()), Some(2));
        assert_eq!(block_on(c.as_mut().asend("q".into())), Ok(3));
    }
    assert_eq!(a.state(), GenState::Suspended);
    assert_eq!(block_on(a.as_mut().asend("1234".into())), Ok(4));
    assert_eq!(block_on(a.as_mut().next()), Some(5));
    assert_eq!(block_on(a.as_mut().asend("1".into())), Ok(6));
    {
        // a step in flight inside the leaf, abandoned
        let mut st = a.as_mut().asend("sleep".into());
        assert!(poll_once(Pin::new(&mut st)).is_pending());
    }
    assert_eq!(a.state(), GenState::Running);
    assert_eq!(block_on(a.as_mut().anext()), Ok(7));
    assert_eq!(block_on(a.as_mut().asend("zz".into())), Ok(8));
    let rest: Vec<u32> = block_on(a.as_mut().collect());
    assert_eq!(rest, (9..20).chain([100]).collect::<Vec<_>>());
    assert_eq!(a.state(), GenState::Closed);
    // xyz=3 + q=1 + 1234=4 + 1=1 + sleep=5 + zz=2 = 16
    assert_eq!(
        *lg.borrow(),
        ["leaf finally", "root got 16", "root finally"]
    );
}

/// `yield_from_!` of a generator already parked in a chain delegation of
/// its own (started elsewhere): Python's `yield from` resumes it where it is.
/// The outer's chain used to skip the new, unstarted stepper and resume the
/// inner's leaf with no command (`DelegateFinished`); an unstarted stepper is
/// now the deepest of its chain until its first step has run.
#[test]
fn delegate_to_generator_parked_in_its_own_delegation() {
    let lg = log();
    let mut a = Box::pin(sroot(lg.clone(), 5));
    assert_eq!(block_on(a.as_mut().anext()), Ok(0));
    let ar = a.as_mut();
    let mut c = Box::pin(async_gen!(yield = u32, send = String => {
        yield_from_!(ar);
    }));
    assert_eq!(block_on(c.as_mut().anext()), Ok(1));
    assert_eq!(block_on(c.as_mut().asend("ab".into())), Ok(2));
    assert_eq!(block_on(c.as_mut().next()), Some(3));
    drop(c);
    assert_eq!(block_on(a.as_mut().asend("x".into())), Ok(4));
    assert_eq!(block_on(a.as_mut().next()), Some(100));
    assert_eq!(block_on(a.as_mut().next()), None);
    assert_eq!(*lg.borrow(), ["leaf finally", "root got 3", "root finally"]);
}

/// A root parked hot, then driven by another generator, released, and
/// its own root again; then a second outer takes it over to its end.
#[test]
fn root_to_driven_to_root() {
    let lg = log();
    let mut a = Box::pin(sroot(lg.clone(), 20));
    assert_eq!(block_on(a.as_mut().anext()), Ok(0));
    assert_eq!(block_on(a.as_mut().asend("ab".into())), Ok(1)); // hot
    {
        let ar = a.as_mut();
        let mut c = Box::pin(async_gen!(yield = u32, send = String => {
            yield_from_!(ar);
        }));
        assert_eq!(block_on(c.as_mut().anext()), Ok(2));
        assert_eq!(block_on(c.as_mut().asend("xyz".into())), Ok(3));
        assert_eq!(block_on(c.as_mut().next()), Some(4));
        assert_eq!(block_on(c.as_mut().asend("q".into())), Ok(5));
    }
    assert_eq!(a.state(), GenState::Suspended);
    assert_eq!(block_on(a.as_mut().asend("1234".into())), Ok(6));
    assert_eq!(block_on(a.as_mut().next()), Some(7));
    {
        let ar = a.as_mut();
        let mut d = Box::pin(async_gen!(yield = u32, send = String => {
            yield_from_!(ar);
            yield_!(999);
        }));
        assert_eq!(block_on(d.as_mut().anext()), Ok(8));
        {
            let mut st = d.as_mut().asend("sleep".into());
            assert!(poll_once(Pin::new(&mut st)).is_pending());
        }
        assert_eq!(block_on(d.as_mut().anext()), Ok(9));
        assert_eq!(block_on(d.as_mut().asend("zz".into())), Ok(10));
        let rest: Vec<u32> = block_on(d.as_mut().collect());
        assert_eq!(rest, (11..20).chain([100, 999]).collect::<Vec<_>>());
    }
    assert_eq!(a.state(), GenState::Closed);
    // ab=2 + xyz=3 + q=1 + 1234=4 + sleep=5 + zz=2 = 17
    assert_eq!(
        *lg.borrow(),
        ["leaf finally", "root got 17", "root finally"]
    );
}

/// A panic in the leaf's body at a hot step (unguarded there: the root's
/// guard closes every level), the leaf having taken a heap value sent in
/// (`Sent` in its slot): every level Closed, each destructor once, nothing
/// leaked (Miri checks the value is neither leaked nor dropped twice).
#[test]
fn panic_in_hot_leaf_with_heap_send_value() {
    let lg = log();
    let l2 = lg.clone();
    let mut r = Box::pin(async_gen!(yield = u32, send = String => {
        let _f = OnDrop(l2.clone(), "top finally");
        yield_from_!(sroot(l2.clone(), 10));
    }));
    assert_eq!(block_on(r.as_mut().next()), Some(0));
    assert_eq!(block_on(r.as_mut().next()), Some(1)); // hot, Stream view
    let res = catch_unwind(AssertUnwindSafe(|| {
        block_on(r.as_mut().asend("panic".into()))
    }));
    assert!(res.is_err());
    assert_eq!(r.state(), GenState::Closed);
    assert_eq!(block_on(r.as_mut().next()), None);
    drop(r);
    assert_eq!(
        *lg.borrow(),
        ["leaf finally", "root finally", "top finally"]
    );
}

/// `athrow` on a root parked hot: forwarded to the leaf (caught, then
/// uncaught), never through the hot entry.
#[test]
fn throw_on_hot_root() {
    #[async_generator(yield = u32, send = u32)]
    async fn fl(log: Log) -> Result<u32, u8> {
        let _f = OnDrop(log.clone(), "fl finally");
        for i in 0.. {
            match yield_catch_!(i) {
                Ok(_) => {}
                Err(agen::Thrown::Error(e)) => {
                    yield_!(1000 + e as u32);
                }
                Err(_) => return Err(77),
            }
            yield_!(i + 500);
        }
        Ok(0)
    }
    let lg = log();
    let l2 = lg.clone();
    let mut r = Box::pin(
        async_gen!(yield = u32, send = u32, return = Result<(), u8> => {
            let _f = OnDrop(l2.clone(), "r finally");
            let m = async_gen!(yield = u32, send = u32, return = Result<u32, u8> => {
                let v = yield_from_!(fl(l2.clone()))?;
                Ok(v)
            });
            let _ = yield_from_!(m)?;
            Ok(())
        }),
    );
    assert_eq!(block_on(r.as_mut().anext()), Ok(0));
    assert_eq!(block_on(r.as_mut().anext()), Ok(500)); // plain yield: hot next
    assert_eq!(block_on(r.as_mut().anext()), Ok(1));
    assert_eq!(block_on(r.as_mut().athrow(5)), Ok(Some(1005)));
    assert_eq!(block_on(r.as_mut().anext()), Ok(501));
    assert_eq!(block_on(r.as_mut().athrow(6)), Err(Error::Raised(6)));
    assert_eq!(r.state(), GenState::Closed);
    assert_eq!(*lg.borrow(), ["fl finally", "r finally"]);
}
