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
    // One set from the environment, or the vendored public scenarios, the
    // repository's regression scenarios and the committed fuzz corpus.
    let sets = match std::env::var_os("AGEN_CONFORMANCE_DIR") {
        Some(_) => vec![Set::Dir(
            setting("AGEN_CONFORMANCE_DIR", ""),
            setting("AGEN_CONFORMANCE_EXPECTED", ""),
        )],
        None => vec![
            Set::Dir(
                setting("", "tests/conformance/vendor/public"),
                setting("", "tests/conformance/vendor/expected-rust/public"),
            ),
            Set::Dir(
                setting("", "tests/conformance/regressions"),
                setting("", "tests/conformance/regressions/expected"),
            ),
            Set::Lines(setting("", "tests/conformance/corpus")),
        ],
    };

    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut ran = 0;
    for set in &sets {
        let cases = match set.cases() {
            Ok(cases) => cases,
            Err(why) => {
                println!("FAIL {}: {why}", set.name());
                failed += 1;
                continue;
            }
        };
        let (mut set_passed, mut set_failed, mut set_skipped) = (0, 0, 0);
        for case in cases {
            if only.as_ref().is_some_and(|only| *only != case.name) {
                continue;
            }
            ran += 1;
            match check(&case, only.is_some()) {
                Verdict::Pass => set_passed += 1,
                Verdict::Skip(reason) => {
                    set_skipped += 1;
                    println!("SKIP {}: {reason}", case.name);
                }
                Verdict::Fail(why) => {
                    set_failed += 1;
                    println!("FAIL {}: {why}", case.name);
                }
            }
        }
        println!(
            "  {}: {set_passed} passed, {set_failed} failed, {set_skipped} skipped",
            set.name()
        );
        passed += set_passed;
        failed += set_failed;
        skipped += set_skipped;
    }
    if ran == 0 {
        println!(
            "conformance: no scenario{} found",
            only.as_deref()
                .map(|o| format!(" {o:?}"))
                .unwrap_or_default(),
        );
        std::process::exit(1);
    }
    println!("conformance: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// Where scenarios and their expected traces come from.
enum Set {
    /// `<name>.json` files in one directory, `<name>.trace` in another.
    Dir(PathBuf, PathBuf),
    /// A corpus directory: `scenarios.jsonl` (one scenario per line) and
    /// `traces.jsonl` (`{"name": .., "trace": [lines]}` per line).
    Lines(PathBuf),
}

/// One scenario to run.
struct Case {
    name: String,
    text: Result<String, String>,
    expected: Result<Vec<String>, String>,
}

impl Set {
    fn name(&self) -> String {
        match self {
            Set::Dir(dir, _) | Set::Lines(dir) => dir.display().to_string(),
        }
    }

    fn cases(&self) -> Result<Vec<Case>, String> {
        match self {
            Set::Dir(dir, expected) => Ok(scenario_names(dir)
                .into_iter()
                .map(|name| Case {
                    text: std::fs::read_to_string(dir.join(format!("{name}.json")))
                        .map_err(|e| format!("cannot read the scenario: {e}")),
                    expected: {
                        let path = expected.join(format!("{name}.trace"));
                        std::fs::read_to_string(&path)
                            .map(|t| t.lines().map(str::to_owned).collect())
                            .map_err(|e| format!("no expected trace {}: {e}", path.display()))
                    },
                    name,
                })
                .collect()),
            Set::Lines(dir) => {
                let read = |file: &str| {
                    std::fs::read_to_string(dir.join(file))
                        .map_err(|e| format!("cannot read {file}: {e}"))
                };
                let mut traces = std::collections::HashMap::new();
                for line in read("traces.jsonl")?.lines() {
                    let record: serde_json::Value =
                        serde_json::from_str(line).map_err(|e| format!("traces.jsonl: {e}"))?;
                    let name = record["name"].as_str().unwrap_or_default().to_owned();
                    let trace = record["trace"]
                        .as_array()
                        .map(|lines| {
                            lines
                                .iter()
                                .map(|l| l.as_str().unwrap_or_default().to_owned())
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default();
                    traces.insert(name, trace);
                }
                let mut cases = Vec::new();
                for line in read("scenarios.jsonl")?.lines() {
                    let record: serde_json::Value =
                        serde_json::from_str(line).map_err(|e| format!("scenarios.jsonl: {e}"))?;
                    let name = record["name"].as_str().unwrap_or_default().to_owned();
                    cases.push(Case {
                        expected: traces
                            .remove(&name)
                            .ok_or_else(|| format!("no trace for {name} in traces.jsonl")),
                        text: Ok(line.to_owned()),
                        name,
                    });
                }
                Ok(cases)
            }
        }
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

fn check(case: &Case, verbose: bool) -> Verdict {
    let name = case.name.as_str();
    let text = match &case.text {
        Ok(t) => t,
        Err(e) => return Verdict::Fail(e.clone()),
    };
    let sc = match scenario::parse(text) {
        Ok(sc) => sc,
        Err(e) => return Verdict::Fail(format!("bad scenario: {e}")),
    };
    if sc.name != name {
        return Verdict::Fail(format!("bad scenario: its name is {:?}", sc.name));
    }
    if let Some(reason) = rules::needs_later_issue(&sc, &rules::CAPABILITIES) {
        return Verdict::Skip(reason.to_owned());
    }
    let expected = match &case.expected {
        Ok(lines) => lines.clone(),
        Err(e) => return Verdict::Fail(e.clone()),
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
