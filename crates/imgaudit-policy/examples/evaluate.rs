//! Times the evaluation of the built-in policies on a facts document, for `ci/bench.sh`.
//!
//! ```text
//! imgaudit facts IMAGE > facts.json
//! cargo run --release -p imgaudit-policy --example evaluate -- facts.json [RUNS [DISTRIBUTIONS]]
//! ```
//!
//! With DISTRIBUTIONS, every site-packages and user site of the document is padded with made-up
//! distributions (half of them also in the user site, at another version) up to that many, to
//! see how evaluation scales on images with thousands of packages.
//!
//! Prints one line of JSON: the document's size, the number of findings, and the median and
//! minimum time of one evaluation (JSON input conversion included, compilation excluded: a scan
//! compiles once and evaluates once per image).

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

/// Pads every distribution list of the document to `count` entries.
fn pad_distributions(input: &mut serde_json::Value, count: usize) {
    let pad = |list: &mut Vec<serde_json::Value>, version: &str| {
        for i in list.len()..count {
            list.push(serde_json::json!({
                "name": format!("package-{i}"),
                "normalized_name": format!("package-{i}"),
                "version": if i % 2 == 0 { version } else { "1.0" },
                "installer": "pip",
                "owned_by_package": null,
                "path": format!("/x/package_{i}-1.0.dist-info"),
                "origin": {"layer": 0, "history_step": 0},
            }));
        }
    };
    if let Some(pythons) = input["pythons"].as_array_mut() {
        for python in pythons {
            if let Some(sites) = python["site_packages"].as_array_mut() {
                for site in sites {
                    if let Some(list) = site["distributions"].as_array_mut() {
                        pad(list, "1.0");
                    }
                }
            }
        }
    }
    if let Some(sites) = input["user_sites"].as_array_mut() {
        for site in sites {
            if let Some(list) = site["distributions"].as_array_mut() {
                pad(list, "2.0");
            }
        }
    }
}
