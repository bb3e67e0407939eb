//! Model-based random testing: random sequences of operations on a handful
//! of generators, each step checked against a small executable model of the
//! README's rules (what every call answers, in which state it leaves the
//! generator, and the order in which destructors and cleanups run).
//!
//! The model is written from the rules, not from the implementation: it
//! imports nothing of agen's and never asks the generator what to expect.
//! Each body is written twice: once as an `#[async_generator]`, once as a
//! hand-written state machine of the model (`Body`), in the model's own
//! terms.
//!
//! Environment: `AGEN_MODEL_SEQUENCES` (default 2000), `AGEN_MODEL_SEED`
//! (default: fixed), `AGEN_MODEL_REPLAY=<sequence seed>` (runs that one
//! sequence and prints every step). Each sequence's seed is printed on a
//! failure. At the end the test prints how often each operation met each
//! state.

#[path = "model/bodies.rs"]
mod bodies;
#[path = "model/harness.rs"]
mod harness;
#[path = "model/rules.rs"]
mod rules;

use std::collections::BTreeMap;

use harness::{Op, Subject};
use rules::Model;

/// SplitMix64: small, seedable, good enough to pick operations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn setting(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
    })
}

/// Runs one sequence; `Err` describes the first divergence.
fn run_sequence(
    seed: u64,
    verbose: bool,
    counts: &mut BTreeMap<String, u64>,
) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let body = bodies::Kind::ALL[rng.below(bodies::Kind::ALL.len() as u64) as usize];
    let length = 1 + rng.below(30) as usize;
    let mut model = Model::new(body);
    let mut subject = Subject::new(body);
    let mut trail = Vec::new();
    let mut closed_for = 0;
    for step in 0..length {
        // A few operations on a finished generator are enough: then drop it.
        closed_for = if model.state() == rules::State::Closed {
            closed_for + 1
        } else {
            0
        };
        if closed_for > 3 {
            break;
        }
        let op = Op::random(&mut rng);
        *counts
            .entry(format!("{:<8} on {:?}", op.name(), model.state()))
            .or_default() += 1;
        let expected = model.apply(&op);
        let got = subject.apply(&op);
        trail.push(format!("{op:?} -> {got}"));
        if verbose {
            println!("  {step:>2}. {op:?}: model {expected} | agen {got}");
        }
        if expected != got {
            return Err(format!(
                "body {body:?}, step {step} ({op:?}):\n    model: {expected}\n    agen:  {got}\n  steps: {}",
                trail.join("; ")
            ));
        }
    }
    let expected = model.drop_generator();
    let got = subject.drop_generator();
    if verbose {
        println!("  drop: model {expected} | agen {got}");
    }
    if expected != got {
        return Err(format!(
            "body {body:?}, drop:\n    model: {expected}\n    agen:  {got}\n  steps: {}",
            trail.join("; ")
        ));
    }
    Ok(())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // Panics in bodies are part of the test: keep their messages quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let mut counts = BTreeMap::new();
    if let Some(seed) = setting("AGEN_MODEL_REPLAY") {
        println!("model: replaying sequence {seed}");
        match run_sequence(seed, true, &mut counts) {
            Ok(()) => println!("model: sequence {seed} agrees"),
            Err(why) => {
                println!("model: sequence {seed} diverges: {why}");
                std::process::exit(1);
            }
        }
        return;
    }
    let sequences = setting("AGEN_MODEL_SEQUENCES").unwrap_or(2000);
    let base = setting("AGEN_MODEL_SEED").unwrap_or(0x00A6_E2C0_FFEE);
    println!("model: {sequences} sequences from seed {base}");
    let mut failures = 0;
    for i in 0..sequences {
        let seed = base.wrapping_add(i);
        if let Err(why) = run_sequence(seed, false, &mut counts) {
            failures += 1;
            if failures <= 3 {
                println!("DIVERGENCE in sequence {seed} (AGEN_MODEL_REPLAY={seed}): {why}");
            }
        }
    }
    println!("model: operations met states (operation on state: count):");
    for (what, n) in &counts {
        println!("  {what}: {n}");
    }
    println!("model: {sequences} sequences, {failures} diverged");
    if failures > 0 {
        std::process::exit(1);
    }
}
