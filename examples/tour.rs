//! A guided tour of agen: run it with `cargo run --example tour`.
//!
//! Each section prints what it does and why, then what happened.

use std::pin::pin;
use std::time::Duration;

use agen::{
    AsyncGenerator, AsyncGeneratorExt, Error, RuntimeError, Thrown, Yielder, aclosing, async_gen,
    async_generator, co, raise_, yield_, yield_catch_, yield_from_,
};
use futures::{StreamExt, TryStreamExt};

fn section(title: &str, why: &str) {
    println!("\n== {title}\n   {why}");
}

// 1. The basics: an async fn that yields is a Stream.
#[async_generator(yield = u32)]
async fn countdown(from: u32) {
    for i in (0..=from).rev() {
        tokio::time::sleep(Duration::from_millis(1)).await; // real async work between items
        yield_!(i);
    }
}

// 2. Talking back: yield_! evaluates to what the consumer sends.
#[async_generator(yield = String, send = Option<String>)]
async fn echo() {
    let mut last = None;
    loop {
        last = yield_!(format!("got {last:?}"));
    }
}

// 3. A fallible body: `?` works, the Stream is a TryStream.
#[async_generator(yield = u32)]
async fn parse_all(words: Vec<&'static str>) -> Result<(), std::num::ParseIntError> {
    for w in words {
        yield_!(w.parse()?);
    }
    Ok(())
}

#[derive(Debug, PartialEq)]
enum Feed {
    Skip,
    Fatal(&'static str),
}

// 4/5. Catching what athrow/aclose inject, with async cleanup.
#[async_generator(yield = u32)]
async fn ticker() -> Result<(), Feed> {
    let mut n = 0;
    loop {
        match yield_catch_!(n) {
            Ok(()) => n += 1,
            Err(Thrown::Error(Feed::Skip)) => {
                println!("   [body] caught Skip: jumping ahead by 100");
                n += 100;
            }
            Err(Thrown::Error(fatal)) => {
                println!("   [body] caught {fatal:?}: giving up");
                return Err(fatal);
            }
            Err(Thrown::GeneratorExit) => {
                println!("   [body] aclose: flushing (awaits)...");
                tokio::time::sleep(Duration::from_millis(5)).await;
                println!("   [body] flushed, finishing");
                raise_!(Thrown::GeneratorExit);
            }
            // Anything else thrown in goes on up.
            Err(other) => raise_!(other),
        }
    }
}

// 8. Splitting a body into helpers that yield.
async fn header(mut co: Yielder<'_, String>, title: &str) {
    co.yield_(format!("# {title}")).await;
    co.yield_("-".repeat(title.len() + 2)).await;
}

#[async_generator(yield = String)]
async fn report(items: &[&str]) {
    header(co!(), "Report").await;
    for item in items {
        yield_!(format!("* {item}"));
    }
}

#[async_generator(yield = u32, send = u32)]
async fn slow_doubler() {
    let mut n = yield_!(0);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        n = yield_!(n * 2);
    }
}

// 10. Delegation: yield_from_! forwards items and calls, and evaluates to the
// inner's return value.
#[async_generator(yield = u32, send = u32)]
async fn adder() -> u32 {
    let mut total = 0;
    loop {
        let n = yield_!(total);
        if n == 0 {
            return total;
        }
        total += n;
    }
}

#[async_generator(yield = u32, send = u32)]
async fn two_adders() {
    let first = yield_from_!(adder());
    println!("   [body] first adder returned {first}");
    let second = yield_from_!(adder());
    println!("   [body] second adder returned {second}");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    section(
        "1. A generator is a Stream",
        "consume it with `while let Some(x) = g.next().await`",
    );
    let mut g = pin!(countdown(3));
    while let Some(n) = g.next().await {
        println!("   countdown -> {n}");
    }

    section(
        "2. asend",
        "yield_!(v) evaluates to the value the consumer sends in; anext() sends S::default()",
    );
    let mut g = pin!(echo());
    println!("   anext()          -> {:?}", g.as_mut().anext().await);
    println!(
        "   asend(Some(hi))  -> {:?}",
        g.as_mut().asend(Some("hi".into())).await
    );
    println!("   state            -> {}", g.state());

    section(
        "3. A fallible body",
        "`?` works; the Stream yields Result<Y, E>: Ok per item, the error once",
    );
    let result: Result<Vec<u32>, _> = parse_all(vec!["1", "2", "three"]).try_collect().await;
    println!("   try_collect      -> {result:?}");

    section(
        "4. athrow",
        "the body catches with yield_catch_!, or ends at a plain yield_! like an uncaught exception",
    );
    let mut g = pin!(ticker());
    println!("   anext()          -> {:?}", g.as_mut().anext().await);
    println!(
        "   athrow(Skip)     -> {:?}",
        g.as_mut().athrow(Feed::Skip).await
    );
    println!(
        "   athrow(Fatal)    -> {:?}",
        g.as_mut().athrow(Feed::Fatal("disk full")).await
    );
    println!("   state            -> {}", g.state());
    println!(
        "   anext()          -> {:?}   (finished: see the README's rule 4)",
        g.as_mut().anext().await
    );

    section(
        "5. aclose runs async cleanup",
        "GeneratorExit reaches the catch form, which may .await before finishing",
    );
    let mut g = pin!(ticker());
    g.as_mut().anext().await.unwrap();
    println!("   aclose()         -> {:?}", g.as_mut().aclose().await);
    println!("   state            -> {}", g.state());

    section(
        "6. The start rule",
        "asend(v) before the first anext is a TypeError and leaves the generator Created",
    );
    let mut g = pin!(slow_doubler());
    let err = g.as_mut().asend(7).await.unwrap_err();
    println!("   asend(7)         -> {err}");
    println!("   state            -> {}", g.state());
    println!("   anext()          -> {:?}", g.as_mut().anext().await);

    section(
        "7. Cancellation",
        "a dropped step stays Running; anext continues it, asend/athrow/aclose hand their value back",
    );
    {
        let step = g.as_mut().asend(21);
        let timed_out = tokio::time::timeout(Duration::from_millis(1), step)
            .await
            .is_err();
        println!(
            "   asend(21) timed out mid-step: {timed_out}; state -> {}",
            g.state()
        );
    }
    match g.as_mut().asend(99).await {
        Err(Error::RuntimeError(RuntimeError::AlreadyRunning(rejected))) => {
            println!("   asend(99)        -> already running, value handed back: {rejected:?}")
        }
        other => println!("   asend(99)        -> {other:?}"),
    }
    println!(
        "   anext()          -> {:?}   (the abandoned step, 21 * 2)",
        g.as_mut().anext().await
    );

    section(
        "8. Inline generators and helpers",
        "async_gen! for inline bodies; co!() lends the handle to helper fns",
    );
    let squares = async_gen!(yield = u32 => {
        for i in 1..=4 {
            yield_!(i * i);
        }
    });
    println!(
        "   async_gen!       -> {:?}",
        squares.collect::<Vec<_>>().await
    );
    for line in report(&["alpha", "beta"]).collect::<Vec<_>>().await {
        println!("   report           | {line}");
    }

    section(
        "9. PEP 479",
        "an exhausted inner generator's StopAsyncIteration leaking through `?` becomes RuntimeError",
    );
    type Inner = agen::GenError<
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
    let relay = async_gen!(yield = u32, return = Result<(), Inner> => {
        let mut inner = pin!(countdown(0));
        loop {
            let v = inner.as_mut().anext().await?;
            yield_!(v);
        }
    });
    let mut relay = pin!(relay);
    println!("   anext()          -> {:?}", relay.as_mut().anext().await);
    println!(
        "   anext()          -> {}",
        relay.as_mut().anext().await.unwrap_err()
    );

    section(
        "10. Delegation",
        "yield_from_! forwards items, asend/athrow/aclose to the inner; it evaluates to what the inner returns",
    );
    let mut g = pin!(two_adders());
    println!("   anext()          -> {:?}", g.as_mut().anext().await);
    println!(
        "   asend(5)         -> {:?}   (went to the inner adder)",
        g.as_mut().asend(5).await
    );
    println!("   asend(0)         -> {:?}", g.as_mut().asend(0).await);
    println!("   asend(7)         -> {:?}", g.as_mut().asend(7).await);

    section(
        "11. aclosing",
        "a scope that always acloses the generator, so its async cleanup runs even when you stop early",
    );
    let g = pin!(ticker());
    let (first, closed) = aclosing(g, async |mut g| g.next().await).await;
    println!("   took {first:?}, then aclose -> {closed:?}");
    println!(
        "   (with `--features tokio`, agen::tokio::install() does this for dropped generators:"
    );
    println!("    see `cargo run --example early_break --features tokio`)");

    println!("\nThat's the tour. See the README for the rules and design decisions.");
}
