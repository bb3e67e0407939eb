//! `yield_from_!`: every forwarding path (PEP 380), for a generator inner and
//! for a plain `Stream` inner, plus recursion and size.

mod support;

use std::pin::pin;

use agen::{
    AsyncGenerator, AsyncGeneratorExt, Error, GenState, LocalBoxAsyncGenerator, RuntimeError,
    Thrown, async_generator, raise_, yield_, yield_catch_, yield_from_, yield_from_catch_,
};
use futures::StreamExt;
use support::{Log, OnDrop, block_on, log, sleep0};

#[derive(Debug, Clone, PartialEq)]
struct Oops(&'static str);

/// The inner: echoes what it is sent, catches `Oops("skip")`, returns the
/// number of items it yielded, awaits cleanup on close.
#[async_generator(yield = u32, send = u32)]
async fn inner(log: Log) -> Result<u32, Oops> {
    let _finally = OnDrop(log.clone(), "inner finally");
    let mut count = 0;
    let mut next = 1;
    loop {
        match yield_catch_!(next) {
            Ok(0) => return Ok(count),
            Ok(sent) => next = sent * 10,
            Err(Thrown::Error(Oops("skip"))) => next = 500,
            Err(Thrown::Error(Oops("return"))) => return Ok(99),
            Err(Thrown::Error(other)) => return Err(other),
            Err(Thrown::GeneratorExit) => {
                sleep0().await;
                log.borrow_mut().push("inner async cleanup".into());
                raise_!(Thrown::GeneratorExit);
            }
            Err(other) => raise_!(other),
        }
        count += 1;
    }
}

#[async_generator(yield = u32, send = u32)]
async fn outer(log: Log) -> Result<&'static str, Oops> {
    let _finally = OnDrop(log.clone(), "outer finally");
    yield_!(0);
    let result = yield_from_!(inner(log.clone()));
    log.borrow_mut()
        .push(format!("delegation result {result:?}"));
    let n = result?;
    yield_!(1000 + n);
    Ok("outer done")
}

#[test]
fn items_and_sent_values_are_forwarded_and_the_return_value_comes_back() {
    let log = log();
    let mut g = pin!(outer(log.clone()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().anext().await, Ok(1)); // inner started with anext
        assert_eq!(g.as_mut().asend(4).await, Ok(40)); // forwarded to inner.asend
        assert_eq!(g.as_mut().asend(7).await, Ok(70));
        assert_eq!(g.as_mut().asend(0).await, Ok(1002)); // inner returned Ok(2)
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(Some("outer done")))
        );
    });
    assert_eq!(
        *log.borrow(),
        ["inner finally", "delegation result Ok(2)", "outer finally"]
    );
}

#[test]
fn athrow_caught_by_the_inner_yields_its_next_item() {
    let log = log();
    let mut g = pin!(outer(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        g.as_mut().anext().await.unwrap();
        assert_eq!(g.as_mut().athrow(Oops("skip")).await, Ok(Some(500)));
        assert_eq!(g.state(), GenState::Suspended);
    });
}

#[test]
fn athrow_the_inner_catches_and_returns_from_gives_the_delegation_value() {
    let log = log();
    let mut g = pin!(outer(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        g.as_mut().anext().await.unwrap();
        assert_eq!(g.as_mut().athrow(Oops("return")).await, Ok(Some(1099)));
    });
}

#[test]
fn athrow_uncaught_by_the_inner_comes_back_as_the_delegation_error() {
    let log = log();
    let mut g = pin!(outer(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        g.as_mut().anext().await.unwrap();
        // The inner re-raises; the outer's `?` propagates it.
        assert_eq!(
            g.as_mut().athrow(Oops("fatal")).await,
            Err(Error::Raised(Oops("fatal")))
        );
    });
    assert_eq!(
        *log.borrow(),
        [
            "inner finally",
            "delegation result Err(Oops(\"fatal\"))",
            "outer finally"
        ]
    );
}

#[test]
fn aclose_closes_the_inner_first_with_its_async_cleanup_then_the_outer() {
    let log = log();
    let mut g = pin!(outer(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        g.as_mut().anext().await.unwrap();
        assert_eq!(g.as_mut().aclose().await, Ok(()));
        assert_eq!(g.state(), GenState::Closed);
    });
    assert_eq!(
        *log.borrow(),
        ["inner async cleanup", "inner finally", "outer finally"]
    );
}

#[test]
fn catch_form_lets_the_outer_clean_up_after_the_inner_closed() {
    #[async_generator(yield = u32, send = u32)]
    async fn careful_outer(log: Log) -> Result<(), Oops> {
        match yield_from_catch_!(inner(log.clone())) {
            Err(Thrown::GeneratorExit) => {
                sleep0().await;
                log.borrow_mut().push("outer async cleanup".into());
                Ok(())
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let log = log();
    let mut g = pin!(careful_outer(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        assert_eq!(g.as_mut().aclose().await, Ok(()));
    });
    assert_eq!(
        *log.borrow(),
        [
            "inner async cleanup",
            "inner finally",
            "outer async cleanup"
        ]
    );
}

#[test]
fn an_inner_that_raises_by_itself_hands_the_error_to_the_outer() {
    #[async_generator(yield = u32)]
    async fn failing() -> Result<(), Oops> {
        yield_!(1);
        Err(Oops("inner failed"))
    }
    // The outer's error type must convert `Into` the inner's (to forward
    // `athrow`), so this outer is fallible with the same error type.
    #[async_generator(yield = u32)]
    async fn handles() -> Result<(), Oops> {
        let outcome = yield_from_!(failing());
        yield_!(if outcome == Err(Oops("inner failed")) {
            2
        } else {
            0
        });
        Ok(())
    }
    assert_eq!(
        block_on(pin!(handles()).collect::<Vec<_>>()),
        [Ok(1), Ok(2)]
    );
}

#[test]
fn an_inner_that_already_finished_is_a_runtime_error() {
    #[async_generator(yield = u32)]
    async fn one() -> u32 {
        yield_!(1);
        7
    }
    let mut done = Box::pin(one());
    block_on(async { while done.as_mut().anext().await.is_ok() {} });
    let outer = agen::async_gen!(yield = u32 => {
        let _ = yield_from_!(done);
    });
    let mut g = pin!(outer);
    assert_eq!(
        block_on(g.as_mut().anext()),
        Err(Error::RuntimeError(RuntimeError::DelegateFinished))
    );
}

// A plain Stream inner.

#[async_generator(yield = u32, send = u32)]
async fn over_stream(log: Log) -> Result<(), Oops> {
    let _finally = OnDrop(log.clone(), "outer finally");
    let () = yield_from_!(futures::stream::iter([1, 2, 3]));
    yield_!(100);
    Ok(())
}

#[test]
fn stream_items_are_yielded_and_sent_values_dropped() {
    let mut g = pin!(over_stream(log()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().asend(42).await, Ok(2)); // a stream cannot take 42
        assert_eq!(g.as_mut().anext().await, Ok(3));
        assert_eq!(g.as_mut().anext().await, Ok(100));
    });
}

#[test]
fn athrow_at_a_stream_ends_the_outer_at_the_delegation_point() {
    let log = log();
    let mut g = pin!(over_stream(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        assert_eq!(
            g.as_mut().athrow(Oops("x")).await,
            Err(Error::Raised(Oops("x")))
        );
    });
    assert_eq!(*log.borrow(), ["outer finally"]);
}

#[test]
fn aclose_at_a_stream_closes_the_outer() {
    let log = log();
    let mut g = pin!(over_stream(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        assert_eq!(g.as_mut().aclose().await, Ok(()));
    });
    assert_eq!(*log.borrow(), ["outer finally"]);
}

#[test]
fn catch_form_sees_what_is_thrown_at_a_stream() {
    let g = agen::async_gen!(yield = u32, return = Result<(), Oops> => {
        match yield_from_catch_!(futures::stream::iter([1, 2])) {
            Err(Thrown::Error(e)) => yield_!(if e == Oops("x") { 7 } else { 0 }),
            other => panic!("unexpected {other:?}"),
        }
        Ok(())
    });
    let mut g = pin!(g);
    block_on(async {
        g.as_mut().anext().await.unwrap();
        assert_eq!(g.as_mut().athrow(Oops("x")).await, Ok(Some(7)));
    });
}

// Recursion and size.

struct Node {
    value: u32,
    children: Vec<Node>,
}

#[async_generator(yield = u32)]
async fn walk(node: &Node) {
    yield_!(node.value);
    for child in &node.children {
        yield_from_!(LocalBoxAsyncGenerator::<'_, u32, (), ()>::new(walk(child)));
    }
}

#[test]
fn recursion_through_a_boxed_generator() {
    let tree = Node {
        value: 1,
        children: vec![
            Node {
                value: 2,
                children: vec![Node {
                    value: 3,
                    children: vec![],
                }],
            },
            Node {
                value: 4,
                children: vec![],
            },
        ],
    };
    assert_eq!(
        block_on(pin!(walk(&tree)).collect::<Vec<_>>()),
        [1, 2, 3, 4]
    );
}

#[async_generator(yield = u64)]
async fn leaf_level() {
    for i in 0..3 {
        yield_!(i);
    }
}

macro_rules! level {
    ($name:ident, $inner:ident) => {
        #[async_generator(yield = u64)]
        async fn $name() {
            yield_from_!($inner());
        }
    };
}
level!(d1, leaf_level);
level!(d2, d1);
level!(d3, d2);
level!(d4, d3);
level!(d5, d4);
level!(d6, d5);
level!(d7, d6);
level!(d8, d7);
level!(d9, d8);
level!(d10, d9);
level!(d11, d10);
level!(d12, d11);
level!(d13, d12);
level!(d14, d13);
level!(d15, d14);
level!(d16, d15);

#[test]
fn size_grows_linearly_with_delegation_depth() {
    let per_level = std::mem::size_of_val(&d2()) - std::mem::size_of_val(&d1());
    let sizes = [
        std::mem::size_of_val(&d1()),
        std::mem::size_of_val(&d4()),
        std::mem::size_of_val(&d16()),
    ];
    // Each level adds the same constant: no copy of the inner per level.
    assert_eq!(sizes[1], sizes[0] + 3 * per_level, "sizes {sizes:?}");
    assert_eq!(sizes[2], sizes[0] + 15 * per_level, "sizes {sizes:?}");
    assert!(per_level <= 128, "per level {per_level} bytes");
    assert_eq!(block_on(pin!(d16()).collect::<Vec<_>>()), [0, 1, 2]);
}

// The fast path: a chain of same-type delegations driven from the root.

#[async_generator(yield = u32, send = u32)]
async fn fast_leaf(log: Log, base: u32) -> Result<u32, Oops> {
    let _finally = OnDrop(log.clone(), "leaf finally");
    let mut sent = 0;
    for i in 0..3 {
        match yield_catch_!(base + i + sent) {
            Ok(s) => sent = s,
            Err(Thrown::Error(Oops("skip"))) => sent = 100,
            Err(Thrown::Error(e)) => return Err(e),
            Err(Thrown::GeneratorExit) => {
                sleep0().await;
                log.borrow_mut().push("leaf async cleanup".into());
                raise_!(Thrown::GeneratorExit);
            }
            Err(other) => raise_!(other),
        }
    }
    Ok(base)
}

#[async_generator(yield = u32, send = u32)]
async fn fast_mid(log: Log) -> Result<u32, Oops> {
    let _finally = OnDrop(log.clone(), "mid finally");
    let a = yield_from_!(fast_leaf(log.clone(), 10))?;
    let b = yield_from_!(fast_leaf(log.clone(), 20))?;
    yield_!(a + b);
    Ok(a + b)
}

#[async_generator(yield = u32, send = u32)]
async fn fast_top(log: Log) -> Result<(), Oops> {
    let _finally = OnDrop(log.clone(), "top finally");
    let total = yield_from_!(fast_mid(log.clone()))?;
    log.borrow_mut().push(format!("top got {total}"));
    yield_!(total * 2);
    Ok(())
}

#[test]
fn fast_path_items_sends_and_level_changes() {
    let log = log();
    let mut g = pin!(fast_top(log.clone()));
    let got = block_on(async {
        let mut got = vec![g.as_mut().anext().await.unwrap()];
        got.push(g.as_mut().asend(1).await.unwrap()); // 10 + 1 + 1
        got.push(g.as_mut().anext().await.unwrap()); // 10 + 2 + 0
        // leaf 1 returns 10, mid starts leaf 2 in the same step
        got.push(g.as_mut().anext().await.unwrap());
        got.push(g.as_mut().athrow(Oops("skip")).await.unwrap().unwrap()); // 20 + 1 + 100
        got.push(g.as_mut().anext().await.unwrap());
        got.push(g.as_mut().anext().await.unwrap()); // mid yields a + b
        got.push(g.as_mut().anext().await.unwrap()); // top yields total * 2
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(Some(())))
        );
        got
    });
    assert_eq!(got, [10, 12, 12, 20, 121, 22, 30, 60]);
    assert_eq!(
        *log.borrow(),
        [
            "leaf finally",
            "leaf finally",
            "mid finally",
            "top got 30",
            "top finally"
        ]
    );
}

#[test]
fn fast_path_aclose_unwinds_every_level_with_async_cleanup() {
    let log = log();
    let mut g = pin!(fast_top(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        g.as_mut().anext().await.unwrap();
        assert_eq!(g.as_mut().aclose().await, Ok(()));
        assert_eq!(g.state(), GenState::Closed);
    });
    assert_eq!(
        *log.borrow(),
        [
            "leaf async cleanup",
            "leaf finally",
            "mid finally",
            "top finally"
        ]
    );
}

#[test]
fn fast_path_uncaught_athrow_propagates_through_every_level() {
    let log = log();
    let mut g = pin!(fast_top(log.clone()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        g.as_mut().anext().await.unwrap();
        assert_eq!(
            g.as_mut().athrow(Oops("fatal")).await,
            Err(Error::Raised(Oops("fatal")))
        );
    });
    assert_eq!(
        *log.borrow(),
        ["leaf finally", "mid finally", "top finally"]
    );
}

#[test]
fn fast_path_survives_a_dropped_step_and_a_dropped_generator() {
    #[async_generator(yield = u32)]
    async fn slow_leaf() {
        for i in 0..3 {
            sleep0().await;
            yield_!(i);
        }
    }
    #[async_generator(yield = u32)]
    async fn wrap() {
        yield_from_!(slow_leaf());
        yield_!(99);
    }
    #[async_generator(yield = u32)]
    async fn wrap2() {
        yield_from_!(wrap());
    }
    let mut g = Box::pin(wrap2());
    assert_eq!(block_on(g.as_mut().anext()), Ok(0));
    {
        let step = pin!(g.as_mut().anext());
        assert!(support::poll_once(step).is_pending()); // abandoned mid fast step
    }
    assert_eq!(g.state(), GenState::Running);
    assert_eq!(block_on(g.as_mut().anext()), Ok(1));
    assert_eq!(block_on(g.as_mut().anext()), Ok(2));
    assert_eq!(block_on(g.as_mut().anext()), Ok(99));
    assert_eq!(
        block_on(g.as_mut().anext()),
        Err(Error::StopAsyncIteration(Some(())))
    );
    let mut h = Box::pin(wrap2());
    assert_eq!(block_on(h.as_mut().anext()), Ok(0));
    assert_eq!(block_on(h.as_mut().anext()), Ok(1));
    drop(h); // dropped with a cached chain
}

/// The root's cached leaf, resumed at a plain yield, starts a delegation of
/// its own in that step (the chain grows from the leaf's hot entry), waits
/// at a real `.await` inside the deeper level, finishes, and comes back: every
/// transition of the root's resumption of its cached leaf, through the
/// `Stream` view and through `anext`/`asend`.
#[test]
fn fast_path_leaf_grows_the_chain_waits_and_finishes() {
    #[async_generator(yield = u32, send = u32)]
    async fn deepest(log: Log) -> u32 {
        let _finally = OnDrop(log.clone(), "deepest finally");
        let a = yield_!(100);
        sleep0().await;
        let b = yield_!(101 + a);
        b + 1
    }
    #[async_generator(yield = u32, send = u32)]
    async fn grows(log: Log) -> u32 {
        let _finally = OnDrop(log.clone(), "grows finally");
        let s = yield_!(1);
        let got = yield_from_!(deepest(log.clone()));
        let t = yield_!(got + s);
        sleep0().await;
        t
    }
    #[async_generator(yield = u32, send = u32)]
    async fn root(log: Log) {
        let _finally = OnDrop(log.clone(), "root finally");
        let r = yield_from_!(grows(log.clone()));
        yield_!(r * 10);
    }

    // `Stream`: every item, in order, with the default sent value.
    let log1 = log();
    let items: Vec<u32> = block_on(pin!(root(log1.clone())).collect());
    assert_eq!(items, [1, 100, 101, 1, 0]);
    assert_eq!(
        *log1.borrow(),
        ["deepest finally", "grows finally", "root finally"]
    );

    // `anext`/`asend`: the sent values reach the level that yielded.
    let log2 = log();
    let mut g = pin!(root(log2.clone()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().asend(5).await, Ok(100)); // s = 5; the chain grows
        assert_eq!(g.as_mut().asend(7).await, Ok(108)); // a = 7, after a real wait
        assert_eq!(g.as_mut().asend(8).await, Ok(14)); // b = 8: got = 9, + s
        assert_eq!(g.as_mut().asend(3).await, Ok(30)); // t = 3, after a real wait
        assert_eq!(g.state(), GenState::Suspended);
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(Some(())))
        );
    });
    assert_eq!(
        *log2.borrow(),
        ["deepest finally", "grows finally", "root finally"]
    );

    // Dropped while the deeper level waits in a step the root left in flight.
    let log3 = log();
    let mut h = Box::pin(root(log3.clone()));
    assert_eq!(block_on(h.as_mut().anext()), Ok(1));
    assert_eq!(block_on(h.as_mut().anext()), Ok(100));
    {
        let step = pin!(h.as_mut().anext());
        assert!(support::poll_once(step).is_pending());
    }
    assert_eq!(h.state(), GenState::Running);
    drop(h);
    assert_eq!(
        *log3.borrow(),
        ["deepest finally", "grows finally", "root finally"]
    );
}

// ---------------------------------------------------------------------------
// `athrow(GeneratorExit)` and an inner that ignores a close (PEP 380)
// ---------------------------------------------------------------------------

/// Catches the exit and yields anyway: ignores a close.
#[async_generator(yield = u32)]
async fn stubborn(log: Log) -> Result<(), Oops> {
    if let Err(thrown) = yield_catch_!(1) {
        log.borrow_mut().push(format!("inner caught {thrown:?}"));
    }
    yield_!(2);
    Ok(())
}

/// Closes when asked.
#[async_generator(yield = u32)]
async fn obliging(log: Log) -> Result<(), Oops> {
    let _finally = OnDrop(log.clone(), "inner finally");
    yield_!(1);
    yield_!(2);
    Ok(())
}

#[test]
fn athrow_generator_exit_into_a_delegating_generator_closes_the_inner_then_raises_in_the_outer() {
    #[async_generator(yield = u32)]
    async fn outer(log: Log) -> Result<(), Oops> {
        match yield_from_catch_!(obliging(log.clone())) {
            Ok(done) => done,
            Err(thrown) => {
                log.borrow_mut().push(format!("outer caught {thrown:?}"));
                // Caught: an athrow (unlike an aclose) may yield on.
                yield_!(10);
                Ok(())
            }
        }
    }
    let log = log();
    block_on(async {
        let mut g = pin!(outer(log.clone()));
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().athrow(Thrown::GeneratorExit).await, Ok(Some(10)));
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(Some(())))
        );
    });
    assert_eq!(
        *log.borrow(),
        ["inner finally", "outer caught GeneratorExit"]
    );
}

#[test]
fn athrow_generator_exit_into_a_delegating_generator_whose_inner_ignores_it_is_a_runtime_error() {
    #[async_generator(yield = u32)]
    async fn outer(log: Log) -> Result<(), Oops> {
        let _finally = OnDrop(log.clone(), "outer finally");
        yield_from_!(stubborn(log.clone()))
    }
    let log = log();
    block_on(async {
        let mut g = pin!(outer(log.clone()));
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(
            g.as_mut().athrow(Thrown::GeneratorExit).await,
            Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit))
        );
        assert_eq!(g.state(), GenState::Closed);
    });
    assert_eq!(
        *log.borrow(),
        ["inner caught GeneratorExit", "outer finally"]
    );
}

#[test]
fn an_inner_that_ignores_a_forwarded_close_raises_runtime_error_where_the_outer_can_catch_it() {
    #[async_generator(yield = u32)]
    async fn outer(log: Log) -> Result<(), Oops> {
        match yield_from_catch_!(stubborn(log.clone())) {
            Ok(done) => done,
            Err(Thrown::RuntimeError(cause)) => {
                // Python's `except RuntimeError:` at the delegation point.
                sleep0().await;
                log.borrow_mut().push(format!("outer caught {cause:?}"));
                Ok(())
            }
            Err(other) => raise_!(other),
        }
    }
    let log = log();
    block_on(async {
        let mut g = pin!(outer(log.clone()));
        assert_eq!(g.as_mut().anext().await, Ok(1));
        // The outer handled it and finished: the close succeeds.
        assert_eq!(g.as_mut().aclose().await, Ok(()));
    });
    assert_eq!(
        *log.borrow(),
        [
            "inner caught GeneratorExit",
            "outer caught IgnoredGeneratorExit"
        ]
    );
}

#[test]
fn athrow_generator_exit_at_a_plain_yield_ends_the_body_with_generator_exit() {
    let log = log();
    block_on(async {
        let mut g = pin!(obliging(log.clone()));
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(
            g.as_mut().athrow(Thrown::GeneratorExit).await,
            Err(Error::GeneratorExit)
        );
        assert_eq!(g.state(), GenState::Closed);
    });
    assert_eq!(*log.borrow(), ["inner finally"]);
}

/// The general path (`GenDelegate`: the inner's error type differs from the
/// outer's) closes the inner on `athrow(GeneratorExit)` too.
#[test]
fn athrow_generator_exit_through_the_general_delegation_path() {
    #[derive(Debug, PartialEq)]
    struct Other;
    impl From<Oops> for Other {
        fn from(_: Oops) -> Self {
            Other
        }
    }
    #[async_generator(yield = u32)]
    async fn inner(log: Log) -> Result<(), Other> {
        let _finally = OnDrop(log.clone(), "inner finally");
        yield_!(1);
        Ok(())
    }
    #[async_generator(yield = u32)]
    async fn outer(log: Log) -> Result<(), Oops> {
        match yield_from_catch_!(inner(log.clone())) {
            Ok(_) => Ok(()),
            Err(thrown) => {
                log.borrow_mut().push(format!("outer caught {thrown:?}"));
                raise_!(thrown)
            }
        }
    }
    let log = log();
    block_on(async {
        let mut g = pin!(outer(log.clone()));
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(
            g.as_mut().athrow(Thrown::GeneratorExit).await,
            Err(Error::GeneratorExit)
        );
    });
    assert_eq!(
        *log.borrow(),
        ["inner finally", "outer caught GeneratorExit"]
    );
}
