//! The examples a new user runs first, run and checked: `cargo test` builds
//! them before it runs the tests, into `target/<profile>/examples/`.

use std::path::PathBuf;
use std::process::Command;

fn run_example(name: &str) -> String {
    // target/<profile>/deps/examples-<hash> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile dir");
    let path: PathBuf = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} was not built (run through `cargo test --all-features`)",
        path.display()
    );
    let out = Command::new(&path).output().expect("example runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn early_break_runs_the_awaiting_cleanup_with_hooks_and_with_aclosing() {
    let out = run_example("early_break");
    assert!(
        out.contains("[hooks] finally executed (after an await)"),
        "{out}"
    );
    assert!(out.contains("[hooks] shutdown: 0 cleanup errors"), "{out}");
    assert!(
        out.contains("[aclosing] finally executed (after an await)"),
        "{out}"
    );
    assert!(out.contains("aclose -> Ok(())"), "{out}");
}

#[test]
fn json_lines_sends_its_goodbye_when_stopped_early() {
    let out = run_example("json_lines");
    assert!(out.contains("client: got {\"id\":0,\"square\":0}"), "{out}");
    assert!(out.contains("client: got {\"id\":1,\"square\":1}"), "{out}");
    assert!(
        out.contains("server: the client said {\"bye\": \"client stopped early\"}"),
        "{out}"
    );
}

#[test]
fn tree_walk_skips_the_subtree_it_was_told_to() {
    let out = run_example("tree_walk");
    assert!(
        out.contains("/project/target   (skipping its subtree)"),
        "{out}"
    );
    assert!(!out.contains("/project/target/debug"), "{out}");
    assert!(out.contains("/project/tests/ui"), "{out}");
    assert!(out.contains("walked 7 paths"), "{out}");
}

#[test]
fn the_tour_runs_to_the_end() {
    let out = run_example("tour");
    assert!(out.contains("That's the tour."), "{out}");
    assert!(out.contains("aclose()         -> Ok(())"), "{out}");
}
