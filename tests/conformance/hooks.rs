//! Finalization: the `hooks`, `drop` and `loop_shutdown` driver ops and the
//! asyncio environment, on agen's process-wide hooks (`agen::hooks`).
//!
//! * `hooks`: recording hooks. `firstiter` records `hook firstiter <gen>`;
//!   finalizer `record` records `hook finalizer <gen>` and drops the
//!   [`Orphan`] (the generator is freed without cleanup), `aclose` also
//!   queues `orphan.aclose()` for the next settle point.
//! * asyncio (`"env": "asyncio"`): the event loop's hooks are those of a
//!   [`Registry`] whose spawner queues *loop tasks*; its errors are reported
//!   as `loop_error ERR` (asyncio's exception handler).
//! * settle (end of `drop` and `loop_shutdown`): runs the queued finalizer
//!   cleanups (`finalizer aclose <gen> -> <outcome>`) and the loop tasks
//!   until nothing is left.
//!
//! Which generators take part is the library's business: the driver wraps
//! the generator under test (and the interpreter its subs) in
//! `Finalizable::named`, which binds the hooks in force when its first call
//! is created and hands itself to the bound finalizer when dropped
//! unfinished. Without a bound finalizer a drop runs no body code (rule R3).
//!
//! Hooks are entered on the runner's thread (`agen::hooks::enter`), as an
//! event loop's are: [`Finalization::new`] enters the environment's hooks,
//! each `hooks` op enters new ones, and dropping it leaves them all.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use std::cell::RefCell;

use agen::hooks::{
    Cleanup, FinalizeError, FinalizeErrorKind, GenHandle, Hooks, HooksGuard, Orphan, Registry,
    enter,
};

use crate::interp::Trace;
use crate::scenario::FinalizerHook;

/// `Orphan::aclose()`'s future, boxed because its type cannot be named.
type OrphanClose = Pin<Box<dyn Future<Output = Result<(), FinalizeError>> + Send>>;

/// A queue shared with hooks (which must be `Send + Sync + 'static`).
type Queue<T> = Arc<Mutex<VecDeque<T>>>;

/// Pops under the lock, returns outside it: running or dropping what was
/// queued can call a hook that queues more.
fn pop<T>(queue: &Queue<T>) -> Option<T> {
    queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
}

/// The hooks, queues and event loop of one scenario run.
pub struct Finalization {
    trace: Trace,
    /// Cleanups queued by the `aclose` finalizer hook: each orphan's name
    /// (taken before `aclose` consumed it) and its `aclose()` future.
    cleanups: Queue<(String, OrphanClose)>,
    /// asyncio environment: the loop's bookkeeping and its tasks.
    event_loop: Option<EventLoop>,
    /// The hooks entered, innermost last.
    entered: RefCell<Vec<HooksGuard>>,
}

struct EventLoop {
    registry: Arc<Registry>,
    tasks: Queue<Cleanup>,
    /// The loop's `firstiter` registered the generator under test and no
    /// shutdown has closed it since (`g in loop._asyncgens`).
    main_registered: Arc<AtomicBool>,
}

impl Finalization {
    /// Installs the environment's hooks: none (`bare`), or the event loop's
    /// (`asyncio`).
    pub fn new(trace: &Trace, asyncio: bool) -> Self {
        let event_loop = asyncio.then(|| {
            let tasks: Queue<Cleanup> = Queue::default();
            let spawn_to = Arc::clone(&tasks);
            let registry = Registry::new(move |task| {
                spawn_to
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back(task);
            });
            let main_registered = Arc::new(AtomicBool::new(false));
            let mut hooks = registry.hooks();
            // Watch the loop's firstiter register the generator under test.
            if let Some(register) = hooks.firstiter.take() {
                let seen = Arc::clone(&main_registered);
                hooks.firstiter = Some(Arc::new(move |registration: &GenHandle| {
                    if registration.name() == "main" {
                        seen.store(true, Ordering::Relaxed);
                    }
                    register(registration);
                }));
            }
            (
                EventLoop {
                    registry,
                    tasks,
                    main_registered,
                },
                hooks,
            )
        });
        let (event_loop, hooks) = match event_loop {
            Some((event_loop, hooks)) => (Some(event_loop), hooks),
            None => (None, Hooks::default()),
        };
        Finalization {
            trace: trace.clone(),
            cleanups: Queue::default(),
            event_loop,
            entered: RefCell::new(vec![enter(hooks)]),
        }
    }

    /// The trace the hooks record to.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The `hooks` op: installs recording hooks.
    pub fn install(&self, firstiter: bool, finalizer: FinalizerHook) {
        let trace = self.trace.clone();
        let firstiter = firstiter.then(|| {
            Arc::new(move |registration: &GenHandle| {
                trace.push(format!("hook firstiter {}", registration.name()));
            }) as Arc<dyn Fn(&GenHandle) + Send + Sync>
        });
        let trace = self.trace.clone();
        let cleanups = Arc::clone(&self.cleanups);
        let finalizer = match finalizer {
            FinalizerHook::None => None,
            // Dropping the orphan frees the generator: no body code runs.
            FinalizerHook::Record => Some(Arc::new(move |orphan: Orphan| {
                trace.push(format!("hook finalizer {}", orphan.name()));
            }) as Arc<dyn Fn(Orphan) + Send + Sync>),
            FinalizerHook::Aclose => Some(Arc::new(move |orphan: Orphan| {
                let name = orphan.name().to_owned();
                trace.push(format!("hook finalizer {name}"));
                let cleanup: OrphanClose = Box::pin(orphan.aclose());
                cleanups
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back((name, cleanup));
            }) as Arc<dyn Fn(Orphan) + Send + Sync>),
        };
        self.entered.borrow_mut().push(enter(Hooks {
            firstiter,
            finalizer,
        }));
        self.trace.push("hooks -> ok".to_owned());
    }

    /// Would `loop_shutdown` close the generator under test? Then it needs
    /// its own access to it (rule R1 while a call's awaitable is alive).
    pub fn shutdown_closes_main(&self) -> bool {
        self.event_loop
            .as_ref()
            .is_some_and(|l| l.main_registered.load(Ordering::Relaxed))
    }

    /// The `loop_shutdown` op: `loop.shutdown_asyncgens()`, then settle.
    pub fn shutdown(&self) {
        if let Some(event_loop) = &self.event_loop {
            event_loop.main_registered.store(false, Ordering::Relaxed);
            for error in run_to_completion(pin!(event_loop.registry.shutdown())) {
                self.trace
                    .push(format!("loop_error {}", error_name(&error)));
            }
        }
        self.settle();
        self.trace.push("loop_shutdown -> ok".to_owned());
    }

    /// Runs finalizer cleanups and loop tasks until quiet.
    pub fn settle(&self) {
        loop {
            let mut progressed = false;
            while let Some((name, mut cleanup)) = pop(&self.cleanups) {
                // Kept until recorded, as the oracle keeps the awaitable:
                // dropping it may free the generator (and call hooks).
                let outcome = match run_to_completion(cleanup.as_mut()) {
                    Ok(()) => "ok".to_owned(),
                    Err(e) if e.kind() == FinalizeErrorKind::AlreadyClosing => {
                        "returned".to_owned()
                    }
                    Err(e) => format!("raised {}", error_name(&e)),
                };
                self.trace
                    .push(format!("finalizer aclose {name} -> {outcome}"));
                progressed = true;
            }
            if let Some(event_loop) = &self.event_loop {
                while let Some(mut task) = pop(&event_loop.tasks) {
                    run_to_completion(Pin::new(&mut task));
                    progressed = true;
                }
                // asyncio: "Task exception was never retrieved".
                for error in event_loop.registry.take_errors() {
                    self.trace
                        .push(format!("loop_error {}", error_name(&error)));
                }
            }
            if !progressed {
                return;
            }
        }
    }
}

impl Drop for Finalization {
    fn drop(&mut self) {
        // Left innermost first.
        let mut entered = self.entered.borrow_mut();
        while entered.pop().is_some() {}
        drop(entered);
        // Work never run (queued after the last settle point) is dropped one
        // item at a time: a cleanup can own a generator whose bound
        // finalizer holds this very queue.
        while pop(&self.cleanups).is_some() {}
        if let Some(event_loop) = &self.event_loop {
            while pop(&event_loop.tasks).is_some() {}
        }
    }
}

/// `ERR` of the trace grammar: the body's own error as it renders
/// (`E1: zde`), any other kind by name.
fn error_name(e: &FinalizeError) -> &str {
    match e.kind() {
        FinalizeErrorKind::Raised => e.message(),
        FinalizeErrorKind::AlreadyClosing => "StopAsyncIteration",
        FinalizeErrorKind::NotRun => "NotRun",
        FinalizeErrorKind::DeadlineExceeded => "DeadlineExceeded",
        _ => "RuntimeError",
    }
}

/// Polls by hand until ready, like the driver's calls.
fn run_to_completion<F: Future + ?Sized>(mut future: Pin<&mut F>) -> F::Output {
    const MAX_POLLS: usize = 10_000;
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..MAX_POLLS {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("finalization work still pending after {MAX_POLLS} polls");
}
