//! Finalization: hooks scoped to their runtime, the tokio, `LocalSet`,
//! `async-executor` and `LocalPool` integrations, shutdown and `aclosing`.
//! Hooks are not process-wide, so these tests run in parallel, each under
//! its own runtime or scope.

use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agen::hooks::{
    Finalizable, FinalizeErrorKind, Hooks, LocalFinalizable, Orphan, Registry, enter,
};
use agen::{
    AsyncGenerator, AsyncGeneratorExt, GenState, aclosing, async_generator, raise_, yield_,
    yield_catch_,
};
use futures::StreamExt;

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

/// The generator of the README's first example: cleanup that awaits.
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
    let finalization = agen::tokio::install();
    let log = log();
    {
        let mut g = Finalizable::named("seed001", with_async_cleanup(log.clone()));
        assert_eq!(g.next().await, Some(0));
        // break out of the loop: g is dropped suspended
    }
    // The shutdown waits for the cleanup in flight.
    assert!(finalization.shutdown().await.is_empty());
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
}

#[tokio::test]
async fn shutdown_acloses_every_live_generator_and_returns_every_error() {
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
        .map(|e| (e.name().to_string(), e.kind(), e.message().to_string()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            (
                "a".to_string(),
                FinalizeErrorKind::Raised,
                "cleanup failed".to_string()
            ),
            (
                "b".to_string(),
                FinalizeErrorKind::Raised,
                "cleanup failed".to_string()
            )
        ]
    );
    // The executor closed the generator its owner still holds.
    assert_eq!(kept.state(), GenState::Closed);
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
    // Never iterated: not known to the registry, left alone.
    assert_eq!(unstarted.state(), GenState::Created);
}

/// Scope rule: a generator first called outside any runtime or scope binds
/// no hooks; dropped unfinished, it runs its synchronous destructors only.
#[test]
fn without_hooks_a_dropped_generator_runs_its_sync_destructors_only() {
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
    let seen = log();
    let (s1, s2) = (seen.clone(), seen.clone());
    let orphans: Arc<Mutex<Vec<Orphan>>> = Default::default();
    let o = orphans.clone();
    let scope = enter(Hooks {
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
    // Leaving the scope now does not unbind g's finalizer.
    drop(scope);
    drop(g);
    assert_eq!(entries(&seen), ["firstiter g", "finalizer g"]);
    let orphan = orphans.lock().unwrap().pop().unwrap();
    rt.block_on(orphan.aclose()).unwrap();
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
}

#[test]
fn the_finalizer_is_not_called_for_finished_or_closing_generators() {
    let calls = log();
    let c = calls.clone();
    let _scope = enter(Hooks {
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
    let seen = log();
    let s = seen.clone();
    let _scope = enter(Hooks {
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

/// A generator whose cleanup records the tokio runtime it runs on.
#[async_generator(yield = u32)]
async fn reports_its_runtime(
    name: String,
    cleanups: Arc<Mutex<Vec<(String, tokio::runtime::Id)>>>,
) {
    for i in 0.. {
        if let Err(exit) = yield_catch_!(i) {
            tokio::task::yield_now().await;
            let runtime = tokio::runtime::Handle::current().id();
            cleanups.lock().unwrap().push((name.clone(), runtime));
            raise_!(exit);
        }
    }
}

fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

type Cleanups = Arc<Mutex<Vec<(String, tokio::runtime::Id)>>>;

/// A flag one runtime raises and the other waits for (tokio's `watch` works
/// across runtimes).
fn flag() -> (
    Arc<tokio::sync::watch::Sender<bool>>,
    tokio::sync::watch::Receiver<bool>,
) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    (Arc::new(tx), rx)
}

/// Spawns `tasks` tasks on the current runtime, each iterating its own
/// finalizable generator for `ITEMS` items (moving between workers at every
/// item), pausing after half of them until `resume` is raised, and dropping
/// it unfinished. `paused` counts the tasks that reached the pause.
fn iterate(
    label: &'static str,
    tasks: usize,
    cleanups: &Cleanups,
    paused: &Arc<std::sync::atomic::AtomicUsize>,
    resume: &tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<Vec<u32>>> {
    (0..tasks)
        .map(|t| {
            let (cleanups, paused, mut resume) = (cleanups.clone(), paused.clone(), resume.clone());
            tokio::spawn(async move {
                let name = format!("{label}{t}");
                let mut g = Finalizable::named(name.clone(), reports_its_runtime(name, cleanups));
                let mut seen = Vec::new();
                for i in 0..ITEMS {
                    if i == ITEMS / 2 {
                        paused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        resume.wait_for(|raised| *raised).await.unwrap();
                    }
                    seen.push(g.next().await.unwrap());
                    tokio::task::yield_now().await;
                }
                seen
            })
        })
        .collect()
}

const TASKS: usize = 4;
const ITEMS: u32 = 40;

async fn until(count: &std::sync::atomic::AtomicUsize, n: usize) {
    while count.load(std::sync::atomic::Ordering::SeqCst) < n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Finding 1: two multi-thread runtimes of two workers, each with its own
/// registry and generators. Runtime x shuts down while y's tasks are paused
/// mid-iteration, then y shuts down while x's second batch (under a second
/// registry) is paused mid-iteration: every item arrives, every cleanup runs
/// once, on its own runtime, and each shutdown reports only its own errors.
#[test]
fn two_runtimes_never_close_finalize_or_lose_each_others_generators() {
    use std::sync::atomic::AtomicUsize;
    let cleanups: Cleanups = Default::default();
    let x_rt = multi_thread_runtime();
    let y_rt = multi_thread_runtime();
    let (x_id, y_id) = (x_rt.handle().id(), y_rt.handle().id());
    let (x_shut_tx, x_shut) = flag();
    let (y_shut_tx, y_shut) = flag();
    let (never_tx, no_pause) = flag();
    never_tx.send_replace(true); // a batch that does not pause
    let y_paused = Arc::new(AtomicUsize::new(0));
    let x2_paused = Arc::new(AtomicUsize::new(0));
    let ignored = Arc::new(AtomicUsize::new(0));
    // Both install before either iterates (a process-wide "last installed"
    // would then be the same for both).
    let installed = Arc::new(std::sync::Barrier::new(2));

    let y = {
        let (cleanups, installed, y_paused, x_shut) = (
            cleanups.clone(),
            installed.clone(),
            y_paused.clone(),
            x_shut.clone(),
        );
        let x2_paused = x2_paused.clone();
        std::thread::spawn(move || {
            y_rt.block_on(async move {
                let finalization = agen::tokio::install();
                tokio::task::spawn_blocking(move || installed.wait())
                    .await
                    .unwrap();
                let mut failing = Box::pin(Finalizable::named("y-failing", failing_cleanup()));
                assert!(failing.as_mut().anext().await.is_ok());
                // Paused halfway until x has shut down.
                let tasks = iterate("y", TASKS, &cleanups, &y_paused, &x_shut);
                let mut items = Vec::new();
                for task in tasks {
                    items.push(task.await.unwrap());
                }
                // Shut down while x's second batch is paused halfway.
                until(&x2_paused, TASKS).await;
                let errors = finalization.shutdown().await;
                y_shut_tx.send_replace(true);
                (items, errors, failing.state())
            })
        })
    };
    let (x_items, x_errors, x2_errors, x_failing) = x_rt.block_on(async {
        let finalization = agen::tokio::install();
        tokio::task::spawn_blocking(move || installed.wait())
            .await
            .unwrap();
        let mut failing = Box::pin(Finalizable::named("x-failing", failing_cleanup()));
        assert!(failing.as_mut().anext().await.is_ok());
        let tasks = iterate("x", TASKS, &cleanups, &ignored, &no_pause);
        let mut items = Vec::new();
        for task in tasks {
            items.push(task.await.unwrap());
        }
        // Shut down while y's tasks are paused halfway.
        until(&y_paused, TASKS).await;
        let errors = finalization.shutdown().await;
        x_shut_tx.send_replace(true);
        // A second batch under a new registry, paused until y shut down.
        let second = agen::tokio::install();
        let tasks = iterate("x2-", TASKS, &cleanups, &x2_paused, &y_shut);
        for task in tasks {
            items.push(task.await.unwrap());
        }
        let second_errors = second.shutdown().await;
        (items, errors, second_errors, failing.state())
    });
    let (y_items, y_errors, y_failing) = y.join().unwrap();

    let expected: Vec<u32> = (0..ITEMS).collect();
    assert_eq!(x_items.len(), 2 * TASKS);
    assert_eq!(y_items.len(), TASKS);
    for items in x_items.iter().chain(&y_items) {
        assert_eq!(items, &expected, "every item arrives");
    }
    for (errors, label) in [(&x_errors, "x"), (&y_errors, "y")] {
        let names: Vec<_> = errors.iter().map(|e| (e.name(), e.kind())).collect();
        assert_eq!(
            names,
            [(
                format!("{label}-failing").as_str(),
                FinalizeErrorKind::Raised
            )],
            "each shutdown reports only its own errors"
        );
    }
    assert!(x2_errors.is_empty(), "{x2_errors:?}");
    assert_eq!((x_failing, y_failing), (GenState::Closed, GenState::Closed));
    let mut cleanups = cleanups.lock().unwrap().clone();
    cleanups.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected: Vec<_> = (0..TASKS)
        .map(|t| (format!("x{t}"), x_id))
        .chain((0..TASKS).map(|t| (format!("x2-{t}"), x_id)))
        .chain((0..TASKS).map(|t| (format!("y{t}"), y_id)))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(cleanups, expected, "each cleanup once, on its own runtime");
}

/// Scope rule: a generator dropped on a thread of another runtime is
/// finalized by its own runtime.
#[test]
fn a_generator_dropped_under_another_runtime_is_finalized_by_its_own() {
    let cleanups: Arc<Mutex<Vec<(String, tokio::runtime::Id)>>> = Default::default();
    let home = multi_thread_runtime();
    let away = multi_thread_runtime();
    let finalization = home.block_on(async { agen::tokio::install() });
    let mut g = Finalizable::named("g", reports_its_runtime("g".into(), cleanups.clone()));
    home.block_on(async { assert_eq!(g.next().await, Some(0)) });
    away.block_on(async move { drop(g) });
    let errors = home.block_on(finalization.shutdown());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        *cleanups.lock().unwrap(),
        [("g".to_string(), home.handle().id())]
    );
}

/// Scope rule: the orphans of a runtime dropped without `shutdown` are not
/// lost silently: each one's cleanup is reported as not run, to the
/// registry (and to standard error once the registry is gone too).
#[test]
fn orphans_of_a_runtime_dropped_without_shutdown_are_reported() {
    let log = log();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let finalization = rt.block_on(async { agen::tokio::install() });
    let mut spawned = Finalizable::named("spawned", with_async_cleanup(log.clone()));
    let mut later = Finalizable::named("later", with_async_cleanup(log.clone()));
    rt.block_on(async {
        assert_eq!(spawned.next().await, Some(0));
        assert_eq!(later.next().await, Some(0));
        // The cleanup is spawned, but the runtime never gets to run it.
        drop(spawned);
    });
    drop(rt);
    // Dropped after its runtime is gone: nothing can run its cleanup.
    drop(later);
    let mut errors: Vec<_> = finalization
        .take_errors()
        .into_iter()
        .map(|e| (e.name().to_string(), e.kind()))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            ("later".to_string(), FinalizeErrorKind::NotRun),
            ("spawned".to_string(), FinalizeErrorKind::NotRun)
        ]
    );
    // Freed with their synchronous destructors.
    assert_eq!(entries(&log), ["sync destructor", "sync destructor"]);
}

/// Scope rule: a shutdown that meets a step in flight cannot close that
/// generator; as asyncio, it reports "already running", and the generator
/// goes on (finalized later, when dropped unfinished).
#[tokio::test]
async fn a_shutdown_that_meets_a_step_in_flight_reports_already_running() {
    #[async_generator(yield = u32)]
    async fn slow(go: Arc<tokio::sync::Notify>) {
        yield_!(1);
        go.notified().await;
        yield_!(2);
    }
    let finalization = agen::tokio::install();
    let go = Arc::new(tokio::sync::Notify::new());
    let mut g = Finalizable::named("slow", slow(go.clone()));
    assert_eq!(g.next().await, Some(1));
    {
        // A step in flight: the body waits at a non-yield await.
        let mut step = pin!(g.next());
        assert!(futures::poll!(step.as_mut()).is_pending());
        let errors = finalization.registry().shutdown().await;
        let kinds: Vec<_> = errors.iter().map(|e| (e.name(), e.kind())).collect();
        assert_eq!(kinds, [("slow", FinalizeErrorKind::AlreadyRunning)]);
        go.notify_one();
        assert_eq!(step.await, Some(2));
    }
    assert!(finalization.shutdown().await.is_empty());
}

/// Finding 2: a generator whose finalizer already took it over is not closed
/// again by the shutdown (no spurious "already running"); the shutdown waits
/// for its cleanup instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_leaves_an_orphan_to_its_cleanup_and_waits_for_it() {
    let finalization = agen::tokio::install();
    let log = log();
    let mut g = Finalizable::named("g", with_async_cleanup(log.clone()));
    assert_eq!(g.next().await, Some(0));
    drop(g); // its cleanup (which sleeps) is spawned
    let errors = finalization.shutdown().await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(entries(&log), ["async cleanup", "sync destructor"]);
}

/// Finding 3: a body that awaits its own registry's shutdown gets an
/// `AlreadyRunning` error value for itself, never a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_awaiting_its_own_registrys_shutdown_does_not_deadlock() {
    #[async_generator(yield = u32)]
    async fn shuts_down(registry: Arc<Registry>, seen: Log) {
        yield_!(1);
        let errors = registry.shutdown().await;
        for e in errors {
            seen.lock()
                .unwrap()
                .push(format!("{} {:?}", e.name(), e.kind()));
        }
        yield_!(2);
    }
    let finalization = agen::tokio::install();
    let seen = log();
    let mut g = Finalizable::named(
        "self",
        shuts_down(finalization.registry().clone(), seen.clone()),
    );
    let items = tokio::time::timeout(Duration::from_secs(10), async {
        vec![g.next().await, g.next().await, g.next().await]
    })
    .await
    .expect("no deadlock");
    assert_eq!(items, [Some(1), Some(2), None]);
    assert_eq!(entries(&seen), ["self AlreadyRunning"]);
    assert!(finalization.shutdown().await.is_empty());
}

/// `shutdown_timeout` reports the cleanups it stopped waiting for.
#[tokio::test]
async fn a_shutdown_deadline_reports_the_unfinished_cleanups() {
    #[async_generator(yield = u32)]
    async fn endless_cleanup() {
        if let Err(exit) = yield_catch_!(1) {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            raise_!(exit);
        }
    }
    let finalization = agen::tokio::install();
    let mut g = Finalizable::named("endless", endless_cleanup());
    assert_eq!(g.next().await, Some(1));
    let errors = finalization
        .shutdown_timeout(Duration::from_millis(20))
        .await;
    let kinds: Vec<_> = errors.iter().map(|e| (e.name(), e.kind())).collect();
    assert_eq!(kinds, [("endless", FinalizeErrorKind::DeadlineExceeded)]);
}

/// A `!Send` generator with async cleanup.
#[async_generator(yield = u32)]
async fn local_cleanup(log: std::rc::Rc<std::cell::RefCell<Vec<&'static str>>>) {
    for i in 0.. {
        if let Err(exit) = yield_catch_!(i) {
            yield_now().await; // a real suspension: the executor resumes it
            log.borrow_mut().push("async cleanup");
            raise_!(exit);
        }
    }
}

/// Pending once, asking to be polled again: any executor's `yield_now`.
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            std::task::Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}

/// Starts a local generator and drops it unfinished: its cleanup is due.
async fn drop_one_unfinished(log: LocalLog) {
    let mut g = LocalFinalizable::named("local", local_cleanup(log));
    assert_eq!(g.next().await, Some(0));
    drop(g);
}

type LocalLog = std::rc::Rc<std::cell::RefCell<Vec<&'static str>>>;

#[test]
fn a_local_generator_dropped_in_a_local_set_runs_its_async_cleanup() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let log = LocalLog::default();
    let l = log.clone();
    let errors = local.block_on(&rt, async move {
        let finalization = agen::tokio::install_local();
        drop_one_unfinished(l).await;
        finalization.shutdown().await
    });
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(*log.borrow(), ["async cleanup"]);
}

#[test]
fn a_local_generator_dropped_after_its_local_set_never_panics_and_is_reported() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let log = LocalLog::default();
    let l = log.clone();
    let (g, finalization) = local.block_on(&rt, async move {
        let finalization = agen::tokio::install_local();
        let mut g = LocalFinalizable::named("late", local_cleanup(l));
        assert_eq!(g.next().await, Some(0));
        (g, finalization)
    });
    drop(local); // the LocalSet is gone
    drop(g); // no panic: the cleanup cannot be scheduled
    let errors: Vec<_> = finalization
        .take_errors()
        .into_iter()
        .map(|e| (e.name().to_string(), e.kind()))
        .collect();
    assert_eq!(errors, [("late".to_string(), FinalizeErrorKind::NotRun)]);
    assert!(log.borrow().is_empty());
}

#[test]
fn a_local_set_awaited_to_completion_completes_after_finalization() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let log = LocalLog::default();
    let l = log.clone();
    local.spawn_local(async move {
        let finalization = agen::tokio::install_local();
        let mut g = LocalFinalizable::named("local", local_cleanup(l));
        assert_eq!(g.next().await, Some(0));
        drop(g);
        drop(finalization); // its spawner task ends once the registry is gone
    });
    rt.block_on(local);
    assert_eq!(*log.borrow(), ["async cleanup"]);
}

#[test]
fn a_local_generator_dropped_on_an_async_executor_runs_its_async_cleanup() {
    let executor = std::rc::Rc::new(async_executor::LocalExecutor::new());
    let registry = agen::async_executor::local_registry(&executor);
    let _scope = registry.enter();
    let log = LocalLog::default();
    let errors = futures::executor::block_on(executor.run(async {
        drop_one_unfinished(log.clone()).await;
        registry.shutdown().await
    }));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(*log.borrow(), ["async cleanup"]);
}

#[test]
fn a_generator_dropped_on_an_async_executor_runs_its_async_cleanup() {
    let executor = Arc::new(async_executor::Executor::new());
    let registry = agen::async_executor::registry(&executor);
    let log = log();
    let errors = futures::executor::block_on(registry.scope(executor.run(async {
        let mut g = Finalizable::named("g", failing_after_async_cleanup(log.clone()));
        assert!(matches!(g.next().await, Some(Ok(0))));
        drop(g);
        registry.shutdown().await
    })));
    let kinds: Vec<_> = errors.iter().map(|e| (e.name(), e.kind())).collect();
    assert_eq!(kinds, [("g", FinalizeErrorKind::Raised)]);
    assert_eq!(entries(&log), ["async cleanup"]);
}

#[async_generator(yield = u32)]
async fn failing_after_async_cleanup(log: Log) -> Result<(), CleanupFailed> {
    loop {
        if yield_catch_!(0).is_err() {
            yield_now().await;
            log.lock().unwrap().push("async cleanup".into());
            return Err(CleanupFailed);
        }
    }
}

// The same with `futures`' `LocalPool`: tests/finalize_core.rs (run
// under Miri too).

#[test]
fn orphan_handed_to_a_finalizer_hook_is_owned_and_can_be_kept() {
    // The low-level hook receives an Orphan it may keep; dropping it frees
    // the generator with its synchronous destructors.
    let kept: Arc<Mutex<Vec<Orphan>>> = Default::default();
    let k = kept.clone();
    let _scope = enter(Hooks {
        firstiter: None,
        finalizer: Some(Arc::new(move |orphan| k.lock().unwrap().push(orphan))),
    });
    let log = log();
    let mut g = Finalizable::named("kept", with_async_cleanup(log.clone()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(g.next()), Some(0));
    drop(g);
    assert!(entries(&log).is_empty(), "kept alive by the orphan");
    kept.lock().unwrap().clear();
    assert_eq!(entries(&log), ["sync destructor"]);
}

/// The README's finalization example, as written there (with a stand-in
/// database).
mod readme {
    use super::*;

    pub struct Db {
        pub closed: Mutex<Vec<&'static str>>,
    }
    pub struct Cursor<'a>(&'a Db, u32);
    #[derive(Debug)]
    pub struct Row(u32);
    impl Row {
        pub fn is_last(&self) -> bool {
            self.0 == 2
        }
    }
    impl Db {
        pub fn cursor(&self) -> Cursor<'_> {
            Cursor(self, 0)
        }
    }
    impl Cursor<'_> {
        pub fn next_row(&mut self) -> Row {
            self.1 += 1;
            Row(self.1)
        }
        pub async fn close(self) {
            tokio::task::yield_now().await;
            self.0.closed.lock().unwrap().push("cursor closed");
        }
    }

    #[async_generator(yield = Row)]
    async fn rows(db: Arc<Db>) {
        // owns its handle: 'static
        let mut cursor = db.cursor();
        loop {
            match yield_catch_!(cursor.next_row()) {
                Ok(()) => {}
                Err(exit) => {
                    // closed before the end
                    cursor.close().await; // async cleanup
                    raise_!(exit);
                }
            }
        }
    }

    #[tokio::test]
    async fn readme_finalization_example() {
        let db = Arc::new(Db {
            closed: Mutex::new(Vec::new()),
        });
        let finalization = agen::tokio::install(); // this runtime's registry
        {
            let mut g = Finalizable::named("rows", rows(db.clone()));
            while let Some(row) = g.next().await {
                if row.is_last() {
                    break; // dropped unfinished...
                }
            }
        } // ...its aclose() is spawned
        let errors = finalization.shutdown().await; // waits for it; no error lost
        assert!(errors.is_empty());
        assert_eq!(*db.closed.lock().unwrap(), ["cursor closed"]);
    }
}
