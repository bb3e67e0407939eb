//! A crate that uses agen under another name (`renamed`), as a crate that
//! re-exports agen would: `#[async_generator(crate = ::renamed, ..)]` and
//! `async_gen!` (which finds agen through `$crate`) build without `::agen`.
#![forbid(unsafe_code)]

pub use renamed::{AsyncGeneratorExt, async_gen, async_generator, yield_};

/// Counts to `n`, through the renamed path.
#[renamed::async_generator(crate = ::renamed, yield = u32)]
pub async fn count(n: u32) {
    for i in 0..n {
        renamed::yield_!(i);
    }
}

/// A helper macro of this crate that happens to be called `co`: a body's
/// `other::co!()` is not agen's, and is left alone.
pub mod other {
    #[macro_export]
    macro_rules! co {
        () => {
            40
        };
    }
    pub use co;
}

/// Yields agen's handle-free answer: `other::co!() + 2`.
#[renamed::async_generator(crate = ::renamed, yield = u32)]
pub async fn answer() {
    yield_!(other::co!() + 2);
}

/// The expression form, through `$crate`.
pub fn inline() -> impl futures_core::Stream<Item = u32> {
    async_gen!(yield = u32 => {
        yield_!(7);
        yield_!(8);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use futures::executor::block_on;

    #[test]
    fn the_attribute_with_crate_path_and_a_renamed_body_macro() {
        let all: Vec<u32> = block_on(std::pin::pin!(count(3)).collect());
        assert_eq!(all, [0, 1, 2]);
    }

    #[test]
    fn a_foreign_co_macro_is_left_alone() {
        let mut g = std::pin::pin!(answer());
        assert_eq!(block_on(g.as_mut().anext()), Ok(42));
    }

    #[test]
    fn async_gen_finds_agen_through_dollar_crate() {
        let all: Vec<u32> = block_on(std::pin::pin!(inline()).collect());
        assert_eq!(all, [7, 8]);
    }
}

/// A public fallible generator: its documented signature names only public
/// types (checked by `cargo doc` in the repository's tests).
#[renamed::async_generator(crate = ::renamed, yield = u32)]
pub async fn parsed(words: Vec<String>) -> Result<usize, std::num::ParseIntError> {
    let mut count = 0;
    for word in words {
        renamed::yield_!(word.parse()?);
        count += 1;
    }
    Ok(count)
}
