//! Every signature form the attribute accepts, each driven at run time.

mod support;

use std::fmt::Display;
use std::pin::{Pin, pin};

use agen::{AsyncGenerator, AsyncGeneratorExt, async_gen, async_generator, yield_};
use futures::{Stream, StreamExt};
use support::block_on;

fn collect<S: Stream>(s: S) -> Vec<S::Item> {
    block_on(pin!(s).collect())
}

/// A documented free function (doc comments are kept).
#[async_generator(yield = u32)]
pub async fn free_fn(n: u32) {
    for i in 0..n {
        yield_!(i);
    }
}

#[async_generator(yield = u32)]
#[must_use = "a generator does nothing unless driven"]
#[allow(clippy::needless_range_loop)]
pub(crate) async fn attributes_kept(n: u32) {
    yield_!(n);
}

#[cfg(any())]
#[async_generator(yield = u32)]
async fn compiled_out() {
    this_does_not_exist!();
}

#[async_generator(yield = T)]
async fn generic_types<T: Clone, const N: usize>(items: [T; N]) {
    for item in items {
        yield_!(item);
    }
}

#[async_generator(yield = &'a str)]
async fn explicit_lifetime<'a>(text: &'a str) {
    for word in text.split(' ') {
        yield_!(word);
    }
}

#[async_generator(yield = usize)]
async fn elided_lifetimes(text: &str, items: &[u8], counter: &mut usize) {
    *counter += 1;
    yield_!(text.len());
    yield_!(items.len());
    yield_!(*counter);
}

#[async_generator(yield = String)]
async fn impl_trait_args(label: impl Display, values: impl IntoIterator<Item = u8>) {
    for v in values {
        yield_!(format!("{label}{v}"));
    }
}

#[async_generator(yield = String)]
async fn where_clause<T>(value: T)
where
    T: Display + Clone,
{
    yield_!(value.to_string());
}

#[async_generator(yield = u8)]
async fn patterns((a, b): (u8, u8), mut n: u8, [first, ..]: [u8; 3], _: ()) {
    n += a + b;
    yield_!(n);
    yield_!(first);
}

struct Counter {
    step: u32,
}

impl Counter {
    #[async_generator(yield = u32)]
    async fn by_ref(&self, n: u32) {
        for i in 0..n {
            yield_!(i * self.step);
        }
    }

    #[async_generator(yield = u32)]
    async fn by_mut(&mut self) {
        self.step += 1;
        yield_!(self.step);
    }

    #[async_generator(yield = u32)]
    async fn by_value(self) {
        yield_!(self.step);
    }

    #[async_generator(yield = u32)]
    async fn pinned(self: Pin<&mut Self>) {
        yield_!(self.step);
    }

    #[async_generator(yield = u32)]
    async fn associated() {
        yield_!(7);
    }
}

trait Source {
    fn items(
        &self,
    ) -> impl AsyncGenerator<Yield = u32, Send = (), Return = (), Error = std::convert::Infallible>;
    fn stream(&self) -> impl Stream<Item = u32>;
}

impl Source for Counter {
    #[async_generator(yield = u32)]
    async fn items(&self) {
        yield_!(self.step);
    }

    #[async_generator(yield = u32)]
    async fn stream(&self) {
        yield_!(self.step + 1);
    }
}

struct Holder<G> {
    generator: G,
}

#[test]
fn free_functions_and_attributes() {
    assert_eq!(collect(free_fn(3)), [0, 1, 2]);
    assert_eq!(collect(attributes_kept(5)), [5]);
}

#[test]
fn generic_type_and_const_parameters() {
    assert_eq!(collect(generic_types(["a", "b"])), ["a", "b"]);
}

#[test]
fn lifetimes_explicit_and_elided() {
    let text = String::from("hello agen world");
    assert_eq!(
        collect(explicit_lifetime(&text)),
        ["hello", "agen", "world"]
    );
    let mut counter = 41;
    assert_eq!(
        collect(elided_lifetimes("abc", &[1, 2], &mut counter)),
        [3, 2, 42]
    );
    assert_eq!(counter, 42);
}

#[test]
fn impl_trait_arguments_and_where_clauses() {
    assert_eq!(collect(impl_trait_args("#", [1, 2])), ["#1", "#2"]);
    assert_eq!(collect(where_clause(3.5)), ["3.5"]);
}

#[test]
fn patterns_in_arguments() {
    assert_eq!(collect(patterns((1, 2), 3, [9, 8, 7], ())), [6, 9]);
}

#[test]
fn methods_with_every_receiver() {
    let mut c = Counter { step: 3 };
    assert_eq!(collect(c.by_ref(3)), [0, 3, 6]);
    assert_eq!(collect(c.by_mut()), [4]);
    assert_eq!(collect(Counter::pinned(Pin::new(&mut c))), [4]);
    assert_eq!(collect(Counter::associated()), [7]);
    assert_eq!(collect(c.by_value()), [4]);
}

#[test]
fn trait_impl_methods_returning_impl_async_generator_or_stream() {
    let c = Counter { step: 10 };
    let mut g = pin!(c.items());
    assert_eq!(block_on(g.as_mut().anext()), Ok(10));
    assert_eq!(collect(c.stream()), [11]);
}

#[test]
fn expression_form_in_closures_and_struct_fields() {
    let make = |n: u32| {
        async_gen!(yield = u32 => {
            for i in 0..n {
                yield_!(i * 10);
            }
        })
    };
    assert_eq!(collect(make(3)), [0, 10, 20]);
    let holder = Holder {
        generator: async_gen!(yield = &'static str => {
            yield_!("field");
        }),
    };
    assert_eq!(collect(holder.generator), ["field"]);
}

// ---------------------------------------------------------------------------
// Arguments drop as an `async fn`'s do
// ---------------------------------------------------------------------------

type DropLog = std::rc::Rc<std::cell::RefCell<Vec<&'static str>>>;

struct Loud(&'static str, DropLog);

impl Drop for Loud {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

/// The reference: what a plain `async fn` does with the same parameters.
#[allow(clippy::unused_async)]
async fn plain_async_fn(_: Loud, (a, _): (Loud, Loud), b: Loud, log: DropLog) {
    log.borrow_mut().push("body");
    let _ = (&a, &b);
}

#[async_generator(yield = u8)]
async fn generator_fn(_: Loud, (a, _): (Loud, Loud), b: Loud, log: DropLog) {
    log.borrow_mut().push("body");
    let _ = (&a, &b);
    yield_!(1);
}

fn args(log: &DropLog) -> (Loud, (Loud, Loud), Loud) {
    (
        Loud("underscore", log.clone()),
        (
            Loud("a", log.clone()),
            Loud("tuple underscore", log.clone()),
        ),
        Loud("b", log.clone()),
    )
}

fn sorted(log: &DropLog) -> Vec<&'static str> {
    let mut all = log.borrow().clone();
    all.sort_unstable();
    all
}

/// Every argument, `_` ones included, lives until the body is done, as an
/// `async fn`'s do. (Their relative order may differ from an `async fn`'s:
/// bindings of a destructuring pattern drop with the body's locals, the rest
/// when the generator finishes, in parameter order; see the README.)
#[test]
fn arguments_live_until_the_body_is_done_as_an_async_fn_s() {
    let reference = DropLog::default();
    let (u, t, b) = args(&reference);
    futures::executor::block_on(plain_async_fn(u, t, b, reference.clone()));
    assert_eq!(reference.borrow()[0], "body");

    let log = DropLog::default();
    let (u, t, b) = args(&log);
    assert_eq!(collect(generator_fn(u, t, b, log.clone())), [1]);
    assert_eq!(
        log.borrow()[0],
        "body",
        "nothing dropped before the body ran"
    );
    assert_eq!(sorted(&log), sorted(&reference));
}

#[test]
fn arguments_drop_with_the_generator_even_unpolled_as_an_async_fn_s() {
    let reference = DropLog::default();
    let (u, t, b) = args(&reference);
    let future = plain_async_fn(u, t, b, reference.clone());
    reference.borrow_mut().push("made");
    drop(future);

    let log = DropLog::default();
    let (u, t, b) = args(&log);
    let generator = generator_fn(u, t, b, log.clone());
    log.borrow_mut().push("made");
    drop(generator);
    // Nothing dropped when the function returned: all with the generator.
    assert_eq!(reference.borrow()[0], "made");
    assert_eq!(log.borrow()[0], "made");
    assert_eq!(sorted(&log), sorted(&reference));
}

#[async_generator(yield = u8)]
async fn cfg_parameters(
    #[cfg(any())] (never, _): (u8, u8),
    #[cfg(not(any()))] (always, _): (u8, u8),
) {
    yield_!(always);
}

#[test]
fn a_cfg_parameter_pattern_is_compiled_out_with_its_binding() {
    assert_eq!(collect(cfg_parameters((5, 0))), [5]);
}
