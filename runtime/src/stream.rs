//! The `Stream` view of a generator: an `anext` per item, the body's error
//! as one item, and `None` once finished, for good.

use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::error::{Error, RuntimeError};
use core::future::Future;

use crate::chain::FastStep;
use crate::generator::{AsyncGen, ChainNext, Hot};
use crate::output::BodyOutput;
use crate::protocol::AsyncGenerator;
use crate::state::GenState;
use crate::step::{Command, Continue, Reply, StepKind};

impl<Y, S, E, K, Fut> Stream for AsyncGen<Y, S, E, K, Fut>
where
    S: Default,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    type Item = <Fut::Output as BodyOutput<K>>::Item<Y>;

    #[inline(always)]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // SAFETY: nothing here moves the generator or its body.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.is_suspended() {
            // A root parked in a delegation with a hot leaf: the chain's hot
            // path, in line too, for a body that may delegate (only: in line
            // it makes the consumer's loop too big to inline the body's poll
            // with it; `poll_next_cold` takes it for the others).
            let chain = match <Fut::Output as BodyOutput<K>>::CHAIN {
                true => this.hot_chain(),
                false => None,
            };
            let Some(chain) = chain else {
                return poll_next_cold(this, cx);
            };
            // Written out here and in `poll_next_chain` rather than shared
            // through an `#[inline(always)]` helper: the same code, but LLVM
            // lays the consumer's loop out worse (measured: delegate 85
            // against 79 instructions per item, forward 65 against 59).
            return match this.chain_next(cx, chain, S::default()) {
                Poll::Ready(FastStep::Yielded(y)) => {
                    Poll::Ready(Some(<Fut::Output as BodyOutput<K>>::item(y)))
                }
                step => chain_item_cold(this, cx, step),
            };
        }
        // SAFETY: checked `Suspended`; pinned (we came through a pin).
        match unsafe { this.resume_hot(cx, S::default()) } {
            // Matched here rather than through `item_of_hot`: the same code,
            // but LLVM lays this hottest path out better (measured: fallible
            // 45 against 49 instructions per item).
            Hot::Yielded(y) => Poll::Ready(Some(<Fut::Output as BodyOutput<K>>::item(y))),
            hot => item_of_hot_cold(this, cx, hot),
        }
    }
}

/// [`item_of_hot`] out of line: one call in `poll_next` for every outcome
/// but a yield, so that `poll_next` stays small enough to be inlined into
/// the consumer's future.
#[cold]
#[inline(never)]
fn item_of_hot_cold<Y, S, E, K, Fut>(
    this: &mut AsyncGen<Y, S, E, K, Fut>,
    cx: &mut Context<'_>,
    hot: Hot<Y, Fut::Output>,
) -> Poll<Option<<Fut::Output as BodyOutput<K>>::Item<Y>>>
where
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    item_of_hot(this, cx, hot)
}

/// What a hot path saw, as a `Stream` item: a yield in place, anything
/// else out of line.
#[inline(always)]
fn item_of_hot<Y, S, E, K, Fut>(
    this: &mut AsyncGen<Y, S, E, K, Fut>,
    cx: &mut Context<'_>,
    hot: Hot<Y, Fut::Output>,
) -> Poll<Option<<Fut::Output as BodyOutput<K>>::Item<Y>>>
where
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    match hot {
        Hot::Yielded(y) => Poll::Ready(Some(<Fut::Output as BodyOutput<K>>::item(y))),
        Hot::Other => item_of::<Y, Fut::Output, K, _, _>(this.finish_pending(cx)),
        Hot::Finished(output) => item_of::<Y, Fut::Output, K, _, _>(this.after_ready(output)),
    }
}

/// `poll_next` of a generator that is neither suspended nor created: a root
/// parked in a delegation with a hot leaf (`DelegatingHot`) resumes that
/// leaf's inner with one indirect call; any other state goes on to the
/// general path. (A body that may delegate takes this path in line, in
/// `poll_next`.)
#[inline(never)]
fn poll_next_chain<Y, S, E, K, Fut>(
    this: &mut AsyncGen<Y, S, E, K, Fut>,
    cx: &mut Context<'_>,
) -> Poll<Option<<Fut::Output as BodyOutput<K>>::Item<Y>>>
where
    S: Default,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    let Some(chain) = this.hot_chain() else {
        return poll_next_slow(this, cx);
    };
    match this.chain_next(cx, chain, S::default()) {
        Poll::Ready(FastStep::Yielded(y)) => {
            Poll::Ready(Some(<Fut::Output as BodyOutput<K>>::item(y)))
        }
        step => chain_item_cold(this, cx, step),
    }
}

/// A chain step that did not yield, as a `Stream` item.
#[cold]
#[inline(never)]
fn chain_item_cold<Y, S, E, K, Fut>(
    this: &mut AsyncGen<Y, S, E, K, Fut>,
    cx: &mut Context<'_>,
    step: Poll<FastStep<Y>>,
) -> Poll<Option<<Fut::Output as BodyOutput<K>>::Item<Y>>>
where
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    match this.after_chain_next(step) {
        ChainNext::Yielded(y) => Poll::Ready(Some(<Fut::Output as BodyOutput<K>>::item(y))),
        ChainNext::Pending => Poll::Pending,
        ChainNext::Continue => item_of::<Y, Fut::Output, K, _, _>(this.chain_continue(cx)),
    }
}

/// `poll_next` off the hot path: the first item, or a chain step (which
/// goes on to the general path for any other state). One test: the first
/// item is as frequent as the generators, a chain step as the items of a
/// delegation, and everything else is rare.
#[inline(never)]
fn poll_next_cold<Y, S, E, K, Fut>(
    this: &mut AsyncGen<Y, S, E, K, Fut>,
    cx: &mut Context<'_>,
) -> Poll<Option<<Fut::Output as BodyOutput<K>>::Item<Y>>>
where
    S: Default,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    if this.is_created() {
        poll_next_start(this, cx)
    } else {
        poll_next_chain(this, cx)
    }
}

/// The first item, started without the detour through the full reply.
#[inline(never)]
fn poll_next_start<Y, S, E, K, Fut>(
    this: &mut AsyncGen<Y, S, E, K, Fut>,
    cx: &mut Context<'_>,
) -> Poll<Option<<Fut::Output as BodyOutput<K>>::Item<Y>>>
where
    S: Default,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    // SAFETY: only called for `Created`; pinned (`poll_next` came through a
    // pin).
    let hot = unsafe { this.start_hot(cx) };
    // Everything but a yield is a tail call: no stack space for a reply.
    match hot {
        Hot::Yielded(y) => Poll::Ready(Some(<Fut::Output as BodyOutput<K>>::item(y))),
        hot => item_of_hot_cold(this, cx, hot),
    }
}

/// Any other state: the general path.
#[inline(never)]
fn poll_next_slow<Y, S, E, K, Fut>(
    this: &mut AsyncGen<Y, S, E, K, Fut>,
    cx: &mut Context<'_>,
) -> Poll<Option<<Fut::Output as BodyOutput<K>>::Item<Y>>>
where
    S: Default,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    item_of::<Y, Fut::Output, K, _, _>(this.poll_item_slow(cx))
}

/// The `Stream` item for a step's reply.
#[cold]
#[inline(never)]
fn item_of<Y, O, K, R, S>(reply: Poll<Reply<Y, R, O::Error, S>>) -> Poll<Option<O::Item<Y>>>
where
    O: BodyOutput<K>,
{
    match reply {
        Poll::Ready(Ok(Some(y))) => Poll::Ready(Some(O::item(y))),
        Poll::Ready(reply) => Poll::Ready(stream_end::<Y, O, K, _, _>(reply)),
        Poll::Pending => Poll::Pending,
    }
}

impl<Y, S, E, K, Fut> FusedStream for AsyncGen<Y, S, E, K, Fut>
where
    S: Default,
    Fut: Future,
    Fut::Output: BodyOutput<K, Error = E>,
{
    #[inline]
    fn is_terminated(&self) -> bool {
        self.state() == GenState::Closed
    }
}

/// The `Stream` view of any generator whose output is `O` (kind `K`): an
/// `anext` per item, continuing a step in flight as an `anext` (a yield is
/// an item whatever call started the step).
// Used by the boxed forms (feature `alloc`).
#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
pub(crate) fn poll_next_item<G, O, K>(
    mut generator: Pin<&mut G>,
    cx: &mut Context<'_>,
) -> Poll<Option<O::Item<G::Yield>>>
where
    G: AsyncGenerator + ?Sized,
    G::Send: Default,
    O: BodyOutput<K, Error = G::Error>,
{
    let mut command = match generator.state() {
        GenState::Closed => return Poll::Ready(None),
        GenState::Running => Some(Command::Continue(Continue(StepKind::Next))),
        GenState::Created | GenState::Suspended => Some(Command::Next(Default::default())),
    };
    Poll::Ready(
        match core::task::ready!(generator.as_mut().poll_resume(cx, &mut command)) {
            Ok(Some(y)) => Some(O::item(y)),
            reply => stream_end::<G::Yield, O, K, _, _>(reply),
        },
    )
}

/// The `Stream` item for a reply that is not a yield: the body's error once,
/// else the end. Every such reply leaves the generator `Closed` (the step
/// was an `anext`: a yield would have been an item).
#[cold]
fn stream_end<Y, O, K, R, S>(reply: Reply<Y, R, O::Error, S>) -> Option<O::Item<Y>>
where
    O: BodyOutput<K>,
{
    match reply {
        Ok(Some(y)) => Some(O::item(y)),
        Err(Error::Raised(e) | Error::RuntimeError(RuntimeError::RaisedStopIteration(e))) => {
            Some(O::error_item(e))
        }
        Ok(None) | Err(_) => None,
    }
}
