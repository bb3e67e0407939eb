// `AsyncGenerator` is implemented for `Pin<&mut G>` and `Pin<Box<G>>` only,
// not for a `Pin<P>` whose (user-written) `Deref` could reach a different
// object on each call: the delegation chain follows the pointer.
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use agen::{AsyncGenerator, AsyncGeneratorExt};

struct MyPtr<G>(Box<G>);

impl<G> Deref for MyPtr<G> {
    type Target = G;
    fn deref(&self) -> &G {
        &self.0
    }
}

impl<G> DerefMut for MyPtr<G> {
    fn deref_mut(&mut self) -> &mut G {
        &mut self.0
    }
}

fn is_generator<G: AsyncGenerator>() {}

fn check<G: AsyncGenerator>() {
    is_generator::<Pin<&mut G>>();
    is_generator::<Pin<Box<G>>>();
    is_generator::<Pin<MyPtr<G>>>();
}

fn main() {}
