//! Times the evaluation of the built-in policies on a facts document, for `ci/bench.sh`.
//!
//! ```text
//! imgaudit facts IMAGE > facts.json
//! cargo run --release -p imgaudit-policy --example evaluate -- facts.json [RUNS [DISTRIBUTIONS]]
//! ```
//!
//! With DISTRIBUTIONS, the document's site-packages directories and user sites are padded,
//! round robin, with made-up distributions (every other one recorded as installed by pip, user
//! sites at another version) until the document holds that many, to see how evaluation scales
//! on images with thousands of packages.

use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: evaluate FACTS.json [RUNS]")?;
    let runs: usize = args.next().map_or(Ok(50), |n| n.parse())?;
    let pad: Option<usize> = args.next().map(|n| n.parse()).transpose()?;
    let mut input: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    if let Some(count) = pad {
        pad_distributions(&mut input, count);
    }
    let text = serde_json::to_string(&input)?;
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

/// Pads the distribution lists of the document, round robin, to `count` distributions in all.
fn pad_distributions(input: &mut serde_json::Value, count: usize) {
    // JSON pointers to every distribution list, and the version its padding gets.
    let mut lists: Vec<(String, &str)> = Vec::new();
    for (p, python) in input["pythons"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for s in 0..python["site_packages"].as_array().map_or(0, Vec::len) {
            lists.push((
                format!("/pythons/{p}/site_packages/{s}/distributions"),
                "1.0",
            ));
        }
    }
    for u in 0..input["user_sites"].as_array().map_or(0, Vec::len) {
        lists.push((format!("/user_sites/{u}/distributions"), "2.0"));
    }
    let length = |input: &serde_json::Value, pointer: &str| {
        input
            .pointer(pointer)
            .and_then(|l| l.as_array())
            .map_or(0, Vec::len)
    };
    let mut total: usize = lists
        .iter()
        .map(|(pointer, _)| length(input, pointer))
        .sum();
    let mut i = 0;
    while total < count && !lists.is_empty() {
        let (pointer, version) = &lists[i % lists.len()];
        if let Some(list) = input.pointer_mut(pointer).and_then(|l| l.as_array_mut()) {
            list.push(serde_json::json!({
                "name": format!("package-{i}"),
                "normalized_name": format!("package-{i}"),
                "version": version,
                "installer": if i % 2 == 0 { serde_json::json!("pip") } else { serde_json::Value::Null },
                "owned_by_package": null,
                "path": format!("/x/package_{i}-{version}.dist-info"),
                "origin": {"layer": 0, "history_step": 0},
            }));
        }
        total += 1;
        i += 1;
    }
}
