//! Deterministic costs of an agen generator (issue 5): heap allocations and
//! `size_of`. No timings here: those are `benches/peers.rs` and
//! `benches/callgrind.sh`.
//!
//! - Allocations: a counting global allocator, counting per thread (the test
//!   harness runs tests on several threads). An agen generator must allocate
//!   nothing, neither to exist nor per item, on any path (`Stream`, `anext`,
//!   `asend`, `?`, `athrow`, `aclose`, drop while suspended).
//! - Size: a generator is its body future plus one slot plus at most one
//!   word of bookkeeping (state, step, exit flag and whatever enum tags or
//!   padding they need).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

// The generator's concrete type is not public API; these tests read its type
// parameters to measure the body future exactly.
use agen::__private::{AsyncGen, Value};
use agen::{
    AsyncGeneratorExt, Thrown, async_gen, async_generator, raise_, yield_, yield_catch_,
    yield_from_,
};
use futures::StreamExt;

// ---------------------------------------------------------------------------
// Counting allocator
// ---------------------------------------------------------------------------

struct Counting;

thread_local! {
    // `const`-initialised and without a destructor: touching it never
    // allocates, so it is usable from inside the allocator.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the slot may already be gone while the thread exits.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards to `System`; counting touches no memory that the
// allocator hands out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (`alloc`, `alloc_zeroed`, `realloc`) made on this thread
/// while `f` runs.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    let after = ALLOCATIONS.with(Cell::get);
    (after - before, out)
}

/// A no-op-waker poll loop: unlike `futures::executor::block_on`, it
/// allocates nothing itself (no thread-local parker, no `Arc` waker).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

// ---------------------------------------------------------------------------
// Generators under test
// ---------------------------------------------------------------------------

#[async_generator(yield = u64)]
async fn count(n: u64) {
    for i in 0..n {
        yield_!(i);
    }
}

#[async_generator(yield = u64, send = u64)]
async fn pong() {
    let mut k = yield_!(0);
    loop {
        k = yield_!(k + 1);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fail(u64);

fn check(i: u64, fail_at: u64) -> Result<u64, Fail> {
    if i == fail_at { Err(Fail(i)) } else { Ok(i) }
}

#[async_generator(yield = u64)]
async fn fallible(n: u64, fail_at: u64) -> Result<u64, Fail> {
    let mut sum = 0;
    for i in 0..n {
        sum += check(i, fail_at)?;
        yield_!(i);
    }
    Ok(sum)
}

#[async_generator(yield = u64)]
async fn catching() -> Result<(), Fail> {
    let mut i = 0;
    loop {
        match yield_catch_!(i) {
            Ok(()) => i += 1,
            Err(Thrown::Error(Fail(k))) => i = k,
            Err(Thrown::GeneratorExit) => return Ok(()),
            Err(other) => raise_!(other),
        }
    }
}

// ---------------------------------------------------------------------------
// Allocations
// ---------------------------------------------------------------------------

#[test]
fn the_counter_counts() {
    let (n, b) = allocations(|| Box::new(black_box(7u64)));
    assert_eq!(n, 1);
    drop(b);
    let (n, _) = allocations(|| black_box(1u64) + 1);
    assert_eq!(n, 0);
}

#[test]
fn no_allocation_per_generator() {
    // Create, take the first item, drop while suspended; and create, drop
    // unstarted. Through the `Stream` and through `anext`.
    let (n, sum) = allocations(|| {
        block_on(async {
            let mut sum = 0;
            for _ in 0..1000 {
                let mut g = pin!(count(black_box(16)));
                sum += g.next().await.unwrap();
                let mut g = pin!(count(black_box(16)));
                sum += g.as_mut().anext().await.unwrap();
                drop(black_box(count(16)));
            }
            sum
        })
    });
    assert_eq!(sum, 0);
    assert_eq!(n, 0, "allocations for 1000 × 3 generators");
}

#[test]
fn no_allocation_per_item() {
    const N: u64 = 10_000;
    let (n, sum) = allocations(|| block_on(count(N).fold(0, |a, x| async move { a + x })));
    assert_eq!(sum, N * (N - 1) / 2);
    assert_eq!(n, 0, "Stream: allocations for {N} items");

    let (n, sum) = allocations(|| {
        block_on(async {
            let mut g = pin!(count(N));
            let mut sum = 0;
            while let Ok(x) = g.as_mut().anext().await {
                sum += x;
            }
            sum
        })
    });
    assert_eq!(sum, N * (N - 1) / 2);
    assert_eq!(n, 0, "anext: allocations for {N} items");

    let (n, k) = allocations(|| {
        block_on(async {
            let mut g = pin!(pong());
            let mut k = g.as_mut().anext().await.unwrap();
            for _ in 0..N {
                k = g.as_mut().asend(k).await.unwrap();
            }
            k
        })
    });
    assert_eq!(k, N);
    assert_eq!(n, 0, "asend: allocations for {N} round trips");

    let (n, sum) = allocations(|| {
        block_on(async {
            let mut g = pin!(fallible(N, u64::MAX));
            let mut sum = 0;
            while let Some(item) = g.next().await {
                sum += item.unwrap();
            }
            sum
        })
    });
    assert_eq!(sum, N * (N - 1) / 2);
    assert_eq!(n, 0, "fallible: allocations for {N} items");

    // The error path: `?` raises at item 100.
    let (n, (items, err)) = allocations(|| {
        block_on(async {
            let mut g = pin!(fallible(N, 100));
            let mut items = 0;
            loop {
                match g.as_mut().anext().await {
                    Ok(_) => items += 1,
                    Err(e) => return (items, e),
                }
            }
        })
    });
    assert_eq!(items, 100);
    assert!(matches!(err, agen::Error::Raised(Fail(100))));
    assert_eq!(n, 0, "fallible error path: allocations");

    // athrow caught at the yield, then aclose.
    let (n, last) = allocations(|| {
        block_on(async {
            let mut g = pin!(catching());
            let mut last = g.as_mut().anext().await.unwrap();
            for k in 0..N {
                last = g.as_mut().athrow(Fail(k)).await.unwrap().unwrap();
            }
            assert_eq!(g.as_mut().aclose().await, Ok(()));
            last
        })
    });
    assert_eq!(last, N - 1);
    assert_eq!(n, 0, "athrow/aclose: allocations for {N} throws");
}

// ---------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------

/// A variant-for-variant mirror of the runtime's private `Cell<Y, S, E>`
/// (runtime/src/slot.rs): the slot is an `UnsafeCell` of it plus a
/// `PhantomPinned`, neither of which adds bytes, so `size_of::<SlotMirror<Y,
/// S, E>>()` is the size of one slot. If the runtime's enum changes, change
/// this mirror with it.
#[allow(dead_code)]
enum SlotMirror<Y, S, E> {
    Created,
    Suspended,
    SuspendedCatch,
    Running,
    Closed,
    /// A registration: a thin pointer.
    Delegating(std::ptr::NonNull<u8>),
    DelegatingInFlight(std::ptr::NonNull<u8>),
    Sent(S),
    Thrown(Thrown<E>),
    Yielded(Y),
    YieldedCatch(Y),
    Raising(Thrown<E>),
    /// `Failed(Failure)`: a delegation failed; `Failure` is a fieldless
    /// two-variant enum.
    Failed(FailureMirror),
}

#[allow(dead_code)]
enum FailureMirror {
    IgnoredGeneratorExit,
    AlreadyFinished,
}

const WORD: usize = size_of::<usize>();

/// Size of the body future (`Fut`) and of the generator around it, read off
/// the generator's own type parameters: exact, no re-creation of the body.
fn parts<Y, S, E, K, Fut>(_: &AsyncGen<Y, S, E, K, Fut>) -> (usize, usize, usize) {
    (
        size_of::<AsyncGen<Y, S, E, K, Fut>>(),
        size_of::<Fut>(),
        size_of::<SlotMirror<Y, S, E>>(),
    )
}

/// Checks `generator ≤ body future + one slot + one word` for each
/// measurement, printing all of them (`--nocapture`) before failing on any.
#[derive(Default)]
struct Bound {
    failures: Vec<String>,
}

impl Bound {
    fn check(&mut self, what: &str, generator: usize, body: usize, slot: usize) {
        let overhead = generator as isize - body as isize - slot as isize;
        println!(
            "{what}: generator {generator} B = body future {body} B + slot {slot} B + {overhead} B"
        );
        if generator > body + slot + WORD {
            self.failures.push(format!(
                "{what}: size_of generator = {generator} B > body future {body} B + slot {slot} B \
                 + one word {WORD} B (bookkeeping {overhead} B)"
            ));
        }
    }

    fn finish(self) {
        assert!(self.failures.is_empty(), "{}", self.failures.join("\n"));
    }
}

/// `async_gen!` returns the concrete `AsyncGen<.., F, Fut>`, so `Fut` is the
/// macro's own body future, measured exactly.
#[test]
fn size_is_body_plus_slot_plus_one_word() {
    let n = black_box(10u64);
    let g = async_gen!(yield = u64 => {
        for i in 0..n {
            yield_!(i);
        }
    });
    let mut bound = Bound::default();
    let (generator, body, slot) = parts(&g);
    bound.check("async_gen! count", generator, body, slot);

    let g = async_gen!(yield = u64, send = u64 => {
        let mut k = yield_!(0);
        loop {
            k = yield_!(k + 1);
        }
    });
    let (generator, body, slot) = parts(&g);
    bound.check("async_gen! pong", generator, body, slot);

    let fail_at = black_box(u64::MAX);
    let g = async_gen!(yield = u64, return = Result<u64, Fail> => {
        let mut sum = 0;
        for i in 0..n {
            sum += check(i, fail_at)?;
            yield_!(i);
        }
        Ok(sum)
    });
    let (generator, body, slot) = parts(&g);
    bound.check("async_gen! fallible", generator, body, slot);

    // A large yield type: the slot is as big as the value it carries.
    let g = async_gen!(yield = [u64; 8] => {
        yield_!([n; 8]);
    });
    let (generator, body, slot) = parts(&g);
    bound.check("async_gen! [u64; 8]", generator, body, slot);
    bound.finish();
}

/// The `#[async_generator]` fn returns an opaque type, so its body future is
/// measured by writing the same body by hand: the future below is what the
/// macro expands `count` to (handle awaited first, argument captured, handle
/// lent as a `Yielder`, one `yield_(i).await` per `yield_!(i)`), given to the
/// unsafe constructor the macro calls.
#[test]
fn fn_form_is_body_plus_slot_plus_one_word() {
    let n = 10u64;
    let body = async move {
        // SAFETY: the first await; the handle stays in the body.
        let mut co = unsafe { agen::__private::handle::<u64, (), Infallible>() }.await;
        let _ = &n;
        let mut y = co.yielder();
        for i in 0..n {
            y.yield_(i).await;
        }
    };
    let body_size = size_of_val(&body);
    // SAFETY: as above.
    let by_hand = unsafe { AsyncGen::<u64, (), Infallible, Value, _>::new(body) };
    let (hand_generator, hand_body, slot) = parts(&by_hand);
    assert_eq!(body_size, hand_body);
    let generator = size_of_val(&count(n));
    // The macro adds nothing of its own around the same body.
    assert_eq!(generator, hand_generator);

    let mut bound = Bound::default();
    bound.check("hand-built AsyncGen count", hand_generator, body_size, slot);
    bound.check("#[async_generator] count", generator, body_size, slot);
    bound.finish();
}

// ---------------------------------------------------------------------------
// Size of nested forwarders
// ---------------------------------------------------------------------------

/// A forwarder that takes its inner generator as an argument and delegates
/// to it: the argument is pinned where the body future captured it, so each
/// level adds a constant, not a copy of everything below.
#[async_generator(yield = u64)]
async fn forward<G>(inner: G)
where
    G: agen::GeneratorOutput<Yield = u64, Send = (), Error = Infallible, Output = ()>,
{
    yield_from_!(inner);
}

/// Wraps `$g` in `forward` once per `$level` token, pushing the size at
/// each depth onto `$sizes`.
macro_rules! nest {
    ($g:ident, $sizes:ident; $($level:tt)*) => {
        $(
            let _ = $level;
            let $g = forward($g);
            $sizes.push(size_of_val(&$g));
        )*
    };
}

#[test]
fn nested_forwarders_deliver_every_item() {
    let g = count(3);
    let mut sizes = Vec::new();
    nest!(g, sizes; 1 2 3);
    let items: Vec<u64> = block_on(std::pin::pin!(g).collect());
    assert_eq!(items, [0, 1, 2]);
}

#[test]
fn statically_nested_forwarders_grow_linearly() {
    let g = count(3);
    let mut sizes = Vec::new();
    nest!(g, sizes; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    // Measured, not run: the layout is what is asserted (the test above
    // runs a chain), and leaking it keeps its drop glue out of the build.
    std::mem::forget(g);
    println!("forwarder sizes by depth 1..=16: {sizes:?}");
    let c = sizes[1] - sizes[0];
    assert!(c <= 128, "each level adds {c} B (> 128 B): {sizes:?}");
    for (i, size) in sizes.iter().enumerate() {
        assert_eq!(
            *size,
            sizes[0] + i * c,
            "size at depth {} is not linear: {sizes:?}",
            i + 1
        );
    }
}
