//! Replays every record of `tests/ground-truth/pipenv-truth.json` (PIPENV-SEMANTICS.md §6)
//! through `decide` and compares where the package landed, or the refusal and exit status,
//! per pipenv version.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use imgaudit_pipenv::{
    Command, Interpreter, Outcome, PipenvVersion, Scenario, Target, decide, parse_flag_env,
};
use serde_json::Value;

/// Records that cannot be predicted from the inputs a scanner has: (record id, why). An id
/// listed here that is missing from the data fails the test, so the list cannot rot.
const EXCLUDED: &[(&str, &str)] = &[(
    "mirror:credentials",
    "asks whether the mirror URL is written into the project files; checked by \
     `mirror_credentials_reach_project_files_as_measured` instead",
)];

fn truth() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/ground-truth/pipenv-truth.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("pipenv-truth.json is JSON")
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// The prepared interpreters of the lab (the record's `targets` legend).
fn target_interpreter(kind: &str, root: bool) -> Interpreter {
    let (is_venv, marker) = match kind {
        "usrlocal" | "conda" => (false, false),
        "debian" => (false, true),
        "venv" | "debian-venv" => (true, false),
        other => panic!("unknown target {other}"),
    };
    Interpreter {
        is_venv,
        marker,
        // Every prepared interpreter carries the copied CPython's pip 23.2.1.
        own_pip_enforces_marker: true,
        site_writable: root,
    }
}

fn command(args: &[&str]) -> Command {
    match args {
        ["sync", ..] => Command::Sync,
        ["install", rest @ ..] if rest.contains(&"--deploy") => Command::InstallDeploy,
        ["install", rest @ ..] if rest.iter().any(|a| !a.starts_with('-')) => {
            Command::InstallPackage
        }
        ["install", ..] => Command::Install,
        other => panic!("unknown command {other:?}"),
    }
}

/// What the record shows, in the terms of [`Outcome`]: a short label compared as text.
fn observed(rec: &Value) -> String {
    let exit = &rec["exit"];
    let landed: Vec<&str> = rec["landed"]
        .as_array()
        .expect("landed")
        .iter()
        .map(text)
        .collect();
    let target = text(&rec["target"]);
    if rec["marker_refusal"] == Value::Bool(true) {
        return format!("refused-by-marker exit={exit}");
    }
    // pipenv 2023.x retries a failed install with `--no-use-pep517`; the retry fails on its
    // own (no `wheel` in the target) and its message replaces pip's first one. Only where the
    // same run without the marker succeeded (the usrlocal records) is that read as the marker.
    let output = rec["output"].as_array().expect("output");
    if landed.is_empty()
        && target == "debian"
        && exit.as_i64() == Some(1)
        && output.iter().any(|l| text(l).contains("Will try again"))
        && output
            .iter()
            .any(|l| text(l).contains("It is not possible to use --no-use-pep517"))
    {
        return format!("refused-by-marker exit={exit}");
    }
    match landed.as_slice() {
        [] => format!("aborted exit={exit}"),
        [one] if *one == format!("prefix:{target}") => format!("installs:path-python exit={exit}"),
        ["pipenv-own-venv"] => format!("installs:pipenv-python exit={exit}"),
        ["pipenv-created-venv"] => format!("installs:new-virtualenv exit={exit}"),
        ["project-venv"] => format!("installs:new-virtualenv-in-project exit={exit}"),
        ["user-site"] => format!("user-site exit={exit}"),
        other => format!("unexpected landing {other:?} exit={exit}"),
    }
}

fn predicted(outcome: &Outcome, in_target: bool) -> String {
    let target = |t: &Target| match t {
        // The lab activates the target venv, so it is also the PATH's; run under the target
        // interpreter, pipenv's own interpreter is the one on PATH.
        Target::PathPython | Target::ActiveVirtualenv => "path-python",
        Target::PipenvPython if in_target => "path-python",
        Target::PipenvPython => "pipenv-python",
        Target::NewVirtualenv { in_project: false } => "new-virtualenv",
        Target::NewVirtualenv { in_project: true } => "new-virtualenv-in-project",
    };
    match outcome {
        Outcome::Installs { target: t, .. } => format!("installs:{} exit=0", target(t)),
        Outcome::UserSite { .. } => "user-site exit=0".to_owned(),
        Outcome::RefusedByMarker { .. } => "refused-by-marker exit=1".to_owned(),
        Outcome::Aborted { exit, .. } => format!("aborted exit={exit}"),
    }
}

#[test]
fn every_recorded_run_is_predicted() {
    let doc = truth();
    let records = doc["records"].as_array().expect("records");
    assert!(records.len() > 200, "the data holds every run");
    let mut failures = String::new();
    let mut seen_excluded = BTreeSet::new();
    let mut checked = 0;
    for rec in records {
        let id = text(&rec["id"]);
        let version_text = text(&rec["version"]);
        if let Some((_, _why)) = EXCLUDED.iter().find(|(e, _)| *e == id) {
            seen_excluded.insert(id);
            continue;
        }
        let version: PipenvVersion = version_text.parse().expect("version");
        let root = rec["uid"].as_u64() == Some(0);
        let target = text(&rec["target"]);
        let mut env: Vec<(String, String)> = Vec::new();
        if rec["activate_venv"] == Value::Bool(true) {
            env.push(("VIRTUAL_ENV".to_owned(), format!("<lab>/prefixes/{target}")));
        }
        for pair in rec["env"].as_array().expect("env") {
            env.push((text(&pair[0]).to_owned(), text(&pair[1]).to_owned()));
        }
        let args: Vec<&str> = rec["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(text)
            .collect();
        let in_target = text(&rec["launch"]) == "pipenv-in-target";
        let path_python = target_interpreter(target, root);
        let pipenv_python = if in_target {
            path_python
        } else {
            // pipenv's own venv, owned by root.
            Interpreter {
                is_venv: true,
                marker: false,
                own_pip_enforces_marker: true,
                site_writable: root,
            }
        };
        let scenario = Scenario {
            version,
            env: &env,
            system_flag: args.contains(&"--system"),
            command: command(&args),
            pipenv_python,
            path_python: Some(path_python),
        };
        let decision = decide(&scenario);
        let want = observed(rec);
        let got = predicted(&decision.outcome, in_target);
        checked += 1;
        if want != got {
            let _ = writeln!(
                failures,
                "{version_text} {id}: recorded {want}, predicted {got} ({decision:?})"
            );
        }
        // An install into a marked interpreter must say what let it through.
        if let Outcome::Installs { past_marker, .. } = &decision.outcome {
            let marked = path_python.marker && want.starts_with("installs:path-python");
            if marked != past_marker.is_some() {
                let _ = writeln!(
                    failures,
                    "{version_text} {id}: past_marker {past_marker:?} but marked={marked}"
                );
            }
        }
    }
    for (id, why) in EXCLUDED {
        assert!(
            seen_excluded.contains(id),
            "excluded record {id} ({why}) is not in the data"
        );
    }
    assert!(checked > 200, "only {checked} records checked");
    assert!(failures.is_empty(), "mispredicted runs:\n{failures}");
}

#[test]
fn every_recorded_pipenv_system_value_parses_as_observed() {
    let doc = truth();
    for rec in doc["records"].as_array().expect("records") {
        let id = text(&rec["id"]);
        if !id.starts_with("truth:") {
            continue;
        }
        let version: PipenvVersion = text(&rec["version"]).parse().expect("version");
        let raw = text(&rec["env"][0][1]);
        let landed = rec["landed"].as_array().expect("landed");
        let parsed = parse_flag_env(raw, version);
        let observed = match (rec["exit"].as_i64(), landed.first().map(text)) {
            (Some(2), None) => imgaudit_pipenv::FlagEffect::Abort,
            (_, Some("pipenv-created-venv")) => imgaudit_pipenv::FlagEffect::Off,
            (_, Some(_)) => imgaudit_pipenv::FlagEffect::On,
            other => panic!("{id}: unexpected record {other:?}"),
        };
        assert_eq!(parsed.effect, observed, "{version} PIPENV_SYSTEM={raw:?}");
    }
}

#[test]
fn mirror_credentials_reach_project_files_as_measured() {
    let doc = truth();
    let mut seen = 0;
    for rec in doc["records"].as_array().expect("records") {
        if text(&rec["id"]) != "mirror:credentials" {
            continue;
        }
        seen += 1;
        let version: PipenvVersion = text(&rec["version"]).parse().expect("version");
        let files = rec["files"].as_object().expect("files");
        for name in ["Pipfile", "Pipfile.lock"] {
            assert_eq!(
                files[name]["contains_secret"],
                Value::Bool(version.writes_mirror_into_project_files()),
                "{version}: the mirror password in {name}"
            );
        }
    }
    assert_eq!(seen, doc["versions"].as_array().expect("versions").len());
}
