//! Zero heap allocations to create, drive and drop a generator (SPEC §4).
//!
//! Its own test binary with `harness = false`: a counting global allocator
//! sees every allocation of the process, so nothing else may run meanwhile.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use agen::{AsyncGeneratorExt, Error, Thrown, async_generator, raise_, yield_, yield_catch_};
use futures::StreamExt;
use support::block_on;

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Debug, PartialEq)]
struct Skip;

#[async_generator(yield = u64, send = u64)]
async fn numbers(count: u64) -> Result<u64, Skip> {
    let mut sum = 0;
    let mut i = 0;
    while i < count {
        match yield_catch_!(i) {
            Ok(sent) => sum += sent,
            Err(Thrown::Error(Skip)) => i += 1,
            Err(thrown) => raise_!(thrown),
        }
        i += 1;
    }
    Ok(sum)
}

#[async_generator(yield = u64)]
async fn plain(count: u64) {
    for i in 0..count {
        yield_!(i);
    }
}

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

fn main() {
    let mut checks = 0;
    let mut failures = 0;
    let mut check = |name: &str, n: usize| {
        checks += 1;
        if n == 0 {
            println!("ok: {name}: 0 allocations");
        } else {
            failures += 1;
            println!("FAILED: {name}: {n} allocations");
        }
    };

    // The counter itself works: one Box is one allocation.
    assert_eq!(
        allocations_during(|| drop(std::hint::black_box(Box::new(1u8)))),
        1
    );

    // Create, drive to the end with every call, drop: 1,000 items.
    let n = allocations_during(|| {
        let mut g = pin!(numbers(1_000));
        block_on(async {
            assert_eq!(g.as_mut().anext().await, Ok(0));
            let mut yielded = 1;
            while let Ok(v) = g.as_mut().asend(1).await {
                yielded += 1;
                if v == 500 {
                    assert_eq!(g.as_mut().athrow(Skip).await, Ok(Some(502)));
                    yielded += 1;
                }
            }
            assert_eq!(yielded, 999);
            assert_eq!(g.as_mut().aclose().await, Ok(()));
            assert!(matches!(
                g.as_mut().anext().await,
                Err(Error::StopAsyncIteration(None))
            ));
        });
    });
    check("anext/asend/athrow/aclose over 1,000 items", n);

    let n = allocations_during(|| {
        let mut g = pin!(numbers(1_000));
        block_on(async {
            g.as_mut().anext().await.unwrap();
            g.as_mut().aclose().await.unwrap();
        });
    });
    check("aclose of a suspended generator", n);

    let n = allocations_during(|| {
        let g = pin!(plain(1_000));
        let sum = block_on(g.fold(0, |a, b| async move { a + b }));
        assert_eq!(sum, 499_500);
    });
    check("Stream of 1,000 items", n);

    let n = allocations_during(|| drop(plain(10)));
    check("create and drop unstarted", n);

    println!("alloc: {} passed, {} failed", checks - failures, failures);
    if failures > 0 {
        std::process::exit(1);
    }
}
