#![forbid(unsafe_code)]
//! A crate that forbids `unsafe` can still write and drive generators: every
//! `unsafe` the macros emit has the macro's own (mixed-site) span, so the
//! `unsafe_code` lint does not see it in the user's crate. Each macro path
//! that expands to an `unsafe` block is used here: the generator's
//! constructor (every generator), the handle (every body), and the in-place
//! pin of an argument delegated to by name (`yield_from_!(inner)`).

use std::cell::RefCell;
use std::convert::Infallible;
use std::pin::pin;

use agen::{
    AsyncGenerator, AsyncGeneratorExt, Error, GenState, GeneratorOutput, Thrown, Yielder,
    async_gen, async_generator, co, raise_, yield_, yield_catch_, yield_from_, yield_from_catch_,
};
use futures::StreamExt;
use futures::executor::block_on;

#[async_generator(yield = u32)]
async fn count(n: u32) -> u32 {
    for i in 0..n {
        yield_!(i);
    }
    n * 10
}

/// Takes its inner as an argument and delegates to it by name: the macro
/// pins the argument in place (an `unsafe` block in the expansion).
#[async_generator(yield = u32)]
async fn forward<G>(inner: G) -> u32
where
    G: GeneratorOutput<Yield = u32, Send = (), Error = Infallible, Output = u32>,
{
    let returned = yield_from_!(inner);
    yield_!(returned);
    returned + 1
}

/// Delegation to an expression (moved into the delegation future), to a
/// generator of other types (full forwarding) and to a plain `Stream`.
#[async_generator(yield = u32, send = Option<u32>)]
async fn take_opt() -> u32 {
    let a = yield_!(0).unwrap_or(1);
    let b = yield_!(a).unwrap_or(2);
    a * 10 + b
}

#[async_generator(yield = u32, send = u32)]
async fn mixed() {
    // The send type differs (`u32: Into<Option<u32>>`): full forwarding.
    let got = yield_from_!(take_opt());
    yield_!(got);
    yield_from_!(futures::stream::iter([7, 8]));
}

struct Table {
    rows: Vec<u32>,
}

impl Table {
    #[async_generator(yield = u32)]
    async fn rows(&self) -> usize {
        for row in &self.rows {
            yield_!(*row);
        }
        self.rows.len()
    }
}

#[derive(Debug, PartialEq)]
struct Bad(String);

impl From<std::num::ParseIntError> for Bad {
    fn from(e: std::num::ParseIntError) -> Self {
        Bad(e.to_string())
    }
}

#[async_generator(yield = u32)]
async fn parse<'a>(words: &'a [&'a str]) -> Result<(), Bad> {
    for w in words {
        yield_!(w.parse::<u32>()?);
    }
    Ok(())
}

#[async_generator(yield = u32, send = u32)]
async fn catcher(log: &RefCell<Vec<String>>) -> Result<u32, String> {
    let mut total = 0;
    loop {
        match yield_catch_!(total) {
            Ok(n) => total += n,
            Err(Thrown::Error(e)) if e == "reset" => total = 0,
            Err(Thrown::Error(e)) => raise_!(e),
            Err(Thrown::GeneratorExit) => {
                async { log.borrow_mut().push(format!("closing at {total}")) }.await;
                raise_!(Thrown::GeneratorExit);
            }
            Err(other) => raise_!(other),
        }
    }
}

async fn helper(mut co: Yielder<'_, u32>, base: u32) {
    co.yield_(base).await;
    co.yield_(base + 1).await;
}

#[async_generator(yield = u32)]
async fn with_helper() {
    helper(co!(), 10).await;
    yield_!(99);
}

#[test]
fn argument_delegated_in_place() {
    block_on(async {
        let mut g = pin!(forward(count(3)));
        let mut seen = Vec::new();
        loop {
            match g.as_mut().anext().await {
                Ok(v) => seen.push(v),
                Err(Error::StopAsyncIteration(ret)) => {
                    assert_eq!(ret, Some(31));
                    break;
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(seen, [0, 1, 2, 30]);
        assert_eq!(g.state(), GenState::Closed);
    });
}

#[test]
fn nested_forwarders() {
    block_on(async {
        let g = pin!(forward(forward(count(2))));
        assert_eq!(g.collect::<Vec<_>>().await, [0, 1, 20, 21]);
    });
}

#[test]
fn delegation_to_other_kinds() {
    block_on(async {
        let g = pin!(mixed());
        // The stream sends `u32::default()` = 0, which arrives as `Some(0)`.
        assert_eq!(g.collect::<Vec<_>>().await, [0, 0, 0, 7, 8]);
        let mut g = pin!(mixed());
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().asend(3).await, Ok(3));
        assert_eq!(g.as_mut().asend(4).await, Ok(34));
        assert_eq!(g.as_mut().anext().await, Ok(7));
    });
}

#[test]
fn method_with_self() {
    let table = Table {
        rows: vec![4, 5, 6],
    };
    block_on(async {
        let mut g = pin!(table.rows());
        assert_eq!(g.as_mut().anext().await, Ok(4));
        assert_eq!(g.as_mut().anext().await, Ok(5));
        assert_eq!(g.as_mut().anext().await, Ok(6));
        assert!(matches!(
            g.as_mut().anext().await,
            Err(Error::StopAsyncIteration(Some(3)))
        ));
    });
}

#[test]
fn fallible_with_question_mark() {
    block_on(async {
        let words = ["1", "2", "x", "4"];
        let items: Vec<Result<u32, Bad>> = pin!(parse(&words)).collect().await;
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], Ok(1));
        assert_eq!(items[1], Ok(2));
        assert!(items[2].is_err());
    });
}

#[test]
fn catch_and_raise() {
    let log = RefCell::new(Vec::new());
    block_on(async {
        let mut g = pin!(catcher(&log));
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(g.as_mut().asend(5).await, Ok(5));
        assert_eq!(g.as_mut().athrow(String::from("reset")).await, Ok(Some(0)));
        assert_eq!(g.as_mut().asend(2).await, Ok(2));
        assert_eq!(g.as_mut().aclose().await, Ok(()));
        assert_eq!(g.state(), GenState::Closed);
    });
    assert_eq!(*log.borrow(), ["closing at 2"]);

    block_on(async {
        let mut g = pin!(catcher(&log));
        assert_eq!(g.as_mut().anext().await, Ok(0));
        assert_eq!(
            g.as_mut().athrow(String::from("fatal")).await,
            Err(Error::Raised("fatal".to_string()))
        );
        assert_eq!(g.state(), GenState::Closed);
    });
}

#[test]
fn helper_through_co() {
    block_on(async {
        let g = pin!(with_helper());
        assert_eq!(g.collect::<Vec<_>>().await, [10, 11, 99]);
    });
}

#[test]
fn inline_generators() {
    block_on(async {
        let evens = async_gen!(yield = u32 => {
            for i in 0..3 {
                yield_!(i * 2);
            }
        });
        assert_eq!(evens.collect::<Vec<_>>().await, [0, 2, 4]);

        let mut g = pin!(
            async_gen!(yield = u32, send = u32, return = Result<u32, String> => {
                let inner = async_gen!(yield = u32, send = u32, return = Result<u32, String> => {
                    let a = yield_!(1);
                    Ok(a)
                });
                let got = yield_from_!(inner)?;
                match yield_from_catch_!(async_gen!(yield = u32, send = u32, return = Result<(), String> => {
                    loop { yield_!(100); }
                })) {
                    Ok(Ok(())) => Ok(got),
                    Ok(Err(e)) => Err(e),
                    Err(Thrown::GeneratorExit) => Ok(got + 1000),
                    Err(Thrown::Error(e)) => Err(e),
                    Err(other) => raise_!(other),
                }
            })
        );
        assert_eq!(g.as_mut().anext().await, Ok(1));
        assert_eq!(g.as_mut().asend(42).await, Ok(100));
        // The outer catches the exit at its delegation point and returns.
        assert_eq!(g.as_mut().aclose().await, Ok(()));
        assert_eq!(g.state(), GenState::Closed);
    });
}
