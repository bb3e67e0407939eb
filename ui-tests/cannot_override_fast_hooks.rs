// The delegation chain's hooks take a token whose type lives in a private
// module of the runtime: a user generator can neither override them (no
// signature it can write matches) nor call them on a runtime generator.
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use agen::{AsyncGenerator, AsyncGeneratorExt, Command, GenReply, GenState, async_gen, yield_};

struct MyGen;

impl AsyncGenerator for MyGen {
    type Yield = u32;
    type Send = ();
    type Return = ();
    type Error = Infallible;

    fn state(&self) -> GenState {
        GenState::Closed
    }

    fn poll_resume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut Option<Command<(), Infallible>>,
    ) -> Poll<GenReply<Self>> {
        Poll::Ready(Ok(None))
    }

    fn __link(&self, _: ()) -> Option<&dyn std::any::Any> {
        None
    }

    fn __link_mut(self: Pin<&mut Self>, _: agen_runtime::step::Internal) -> Option<()> {
        None
    }

    fn __hot(self: Pin<&mut Self>, _: ()) -> Option<()> {
        None
    }
}

fn main() {
    let g = async_gen!(yield = u32 => { yield_!(1); });
    let _ = g.__link(());
    let mut g = std::pin::pin!(g);
    let _ = g.as_mut().__hot(());
}
