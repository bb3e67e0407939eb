//! The owned, finalizable forms of a generator: [`Finalizable`] (`Send`,
//! bound to the hooks of the runtime it is first called under) and
//! [`LocalFinalizable`] (`!Send`, bound to the [`LocalRegistry`] of its
//! thread).

use std::borrow::Cow;
use std::fmt::Display;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::closable::{Closable, Name, Shared};
use crate::hooks::{GenHandle, Orphan, current};
use crate::protocol::{AsyncGenerator, GenReply, GeneratorOutput};
use crate::registry::{LocalBinding, LocalRegistry};
use crate::state::GenState;
use crate::step::Command;

/// What an owned form binds at its first call, and how it finalizes.
trait Binding<G>: Sized {
    /// Binds the hooks in force here and now, registering the generator.
    fn bind(shared: &Arc<Shared<G>>) -> Self;
    /// Hands the generator, dropped unfinished, to the bound finalizer.
    fn finalize(self, shared: Arc<Shared<G>>);
}

/// The `Send` form's binding: the finalizer hook (if any).
struct Hooked(Option<Arc<dyn Fn(Orphan) + Send + Sync>>);

impl<G> Binding<G> for Hooked
where
    G: AsyncGenerator + Send + 'static,
    G::Error: Display,
{
    fn bind(shared: &Arc<Shared<G>>) -> Self {
        let hooks = current();
        if let Some(firstiter) = hooks.firstiter {
            let target: Arc<dyn Closable + Send + Sync> = shared.clone();
            firstiter(&GenHandle {
                target: Arc::downgrade(&target),
                name: shared.name().clone(),
            });
        }
        Hooked(hooks.finalizer)
    }

    fn finalize(self, shared: Arc<Shared<G>>) {
        if let Some(finalizer) = self.0 {
            finalizer(Orphan { target: shared });
        }
    }
}

/// The local form's binding: the local registry entered at the first call.
struct Local(Option<LocalBinding>);

impl<G> Binding<G> for Local
where
    G: AsyncGenerator + 'static,
    G::Error: Display,
{
    fn bind(shared: &Arc<Shared<G>>) -> Self {
        let registry = LocalRegistry::current();
        if let Some(registry) = &registry {
            let target: Arc<dyn Closable> = shared.clone();
            registry.register(Arc::downgrade(&target));
        }
        Local(registry.as_ref().map(Rc::downgrade))
    }

    fn finalize(self, shared: Arc<Shared<G>>) {
        let Some(binding) = self.0 else {
            return;
        };
        match binding.upgrade() {
            Some(registry) => registry.finalize(shared),
            None => std::eprintln!(
                "agen: async generator `{}` dropped unfinished after its local registry was \
                 dropped: its async cleanup did not run",
                &**shared.name()
            ),
        }
    }
}

/// The owned form, generic over its binding.
struct Owner<G: AsyncGenerator, B: Binding<G>> {
    shared: Arc<Shared<G>>,
    /// What the first call bound (`None` before it).
    bound: Option<B>,
}

impl<G: AsyncGenerator, B: Binding<G>> Owner<G, B> {
    fn new(name: Name, generator: G) -> Self {
        Owner {
            shared: Shared::new(name, generator),
            bound: None,
        }
    }

    /// Binds and calls `firstiter`, once (CPython: at the first awaitable's
    /// creation).
    fn start_iterating(&mut self) {
        if self.bound.is_none() {
            self.bound = Some(B::bind(&self.shared));
        }
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<<G as Stream>::Item>>
    where
        G: Stream,
    {
        self.start_iterating();
        match self.shared.with(|generator| generator.poll_next(cx)) {
            Some(poll) => poll,
            None => {
                // A handle's close is being polled on another thread: a
                // moment away from letting go.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

impl<G: AsyncGenerator, B: Binding<G>> Drop for Owner<G, B> {
    /// CPython's rule: the finalizer runs for a generator whose first call
    /// was made, that has not finished and whose close has not begun,
    /// whatever its state: created, suspended, or with a step in flight.
    fn drop(&mut self) {
        let Some(binding) = self.bound.take() else {
            return;
        };
        if self.shared.state() != GenState::Closed && !self.shared.close_begun() {
            binding.finalize(self.shared.clone());
        }
    }
}

/// The protocol, the `Stream` view and the constructors of one owned form.
macro_rules! owned_form {
    ($form:ident, $binding:ty, [$($bound:tt)*]) => {
        impl<G> $form<G>
        where
            G: AsyncGenerator + $($bound)*,
            G::Error: Display,
        {
            /// Wraps `generator`, named after its type.
            pub fn new(generator: G) -> Self {
                Self::named(core::any::type_name::<G>(), generator)
            }

            /// Wraps `generator` under `name` (what hooks and errors report).
            pub fn named(name: impl Into<Cow<'static, str>>, generator: G) -> Self {
                $form {
                    owner: Owner::new(Name::from(name.into()), generator),
                }
            }

            /// The name hooks and errors report.
            pub fn name(&self) -> &str {
                self.owner.shared.name()
            }
        }

        impl<G> AsyncGenerator for $form<G>
        where
            G: AsyncGenerator + $($bound)*,
            G::Error: Display,
        {
            type Yield = G::Yield;
            type Send = G::Send;
            type Return = G::Return;
            type Error = G::Error;

            fn state(&self) -> GenState {
                self.owner.shared.state()
            }

            fn on_call(self: Pin<&mut Self>, _closing: bool) {
                self.get_mut().owner.start_iterating();
            }

            fn poll_resume(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                command: &mut Option<Command<G::Send, G::Error>>,
            ) -> Poll<GenReply<G>> {
                self.owner.shared.poll_resume(cx, command)
            }
        }

        impl<G> GeneratorOutput for $form<G>
        where
            G: GeneratorOutput + $($bound)*,
            G::Error: Display,
        {
            type Output = G::Output;
            fn output(result: Result<G::Return, G::Error>) -> G::Output {
                G::output(result)
            }
        }

        impl<G> Stream for $form<G>
        where
            G: AsyncGenerator + Stream + $($bound)*,
            G::Error: Display,
        {
            type Item = <G as Stream>::Item;
            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                self.get_mut().owner.poll_next(cx)
            }
        }

        impl<G> FusedStream for $form<G>
        where
            G: AsyncGenerator + Stream + $($bound)*,
            G::Error: Display,
        {
            fn is_terminated(&self) -> bool {
                self.owner.shared.state() == GenState::Closed
            }
        }

        impl<G> core::fmt::Debug for $form<G>
        where
            G: AsyncGenerator + $($bound)*,
            G::Error: Display,
        {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($form))
                    .field("name", &self.name())
                    .field("state", &self.owner.shared.state())
                    .finish()
            }
        }
    };
}

/// A generator that takes part in finalization: owned, `'static`, on the heap.
///
/// At its first call it binds the hooks of the runtime it is called under
/// (see [`finalization`](crate::finalization)) and calls their `firstiter`, which
/// registers it; dropped unfinished (started, not finished, no close begun),
/// it hands itself to their `finalizer`, which spawns its `aclose()` so that
/// the body's async cleanup (the catch form's `.await`s) still runs.
///
/// It lives on the heap (one allocation, shared with the registry) because
/// the finalizer takes the generator over after its
/// owner let go, and `'static` because its cleanup outlives the scope that
/// dropped it: a generator that borrows (`rows(&db)`) cannot be finalized
/// after the borrow ends. Give it owned handles (an `Arc`), or close a
/// borrowing generator yourself with [`aclosing`](crate::aclosing).
///
/// It is shared with the registry (whose shutdown can close it while you
/// still own it), so each call takes a short lock; a call while another poll
/// of the same generator is under way (the body awaiting its own registry's
/// shutdown, or a shutdown on another thread) is refused with
/// [`AlreadyRunning`](crate::RuntimeError::AlreadyRunning), never a block.
///
/// ```
/// use agen::{async_generator, raise_, yield_catch_};
/// use agen::hooks::{Finalizable, Hooks, enter};
/// use futures::StreamExt;
/// use std::sync::{Arc, Mutex};
///
/// #[async_generator(yield = u32)]
/// async fn numbers(log: Arc<Mutex<Vec<&'static str>>>) {
///     for i in 0.. {
///         if let Err(exit) = yield_catch_!(i) {
///             async {}.await; // async cleanup
///             log.lock().unwrap().push("cleaned up");
///             raise_!(exit);
///         }
///     }
/// }
///
/// // A finalizer that keeps each cleanup, to run it by hand below.
/// let cleanups = Arc::new(Mutex::new(Vec::new()));
/// let keep = cleanups.clone();
/// let _scope = enter(Hooks {
///     firstiter: None,
///     finalizer: Some(Arc::new(move |orphan| keep.lock().unwrap().push(orphan.aclose()))),
/// });
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let mut g = Finalizable::named("numbers", numbers(log.clone()));
/// futures::executor::block_on(async { assert_eq!(g.next().await, Some(0)) });
/// drop(g); // unfinished: handed to the finalizer
/// for cleanup in cleanups.lock().unwrap().drain(..) {
///     futures::executor::block_on(cleanup).unwrap();
/// }
/// assert_eq!(*log.lock().unwrap(), ["cleaned up"]);
/// ```
pub struct Finalizable<G>
where
    G: AsyncGenerator + Send + 'static,
    G::Error: Display,
{
    owner: Owner<G, Hooked>,
}

owned_form!(Finalizable, Hooked, [Send + 'static]);

/// [`Finalizable`] for a `!Send` generator: at its first call it binds the
/// [`LocalRegistry`] entered on its thread, which spawns its cleanup on that
/// thread's executor (a tokio `LocalSet`, a `LocalPool`, a `LocalExecutor`)
/// when it is dropped unfinished. See [`LocalRegistry`] for an example.
pub struct LocalFinalizable<G>
where
    G: AsyncGenerator + 'static,
    G::Error: Display,
{
    owner: Owner<G, Local>,
}

owned_form!(LocalFinalizable, Local, ['static]);
