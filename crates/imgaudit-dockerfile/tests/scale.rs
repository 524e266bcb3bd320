//! Big Dockerfiles and histories stay within bounds.

mod common;

use std::fmt::Write as _;

use common::{parse, steps};
use imgaudit_dockerfile::{MatchKind, map_history};

#[test]
fn thousands_of_instructions() {
    let mut dockerfile = String::from("FROM debian:bookworm\n");
    let mut commands = Vec::new();
    for k in 0..2000 {
        let _ = writeln!(
            dockerfile,
            "# step {k}\nRUN echo {k} \\\n    && touch /f{k}"
        );
        let _ = writeln!(dockerfile, "ENV V{k}={k}");
        commands.push(format!("/bin/sh -c echo {k}     && touch /f{k}"));
        commands.push(format!("/bin/sh -c #(nop) ENV V{k}={k}"));
    }
    let mut history: Vec<(&str, bool)> = vec![("/bin/sh -c #(nop) ADD file:abc in / ", false); 30];
    history.extend(commands.iter().map(|c| (c.as_str(), false)));
    let d = parse(&dockerfile);
    let map = map_history(&d, &steps(&history)).expect("maps");
    assert!(
        map.steps[..30]
            .iter()
            .all(|s| s.as_ref().is_some_and(|m| m.how == MatchKind::BaseImage))
    );
    let last = map.steps.last().and_then(Option::as_ref).expect("mapped");
    assert_eq!((last.start_line, last.end_line), (8_001, 8_001));
    let run = map.steps[30].as_ref().expect("mapped");
    assert_eq!((run.start_line, run.end_line), (3, 4));
}

#[test]
fn many_chained_stages() {
    // 150 stages, each built on the previous one: every stage is tried as the target with
    // its whole ancestry in front; the last stage explains everything and wins.
    let mut dockerfile = String::from("FROM alpine AS s0\nRUN echo 0\n");
    let mut commands = vec!["/bin/sh -c echo 0".to_owned()];
    for k in 1..150 {
        let _ = write!(
            dockerfile,
            "FROM s{} AS s{k}\nRUN echo {k}\nRUN true\n",
            k - 1
        );
        commands.push(format!("/bin/sh -c echo {k}"));
        commands.push("/bin/sh -c true".to_owned());
    }
    let history: Vec<(&str, bool)> = commands.iter().map(|c| (c.as_str(), false)).collect();
    let d = parse(&dockerfile);
    let map = map_history(&d, &steps(&history)).expect("maps");
    assert_eq!(map.stage, 149);
    let last = map.steps.last().and_then(Option::as_ref).expect("mapped");
    assert_eq!(last.stage, 149);
}

#[test]
fn beyond_the_budget_maps_nothing_quickly() {
    let dockerfile = format!("FROM a\n{}", "RUN x\n".repeat(20_000));
    let history = vec![("/bin/sh -c x", false); 5_000];
    let d = parse(&dockerfile);
    assert_eq!(map_history(&d, &steps(&history)), None);
}

#[test]
fn tens_of_thousands_of_chained_stages_without_instructions_stay_bounded() {
    // Found with a large input fed to the `dockerfile` fuzz target (tests/fuzz): stages without
    // instructions cost no alignment cells, but walking each one's ancestry was quadratic
    // (80,000 stages, 1.7 MB, took minutes). The walk is charged to the same budget.
    let mut dockerfile = String::from("FROM alpine AS s0\n");
    for k in 1..80_000 {
        let _ = writeln!(dockerfile, "FROM s{} AS s{k}", k - 1);
    }
    let history = vec![("/bin/sh -c echo", false); 50];
    let d = parse(&dockerfile);
    assert_eq!(d.stages.len(), 80_000);
    let started = std::time::Instant::now();
    assert_eq!(map_history(&d, &steps(&history)), None);
    let elapsed = started.elapsed();
    // The budget is about a second of work; quadratic walking took minutes.
    assert!(
        elapsed < std::time::Duration::from_secs(60),
        "took {elapsed:?}"
    );
}
