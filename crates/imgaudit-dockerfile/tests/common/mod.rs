//! Helpers shared by the mapping tests.

// Each test binary uses a different subset of the helpers.
#![allow(dead_code)]

use imgaudit_dockerfile::{Dockerfile, HistoryMap, MatchKind, RecordedStep, map_history};

/// Parses or fails the test with the error.
pub(crate) fn parse(text: &str) -> Dockerfile {
    match Dockerfile::parse(text) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

/// History steps from `(created_by, empty_layer)` pairs.
pub(crate) fn steps<'a>(history: &[(&'a str, bool)]) -> Vec<RecordedStep<'a>> {
    history
        .iter()
        .map(|&(created_by, empty)| RecordedStep::new(Some(created_by), empty))
        .collect()
}

/// Each step as `base L<line>`, `<KEYWORD> L<start>-<end> s<stage>` or `-`.
pub(crate) fn render(map: &HistoryMap) -> Vec<String> {
    map.steps
        .iter()
        .map(|step| match step {
            None => "-".to_owned(),
            Some(m) if m.how == MatchKind::BaseImage => {
                assert_eq!(m.start_line, m.end_line);
                format!("base L{} s{}", m.start_line, m.stage)
            }
            Some(m) => format!(
                "{} L{}-{} s{}",
                m.keyword, m.start_line, m.end_line, m.stage
            ),
        })
        .collect()
}

/// Maps and renders, failing the test when nothing maps.
pub(crate) fn mapped(dockerfile: &str, history: &[(&str, bool)]) -> (usize, Vec<String>) {
    let d = parse(dockerfile);
    let map = map_history(&d, &steps(history)).expect("the history maps");
    assert_eq!(map.steps.len(), history.len());
    (map.stage, render(&map))
}

/// Whether anything maps.
pub(crate) fn maps(dockerfile: &str, history: &[(&str, bool)]) -> bool {
    map_history(&parse(dockerfile), &steps(history)).is_some()
}

/// `n` copies of `line`.
pub(crate) fn repeat(line: &str, n: usize) -> Vec<String> {
    vec![line.to_owned(); n]
}
