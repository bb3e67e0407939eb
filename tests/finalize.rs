//! Finalization (SPEC §5, seed 001): hooks, the tokio finalizer, shutdown and
//! `aclosing`. Hooks are process-wide, so every test holds `SERIAL`.
// Each test runs its own runtime and holds the lock for all of it, on
// purpose: that is what serializes them.
#![allow(clippy::await_holding_lock)]

use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use agen::hooks::{Finalizable, Hooks, Orphan, set_hooks};
use agen::{AsyncGenerator, GenState, aclosing, async_generator, raise_, yield_, yield_catch_};
use futures::StreamExt;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    set_hooks(Hooks::default());
    guard
}

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Default::default()
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

struct OnDrop(Log, &'static str);
impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(self.1.into());
    }
}

#[derive(Debug)]
struct CleanupFailed;
impl std::fmt::Display for CleanupFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cleanup failed")
    }
}

/// Seed 001's generator: cleanup that awaits.
#[async_generator(yield = u32)]
async fn with_async_cleanup(log: Log) {
    let _sync = OnDrop(log.clone(), "sync destructor");
    for i in 0.. {
        if let Err(exit) = yield_catch_!(i) {
            tokio::time::sleep(Duration::from_millis(2)).await;
            log.lock().unwrap().push("async cleanup".into());
            raise_!(exit);
        }
    }
}

#[async_generator(yield = u32)]
async fn failing_cleanup() -> Result<(), CleanupFailed> {
    loop {
        if yield_catch_!(1).is_err() {
            return Err(CleanupFailed);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_drop_runs_the_async_cleanup_with_the_tokio_finalizer() {
    let _serial = serial();
    let finalization = agen::tokio::install();
    let log = log();
    {
        let mut g = Finalizable::named("seed001", with_async_cleanup(log.clone()));
        assert_eq!(g.next().await, Some(0));
        // break out of the loop: g is dropped suspended
    }
    for _ in 0..200 {
        if entries(&log).len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
    assert!(finalization.shutdown().await.is_empty());
}

#[tokio::test]
async fn shutdown_acloses_every_live_generator_and_returns_every_error() {
    let _serial = serial();
    let finalization = agen::tokio::install();
    let log = log();
    let mut kept = Finalizable::named("kept", with_async_cleanup(log.clone()));
    let mut failing_a = Finalizable::named("a", failing_cleanup());
    let mut failing_b = Finalizable::named("b", failing_cleanup());
    let unstarted = Finalizable::named("unstarted", with_async_cleanup(log.clone()));
    assert_eq!(kept.next().await, Some(0));
    assert_eq!(
        pin!(&mut failing_a).next().await.map(|r| r.is_ok()),
        Some(true)
    );
    assert_eq!(
        pin!(&mut failing_b).next().await.map(|r| r.is_ok()),
        Some(true)
    );

    let errors = finalization.shutdown().await;
    let mut names: Vec<_> = errors
        .iter()
        .map(|e| (e.name.to_string(), e.kind, e.message.clone()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("a".to_string(), "Raised", "cleanup failed".to_string()),
            ("b".to_string(), "Raised", "cleanup failed".to_string())
        ]
    );
    // The executor closed the generator its owner still holds.
    assert_eq!(kept.state(), GenState::Closed);
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
    // Never iterated: not known to the registry, left alone.
    assert_eq!(unstarted.state(), GenState::Created);
}

#[test]
fn without_hooks_a_dropped_generator_runs_its_sync_destructors_only() {
    let _serial = serial();
    let log = log();
    {
        let mut g = Finalizable::named("plain", with_async_cleanup(log.clone()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(g.next()), Some(0));
    }
    assert_eq!(entries(&log), ["sync destructor"]);
}

#[test]
fn hooks_bind_at_the_first_call_and_firstiter_fires_once() {
    let _serial = serial();
    let seen = log();
    let (s1, s2) = (seen.clone(), seen.clone());
    let orphans: Arc<Mutex<Vec<Orphan>>> = Default::default();
    let o = orphans.clone();
    set_hooks(Hooks {
        firstiter: Some(Arc::new(move |r| {
            s1.lock().unwrap().push(format!("firstiter {}", r.name()))
        })),
        finalizer: Some(Arc::new(move |orphan| {
            s2.lock()
                .unwrap()
                .push(format!("finalizer {}", orphan.name()));
            o.lock().unwrap().push(orphan);
        })),
    });
    let log = log();
    let mut g = Finalizable::named("g", with_async_cleanup(log.clone()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    {
        // Creating the awaitable binds the hooks, before any poll.
        let _made = std::pin::Pin::new(&mut g).anext();
    }
    assert_eq!(entries(&seen), ["firstiter g"]);
    rt.block_on(async {
        std::pin::Pin::new(&mut g).anext().await.unwrap();
        std::pin::Pin::new(&mut g).anext().await.unwrap();
    });
    // Removing the hooks now does not unbind g's finalizer.
    set_hooks(Hooks::default());
    drop(g);
    assert_eq!(entries(&seen), ["firstiter g", "finalizer g"]);
    let orphan = orphans.lock().unwrap().pop().unwrap();
    rt.block_on(orphan.aclose()).unwrap();
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
}

#[test]
fn the_finalizer_is_not_called_for_finished_or_closing_generators() {
    let _serial = serial();
    let calls = log();
    let c = calls.clone();
    set_hooks(Hooks {
        firstiter: None,
        finalizer: Some(Arc::new(move |orphan| {
            c.lock().unwrap().push(orphan.name().to_string())
        })),
    });
    #[async_generator(yield = u32)]
    async fn two() {
        yield_!(1);
        yield_!(2);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut finished = Finalizable::named("finished", two());
    rt.block_on(async { while finished.next().await.is_some() {} });
    drop(finished);
    let mut closed = Finalizable::named("closed", two());
    rt.block_on(async {
        std::pin::Pin::new(&mut closed).anext().await.unwrap();
        std::pin::Pin::new(&mut closed).aclose().await.unwrap();
    });
    drop(closed);
    drop(Finalizable::named("never started", two()));
    assert!(entries(&calls).is_empty(), "{:?}", entries(&calls));
}

#[tokio::test]
async fn aclosing_closes_on_early_return_and_on_error() {
    let _serial = serial();
    let log = log();
    // Early return out of the scope.
    let g = pin!(with_async_cleanup(log.clone()));
    let (found, closed) = aclosing(g, async |mut g| {
        while let Some(i) = g.next().await {
            if i == 2 {
                return Some(i);
            }
        }
        None
    })
    .await;
    assert_eq!((found, closed), (Some(2), Ok(())));
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);

    // An error inside the scope.
    let log2 = self::log();
    let g = pin!(with_async_cleanup(log2.clone()));
    let (result, closed): (Result<(), String>, _) = aclosing(g, async |mut g| {
        g.next().await.ok_or("empty")?;
        Err("consumer failed".to_string())
    })
    .await;
    assert_eq!(result, Err("consumer failed".to_string()));
    assert_eq!(closed, Ok(()));
    assert_eq!(entries(&log2), ["async cleanup", "sync destructor"]);
}

#[test]
fn an_inner_started_by_delegation_binds_its_hooks_too() {
    let _serial = serial();
    let seen = log();
    let s = seen.clone();
    set_hooks(Hooks {
        firstiter: Some(Arc::new(move |r| {
            s.lock().unwrap().push(format!("firstiter {}", r.name()))
        })),
        finalizer: None,
    });
    #[async_generator(yield = u32)]
    async fn inner() {
        yield_!(1);
    }
    #[async_generator(yield = u32)]
    async fn outer() {
        agen::yield_from_!(Finalizable::named("inner", inner()));
        yield_!(2);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut g = Finalizable::named("outer", outer());
    assert_eq!(rt.block_on(g.next()), Some(1));
    assert_eq!(entries(&seen), ["firstiter outer", "firstiter inner"]);
}
