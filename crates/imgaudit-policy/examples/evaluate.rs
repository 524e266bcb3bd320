//! Times the evaluation of the built-in policies on a facts document, for `ci/bench.sh`.
//!
//! ```text
//! imgaudit facts IMAGE > facts.json
//! cargo run --release -p imgaudit-policy --example evaluate -- facts.json [RUNS]
//! ```
//!
//! Prints one line of JSON: the document's size, the number of findings, and the median and
//! minimum time of one evaluation (JSON input conversion included, compilation excluded: a scan
//! compiles once and evaluates once per image).

use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: evaluate FACTS.json [RUNS]")?;
    let runs: usize = args.next().map_or(Ok(50), |n| n.parse())?;
    let text = std::fs::read_to_string(&path)?;
    let input: serde_json::Value = serde_json::from_str(&text)?;
    let compile_start = Instant::now();
    let engine = imgaudit_policy::PolicySet::builtin()?.compile(&[])?;
    let compile = compile_start.elapsed();
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut findings = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        findings = engine.evaluate(&input)?.len();
        times.push(start.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{}",
        serde_json::json!({
            "input_bytes": text.len(),
            "rules": engine.rules().len(),
            "findings": findings,
            "runs": times.len(),
            "compile_ms": ms(compile),
            "median_ms": ms(times[times.len() / 2]),
            "min_ms": ms(times[0]),
        })
    );
    Ok(())
}
