//! The owned, finalizable form of a generator.

use std::boxed::Box;
use std::fmt::Display;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::hooks::{Closable, FinalizeError, FinalizerHook, Orphan, Registration, hooks};
use crate::protocol::{AsyncGenerator, GeneratorOutput};
use crate::state::GenState;
use crate::step::{Command, Reply};

/// A boxed generator that takes part in finalization: it calls the
/// `firstiter` hook when its first call is created, and when it is dropped
/// while suspended (unfinished, and no `aclose()` started) it hands itself to
/// the `finalizer` hook it bound then, which can run its `aclose()` so that
/// the body's async cleanup (the catch form's `.await`s) still runs.
///
/// Boxed because a dropped pinned value cannot be moved: the finalizer needs
/// to take the generator over. It is shared with the hooks' registry (a
/// shutdown can close it while you still own it), so each call takes a
/// short, uncontended lock.
///
/// ```
/// use agen::{async_gen, raise_, yield_catch_, AsyncGenerator};
/// use agen::hooks::{Finalizable, Hooks, set_hooks};
/// use std::sync::{Arc, Mutex};
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let l = log.clone();
/// let numbers = async_gen!(yield = u32 => {
///     for i in 0.. {
///         if let Err(exit) = yield_catch_!(i) {
///             async {}.await; // async cleanup
///             l.lock().unwrap().push("cleaned up");
///             raise_!(exit);
///         }
///     }
/// });
///
/// let orphans = Arc::new(Mutex::new(Vec::new()));
/// let keep = orphans.clone();
/// let previous = set_hooks(Hooks {
///     firstiter: None,
///     finalizer: Some(Arc::new(move |orphan| keep.lock().unwrap().push(orphan.aclose()))),
/// });
///
/// let mut g = Finalizable::named("numbers", numbers);
/// futures::executor::block_on(async {
///     assert_eq!(std::pin::Pin::new(&mut g).anext().await, Ok(0));
/// });
/// drop(g); // unfinished: handed to the finalizer
/// for cleanup in orphans.lock().unwrap().drain(..) {
///     futures::executor::block_on(cleanup).unwrap();
/// }
/// assert_eq!(*log.lock().unwrap(), ["cleaned up"]);
/// set_hooks(previous);
/// ```
pub struct Finalizable<G>
where
    G: AsyncGenerator + Send + 'static,
    G::Error: Display,
{
    shared: Arc<Shared<G>>,
    /// The finalizer bound at the first call (`None` before, or if none).
    bound: Option<FinalizerHook>,
    iterating: bool,
    close_started: bool,
}

struct Shared<G> {
    name: Arc<str>,
    generator: Mutex<Pin<Box<G>>>,
}

impl<G> Shared<G> {
    fn lock(&self) -> MutexGuard<'_, Pin<Box<G>>> {
        // A panic in the body poisons the lock; the generator is Closed then.
        self.generator.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<G> Finalizable<G>
where
    G: AsyncGenerator + Send + 'static,
    G::Error: Display,
{
    /// Wraps `generator`, named after its type.
    pub fn new(generator: G) -> Self {
        Self::named(core::any::type_name::<G>(), generator)
    }

    /// Wraps `generator` under `name` (what hooks and errors report).
    pub fn named(name: impl Into<Arc<str>>, generator: G) -> Self {
        Finalizable {
            shared: Arc::new(Shared {
                name: name.into(),
                generator: Mutex::new(Box::pin(generator)),
            }),
            bound: None,
            iterating: false,
            close_started: false,
        }
    }

    /// The name hooks and errors report.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Binds the hooks and calls `firstiter`, once (CPython: at the first
    /// awaitable's creation).
    fn start_iterating(&mut self) {
        if core::mem::replace(&mut self.iterating, true) {
            return;
        }
        let hooks = hooks();
        if let Some(firstiter) = hooks.firstiter {
            let target: Arc<dyn Closable> = self.shared.clone();
            firstiter(&Registration {
                target: Arc::downgrade(&target),
                name: self.shared.name.clone(),
            });
        }
        self.bound = hooks.finalizer;
    }
}

impl<G> Closable for Shared<G>
where
    G: AsyncGenerator + Send + 'static,
    G::Error: Display,
{
    fn name(&self) -> &Arc<str> {
        &self.name
    }

    fn state(&self) -> GenState {
        self.lock().state()
    }

    fn poll_aclose(&self, cx: &mut Context<'_>, start: bool) -> Poll<Result<(), FinalizeError>> {
        let mut command = start.then_some(Command::Close);
        let reply = core::task::ready!(self.lock().as_mut().poll_resume(cx, &mut command));
        Poll::Ready(reply.map(|_| ()).map_err(|error| FinalizeError {
            name: self.name.clone(),
            kind: error.kind_name(),
            message: std::format!("{error}"),
        }))
    }
}

impl<G> AsyncGenerator for Finalizable<G>
where
    G: AsyncGenerator + Send + 'static,
    G::Error: Display,
{
    type Yield = G::Yield;
    type Send = G::Send;
    type Return = G::Return;
    type Error = G::Error;

    fn state(&self) -> GenState {
        self.shared.lock().state()
    }

    fn on_call(self: Pin<&mut Self>, closing: bool) {
        let this = self.get_mut();
        this.start_iterating();
        this.close_started |= closing;
    }

    fn poll_resume(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        command: &mut Option<Command<G::Send, G::Error>>,
    ) -> Poll<Reply<G::Yield, G::Return, G::Error, G::Send>> {
        self.shared.lock().as_mut().poll_resume(cx, command)
    }
}

impl<G> GeneratorOutput for Finalizable<G>
where
    G: GeneratorOutput + Send + 'static,
    G::Error: Display,
{
    type Output = G::Output;
    fn output(result: Result<G::Return, G::Error>) -> G::Output {
        G::output(result)
    }
}

impl<G> Stream for Finalizable<G>
where
    G: AsyncGenerator + Stream + Send + 'static,
    G::Error: Display,
{
    type Item = <G as Stream>::Item;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.start_iterating();
        this.shared.lock().as_mut().poll_next(cx)
    }
}

impl<G> FusedStream for Finalizable<G>
where
    G: AsyncGenerator + Stream + Send + 'static,
    G::Error: Display,
{
    fn is_terminated(&self) -> bool {
        self.shared.lock().state() == GenState::Closed
    }
}

impl<G> Drop for Finalizable<G>
where
    G: AsyncGenerator + Send + 'static,
    G::Error: Display,
{
    fn drop(&mut self) {
        let Some(finalizer) = self.bound.take() else {
            return;
        };
        // CPython: never for a finished generator or one whose aclose began.
        if !self.close_started && self.shared.lock().state() == GenState::Suspended {
            finalizer(Orphan {
                target: self.shared.clone(),
            });
        }
    }
}
