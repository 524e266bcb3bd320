//! Replays every case of `tests/ground-truth/uv-truth.json` (UV-SEMANTICS.md §7), per uv release,
//! through the crate: settings resolution, where `uv pip install` / `uv sync` land, the index
//! strategy, credentials and insecure hosts. The predicted outcome class, landing site, version
//! and whether credentials reached the index must equal the recorded ones.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use imgaudit_uv::{
    Abort, CliFlags, FileLookup, Interpreter, PipInstallInput, PipLanding, SettingsInput, Table,
    UvVersion, index_credentials, insecure_host_matches, key_known, pick_version,
    pip_install_target, resolve_settings, sync_target,
};
use serde_json::Value;

/// Cases the crate cannot predict: (uv version, case id, why). Kept empty; an entry that starts
/// matching or disappears fails the test.
const EXCLUDED: &[(&str, &str, &str)] = &[];

const ENVS: &str = "/lab/envs";
const HTTP: &str = "http://127.0.0.1:8000";
const HTTPS: &str = "https://127.0.0.1:8443";

fn truth() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/ground-truth/uv-truth.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("uv-truth.json is JSON")
}

/// Replaces the recorded placeholders by absolute stand-ins.
fn subst(s: &str) -> String {
    s.replace("@HOME@", "/run/home")
        .replace("@CWD@", "/run/cwd")
        .replace("@RUN@", "/run")
        .replace("@ENVS@", ENVS)
        .replace("@WHEELS@", "/lab/wheels")
        .replace("@HTTPS@", HTTPS)
        .replace("@HTTP@", HTTP)
        .replace("@HTTPS_PORT@", "8443")
        .replace("@HTTP_PORT@", "8000")
}

struct Files(HashMap<String, String>);

impl FileLookup for Files {
    fn read(&self, path: &str) -> Option<&str> {
        self.0.get(path).map(String::as_str)
    }
}

fn env_interp(kind: &str) -> Interpreter {
    Interpreter {
        prefix: format!("{ENVS}/{kind}"),
        is_venv: kind == "venv",
        externally_managed: kind == "debian",
    }
}

/// The site name the harness reports for a prefix (`landed` in the JSON).
fn site_name(prefix: &str) -> String {
    if let Some(kind) = prefix.strip_prefix(&format!("{ENVS}/")) {
        return kind.to_owned();
    }
    match prefix {
        "/run/cwd/.venv" => "cwd/.venv".to_owned(),
        "/run/cwd/proj/.venv" => "project/.venv".to_owned(),
        other => panic!("unexpected prefix {other}"),
    }
}

/// What an index url offers for `tinypkg` in the harness (§7: low, high, auth, nowhere*).
fn offers(url: &str, authenticated: bool) -> Option<Vec<&'static str>> {
    let path = url.split_once("://").map_or(url, |(_, r)| r);
    let path = &path[path.find('/').unwrap_or(path.len())..];
    match path.trim_end_matches('/') {
        "/low/simple" => Some(vec!["1.0"]),
        "/high/simple" => Some(vec!["1.0", "2.0"]),
        "/auth/simple" if authenticated => Some(vec!["1.0", "2.0"]),
        _ => None,
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Predicted {
    class: String,
    landed: Vec<String>,
    version: Option<String>,
    auth: bool,
}

fn predict(version: UvVersion, inputs: &Value) -> Predicted {
    let python = inputs["python"].as_str().expect("python");
    let mut env: Vec<(String, String)> = vec![
        ("HOME".into(), "/run/home".into()),
        ("PATH".into(), format!("{ENVS}/{python}/bin:/lab/empty-bin")),
        ("UV_PYTHON_DOWNLOADS".into(), "never".into()),
        ("NO_COLOR".into(), "1".into()),
    ];
    for pair in inputs["env_in_order"].as_array().expect("env") {
        env.push((
            pair[0].as_str().unwrap().to_owned(),
            subst(pair[1].as_str().unwrap()),
        ));
    }
    let files = Files(
        inputs["files"]
            .as_object()
            .expect("files")
            .iter()
            .map(|(p, t)| (subst(p), subst(t.as_str().unwrap())))
            .collect(),
    );
    let cwd = subst(inputs["cwd"].as_str().expect("cwd"));
    let args: Vec<String> = inputs["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| subst(a.as_str().unwrap()))
        .collect();

    let mut cli = CliFlags::default();
    let mut requirement = None;
    let mut explicit_python = None;
    let mut it = args.iter().skip(match args[0].as_str() {
        "pip" => 2,
        _ => 1,
    });
    while let Some(a) = it.next() {
        match a.as_str() {
            "--system" => cli.system = true,
            "--break-system-packages" => cli.break_system_packages = true,
            "--no-config" => cli.no_config = true,
            "--no-index" => {}
            "--find-links" => {
                it.next();
            }
            "--index-strategy" => cli.index_strategy = it.next().cloned(),
            "--python" => explicit_python = it.next().cloned(),
            other if !other.starts_with('-') => requirement = Some(other.to_owned()),
            other => panic!("unmodelled argument {other}"),
        }
    }
    let input = SettingsInput {
        version,
        env: &env,
        cwd: &cwd,
        home: Some("/run/home"),
        cli: &cli,
    };
    let resolved = resolve_settings(&input, &files);
    let fail = |class: &str| Predicted {
        class: class.to_owned(),
        landed: vec![],
        version: None,
        auth: false,
    };
    if let Some(abort) = &resolved.abort {
        return fail(match abort {
            Abort::InvalidValue { .. } => "invalid-value",
            Abort::CliUsage { .. } => "cli-usage",
            Abort::ConfigParse { .. } => "config-parse",
        });
    }

    if args[0] == "sync" {
        let target = sync_target(resolved.project_environment.as_deref(), &cwd);
        return Predicted {
            class: "installed".into(),
            landed: vec![site_name(&target)],
            version: Some("2.0".into()),
            auth: false,
        };
    }

    let interp_at = |path: &str| -> Interpreter {
        let prefix = path.trim_end_matches("/bin/python");
        let kind = prefix
            .strip_prefix(&format!("{ENVS}/"))
            .unwrap_or_else(|| panic!("unexpected interpreter {path}"));
        env_interp(kind)
    };
    let virtual_env = input.var("VIRTUAL_ENV").map(interp_at);
    let conda_prefix = input.var("CONDA_PREFIX").map(interp_at);
    let explicit = explicit_python.as_deref().map(interp_at);
    let dot_venv = inputs
        .get("pre_venv")
        .and_then(Value::as_str)
        .map(|p| Interpreter {
            prefix: subst(p),
            is_venv: true,
            externally_managed: false,
        });
    let path_pythons = [env_interp(python)];
    let landing = pip_install_target(&PipInstallInput {
        version,
        system: resolved.system.value,
        break_system_packages: resolved.break_system_packages.value,
        explicit_python: explicit.as_ref(),
        virtual_env: virtual_env.as_ref(),
        conda_prefix: conda_prefix.as_ref(),
        dot_venv: dot_venv.as_ref(),
        path_pythons: &path_pythons,
    });
    let prefix = match landing {
        PipLanding::Installs { prefix, .. } => prefix,
        PipLanding::RefusedByMarker { .. } => return fail("externally-managed"),
        PipLanding::NoVenv => return fail("no-venv"),
        PipLanding::NoSystemPython => return fail("no-system-python"),
    };

    if args.iter().any(|a| a == "--no-index") {
        // The find-links dir holds 1.0 and 2.0; uv takes the highest.
        return Predicted {
            class: "installed".into(),
            landed: vec![site_name(&prefix)],
            version: Some("2.0".into()),
            auth: false,
        };
    }

    // Index runs: query the indexes in search order.
    let requirement = requirement.expect("a requirement");
    let minimum_two = requirement.ends_with(">=2");
    let mut auth = false;
    let mut offered = Vec::new();
    for index in &resolved.indexes {
        let creds = index_credentials(&input, index);
        let is_auth = index.url.contains("/auth/");
        if index.url.starts_with("https://") {
            let (host, port) = ("127.0.0.1", Some(8443));
            let insecure = resolved
                .insecure_hosts
                .iter()
                .any(|(entry, _)| insecure_host_matches(entry, host, port));
            if !insecure {
                return fail("fetch-failed");
            }
        }
        let offer = offers(&index.url, creds.is_some());
        if is_auth && creds.is_some() {
            auth = true;
        }
        let stop = offer.is_some()
            && resolved.index_strategy.value == imgaudit_uv::IndexStrategy::FirstIndex;
        offered.push(offer);
        if stop {
            break;
        }
    }
    let satisfies = |v: &str| !minimum_two || v.starts_with('2');
    match pick_version(resolved.index_strategy.value, &offered, &satisfies) {
        Some((_, v)) => Predicted {
            class: "installed".into(),
            landed: vec![site_name(&prefix)],
            version: Some(v.to_owned()),
            auth,
        },
        None => fail("no-solution"),
    }
}

#[test]
fn every_recorded_run_is_predicted() {
    let truth = truth();
    let versions = truth["versions"].as_object().expect("versions");
    assert!(versions.len() >= 7, "expected the 7 measured releases");
    let mut failures = String::new();
    let mut excluded_hit = Vec::new();
    let mut total: u64 = 0;
    for (v, data) in versions {
        let version: UvVersion = v.parse().expect("version");
        for (id, case) in data["cases"].as_object().expect("cases") {
            total += 1;
            let outcome = &case["outcome"];
            let recorded = Predicted {
                class: outcome["class"].as_str().unwrap().to_owned(),
                landed: outcome["landed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect(),
                version: outcome["installed_version"].as_str().map(str::to_owned),
                auth: !outcome["auth_seen"].as_array().unwrap().is_empty(),
            };
            let predicted = predict(version, &case["inputs"]);
            let excluded = EXCLUDED.iter().any(|(ev, eid, _)| *ev == v && *eid == id);
            if excluded {
                excluded_hit.push((v.clone(), id.clone(), predicted == recorded));
                continue;
            }
            if predicted != recorded {
                let _ = writeln!(
                    failures,
                    "uv {v} {id}:\n  recorded  {recorded:?}\n  predicted {predicted:?}"
                );
            }
        }
    }
    assert_eq!(
        total,
        truth["run_count"].as_u64().unwrap(),
        "every run replayed"
    );
    for (v, id, matched) in &excluded_hit {
        assert!(
            !matched,
            "excluded case uv {v} {id} now matches: drop it from EXCLUDED"
        );
    }
    assert_eq!(
        excluded_hit.len(),
        EXCLUDED.len(),
        "every exclusion names a recorded case"
    );
    assert!(failures.is_empty(), "mispredicted runs:\n{failures}");
}

/// Every key a measured release lists as valid is accepted for that release (no false "uv aborts"),
/// and keys outside the lists are not.
#[test]
fn measured_key_lists_are_known() {
    let truth = truth();
    for (v, data) in truth["versions"].as_object().unwrap() {
        let version: UvVersion = v.parse().unwrap();
        for (field, table) in [("top_level", Table::Top), ("pip", Table::Pip)] {
            let Some(keys) = data["uv_toml_keys"][field].as_array() else {
                continue; // 0.2.37 does not list its keys.
            };
            for key in keys {
                let key = key.as_str().unwrap();
                assert!(
                    key_known(version, table, key),
                    "uv {v} accepts {field} key {key}"
                );
            }
            let listed: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
            for probe in [
                "zzz-unknown",
                "system",
                "break-system-packages",
                "allow-insecure-host",
                "index-strategy",
                "index",
            ] {
                assert_eq!(
                    key_known(version, table, probe),
                    listed.contains(&probe),
                    "uv {v} {field} key {probe}"
                );
            }
        }
    }
}
