//! agen against its peers: the same workloads for every contender,
//! driven by the same minimal executor.
//!
//! Workloads (each contender's version of a workload does the same work):
//!
//! - `yield_sum`: the generator yields the integers `0..N` (`u64`); the
//!   consumer sums them through `next().await` (one row also through agen's
//!   `anext()`).
//! - `ping_pong`: after one priming resumption, the consumer sends `k` and
//!   the generator yields `k + 1`, `N` round trips. Only contenders that can
//!   take a value in: agen (`asend`), a hand-written resumable machine with a
//!   `send` method, genawaiter (`resume_with`).
//! - `fallible`: a body returning `Result` that applies `?` to a check before
//!   each of its `N` yields (the check never fails, but the optimiser cannot
//!   know that: the failing value is a `black_box`).
//! - `create_drop`: `N` times: create a generator, take its first item, drop
//!   it while it is suspended.
//! - `delegate` (depth 1, 4, 16, 64): comes with `yield_from_!`; see the
//!   marked place below.
//!
//! Contenders: agen; a hand-written `impl Stream` state machine (the
//! practical limit; for `ping_pong` a hand-written resumable machine with a
//! `send` method); `async-stream`; genawaiter, both its `rc` flavour (what the
//! issue's numbers used: the body future is boxed and the airlock is an
//! `Rc<Cell<_>>`) and its `stack` flavour (no allocation, the closest peer);
//! `futures::stream::unfold` (`try_unfold` for `fallible`). Beside agen,
//! its owned, finalizable form (`agen_owned`: `Finalizable`, no hooks in
//! scope) on `yield_sum` and `create_drop`, and on `create_drop` the same
//! under a registry (`agen_finalized`: registered at the first call, its
//! cleanup run when it is dropped unfinished).
//!
//! The executor is one no-op-waker poll loop ([`block_on`]), so only the
//! generators differ. Every consumer passes each item through
//! [`black_box`], or LLVM folds the sum away.
//!
//! Two modes:
//!
//! - `cargo bench -p agen-benches`: divan timings, `N` = [`N`] items per
//!   iteration (per-item time = median / `N`).
//! - `peers --one WORKLOAD CONTENDER N`: runs one workload once for `N` items
//!   and prints its result; `peers --list` prints the `WORKLOAD CONTENDER`
//!   pairs. `benches/callgrind.sh` runs this under callgrind at two `N` and
//!   reports instructions per item.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use agen::{AsyncGeneratorExt, LocalBoxAsyncGenerator, async_generator, yield_, yield_from_};
use futures::StreamExt;
use futures::stream::Stream;
use genawaiter::GeneratorState;

/// Items (or generators, for `create_drop`) per divan iteration.
const N: u64 = 10_000;

/// How many items the `create_drop` generators could yield (only the first
/// is taken).
const CREATE_DROP_LEN: u64 = 16;

// ---------------------------------------------------------------------------
// The executor shared by every contender.
// ---------------------------------------------------------------------------

/// Polls `future` to completion with a no-op waker. None of the workloads
/// ever waits, so this never spins more than once per `Ready`.
#[inline(always)]
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// Sums a stream of `u64` through `next().await`.
#[inline(always)]
async fn sum_stream<S: Stream<Item = u64>>(stream: S) -> u64 {
    let mut stream = pin!(stream);
    let mut sum = 0u64;
    while let Some(x) = stream.next().await {
        sum = sum.wrapping_add(black_box(x));
    }
    sum
}

/// Sums a stream of `Result<u64, Fail>`; an error ends the sum (never
/// happens, see [`check`]).
#[inline(always)]
async fn sum_try_stream<S: Stream<Item = Result<u64, Fail>>>(stream: S) -> u64 {
    let mut stream = pin!(stream);
    let mut sum = 0u64;
    while let Some(item) = stream.next().await {
        match item {
            Ok(x) => sum = sum.wrapping_add(black_box(x)),
            Err(Fail) => return u64::MAX,
        }
    }
    sum
}

/// Takes the first item of a stream (then the caller drops the stream).
#[inline(always)]
async fn first_of<S: Stream<Item = u64>>(stream: S) -> u64 {
    let mut stream = pin!(stream);
    stream.next().await.unwrap_or(u64::MAX)
}

// ---------------------------------------------------------------------------
// `fallible`: the check every contender applies `?` to.
// ---------------------------------------------------------------------------

/// The error of the `fallible` workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fail;

/// Fails when `i == fail_at`. Callers pass `black_box(u64::MAX)`, so the
/// error path stays in the code but is never taken.
#[inline(always)]
fn check(i: u64, fail_at: u64) -> Result<u64, Fail> {
    if i == fail_at { Err(Fail) } else { Ok(i) }
}

// ---------------------------------------------------------------------------
// agen
// ---------------------------------------------------------------------------

#[async_generator(yield = u64)]
async fn agen_count(n: u64) {
    for i in 0..n {
        yield_!(i);
    }
}

#[async_generator(yield = u64, send = u64)]
async fn agen_pong() {
    let mut k = yield_!(0);
    loop {
        k = yield_!(k + 1);
    }
}

#[async_generator(yield = u64)]
async fn agen_fallible(n: u64, fail_at: u64) -> Result<(), Fail> {
    for i in 0..n {
        let v = check(i, fail_at)?;
        yield_!(v);
    }
    Ok(())
}

fn yield_sum_agen(n: u64) -> u64 {
    block_on(sum_stream(agen_count(n)))
}

fn yield_sum_agen_anext(n: u64) -> u64 {
    block_on(async {
        let mut g = pin!(agen_count(n));
        let mut sum = 0u64;
        while let Ok(x) = g.as_mut().anext().await {
            sum = sum.wrapping_add(black_box(x));
        }
        sum
    })
}

/// The owned, finalizable form (no hooks in scope): a lock per call.
fn yield_sum_agen_owned(n: u64) -> u64 {
    block_on(sum_stream(agen::hooks::Finalizable::new(agen_count(n))))
}

fn ping_pong_agen(n: u64) -> u64 {
    block_on(async {
        let mut g = pin!(agen_pong());
        let Ok(mut k) = g.as_mut().anext().await else {
            return u64::MAX;
        };
        for _ in 0..n {
            let Ok(next) = g.as_mut().asend(k).await else {
                return u64::MAX;
            };
            k = black_box(next);
        }
        k
    })
}

fn fallible_agen(n: u64) -> u64 {
    let fail_at = black_box(u64::MAX);
    block_on(sum_try_stream(agen_fallible(n, fail_at)))
}

fn create_drop_agen(n: u64) -> u64 {
    block_on(async {
        let mut sum = 0u64;
        for _ in 0..n {
            sum = sum.wrapping_add(black_box(
                first_of(agen_count(black_box(CREATE_DROP_LEN))).await,
            ));
        }
        sum
    })
}

/// The owned form, per generator: one allocation, no hooks in scope.
fn create_drop_agen_owned(n: u64) -> u64 {
    block_on(async {
        let mut sum = 0u64;
        for _ in 0..n {
            let g = agen::hooks::Finalizable::new(agen_count(black_box(CREATE_DROP_LEN)));
            sum = sum.wrapping_add(black_box(first_of(g).await));
        }
        sum
    })
}

/// The owned form under a registry, per generator: registered at its first
/// call, finalized when dropped unfinished (its cleanup run at once by the
/// spawner, as an executor would run it later).
fn create_drop_agen_finalized(n: u64) -> u64 {
    let registry = agen::hooks::Registry::new(block_on);
    let _scope = registry.enter();
    let sum = create_drop_agen_owned(n);
    assert!(registry.take_errors().is_empty());
    sum
}

// ---------------------------------------------------------------------------
// Hand-written state machines: the practical limit.
// ---------------------------------------------------------------------------

/// `for i in 0..n { yield i }` as a hand-written `Stream`.
struct HandCount {
    next: u64,
    end: u64,
}

impl HandCount {
    fn new(n: u64) -> Self {
        HandCount { next: 0, end: n }
    }
}

impl Stream for HandCount {
    type Item = u64;

    #[inline]
    fn poll_next(self: std::pin::Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u64>> {
        let this = self.get_mut();
        if this.next < this.end {
            let i = this.next;
            this.next += 1;
            Poll::Ready(Some(i))
        } else {
            Poll::Ready(None)
        }
    }
}

/// `for i in 0..n { yield check(i)? }` as a hand-written `Stream`: after an
/// error it is finished.
struct HandFallible {
    next: u64,
    end: u64,
    fail_at: u64,
}

impl Stream for HandFallible {
    type Item = Result<u64, Fail>;

    #[inline]
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<u64, Fail>>> {
        let this = self.get_mut();
        if this.next >= this.end {
            return Poll::Ready(None);
        }
        let i = this.next;
        match check(i, this.fail_at) {
            Ok(v) => {
                this.next += 1;
                Poll::Ready(Some(Ok(v)))
            }
            Err(e) => {
                this.next = this.end;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

/// `k = yield 0; loop { k = yield k + 1 }` as a hand-written resumable
/// machine: the first `send` starts it (its value is ignored, like
/// Python's `send(None)`), each later one resumes the yield.
struct HandPong {
    state: PongState,
}

enum PongState {
    Created,
    Suspended,
    #[allow(dead_code)] // a real machine has it; this body never returns
    Done,
}

impl HandPong {
    fn new() -> Self {
        HandPong {
            state: PongState::Created,
        }
    }

    #[inline]
    fn poll_send(&mut self, _cx: &mut Context<'_>, k: u64) -> Poll<Option<u64>> {
        Poll::Ready(match self.state {
            PongState::Created => {
                self.state = PongState::Suspended;
                Some(0)
            }
            PongState::Suspended => Some(k + 1),
            PongState::Done => None,
        })
    }

    #[inline]
    fn send(&mut self, k: u64) -> impl Future<Output = Option<u64>> + '_ {
        std::future::poll_fn(move |cx| self.poll_send(cx, k))
    }
}

fn yield_sum_hand(n: u64) -> u64 {
    block_on(sum_stream(HandCount::new(n)))
}

fn ping_pong_hand(n: u64) -> u64 {
    block_on(async {
        let mut g = HandPong::new();
        let Some(mut k) = g.send(0).await else {
            return u64::MAX;
        };
        for _ in 0..n {
            let Some(next) = g.send(k).await else {
                return u64::MAX;
            };
            k = black_box(next);
        }
        k
    })
}

fn fallible_hand(n: u64) -> u64 {
    let fail_at = black_box(u64::MAX);
    block_on(sum_try_stream(HandFallible {
        next: 0,
        end: n,
        fail_at,
    }))
}

fn create_drop_hand(n: u64) -> u64 {
    block_on(async {
        let mut sum = 0u64;
        for _ in 0..n {
            sum = sum.wrapping_add(black_box(
                first_of(HandCount::new(black_box(CREATE_DROP_LEN))).await,
            ));
        }
        sum
    })
}

// ---------------------------------------------------------------------------
// async-stream
// ---------------------------------------------------------------------------

fn async_stream_count(n: u64) -> impl Stream<Item = u64> {
    async_stream::stream! {
        for i in 0..n {
            yield i;
        }
    }
}

fn async_stream_fallible(n: u64, fail_at: u64) -> impl Stream<Item = Result<u64, Fail>> {
    async_stream::try_stream! {
        for i in 0..n {
            let v = check(i, fail_at)?;
            yield v;
        }
    }
}

fn yield_sum_async_stream(n: u64) -> u64 {
    block_on(sum_stream(async_stream_count(n)))
}

fn fallible_async_stream(n: u64) -> u64 {
    let fail_at = black_box(u64::MAX);
    block_on(sum_try_stream(async_stream_fallible(n, fail_at)))
}

fn create_drop_async_stream(n: u64) -> u64 {
    block_on(async {
        let mut sum = 0u64;
        for _ in 0..n {
            sum = sum.wrapping_add(black_box(
                first_of(async_stream_count(black_box(CREATE_DROP_LEN))).await,
            ));
        }
        sum
    })
}

// ---------------------------------------------------------------------------
// genawaiter, `rc` flavour: `Gen::new` boxes the body future and shares an
// `Rc<Cell<Next>>` airlock with it. Without its `futures03` feature it is not
// a `Stream`: the consumer awaits `async_resume()` (or, to send a value in,
// calls `resume_with`, which polls the body with genawaiter's own no-op
// waker: genawaiter has no async resume that takes a value).
// ---------------------------------------------------------------------------

mod gen_rc {
    use super::{Fail, check};
    use genawaiter::rc::{Co, Gen};
    use std::future::Future;

    pub fn count(n: u64) -> Gen<u64, (), impl Future<Output = ()>> {
        Gen::new(move |co: Co<u64>| async move {
            for i in 0..n {
                co.yield_(i).await;
            }
        })
    }

    pub fn pong() -> Gen<u64, u64, impl Future<Output = ()>> {
        Gen::new(|co: Co<u64, u64>| async move {
            let mut k = co.yield_(0).await;
            loop {
                k = co.yield_(k + 1).await;
            }
        })
    }

    pub fn fallible(n: u64, fail_at: u64) -> Gen<u64, (), impl Future<Output = Result<(), Fail>>> {
        Gen::new(move |co: Co<u64>| async move {
            for i in 0..n {
                let v = check(i, fail_at)?;
                co.yield_(v).await;
            }
            Ok(())
        })
    }
}

fn yield_sum_genawaiter_rc(n: u64) -> u64 {
    block_on(async {
        let mut g = gen_rc::count(n);
        let mut sum = 0u64;
        while let GeneratorState::Yielded(x) = g.async_resume().await {
            sum = sum.wrapping_add(black_box(x));
        }
        sum
    })
}

fn ping_pong_genawaiter_rc(n: u64) -> u64 {
    block_on(async {
        let mut g = gen_rc::pong();
        let GeneratorState::Yielded(mut k) = g.resume_with(0) else {
            return u64::MAX;
        };
        for _ in 0..n {
            let GeneratorState::Yielded(next) = g.resume_with(k) else {
                return u64::MAX;
            };
            k = black_box(next);
        }
        k
    })
}

fn fallible_genawaiter_rc(n: u64) -> u64 {
    let fail_at = black_box(u64::MAX);
    block_on(async {
        let mut g = gen_rc::fallible(n, fail_at);
        let mut sum = 0u64;
        loop {
            match g.async_resume().await {
                GeneratorState::Yielded(x) => sum = sum.wrapping_add(black_box(x)),
                GeneratorState::Complete(Ok(())) => return sum,
                GeneratorState::Complete(Err(Fail)) => return u64::MAX,
            }
        }
    })
}

fn create_drop_genawaiter_rc(n: u64) -> u64 {
    block_on(async {
        let mut sum = 0u64;
        for _ in 0..n {
            let mut g = gen_rc::count(black_box(CREATE_DROP_LEN));
            let first = match g.async_resume().await {
                GeneratorState::Yielded(x) => x,
                GeneratorState::Complete(()) => u64::MAX,
            };
            sum = sum.wrapping_add(black_box(first));
        }
        sum
    })
}

// ---------------------------------------------------------------------------
// genawaiter, `stack` flavour: the body future and airlock live in a
// `Shelf` on the caller's stack (`let_gen_using!`); no allocation.
// ---------------------------------------------------------------------------

mod gen_stack {
    use super::{Fail, check};
    use genawaiter::stack::Co;

    pub async fn count(co: Co<'_, u64>, n: u64) {
        for i in 0..n {
            co.yield_(i).await;
        }
    }

    pub async fn pong(co: Co<'_, u64, u64>) {
        let mut k = co.yield_(0).await;
        loop {
            k = co.yield_(k + 1).await;
        }
    }

    pub async fn fallible(co: Co<'_, u64>, n: u64, fail_at: u64) -> Result<(), Fail> {
        for i in 0..n {
            let v = check(i, fail_at)?;
            co.yield_(v).await;
        }
        Ok(())
    }
}

fn yield_sum_genawaiter_stack(n: u64) -> u64 {
    block_on(async {
        genawaiter::stack::let_gen_using!(g, |co| gen_stack::count(co, n));
        let mut sum = 0u64;
        while let GeneratorState::Yielded(x) = g.async_resume().await {
            sum = sum.wrapping_add(black_box(x));
        }
        sum
    })
}

fn ping_pong_genawaiter_stack(n: u64) -> u64 {
    block_on(async {
        genawaiter::stack::let_gen_using!(g, gen_stack::pong);
        let GeneratorState::Yielded(mut k) = g.resume_with(0) else {
            return u64::MAX;
        };
        for _ in 0..n {
            let GeneratorState::Yielded(next) = g.resume_with(k) else {
                return u64::MAX;
            };
            k = black_box(next);
        }
        k
    })
}

fn fallible_genawaiter_stack(n: u64) -> u64 {
    let fail_at = black_box(u64::MAX);
    block_on(async {
        genawaiter::stack::let_gen_using!(g, |co| gen_stack::fallible(co, n, fail_at));
        let mut sum = 0u64;
        loop {
            match g.async_resume().await {
                GeneratorState::Yielded(x) => sum = sum.wrapping_add(black_box(x)),
                GeneratorState::Complete(Ok(())) => return sum,
                GeneratorState::Complete(Err(Fail)) => return u64::MAX,
            }
        }
    })
}

fn create_drop_genawaiter_stack(n: u64) -> u64 {
    block_on(async {
        let mut sum = 0u64;
        for _ in 0..n {
            let len = black_box(CREATE_DROP_LEN);
            genawaiter::stack::let_gen_using!(g, |co| gen_stack::count(co, len));
            let first = match g.async_resume().await {
                GeneratorState::Yielded(x) => x,
                GeneratorState::Complete(()) => u64::MAX,
            };
            sum = sum.wrapping_add(black_box(first));
        }
        sum
    })
}

// ---------------------------------------------------------------------------
// futures::stream::unfold / try_unfold
// ---------------------------------------------------------------------------

fn unfold_count(n: u64) -> impl Stream<Item = u64> {
    futures::stream::unfold(0u64, move |i| async move {
        if i < n { Some((i, i + 1)) } else { None }
    })
}

fn unfold_fallible(n: u64, fail_at: u64) -> impl Stream<Item = Result<u64, Fail>> {
    futures::stream::try_unfold(0u64, move |i| async move {
        if i < n {
            let v = check(i, fail_at)?;
            Ok(Some((v, i + 1)))
        } else {
            Ok(None)
        }
    })
}

fn yield_sum_unfold(n: u64) -> u64 {
    block_on(sum_stream(unfold_count(n)))
}

fn fallible_unfold(n: u64) -> u64 {
    let fail_at = black_box(u64::MAX);
    block_on(sum_try_stream(unfold_fallible(n, fail_at)))
}

fn create_drop_unfold(n: u64) -> u64 {
    block_on(async {
        let mut sum = 0u64;
        for _ in 0..n {
            sum = sum.wrapping_add(black_box(
                first_of(unfold_count(black_box(CREATE_DROP_LEN))).await,
            ));
        }
        sum
    })
}

// ---------------------------------------------------------------------------
// delegate (depth 1, 4, 16, 64): a chain of `depth` generators, each
// delegating to the next, the innermost yielding `0..N`; the consumer sums
// through `next().await`. Every level is boxed (recursion needs it, and it
// keeps nested peer types from exploding compile times), for every contender.
// ---------------------------------------------------------------------------

type BoxedU64Stream = std::pin::Pin<Box<dyn Stream<Item = u64>>>;

#[async_generator(yield = u64)]
async fn agen_level(depth: u32, n: u64) {
    if depth == 0 {
        for i in 0..n {
            yield_!(i);
        }
    } else {
        yield_from_!(LocalBoxAsyncGenerator::<'_, u64>::new(agen_level(
            depth - 1,
            n
        )));
    }
}

fn delegate_agen(depth: u32, n: u64) -> u64 {
    block_on(sum_stream(agen_level(depth, n)))
}

fn async_stream_level(depth: u32, n: u64) -> BoxedU64Stream {
    if depth == 0 {
        Box::pin(async_stream::stream! {
            for i in 0..n {
                yield i;
            }
        })
    } else {
        Box::pin(async_stream::stream! {
            let mut inner = async_stream_level(depth - 1, n);
            while let Some(x) = inner.next().await {
                yield x;
            }
        })
    }
}

fn delegate_async_stream(depth: u32, n: u64) -> u64 {
    block_on(sum_stream(async_stream_level(depth, n)))
}

/// Hand-written: a forwarding `Stream` per level.
struct Forward(BoxedU64Stream);

impl Stream for Forward {
    type Item = u64;
    fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        self.0.as_mut().poll_next(cx)
    }
}

fn hand_level(depth: u32, n: u64) -> BoxedU64Stream {
    if depth == 0 {
        Box::pin(HandCount::new(n))
    } else {
        Box::pin(Forward(hand_level(depth - 1, n)))
    }
}

fn delegate_hand(depth: u32, n: u64) -> u64 {
    block_on(sum_stream(hand_level(depth, n)))
}

macro_rules! delegate_rows {
    ($($depth:literal => $agen:ident, $stream:ident, $hand:ident;)*) => {
        $(
            fn $agen(n: u64) -> u64 { delegate_agen($depth, n) }
            fn $stream(n: u64) -> u64 { delegate_async_stream($depth, n) }
            fn $hand(n: u64) -> u64 { delegate_hand($depth, n) }
        )*
        static DELEGATE: &[Contender] = &[
            $(
                c(concat!("agen_d", $depth), $agen),
                c(concat!("async_stream_d", $depth), $stream),
                c(concat!("hand_d", $depth), $hand),
            )*
        ];
    };
}

delegate_rows! {
    1 => delegate_agen_1, delegate_async_stream_1, delegate_hand_1;
    4 => delegate_agen_4, delegate_async_stream_4, delegate_hand_4;
    16 => delegate_agen_16, delegate_async_stream_16, delegate_hand_16;
    64 => delegate_agen_64, delegate_async_stream_64, delegate_hand_64;
}

// ---------------------------------------------------------------------------
// forward (depth 1, 4, 16): the same chain without boxes, each level a
// generic forwarder that takes the level below as its argument (statically
// nested types). agen delegates with `yield_from_!(inner)`; async-stream and
// the hand-written forwarder pull each item through a `while let` loop.
// (async-stream has no depth-16 row: its forwarder stores the level below
// twice, so 16 levels take megabytes and overflow the main thread's stack.)
// ---------------------------------------------------------------------------

#[async_generator(yield = u64)]
async fn agen_forward<G>(inner: G)
where
    G: agen::GeneratorOutput<Yield = u64, Send = (), Error = std::convert::Infallible, Output = ()>,
{
    yield_from_!(inner);
}

fn async_stream_forward<S: Stream<Item = u64>>(inner: S) -> impl Stream<Item = u64> {
    async_stream::stream! {
        let mut inner = pin!(inner);
        while let Some(x) = inner.next().await {
            yield x;
        }
    }
}

struct HandForward<S>(S);

impl<S: Stream<Item = u64> + Unpin> Stream for HandForward<S> {
    type Item = u64;
    #[inline]
    fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        std::pin::Pin::new(&mut self.0).poll_next(cx)
    }
}

/// Wraps `$leaf` in `$wrap` once per `$level` token.
macro_rules! nest {
    ($wrap:ident, $leaf:expr; $($level:tt)*) => {{
        let g = $leaf;
        $( let g = { let _ = $level; $wrap(g) }; )*
        g
    }};
}

fn forward_agen_1(n: u64) -> u64 {
    block_on(sum_stream(nest!(agen_forward, agen_count(n); 1)))
}
fn forward_agen_4(n: u64) -> u64 {
    block_on(sum_stream(nest!(agen_forward, agen_count(n); 1 2 3 4)))
}
fn forward_agen_16(n: u64) -> u64 {
    block_on(sum_stream(
        nest!(agen_forward, agen_count(n); 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16),
    ))
}
fn forward_async_stream_1(n: u64) -> u64 {
    block_on(sum_stream(
        nest!(async_stream_forward, async_stream_count(n); 1),
    ))
}
fn forward_async_stream_4(n: u64) -> u64 {
    block_on(sum_stream(
        nest!(async_stream_forward, async_stream_count(n); 1 2 3 4),
    ))
}
fn hand_forward(
    g: impl Stream<Item = u64> + Unpin,
) -> HandForward<impl Stream<Item = u64> + Unpin> {
    HandForward(g)
}
fn forward_hand_1(n: u64) -> u64 {
    block_on(sum_stream(nest!(hand_forward, HandCount::new(n); 1)))
}
fn forward_hand_4(n: u64) -> u64 {
    block_on(sum_stream(nest!(hand_forward, HandCount::new(n); 1 2 3 4)))
}
fn forward_hand_16(n: u64) -> u64 {
    block_on(sum_stream(
        nest!(hand_forward, HandCount::new(n); 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16),
    ))
}

static FORWARD: &[Contender] = &[
    c("agen_d1", forward_agen_1),
    c("async_stream_d1", forward_async_stream_1),
    c("hand_d1", forward_hand_1),
    c("agen_d4", forward_agen_4),
    c("async_stream_d4", forward_async_stream_4),
    c("hand_d4", forward_hand_4),
    c("agen_d16", forward_agen_16),
    c("hand_d16", forward_hand_16),
];

// ---------------------------------------------------------------------------
// The tables: one row per contender, shared by divan and `--one`.
// ---------------------------------------------------------------------------

/// One contender's version of a workload: `run(n)` does `n` items (or `n`
/// generators) and returns the consumer's checksum.
struct Contender {
    name: &'static str,
    run: fn(u64) -> u64,
}

impl std::fmt::Display for Contender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

const fn c(name: &'static str, run: fn(u64) -> u64) -> Contender {
    Contender { name, run }
}

static YIELD_SUM: &[Contender] = &[
    c("agen", yield_sum_agen),
    c("agen_anext", yield_sum_agen_anext),
    c("agen_owned", yield_sum_agen_owned),
    c("hand", yield_sum_hand),
    c("async_stream", yield_sum_async_stream),
    c("genawaiter_rc", yield_sum_genawaiter_rc),
    c("genawaiter_stack", yield_sum_genawaiter_stack),
    c("unfold", yield_sum_unfold),
];

static PING_PONG: &[Contender] = &[
    c("agen", ping_pong_agen),
    c("hand", ping_pong_hand),
    c("genawaiter_rc", ping_pong_genawaiter_rc),
    c("genawaiter_stack", ping_pong_genawaiter_stack),
];

static FALLIBLE: &[Contender] = &[
    c("agen", fallible_agen),
    c("hand", fallible_hand),
    c("async_stream", fallible_async_stream),
    c("genawaiter_rc", fallible_genawaiter_rc),
    c("genawaiter_stack", fallible_genawaiter_stack),
    c("unfold", fallible_unfold),
];

static CREATE_DROP: &[Contender] = &[
    c("agen", create_drop_agen),
    c("agen_owned", create_drop_agen_owned),
    c("agen_finalized", create_drop_agen_finalized),
    c("hand", create_drop_hand),
    c("async_stream", create_drop_async_stream),
    c("genawaiter_rc", create_drop_genawaiter_rc),
    c("genawaiter_stack", create_drop_genawaiter_stack),
    c("unfold", create_drop_unfold),
];

static WORKLOADS: &[(&str, &[Contender])] = &[
    ("yield_sum", YIELD_SUM),
    ("ping_pong", PING_PONG),
    ("fallible", FALLIBLE),
    ("create_drop", CREATE_DROP),
    ("delegate", DELEGATE),
    ("forward", FORWARD),
];

/// Expected checksums, so that every contender is checked to do the work.
fn expected(workload: &str, n: u64) -> u64 {
    match workload {
        "yield_sum" | "fallible" | "delegate" | "forward" => n.wrapping_mul(n.wrapping_sub(1)) / 2,
        "ping_pong" => n,
        "create_drop" => 0,
        _ => unreachable!("unknown workload {workload}"),
    }
}

// ---------------------------------------------------------------------------
// divan
// ---------------------------------------------------------------------------

mod benches {
    use super::{CREATE_DROP, Contender, DELEGATE, FALLIBLE, FORWARD, N, PING_PONG, YIELD_SUM};
    use divan::counter::ItemsCount;
    use divan::{Bencher, black_box};

    fn run(bencher: Bencher, contender: &Contender) {
        bencher
            .counter(ItemsCount::new(N))
            .bench(|| (contender.run)(black_box(N)));
    }

    #[divan::bench(args = YIELD_SUM)]
    fn yield_sum(bencher: Bencher, contender: &Contender) {
        run(bencher, contender);
    }

    #[divan::bench(args = PING_PONG)]
    fn ping_pong(bencher: Bencher, contender: &Contender) {
        run(bencher, contender);
    }

    #[divan::bench(args = FALLIBLE)]
    fn fallible(bencher: Bencher, contender: &Contender) {
        run(bencher, contender);
    }

    #[divan::bench(args = CREATE_DROP)]
    fn create_drop(bencher: Bencher, contender: &Contender) {
        run(bencher, contender);
    }

    #[divan::bench(args = DELEGATE)]
    fn delegate(bencher: Bencher, contender: &Contender) {
        run(bencher, contender);
    }

    #[divan::bench(args = FORWARD)]
    fn forward(bencher: Bencher, contender: &Contender) {
        run(bencher, contender);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--list") => {
            for (workload, contenders) in WORKLOADS {
                for contender in *contenders {
                    println!("{workload} {}", contender.name);
                }
            }
        }
        Some("--one") => {
            let [_, workload, name, n] = &args[..] else {
                panic!("usage: peers --one WORKLOAD CONTENDER N");
            };
            let n: u64 = n.parse().expect("N must be an integer");
            let (workload, contenders) = WORKLOADS
                .iter()
                .find(|(w, _)| w == workload)
                .unwrap_or_else(|| panic!("unknown workload {workload}"));
            let contender = contenders
                .iter()
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("no contender {name} in {workload}"));
            let got = (contender.run)(black_box(n));
            assert_eq!(got, expected(workload, n), "{workload}/{name}");
            println!("{got}");
        }
        _ => {
            // Every contender must compute the right checksum before it is
            // timed.
            for (workload, contenders) in WORKLOADS {
                for contender in *contenders {
                    assert_eq!(
                        (contender.run)(1000),
                        expected(workload, 1000),
                        "{workload}/{}",
                        contender.name
                    );
                }
            }
            divan::main();
        }
    }
}
