//! Conformance runner: every scenario of the shared conformance suite, run
//! against agen and compared line by line with its expected Rust-mode trace.
//!
//! A scenario (README of the suite) is a generator body in a small language
//! plus a driver script. The runner compiles the body to instructions
//! (`compile`), runs them in an `#[async_generator]` interpreter (`interp`)
//! whose yields, awaits, raises and returns are real agen operations, drives
//! it with hand-polled `anext`/`asend`/`athrow`/`aclose` futures (`driver`),
//! and records one trace of body and driver events.
//!
//! Environment:
//! * `AGEN_CONFORMANCE_DIR`: the scenarios to run. By default, two sets:
//!   `tests/conformance/vendor/public` (a copy of the suite's public
//!   scenarios that `vendor/refresh.sh` keeps equal to
//!   `../shared/conformance`) and `tests/conformance/regressions` (each a
//!   minimised divergence once found; traces in `regressions/expected`,
//!   computed by CPython with `regressions/regen.sh`);
//! * `AGEN_CONFORMANCE_EXPECTED`: the `<name>.trace` files of that set;
//! * `AGEN_CONFORMANCE_ONLY=<name>`: run that scenario alone and print both
//!   traces in full.
//!
//! Output: `FAIL <name>: ..` per failure, `SKIP <name>: <reason>` per skip
//! (a scenario Rust cannot express, rules R1/R4, or one waiting for a later
//! issue, see `rules::CAPABILITIES`), then
//! `conformance: N passed, M failed, K skipped`. Exits 1 if any failed.

#[path = "conformance/compile.rs"]
mod compile;
#[path = "conformance/driver.rs"]
mod driver;
#[path = "conformance/hooks.rs"]
mod hooks;
#[path = "conformance/interp.rs"]
mod interp;
#[path = "conformance/pyerr.rs"]
mod pyerr;
#[path = "conformance/rules.rs"]
mod rules;
#[path = "conformance/scenario.rs"]
mod scenario;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// How one scenario ended.
enum Verdict {
    Pass,
    Skip(String),
    /// The first difference (or why the scenario could not run).
    Fail(String),
}

fn main() {
    // `cargo test -- --list` (and test runners that probe for tests): this
    // binary has no individually listed tests.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let only = std::env::var("AGEN_CONFORMANCE_ONLY").ok();
    // One set from the environment, or the vendored public scenarios and
    // the repository's regression scenarios.
    let sets = match std::env::var_os("AGEN_CONFORMANCE_DIR") {
        Some(_) => vec![(
            setting("AGEN_CONFORMANCE_DIR", ""),
            setting("AGEN_CONFORMANCE_EXPECTED", ""),
        )],
        None => vec![
            (
                setting("", "tests/conformance/vendor/public"),
                setting("", "tests/conformance/vendor/expected-rust/public"),
            ),
            (
                setting("", "tests/conformance/regressions"),
                setting("", "tests/conformance/regressions/expected"),
            ),
        ],
    };

    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut ran = 0;
    for (dir, expected_dir) in &sets {
        let mut names = scenario_names(dir);
        if let Some(only) = &only {
            names.retain(|n| n == only);
        }
        ran += names.len();
        for name in &names {
            match check(name, dir, expected_dir, only.is_some()) {
                Verdict::Pass => passed += 1,
                Verdict::Skip(reason) => {
                    skipped += 1;
                    println!("SKIP {name}: {reason}");
                }
                Verdict::Fail(why) => {
                    failed += 1;
                    println!("FAIL {name}: {why}");
                }
            }
        }
    }
    if ran == 0 {
        println!(
            "conformance: no scenario{} found in {:?}",
            only.as_deref()
                .map(|o| format!(" {o:?}"))
                .unwrap_or_default(),
            sets.iter().map(|(dir, _)| dir).collect::<Vec<_>>()
        );
        std::process::exit(1);
    }
    println!("conformance: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// A directory from the environment (`var`, if set) or `default`, relative
/// paths from the crate root.
fn setting(var: &str, default: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match (!var.is_empty()).then(|| std::env::var_os(var)).flatten() {
        Some(v) => root.join(v),
        None => root.join(default),
    }
}

/// The `*.json` scenarios of `dir`, by name, sorted.
fn scenario_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
}

fn check(name: &str, dir: &Path, expected_dir: &Path, verbose: bool) -> Verdict {
    let text = match std::fs::read_to_string(dir.join(format!("{name}.json"))) {
        Ok(t) => t,
        Err(e) => return Verdict::Fail(format!("cannot read the scenario: {e}")),
    };
    let sc = match scenario::parse(&text) {
        Ok(sc) => sc,
        Err(e) => return Verdict::Fail(format!("bad scenario: {e}")),
    };
    if sc.name != name {
        return Verdict::Fail(format!("bad scenario: its name is {:?}", sc.name));
    }
    if let Some(reason) = rules::needs_later_issue(&sc, &rules::CAPABILITIES) {
        return Verdict::Skip(reason.to_owned());
    }
    let expected_path = expected_dir.join(format!("{name}.trace"));
    let expected = match std::fs::read_to_string(&expected_path) {
        Ok(t) => t.lines().map(str::to_owned).collect::<Vec<_>>(),
        Err(e) => {
            return Verdict::Fail(format!(
                "no expected trace {}: {e}",
                expected_path.display()
            ));
        }
    };
    // A panic (a runner bug, or a runtime one) fails this scenario only.
    let got = match catch_unwind(AssertUnwindSafe(|| driver::run(&sc))) {
        Ok(Ok(lines)) => lines,
        Ok(Err(e)) => return Verdict::Fail(format!("bad driver script: {e}")),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            return Verdict::Fail(format!("panicked: {msg}"));
        }
    };
    if verbose {
        println!("--- got ({name})");
        got.iter().for_each(|l| println!("{l}"));
        println!("--- expected ({name})");
        expected.iter().for_each(|l| println!("{l}"));
        println!("---");
    }
    compare(&got, &expected)
}

/// Equal traces pass, or skip when they are the one `skip: static (..)`
/// line of a scenario Rust cannot express; otherwise the first difference.
fn compare(got: &[String], expected: &[String]) -> Verdict {
    let end = "<end of trace>".to_owned();
    for n in 0..got.len().max(expected.len()) {
        let (g, e) = (got.get(n).unwrap_or(&end), expected.get(n).unwrap_or(&end));
        if g != e {
            return Verdict::Fail(format!("line {}: expected `{e}`, got `{g}`", n + 1));
        }
    }
    match got {
        [line] if line.starts_with("skip: ") => Verdict::Skip(line["skip: ".len()..].to_owned()),
        _ => Verdict::Pass,
    }
}
