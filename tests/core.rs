//! SPEC §3, rule by rule, plus the catch form and the Stream view.

mod support;

use std::pin::pin;
use std::task::Poll;

use agen::{
    AsyncGenerator, AsyncGeneratorExt, Error, GenState, Rejected, RuntimeError, StopIterationLike,
    Thrown, TypeError, async_gen, async_generator, raise_, yield_, yield_catch_,
};
use futures::StreamExt;
use support::{OnDrop, block_on, log, poll_once, sleep0};

#[derive(Debug, Clone, PartialEq)]
struct Oops(&'static str);

#[async_generator(yield = u32)]
async fn countdown(from: u32) {
    for i in (0..=from).rev() {
        yield_!(i);
    }
}

#[async_generator(yield = u32, send = u32)]
async fn accumulate() -> u32 {
    let mut total = 0;
    loop {
        let n = yield_!(total);
        if n == 0 {
            return total;
        }
        total += n;
    }
}

#[async_generator(yield = u32)]
async fn guarded(log: support::Log) -> Result<(), Oops> {
    let _finally = OnDrop(log.clone(), "finally");
    yield_!(1);
    yield_!(2);
    Ok(())
}

#[test]
fn stream_view_of_a_unit_body() {
    let g = pin!(countdown(3));
    assert_eq!(block_on(g.collect::<Vec<_>>()), [3, 2, 1, 0]);
}

#[test]
fn sent_values_and_the_return_value() {
    let mut g = pin!(accumulate());
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().asend(5).await, Ok(5));
        assert_eq!(g.as_mut().asend(7).await, Ok(12));
        assert_eq!(
            g.as_mut().asend(0).await,
            Err(Error::StopAsyncIteration(Some(12)))
        );
        // The value is handed out once; later calls report the end only.
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(None))
        );
    });
}

#[test]
fn rule_1_asend_before_start_is_a_type_error_and_leaves_it_created() {
    let mut g = pin!(accumulate());
    block_on(async {
        assert_eq!(
            g.as_mut().asend(9).await,
            Err(Error::TypeError(TypeError::SendBeforeStart(9)))
        );
        assert_eq!(g.state(), GenState::Created);
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.state(), GenState::Suspended);
    });
}

#[test]
fn rule_2_athrow_before_start_returns_the_error_and_closes() {
    let log = log();
    let mut g = pin!(guarded(log.clone()));
    block_on(async {
        assert_eq!(
            g.as_mut().athrow(Oops("early")).await,
            Err(Error::Raised(Oops("early")))
        );
        assert_eq!(g.state(), GenState::Closed);
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(None))
        );
    });
    assert!(log.borrow().is_empty(), "the body never ran");
}

#[test]
fn rule_3_aclose_before_start_closes_without_running_the_body() {
    let log = log();
    let mut g = pin!(guarded(log.clone()));
    block_on(async {
        assert_eq!(g.as_mut().aclose().await, Ok(()));
        assert_eq!(g.state(), GenState::Closed);
    });
    assert!(log.borrow().is_empty());
}

/// Every way to finish, then every call: rule 4.
#[test]
fn rule_4_after_the_end() {
    #[async_generator(yield = u32)]
    async fn raises() -> Result<(), Oops> {
        yield_!(1);
        Err(Oops("boom"))
    }
    fn check<G: AsyncGenerator<Yield = u32, Error = Oops>>(mut g: std::pin::Pin<&mut G>)
    where
        G::Send: Default,
        G::Return: std::fmt::Debug,
    {
        block_on(async {
            assert_eq!(g.state(), GenState::Closed);
            assert!(matches!(
                g.as_mut().anext().await,
                Err(Error::StopAsyncIteration(None))
            ));
            assert!(matches!(
                g.as_mut().asend(Default::default()).await,
                Err(Error::StopAsyncIteration(None))
            ));
            assert!(matches!(g.as_mut().athrow(Oops("late")).await, Ok(None)));
            assert!(matches!(g.as_mut().aclose().await, Ok(())));
        });
    }
    // returned
    let mut g = pin!(guarded(log()));
    block_on(async { while g.as_mut().anext().await.is_ok() {} });
    check(g.as_mut());
    // raised
    let mut g = pin!(raises());
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().anext().await, Err(Error::Raised(Oops("boom"))));
    });
    check(g.as_mut());
    assert!(
        block_on(g.next()).is_none(),
        "the Stream returns None forever"
    );
    // closed
    let mut g = pin!(guarded(log()));
    block_on(async {
        g.as_mut().anext().await.unwrap();
        g.as_mut().aclose().await.unwrap();
    });
    check(g.as_mut());
}

#[test]
fn rule_5_ignored_generator_exit() {
    #[async_generator(yield = u32)]
    async fn stubborn(log: support::Log) {
        if yield_catch_!(1).is_err() {
            log.borrow_mut().push("caught exit".into());
            yield_!(2); // ignores GeneratorExit
            log.borrow_mut().push("resumed".into());
        }
    }
    let log = log();
    let mut g = pin!(stubborn(log.clone()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(
            g.as_mut().aclose().await,
            Err(Error::RuntimeError(RuntimeError::IgnoredGeneratorExit))
        );
        assert_eq!(g.state(), GenState::Suspended);
        // CPython: athrow/aclose now report StopAsyncIteration without entering the body ...
        assert_eq!(
            g.as_mut().aclose().await,
            Err(Error::StopAsyncIteration(None))
        );
        // ... and anext resumes it.
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(Some(())))
        );
    });
    assert_eq!(*log.borrow(), ["caught exit", "resumed"]);
}

type InnerError = agen::GenError<
    std::pin::Pin<
        Box<
            dyn AsyncGenerator<
                    Yield = u32,
                    Send = (),
                    Return = (),
                    Error = std::convert::Infallible,
                >,
        >,
    >,
>;

#[test]
fn rule_6_pep479_a_leaked_stop_becomes_runtime_error() {
    #[async_generator(yield = u32)]
    async fn relay() -> Result<(), InnerError> {
        let mut inner = pin!(countdown(0));
        loop {
            // On the exhausted inner generator this raises StopAsyncIteration.
            let v = inner.as_mut().anext().await?;
            yield_!(v);
        }
    }
    let mut g = pin!(relay());
    block_on(async {
        assert_eq!(g.as_mut().anext().await.unwrap(), 0);
        match g.as_mut().anext().await {
            Err(Error::RuntimeError(RuntimeError::RaisedStopIteration(source))) => {
                assert!(
                    source.is_stop_iteration(),
                    "the original is kept as the source"
                )
            }
            other => panic!("expected PEP 479 RuntimeError, got {other:?}"),
        }
        assert_eq!(g.state(), GenState::Closed);
    });
}

#[async_generator(yield = u32, send = u32)]
async fn slow_echo(log: support::Log) -> Result<(), Oops> {
    let _finally = OnDrop(log.clone(), "finally");
    let mut n = yield_!(0);
    loop {
        sleep0().await; // an await that is not a yield
        log.borrow_mut().push(format!("woke with {n}"));
        n = yield_!(n + 1);
    }
}

#[test]
fn rule_7_a_dropped_step_stays_running_and_anext_continues_it() {
    let log = log();
    let mut g = pin!(slow_echo(log.clone()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(0));
        {
            let step = pin!(g.as_mut().asend(41));
            assert!(poll_once(step).is_pending()); // abandoned at the sleep
        }
        assert_eq!(g.state(), GenState::Running);
        // The re-entrancy guard: nothing is lost, the value comes back.
        assert_eq!(
            g.as_mut().asend(7).await,
            Err(Error::RuntimeError(RuntimeError::AlreadyRunning(
                Rejected::Send(7)
            )))
        );
        assert_eq!(
            g.as_mut().athrow(Oops("x")).await,
            Err(Error::RuntimeError(RuntimeError::AlreadyRunning(
                Rejected::Throw(Oops("x"))
            )))
        );
        assert_eq!(
            g.as_mut().aclose().await,
            Err(Error::RuntimeError(RuntimeError::AlreadyRunning(
                Rejected::Close
            )))
        );
        assert_eq!(g.state(), GenState::Running);
        // anext continues the abandoned step: 41 was sent, 42 comes out.
        assert_eq!(g.as_mut().anext().await, Ok(42));
    });
    assert_eq!(*log.borrow(), ["woke with 41"]);
}

#[tokio::test]
async fn rule_7_next_is_cancel_safe_in_select() {
    let log = log();
    let mut g = pin!(slow_echo(log.clone()));
    let mut got = Vec::new();
    let mut ticks = 0;
    while got.len() < 3 {
        tokio::select! {
            biased;
            // A tick that is always ready first on every other turn cancels next().
            _ = async {}, if ticks % 2 == 0 => ticks += 1,
            Some(item) = g.next() => { got.push(item.unwrap()); ticks += 1; }
        }
    }
    assert_eq!(got, [0, 1, 1]);
}

#[test]
fn rule_8_polling_a_completed_awaitable_is_a_runtime_error() {
    let mut g = pin!(countdown(2));
    let mut next = pin!(g.as_mut().anext());
    assert_eq!(poll_once(next.as_mut()), Poll::Ready(Ok(2)));
    assert_eq!(
        poll_once(next.as_mut()),
        Poll::Ready(Err(Error::RuntimeError(RuntimeError::AwaitableReused)))
    );
}

#[test]
fn rule_9_a_panic_propagates_and_closes_the_generator() {
    #[async_generator(yield = u32)]
    async fn panics() {
        yield_!(1);
        panic!("body panicked");
    }
    let mut g = Box::pin(panics());
    assert_eq!(block_on(g.as_mut().anext()), Ok(1));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block_on(g.as_mut().anext())
    }));
    assert!(caught.is_err(), "the panic propagates out of the poll");
    assert_eq!(g.state(), GenState::Closed);
    assert_eq!(
        block_on(g.as_mut().anext()),
        Err(Error::StopAsyncIteration(None))
    );
    assert_eq!(block_on(g.as_mut().aclose()), Ok(()));
    assert_eq!(block_on(g.next()), None);
}

#[test]
fn rule_10_dropping_a_suspended_generator_runs_its_destructors() {
    let log = log();
    {
        let mut g = pin!(guarded(log.clone()));
        assert_eq!(block_on(g.as_mut().anext()), Ok(1));
        assert!(log.borrow().is_empty());
    }
    assert_eq!(*log.borrow(), ["finally"]);
}

#[test]
fn uncaught_athrow_ends_the_body_at_the_yield_and_runs_destructors() {
    let log = log();
    let mut g = pin!(guarded(log.clone()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(
            g.as_mut().athrow(Oops("in")).await,
            Err(Error::Raised(Oops("in")))
        );
        assert_eq!(*log.borrow(), ["finally"]);
        assert_eq!(g.state(), GenState::Closed);
    });
}

#[test]
fn uncaught_aclose_runs_destructors_and_succeeds() {
    let log = log();
    let mut g = pin!(guarded(log.clone()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().aclose().await, Ok(()));
        assert_eq!(*log.borrow(), ["finally"]);
    });
}

#[async_generator(yield = u32)]
async fn careful(log: support::Log) -> Result<(), Oops> {
    let mut i = 0;
    loop {
        match yield_catch_!(i) {
            Ok(()) => i += 1,
            Err(Thrown::Error(Oops("skip"))) => i += 10,
            Err(Thrown::Error(other)) => {
                log.borrow_mut().push(format!("giving up on {other:?}"));
                return Err(other);
            }
            Err(Thrown::GeneratorExit) => {
                sleep0().await; // async cleanup: the reason aclose exists
                log.borrow_mut().push("cleaned up".into());
                raise_!(Thrown::GeneratorExit);
            }
            Err(other) => raise_!(other),
        }
    }
}

#[test]
fn catch_form_yield_after_athrow() {
    let log = log();
    let mut g = pin!(careful(log.clone()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().athrow(Oops("skip")).await, Ok(Some(10)));
        assert_eq!(g.as_mut().anext().await, Ok(11));
        assert_eq!(
            g.as_mut().athrow(Oops("fatal")).await,
            Err(Error::Raised(Oops("fatal")))
        );
    });
    assert_eq!(*log.borrow(), ["giving up on Oops(\"fatal\")"]);
}

#[test]
fn catch_form_awaits_cleanup_on_aclose() {
    let log = log();
    let mut g = pin!(careful(log.clone()));
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().aclose().await, Ok(()));
        assert_eq!(g.state(), GenState::Closed);
    });
    assert_eq!(*log.borrow(), ["cleaned up"]);
}

#[test]
fn athrow_of_a_caught_error_then_return_is_stop_async_iteration() {
    #[async_generator(yield = u32)]
    async fn swallow() -> Result<&'static str, Oops> {
        let _ = yield_catch_!(1);
        Ok("done")
    }
    let mut g = pin!(swallow());
    block_on(async {
        g.as_mut().anext().await.unwrap();
        assert_eq!(
            g.as_mut().athrow(Oops("x")).await,
            Err(Error::StopAsyncIteration(Some("done")))
        );
    });
}

#[test]
fn fallible_stream_yields_ok_items_then_the_error_once() {
    #[async_generator(yield = u32)]
    async fn parse(input: &'static [&'static str]) -> Result<(), std::num::ParseIntError> {
        for s in input {
            yield_!(s.parse()?);
        }
        Ok(())
    }
    let items: Vec<_> = block_on(parse(&["1", "2", "x", "4"]).collect());
    assert_eq!(items.len(), 3);
    assert_eq!(items[0], Ok(1));
    assert_eq!(items[1], Ok(2));
    assert!(items[2].is_err());
}

// Every signature form (methods, generics, lifetimes, where clauses, patterns)
// is in tests/signatures.rs.

#[test]
fn inline_generator_with_send_and_return() {
    let g = async_gen!(yield = u32, send = Option<u32>, return = Result<u32, Oops> => {
        let mut sum = 0;
        while let Some(n) = yield_!(sum) {
            sum += n;
        }
        Ok(sum)
    });
    let mut g = pin!(g);
    block_on(async {
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().asend(Some(2)).await, Ok(2));
        assert_eq!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(Some(2)))
        );
    });
}

#[test]
fn boxed_dyn_generator() {
    let mut g: std::pin::Pin<
        Box<dyn AsyncGenerator<Yield = u32, Send = (), Return = (), Error = _>>,
    > = Box::pin(countdown(1));
    block_on(async {
        assert_eq!(std::pin::Pin::new(&mut g).anext().await, Ok(1));
        assert_eq!(std::pin::Pin::new(&mut g).aclose().await, Ok(()));
        assert_eq!(g.state(), GenState::Closed);
    });
}
