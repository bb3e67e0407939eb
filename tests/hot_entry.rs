//! The delegation chain's hot entry (a root resumes its cached leaf with one
//! indirect call): every forwarding form, moves between steps, panics in the
//! leaf and in user code the chain walks, cancelled and forgotten steps, and
//! the leaves that decline it. Run under Miri (Stacked and Tree Borrows).
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};

use agen::{
    AsyncGenerator, AsyncGeneratorExt, Error, GenState, LocalBoxAsyncGenerator, async_gen,
    async_generator, yield_, yield_catch_, yield_from_,
};
use futures::StreamExt;
use support::{Log, OnDrop, block_on, log, poll_once, sleep0};

#[async_generator(yield = u32, send = u32)]
async fn leaf(log: Log, n: u32) -> String {
    let _f = OnDrop(log.clone(), "leaf finally");
    let mut acc = 0;
    for i in 0..n {
        let s = yield_!(i);
        acc += s;
        if i == 1 {
            sleep0().await;
        }
    }
    format!("leaf {acc}")
}

#[async_generator(yield = u32, send = u32)]
async fn leaf_u(log: Log, n: u32) {
    let s = yield_from_!(leaf(log.clone(), n));
    log.borrow_mut().push(s.clone());
}

/// Every inner form the hot entry forwards through, driven by the hot path
/// (asend) and the Stream view; the root is moved (boxed) between steps.
#[test]
fn hot_entry_through_every_forwarding_form() {
    for form in 0..5u8 {
        let form = std::hint::black_box(form);
        let lg = log();
        let l2 = lg.clone();
        let root = async_gen!(yield = u32, send = u32 => {
            let _f = OnDrop(l2.clone(), "root finally");
            let r: String = match form {
                0 => yield_from_!(leaf(l2.clone(), 4)),
                1 => yield_from_!(Box::pin(leaf(l2.clone(), 4))),
                2 => {
                    let mut g = pin!(leaf(l2.clone(), 4));
                    yield_from_!(g.as_mut())
                }
                3 => {
                    let mut d = Box::pin(leaf(l2.clone(), 4));
                    yield_from_!(Pin::new(&mut d))
                }
                _ => {
                    let b: LocalBoxAsyncGenerator<'_, u32, u32, ()> = LocalBoxAsyncGenerator::new(leaf_u(l2.clone(), 4));
                    yield_from_!(b);
                    l2.borrow_mut().pop().unwrap()
                }
            };
            l2.borrow_mut().push(r);
            yield_!(77);
        });
        // an outer level so that the root caches a leaf two levels down
        let top = async_gen!(yield = u32, send = u32 => { yield_from_!(root); });
        let mut g = Box::pin(top);
        assert_eq!(block_on(g.as_mut().anext()), Ok(0));
        let mut v = vec![g]; // move the Box
        let mut g = v.pop().unwrap();
        assert_eq!(block_on(g.as_mut().asend(5)), Ok(1));
        assert_eq!(block_on(g.as_mut().asend(6)), Ok(2)); // real wait inside
        let mut g2 = g; // move again
        assert_eq!(block_on(g2.as_mut().next()), Some(3));
        assert_eq!(block_on(g2.as_mut().asend(10)), Ok(77));
        assert_eq!(block_on(g2.as_mut().next()), None);
        assert_eq!(g2.state(), GenState::Closed);
        assert_eq!(
            *lg.borrow(),
            ["leaf finally", "leaf 21", "root finally"],
            "form {form}"
        );
    }
}

/// A BoxAsyncGenerator root moved by value between hot steps.
#[test]
fn box_root_moved_by_value() {
    let lg = log();
    let l2 = lg.clone();
    let mid =
        async_gen!(yield = u32, send = u32 => { let _r = yield_from_!(leaf(l2.clone(), 5)); });
    let mut b: LocalBoxAsyncGenerator<'static, u32, u32, ()> =
        LocalBoxAsyncGenerator::new(async_gen!(yield = u32, send = u32 => { yield_from_!(mid); }));
    assert_eq!(block_on(Pin::new(&mut b).anext()), Ok(0));
    let mut b = std::hint::black_box(b);
    assert_eq!(block_on(Pin::new(&mut b).anext()), Ok(1));
    let mut bs = vec![b];
    assert_eq!(block_on(Pin::new(&mut bs[0]).anext()), Ok(2));
    let mut b = bs.remove(0);
    assert_eq!(block_on(Pin::new(&mut b).anext()), Ok(3));
    drop(b);
    assert_eq!(*lg.borrow(), ["leaf finally"]);
}

/// A panic in the cached leaf's body at a hot resumption: every level,
/// kept by the caller, is Closed and every destructor ran, deepest first.
#[test]
fn panic_in_hot_step_closes_every_level() {
    #[async_generator(yield = u32, send = u32)]
    async fn bomb(log: Log) {
        let _f = OnDrop(log.clone(), "bomb finally");
        yield_!(1);
        yield_!(2);
        panic!("boom");
    }
    let lg = log();
    let mut b = pin!(bomb(lg.clone()));
    {
        let bref = b.as_mut();
        let l3 = lg.clone();
        let mut m = pin!(async_gen!(yield = u32, send = u32 => {
            let _f = OnDrop(l3.clone(), "mid finally");
            yield_from_!(bref);
        }));
        {
            let mref = m.as_mut();
            let l2 = lg.clone();
            let mut root = pin!(async_gen!(yield = u32, send = u32 => {
                let _f = OnDrop(l2.clone(), "root finally");
                yield_from_!(mref);
            }));
            assert_eq!(block_on(root.as_mut().anext()), Ok(1));
            assert_eq!(block_on(root.as_mut().anext()), Ok(2)); // hot
            let r = catch_unwind(AssertUnwindSafe(|| block_on(root.as_mut().asend(3))));
            assert!(r.is_err());
            assert_eq!(root.state(), GenState::Closed);
            assert_eq!(
                block_on(root.as_mut().anext()),
                Err(Error::StopAsyncIteration(None))
            );
        }
        assert_eq!(m.state(), GenState::Closed);
    }
    assert_eq!(b.state(), GenState::Closed);
    assert_eq!(
        *lg.borrow(),
        ["bomb finally", "mid finally", "root finally"]
    );
}

/// A panic in a destructor run by the leaf's finishing hot step (in the
/// finish half: after_ready drops the body).
#[test]
fn panic_in_leaf_destructor_at_finish() {
    struct PanicOnDrop(Log);
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            self.0.borrow_mut().push("pod".into());
            panic!("drop boom");
        }
    }
    #[async_generator(yield = u32, send = u32)]
    async fn leaf2(log: Log) -> u32 {
        let _p = PanicOnDrop(log.clone());
        yield_!(1);
        yield_!(2);
        5
    }
    let lg = log();
    let mut l = pin!(leaf2(lg.clone()));
    let l2 = lg.clone();
    let lref = l.as_mut();
    let mut root = pin!(async_gen!(yield = u32, send = u32 => {
        let _f = OnDrop(l2.clone(), "root finally");
        let mid = async_gen!(yield = u32, send = u32 => {
            let _f = OnDrop(l2.clone(), "mid finally");
            let v: u32 = yield_from_!(lref);
            yield_!(v);
        });
        yield_from_!(mid);
    }));
    assert_eq!(block_on(root.as_mut().anext()), Ok(1));
    assert_eq!(block_on(root.as_mut().anext()), Ok(2));
    let r = catch_unwind(AssertUnwindSafe(|| block_on(root.as_mut().anext())));
    assert!(r.is_err());
    assert_eq!(root.state(), GenState::Closed);
    assert_eq!(*lg.borrow(), ["pod", "mid finally", "root finally"]);
}

/// A step abandoned mid-flight (select!-style) through the hot path, then
/// closed; and one forgotten.
#[test]
fn cancelled_and_forgotten_hot_steps() {
    for forget in [false, true] {
        let lg = log();
        let l2 = lg.clone();
        let mut root = Box::pin(async_gen!(yield = u32, send = u32 => {
            let _f = OnDrop(l2.clone(), "root finally");
            let mid = async_gen!(yield = u32, send = u32 => {
                let _f = OnDrop(l2.clone(), "mid finally");
                let _s = yield_from_!(leaf(l2.clone(), 4));
            });
            yield_from_!(mid);
        }));
        assert_eq!(block_on(root.as_mut().anext()), Ok(0));
        assert_eq!(block_on(root.as_mut().anext()), Ok(1));
        {
            let mut step = root.as_mut().asend(4); // waits at sleep0
            assert!(poll_once(Pin::new(&mut step)).is_pending());
            if forget {
                // `asend`'s future has no `Drop` today, so this equals dropping it;
                // kept so that a `Drop` added later is covered too.
                #[allow(clippy::forget_non_drop)]
                std::mem::forget(step);
            }
        }
        assert_eq!(root.state(), GenState::Running);
        assert_eq!(
            block_on(root.as_mut().asend(9)),
            Err(Error::RuntimeError(agen::RuntimeError::AlreadyRunning(
                agen::Rejected::Send(9)
            )))
        );
        assert_eq!(block_on(root.as_mut().anext()), Ok(2));
        assert_eq!(block_on(root.as_mut().aclose()), Ok(()));
        assert_eq!(root.state(), GenState::Closed);
        assert_eq!(
            *lg.borrow(),
            ["leaf finally", "mid finally", "root finally"]
        );
    }
}

/// The cached leaf parked at a catching yield declines the hot path; the
/// stepper's general step runs. Also a user-implemented inner.
#[test]
fn decline_and_user_inner() {
    #[async_generator(yield = u32, send = u32)]
    async fn catcher() {
        loop {
            let _ = yield_catch_!(1);
            yield_!(2);
        }
    }
    let mut root = pin!(async_gen!(yield = u32, send = u32 => {
        let m = async_gen!(yield = u32, send = u32 => { yield_from_!(catcher()); });
        yield_from_!(m);
    }));
    for _ in 0..3 {
        assert_eq!(block_on(root.as_mut().anext()), Ok(1));
        assert_eq!(block_on(root.as_mut().anext()), Ok(2));
    }

    struct User(u32);
    impl AsyncGenerator for User {
        type Yield = u32;
        type Send = u32;
        type Return = ();
        type Error = std::convert::Infallible;
        fn state(&self) -> GenState {
            GenState::Suspended
        }
        fn poll_resume(
            self: Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            c: &mut Option<agen::Command<u32, std::convert::Infallible>>,
        ) -> std::task::Poll<agen::GenReply<Self>> {
            let _ = c.take();
            let me = self.get_mut();
            me.0 += 1;
            std::task::Poll::Ready(if me.0 > 3 {
                Err(Error::StopAsyncIteration(Some(())))
            } else {
                Ok(Some(me.0))
            })
        }
    }
    impl agen::GeneratorOutput for User {
        type Output = ();
        fn output(_: Result<(), std::convert::Infallible>) {}
    }
    let mut root = pin!(async_gen!(yield = u32, send = u32 => {
        let m = async_gen!(yield = u32, send = u32 => { yield_from_!(User(0)); yield_!(9); });
        yield_from_!(m);
    }));
    let v: Vec<u32> = block_on(root.as_mut().collect());
    assert_eq!(v, [1, 2, 3, 9]);
}

thread_local! {
    static ARMED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static FUSE: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// A user generator of the outer's types whose `state()` panics once it has
/// yielded (user code the chain calls while walking it).
struct Grumpy(Log, u32);
impl Drop for Grumpy {
    fn drop(&mut self) {
        self.0.borrow_mut().push("grumpy dropped".into());
    }
}
impl AsyncGenerator for Grumpy {
    type Yield = u32;
    type Send = u32;
    type Return = ();
    type Error = std::convert::Infallible;
    fn state(&self) -> GenState {
        if ARMED.with(|a| a.replace(false)) && FUSE.with(|f| f.replace(false)) {
            panic!("state() panics");
        }
        GenState::Suspended
    }
    fn poll_resume(
        self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        c: &mut Option<agen::Command<u32, std::convert::Infallible>>,
    ) -> std::task::Poll<agen::GenReply<Self>> {
        let _ = c.take();
        let me = self.get_mut();
        me.1 += 1;
        ARMED.with(|a| a.set(true));
        std::task::Poll::Ready(Ok(Some(me.1 * 10)))
    }
}
impl agen::GeneratorOutput for Grumpy {
    type Output = ();
    fn output(_: Result<(), std::convert::Infallible>) {}
}

/// root → mid → `Grumpy`, driven to the panic: mid yields 1 at a plain yield,
/// then its hot step delegates to `Grumpy`, growing the chain, and the root
/// walks down to it (`Grumpy::state()` panics). Returns the root and the log.
fn panicked_grumpy_chain() -> (Pin<Box<impl AsyncGenerator<Yield = u32, Send = u32>>>, Log) {
    FUSE.with(|f| f.set(true));
    let lg = log();
    let l2 = lg.clone();
    let l3 = lg.clone();
    let mut root = Box::pin(async_gen!(yield = u32, send = u32 => {
        let _f = OnDrop(l2.clone(), "root finally");
        let mid = async_gen!(yield = u32, send = u32 => {
            let _f = OnDrop(l3.clone(), "mid finally");
            yield_!(1);
            yield_from_!(Grumpy(l3.clone(), 0));
        });
        yield_from_!(mid);
    }));
    assert_eq!(block_on(root.as_mut().anext()), Ok(1));
    let r = catch_unwind(AssertUnwindSafe(|| block_on(root.as_mut().anext())));
    assert!(r.is_err(), "expected the panic");
    (root, lg)
}

/// A panic in user code (`state()` of the new deepest generator) while the
/// root extends its cache after a hot step that grew the chain: every level
/// is Closed and its destructors ran, as on the general path.
#[test]
fn panic_while_extending_cache_after_hot_step() {
    let (root, lg) = panicked_grumpy_chain();
    assert_eq!(root.state(), GenState::Closed);
    assert_eq!(
        *lg.borrow(),
        ["grumpy dropped", "mid finally", "root finally"]
    );
}

/// The same, then the root is used on after the caught panic: it is
/// finished (as after any panic), whatever is called.
#[test]
fn panic_while_extending_cache_then_used() {
    let (mut root, lg) = panicked_grumpy_chain();
    for _ in 0..3 {
        assert!(matches!(
            block_on(root.as_mut().anext()),
            Err(Error::StopAsyncIteration(None))
        ));
    }
    {
        // The future borrows the root until it is dropped, done or not.
        let mut send = std::pin::pin!(root.as_mut().asend(3));
        assert!(poll_once(send.as_mut()).is_ready());
    }
    assert_eq!(root.state(), GenState::Closed);
    drop(root);
    assert_eq!(
        *lg.borrow(),
        ["grumpy dropped", "mid finally", "root finally"]
    );
}
