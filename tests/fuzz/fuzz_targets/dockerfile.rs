//! A Dockerfile (the input's first part) parsed as `--dockerfile` is, every stage's ancestry
//! and every instruction's assignments taken, then lined up with a history (the second part,
//! one `created_by` a line; `#empty ` before it marks a step that made no layer, `#none` a step
//! without one) as an audit lines findings up with Dockerfile lines.
#![no_main]

use imgaudit_dockerfile::{Dockerfile, RecordedStep, map_history};
use imgaudit_fuzz::parts;
use libfuzzer_sys::fuzz_target;

/// Stages and variables asked about.
const SAMPLE: usize = 16;

fuzz_target!(|data: &[u8]| {
    let parts = parts(data);
    let text = String::from_utf8_lossy(parts[0]);
    let dockerfile = match Dockerfile::parse(&text) {
        Ok(dockerfile) => dockerfile,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    // Callers ask about one stage (the target) and a few variables; asking about every stage of
    // a huge file would make this harness quadratic, not the parser.
    let mut variables = Vec::new();
    for stage in dockerfile.stages.iter().rev().take(SAMPLE) {
        let _ = dockerfile.ancestry(stage.index);
        if let Some(name) = &stage.name {
            let _ = dockerfile.stage_named(name);
        }
        for instruction in std::iter::once(&stage.from).chain(&stage.instructions) {
            let _ = instruction.command_line();
            let _ = instruction.keyword.makes_layer();
            for assignment in instruction.assignments(dockerfile.escape) {
                variables.push((stage.index, assignment.key));
            }
        }
    }
    for (stage, variable) in variables.iter().take(SAMPLE) {
        let _ = dockerfile.env_instruction(*stage, variable);
    }

    let history_text = parts.get(1).map(|p| String::from_utf8_lossy(p));
    let history: Vec<RecordedStep<'_>> = history_text
        .as_deref()
        .unwrap_or_default()
        .lines()
        .map(|line| {
            if line == "#none" {
                RecordedStep::new(None, false)
            } else if let Some(step) = line.strip_prefix("#empty ") {
                RecordedStep::new(Some(step), true)
            } else {
                RecordedStep::new(Some(line), false)
            }
        })
        .collect();
    if let Some(map) = map_history(&dockerfile, &history) {
        assert_eq!(
            map.steps.len(),
            history.len(),
            "one mapping per history step"
        );
    }
});
