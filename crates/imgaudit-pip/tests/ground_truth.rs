//! Replays every case of `tests/ground-truth/pip-user-truth.json` (PIP-SEMANTICS.md §6) through
//! `evaluate_install` and compares decision, error reason, exit status and log evidence.

use std::fmt::Write as _;
use std::path::PathBuf;

use imgaudit_pip::{
    ConfigFileKind, ConfigSource, Decision, InstallOutcome, Launch, MarkerState, PipCommand,
    PipVersion, Scenario, VenvKind, evaluate_install, user_base,
};
use serde_json::Value;

/// Cases that cannot be modelled from static inputs: (pip version, case id, why). Kept empty;
/// an entry that starts matching or disappears fails the test, so the list cannot rot.
const EXCLUDED: &[(&str, &str, &str)] = &[];

/// The lines `decide_user_install` logs (§1.7); compared as a set with the case's evidence.
const DECISION_LINES: &[&str] = &[
    "Non-user install by explicit request",
    "User install by explicit request",
    "Non-user install due to --prefix or --target option",
    "Non-user install because user site-packages disabled",
    "Non-user install because site-packages writeable",
    "Defaulting to user installation because normal site-packages is not writeable",
];

/// Stands for the lab root `<lab>`; absolute, as the real one was, so `--root` re-rooting works.
const LAB: &str = "/@LAB@";
const RUN_HOME: &str = "{RUN}/home";

fn truth() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/ground-truth/pip-user-truth.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("pip-user-truth.json is JSON")
}

fn text(v: &Value) -> &str {
    v.as_str().expect("a string")
}

fn env_pairs(inputs: &Value) -> Vec<(String, String)> {
    inputs["env_in_order"]
        .as_array()
        .expect("env_in_order")
        .iter()
        .map(|pair| (text(&pair[0]).to_owned(), text(&pair[1]).to_owned()))
        .collect()
}

fn marker(value: &Value) -> MarkerState {
    match value {
        Value::Null => MarkerState::Absent,
        Value::String(s) => MarkerState::RegularFile {
            content: Some(s.as_bytes().to_vec()),
        },
        Value::Object(map) if map.get("dir") == Some(&Value::Bool(true)) => MarkerState::Directory,
        Value::Object(map) => {
            let latin1 = text(map.get("latin1").expect("latin1 marker"));
            // Each char is one Latin-1 byte.
            let bytes = latin1
                .chars()
                .map(|c| u8::try_from(u32::from(c)).expect("latin-1 char"))
                .collect();
            MarkerState::RegularFile {
                content: Some(bytes),
            }
        }
        other => panic!("unexpected EXTERNALLY-MANAGED value {other}"),
    }
}

/// Where the harness put each configuration file (`HOME` = `{RUN}/home`, §6).
fn config_path(kind: ConfigFileKind, version: &str, env: &[(String, String)]) -> String {
    let env_value = |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    match kind {
        ConfigFileKind::Xdg => format!(
            "{}/pip/pip.conf",
            env_value("XDG_CONFIG_DIRS").unwrap_or_else(|| "/etc/xdg".to_owned())
        ),
        ConfigFileKind::Etc => "/etc/pip.conf".to_owned(),
        ConfigFileKind::Legacy => format!("{RUN_HOME}/.pip/pip.conf"),
        ConfigFileKind::User => format!("{RUN_HOME}/.config/pip/pip.conf"),
        ConfigFileKind::Site => format!("{LAB}/prefixes/{version}/pip.conf"),
        ConfigFileKind::EnvFile => {
            env_value("PIP_CONFIG_FILE").unwrap_or_else(|| "{ENVFILE}".to_owned())
        }
    }
}

fn scenario(version_key: &str, inputs: &Value) -> Scenario {
    let version: PipVersion = version_key.parse().expect("version key");
    let command = match text(&inputs["command"]) {
        "install" => PipCommand::Install,
        "uninstall" => PipCommand::Uninstall,
        other => panic!("unexpected command {other}"),
    };
    let purelib = format!("{LAB}/prefixes/{version_key}/lib/python3.11/site-packages");
    let mut s = Scenario::new(version, command, "3.11", purelib);
    s.env = env_pairs(inputs);
    s.cli_args = inputs["cli_args"]
        .as_array()
        .expect("cli_args")
        .iter()
        .map(|a| text(a).to_owned())
        .collect();
    let files = inputs["config_files"].as_object().expect("config_files");
    for key in files.keys() {
        assert!(
            ConfigFileKind::from_json_key(key).is_some(),
            "unknown config kind {key}"
        );
    }
    s.config_files = ConfigFileKind::ALL
        .into_iter()
        .map(|kind| {
            let path = config_path(kind, version_key, &s.env);
            match files.get(kind.json_key()) {
                Some(body) => ConfigSource::parsed(kind, path, text(body)),
                None => ConfigSource::missing(kind, path),
            }
        })
        .collect();
    s.launch = Launch::Exec;
    s.venv = VenvKind::NotVenv;
    s.marker = marker(&inputs["EXTERNALLY-MANAGED"]);
    // uid 0 writes everywhere; 65534 cannot write the prefix but owns the run's scratch dir.
    let root = inputs["uid"].as_u64().expect("uid") == 0;
    s.passwd_home = Some(RUN_HOME.to_owned());
    s.site_packages_writable = root;
    s.user_base_writable = root || user_base(&s.env, s.passwd_home.as_deref()).starts_with("{RUN}");
    s.other_locations_writable = true;
    s
}

/// The outcome in the case file's vocabulary: (decision, error_reason).
fn as_truth(decision: &Decision) -> (String, Option<String>) {
    match decision {
        Decision::User => ("user".to_owned(), None),
        Decision::Site => ("site".to_owned(), None),
        Decision::Other(dir) => (format!("other:{}/tinypkg", dir.replace(LAB, "<lab>")), None),
        Decision::Error(reason) => ("error".to_owned(), Some(reason.code())),
        Decision::DryRunOk => ("dry-run-ok".to_owned(), None),
        Decision::Uninstalled => ("uninstalled".to_owned(), None),
    }
}

/// Differences between a case and the model, empty when they agree.
fn compare(case: &Value, outcome: &InstallOutcome) -> Vec<String> {
    let mut diffs = Vec::new();
    let (decision, reason) = as_truth(&outcome.decision);
    let want_decision = text(&case["decision"]);
    let want_reason = case["error_reason"].as_str();
    if decision != want_decision || reason.as_deref() != want_reason {
        diffs.push(format!(
            "decision: expected {want_decision} ({want_reason:?}), got {decision} ({reason:?})"
        ));
    }
    let want_exit = case["exit_code"].as_i64().expect("exit_code");
    if i64::from(outcome.exit_code) != want_exit {
        diffs.push(format!(
            "exit code: expected {want_exit}, got {}",
            outcome.exit_code
        ));
    }
    let evidence: Vec<&str> = case["pip_log_evidence"]
        .as_array()
        .expect("pip_log_evidence")
        .iter()
        .map(text)
        .collect();
    let mut want_lines: Vec<&str> = evidence
        .iter()
        .copied()
        .filter(|e| DECISION_LINES.contains(e))
        .collect();
    let mut got_lines: Vec<&str> = outcome
        .log
        .iter()
        .map(|l| l.text.as_str())
        .filter(|t| DECISION_LINES.contains(t))
        .collect();
    want_lines.sort_unstable();
    got_lines.sort_unstable();
    if want_lines != got_lines {
        diffs.push(format!(
            "decision log: expected {want_lines:?}, got {got_lines:?}"
        ));
    }
    // "… by explicit request" means some setting decided use_user_site; the automatic lines
    // mean none did. This checks the settings resolution, not just the decision.
    let explicit = want_lines
        .iter()
        .any(|l| l.ends_with("by explicit request"));
    let automatic = want_lines
        .iter()
        .any(|l| !l.ends_with("by explicit request"));
    let decided = outcome.settings.use_user_site.decided_by.is_some();
    if (explicit && !decided) || (automatic && decided) {
        diffs.push(format!(
            "use_user_site decided by {:?} but the log says {want_lines:?}",
            outcome.settings.use_user_site.decided_by
        ));
    }
    // Error evidence (messages) must appear in what the model says pip prints.
    if want_decision == "error" {
        for e in evidence.iter().filter(|e| !DECISION_LINES.contains(e)) {
            if !outcome.log.iter().any(|l| l.text.contains(e)) {
                diffs.push(format!("log lacks {e:?}: {:?}", outcome.log));
            }
        }
    }
    diffs
}

#[test]
fn every_ground_truth_case_matches() {
    let truth = truth();
    let versions = truth["versions"].as_object().expect("versions");
    assert_eq!(
        versions.len(),
        13,
        "PIP-SEMANTICS.md §0 lists 13 pip releases"
    );
    let mut total = 0;
    let mut report = String::new();
    let mut mismatches = 0;
    let mut excluded_seen = vec![false; EXCLUDED.len()];
    for (version_key, data) in versions {
        for (id, case) in data["cases"].as_object().expect("cases") {
            total += 1;
            let outcome = evaluate_install(&scenario(version_key, &case["inputs"]));
            let diffs = compare(case, &outcome);
            let excluded = EXCLUDED
                .iter()
                .position(|(v, c, _)| v == version_key && c == id);
            match (excluded, diffs.is_empty()) {
                (Some(i), true) => {
                    excluded_seen[i] = true;
                    mismatches += 1;
                    let _ = writeln!(
                        report,
                        "[{version_key}] {id}: listed in EXCLUDED but now matches; remove it"
                    );
                }
                (Some(i), false) => excluded_seen[i] = true,
                (None, true) => {}
                (None, false) => {
                    mismatches += 1;
                    let _ = writeln!(report, "[{version_key}] {id}:");
                    for d in diffs {
                        let _ = writeln!(report, "    {d}");
                    }
                }
            }
        }
    }
    for (seen, (v, c, _)) in excluded_seen.iter().zip(EXCLUDED) {
        if !seen {
            mismatches += 1;
            let _ = writeln!(report, "[{v}] {c}: listed in EXCLUDED but not in the data");
        }
    }
    assert_eq!(total, 2206, "PIP-SEMANTICS.md §0: 2,206 case results");
    assert!(
        mismatches == 0,
        "{mismatches} of {total} ground-truth cases disagree with the model:\n{report}"
    );
}

/// `per_version_summary` (§6) against the version predicates of §5.4, for all 13 releases.
#[test]
fn per_version_summary_matches_change_points() {
    let truth = truth();
    let summary = truth["per_version_summary"].as_object().expect("summary");
    assert_eq!(summary.len(), 13);
    for (key, s) in summary {
        let v: PipVersion = key.parse().expect("version key");
        let flag = |name: &str| s[name].as_bool().unwrap_or_else(|| panic!("{key}: {name}"));
        assert_eq!(
            v.has_no_user_option(),
            flag("has_--no-user_option"),
            "{key}"
        );
        assert_eq!(
            v.env_prefix_case_insensitive(),
            flag("lowercase_pip_user_env_honored"),
            "{key}"
        );
        assert_eq!(
            v.falls_back_to_user_install(),
            flag("auto_user_fallback_when_site_unwritable"),
            "{key}"
        );
        assert_eq!(
            v.reads_site_config_outside_venv(),
            flag("sys.prefix/pip.conf_honored_outside_venv"),
            "{key}"
        );
        assert_eq!(
            v.enforces_externally_managed(),
            flag("EXTERNALLY-MANAGED_enforced"),
            "{key}"
        );
        assert_eq!(
            v.honours_break_system_packages(),
            flag("--break-system-packages_option"),
            "{key}"
        );
        let user_when_disabled = text(&s["explicit_user_when_PYTHONNOUSERSITE"]);
        assert_eq!(
            v.refuses_user_install_when_user_site_disabled(),
            user_when_disabled == "E:user-site-disabled",
            "{key}"
        );
        let lines = text(&s["decision_debug_lines_need"]);
        let expected = match lines {
            "-v" => Some(1),
            "-vv" => Some(2),
            _ => None,
        };
        assert_eq!(v.decision_log_verbosity(), expected, "{key}: {lines}");
        assert_eq!(v.to_string(), *key, "Display round-trips the data's keys");
    }
}
