//! A recursive, directory-like tree walk with `yield_from_!`, where the
//! consumer tells the walker to skip a subtree by sending `true` back.
//!
//! ```sh
//! cargo run --example tree_walk
//! ```
//!
//! Each directory yields its path and receives "skip my children?" through
//! `yield_!`; its subdirectories are walked by boxed recursive calls that it
//! delegates to. `asend` on the outermost generator reaches whichever level
//! yielded the path (PEP 380 forwarding), so the right subtree is skipped.

use std::pin::pin;

use agen::{AsyncGeneratorExt, async_generator, yield_, yield_from_};

struct Dir {
    name: &'static str,
    children: Vec<Dir>,
}

fn dir(name: &'static str, children: Vec<Dir>) -> Dir {
    Dir { name, children }
}

/// Yields every path under `node`, depth first. Send `true` after a path to
/// skip what is below it. Returns how many paths it yielded.
#[async_generator(yield = String, send = bool)]
async fn walk(node: &Dir, parent: String) -> Result<usize, std::convert::Infallible> {
    let path = format!("{parent}/{}", node.name);
    // Reading a directory is asynchronous in real life.
    tokio::task::yield_now().await;
    let skip = yield_!(path.clone());
    if skip {
        return Ok(1);
    }
    let mut count = 1;
    for child in &node.children {
        // Recursion needs a box, as for any recursive async fn.
        count += yield_from_!(Box::pin(walk(child, path.clone())))?;
    }
    Ok(count)
}

/// The boxed recursion keeps the generator `Send`: it can be spawned.
fn assert_send<T: Send>(_: &T) {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let tree = dir(
        "project",
        vec![
            dir("src", vec![dir("runtime", vec![]), dir("macros", vec![])]),
            dir(
                "target",
                vec![
                    dir("debug", vec![dir("deps", vec![])]),
                    dir("release", vec![]),
                ],
            ),
            dir("tests", vec![dir("ui", vec![])]),
        ],
    );

    let walker = walk(&tree, String::new());
    assert_send(&walker);
    let mut walker = pin!(walker);
    let mut next = walker.as_mut().anext().await;
    while let Ok(path) = next {
        let skip = path.ends_with("/target");
        println!(
            "{path}{}",
            if skip {
                "   (skipping its subtree)"
            } else {
                ""
            }
        );
        next = walker.as_mut().asend(skip).await;
    }
    match next {
        Err(agen::Error::StopAsyncIteration(Some(count))) => println!("walked {count} paths"),
        other => println!("walk ended with {other:?}"),
    }
}
