//! Replays every record of `tests/ground-truth/poetry-truth.json` (POETRY-SEMANTICS.md §6)
//! through the crate and compares what poetry printed, where `tinypkg` landed, which
//! credentials the index saw and what `auth.toml` held afterwards, per poetry release.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use imgaudit_poetry::{
    ConfigFileKind, ConfigLayer, CreateMode, PoetryConfig, PoetryConfigFile, PoetryHost,
    PoetryVersion, Target, TargetInput, config_dir, credential_storage, install_target,
    locate_project, parse_env_bool, publish_token, resolve_create, resolve_http_basic,
};
use serde_json::Value;

/// Records that cannot be predicted from static inputs: (poetry version, record id, why).
/// Kept empty; an entry that starts matching or disappears fails the test.
const EXCLUDED: &[(&str, &str, &str)] = &[];

/// The placeholders the measurement wrote for its paths, used as paths here.
const HOME: &str = "<home>";
const RUN: &str = "<run>";
/// poetry's "Invalid TOML file <path>: …", exit 1, for any file it reads.
const INVALID_TOML: &str = "invalid-toml";

fn truth() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/ground-truth/poetry-truth.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("poetry-truth.json is JSON")
}

fn text(v: &Value) -> &str {
    v.as_str().expect("a string")
}

/// The environment poetry ran with, in order: the harness's own variables, then the case's.
fn environment(record: &Value) -> Vec<(String, String)> {
    let inputs = &record["inputs"];
    let mut env = vec![(String::from("HOME"), HOME.to_owned())];
    for pair in inputs["extra_env"].as_array().expect("extra_env") {
        env.push((text(&pair[0]).to_owned(), text(&pair[1]).to_owned()));
    }
    for pair in inputs["env_in_order"].as_array().expect("env_in_order") {
        env.push((text(&pair[0]).to_owned(), text(&pair[1]).to_owned()));
    }
    env
}

/// What the crate predicts for one record, in the terms the record observed.
#[derive(Debug, PartialEq, Eq)]
struct Prediction {
    exit_ok: bool,
    /// `poetry config <key>` output, landed labels, or the credentials seen, by group.
    observation: String,
}

struct Case<'a> {
    version: PoetryVersion,
    record: &'a Value,
    env: Vec<(String, String)>,
    files: Vec<(String, String)>,
}

impl Case<'_> {
    fn file(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, c)| c.as_str())
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn cwd(&self) -> String {
        match text(&self.record["inputs"]["cwd"]) {
            "project" => format!("{RUN}/project"),
            "sub" => format!("{RUN}/project/sub"),
            "run" => RUN.to_owned(),
            other => panic!("unknown cwd {other}"),
        }
    }

    /// The files poetry reads in this run, parsed; `Err` when one is not TOML.
    fn layers(&self) -> Result<Vec<(ConfigFileKind, PoetryConfigFile)>, String> {
        let dir = config_dir(&self.env, HOME).path;
        let has_project = text(&self.record["inputs"]["project"]) != "none";
        let project = locate_project(&self.cwd(), |p| {
            has_project && p == format!("{RUN}/project/pyproject.toml")
        });
        let mut layers = Vec::new();
        for kind in ConfigFileKind::ALL {
            let path = match kind {
                ConfigFileKind::Global | ConfigFileKind::Auth => {
                    format!("{dir}/{}", kind.file_name())
                }
                ConfigFileKind::Local => match &project {
                    Some(p) => format!("{p}/poetry.toml"),
                    None => continue,
                },
            };
            if let Some(content) = self.file(&path) {
                let parsed =
                    PoetryConfigFile::parse(content).map_err(|e| format!("{path}: {e}"))?;
                layers.push((kind, parsed));
            }
        }
        Ok(layers)
    }

    fn predict(&self) -> Prediction {
        let Ok(layers) = self.layers() else {
            return Prediction {
                exit_ok: false,
                observation: INVALID_TOML.to_owned(),
            };
        };
        let config = PoetryConfig {
            version: self.version,
            env: &self.env,
            layers: layers
                .iter()
                .map(|(kind, file)| ConfigLayer { kind: *kind, file })
                .collect(),
        };
        match text(&self.record["group"]) {
            "bool-env" | "bool-config" | "source" => self.predict_config_read(&config),
            "install-config" | "install-env" | "install-source" | "target" => {
                self.predict_install(&config)
            }
            "store" => self.predict_store(),
            "creds" => predict_creds(&config, text(&self.record["inputs"]["source_name"])),
            "publish" => predict_publish(&config),
            other => panic!("unknown group {other}"),
        }
    }

    /// `poetry config virtualenvs.create`.
    fn predict_config_read(&self, config: &PoetryConfig<'_>) -> Prediction {
        let path = ["virtualenvs", "create"];
        let printed = if let Some((_, raw)) = config.env_value(&path) {
            parse_env_bool(raw, self.version).value.to_string()
        } else if let Some((_, entry)) = config.file_entries(&path).last() {
            entry.value.as_poetry_prints()
        } else {
            "true".to_owned()
        };
        Prediction {
            exit_ok: true,
            observation: printed,
        }
    }

    fn predict_install(&self, config: &PoetryConfig<'_>) -> Prediction {
        let topology = text(&self.record["topology"]);
        let (kind, base) = topology.split_once(':').expect("topology kind:prefix");
        let base = format!("<{base}>");
        let host = match kind {
            "system" => PoetryHost {
                prefix: base.clone(),
                base_prefix: base.clone(),
                poetry_env_file: false,
                under_data_dir: false,
            },
            "venv" | "venv-marker" | "venv-datadir" => PoetryHost {
                prefix: "<tool-venv>".to_owned(),
                base_prefix: base.clone(),
                poetry_env_file: kind == "venv-marker",
                // POETRY_HOME is the tool venv's parent dir in this topology.
                under_data_dir: kind == "venv-datadir",
            },
            other => panic!("unknown topology {other}"),
        };
        let create = resolve_create(config);
        let virtual_env = self.value("VIRTUAL_ENV");
        let modern = config
            .env_value(&["installer", "modern-installation"])
            .map(|(_, raw)| parse_env_bool(raw, self.version).value);
        let input = TargetInput {
            version: self.version,
            create: create.mode,
            host: &host,
            virtual_env,
            // The harness's only usable one; `<run>/nonexistent` names nothing.
            virtual_env_usable: virtual_env == Some("<target-venv>"),
            conda_prefix: self.value("CONDA_PREFIX"),
            conda_default_env: self.value("CONDA_DEFAULT_ENV"),
            in_project_venv: self.record["inputs"]["in_project_venv"] == Value::Bool(true),
            modern_installation: modern,
        };
        let plan = install_target(&input);
        // The first `python` on PATH: the case's PATH, else the harness's (the topology's
        // prefix; the venv topologies put only a `poetry` link before it).
        let path_python = self
            .value("PATH")
            .and_then(|p| p.split(':').next())
            .and_then(|first| first.strip_suffix("/bin"))
            .map_or_else(|| base.clone(), str::to_owned);
        let landed = match &plan.target {
            Target::ProjectVenv | Target::UnbuiltVenvDirectory => "cache-venv".to_owned(),
            Target::InProjectVenv => "in-project-venv".to_owned(),
            Target::ActiveEnv { prefix } | Target::Interpreter { prefix, .. } => label_of(prefix),
            Target::PythonOnPath => label_of(&path_python),
        };
        let announces = matches!(plan.target, Target::ProjectVenv)
            || (create.mode == CreateMode::UnbuiltVenv
                && matches!(
                    plan.target,
                    Target::UnbuiltVenvDirectory | Target::PythonOnPath
                ));
        Prediction {
            exit_ok: true,
            observation: format!("{landed} announces-venv={announces}"),
        }
    }

    /// `poetry config http-basic.myrepo …` / `pypi-token.myrepo …`: the secret lands in plain
    /// text in `<config dir>/auth.toml` (no keyring in a container).
    fn predict_store(&self) -> Prediction {
        let keyring_enabled = self
            .value("POETRY_KEYRING_ENABLED")
            .map(|raw| parse_env_bool(raw, self.version).value);
        let storage = credential_storage(self.version, false, keyring_enabled);
        Prediction {
            exit_ok: true,
            observation: format!("{storage:?}"),
        }
    }
}

/// The landed label of a placeholder prefix (`<debian>` → `debian`).
fn label_of(prefix: &str) -> String {
    prefix
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

fn predict_creds(config: &PoetryConfig<'_>, source: &str) -> Prediction {
    let header = resolve_http_basic(config, source).header(config.version);
    Prediction {
        exit_ok: header.is_some(),
        observation: header.unwrap_or_else(|| "-".to_owned()),
    }
}

fn predict_publish(config: &PoetryConfig<'_>) -> Prediction {
    let header = publish_token(config, "myrepo")
        .map(|t| format!("__token__:{}", t.value()))
        .or_else(|| resolve_http_basic(config, "myrepo").header(config.version));
    Prediction {
        exit_ok: header.is_some(),
        observation: header.unwrap_or_else(|| "-".to_owned()),
    }
}

/// The record's outcome in the terms of [`Prediction`].
fn observed(record: &Value) -> Prediction {
    let o = &record["observed"];
    let exit_ok = o["exit_code"] == 0;
    let out = text(&o["stdout"]);
    let err = text(&o["stderr"]);
    if !exit_ok && err.contains("Invalid TOML file") {
        return Prediction {
            exit_ok,
            observation: INVALID_TOML.to_owned(),
        };
    }
    let observation = match text(&record["group"]) {
        "bool-env" | "bool-config" | "source" => {
            if exit_ok {
                out.trim().to_owned()
            } else {
                String::new()
            }
        }
        "install-config" | "install-env" | "install-source" | "target" => {
            let landed: Vec<&str> = o["landed"]
                .as_array()
                .expect("landed")
                .iter()
                .map(text)
                .collect();
            let announces =
                out.contains("Creating virtualenv") || err.contains("Creating virtualenv");
            format!("{} announces-venv={announces}", landed.join(","))
        }
        "store" => {
            let files = o["files_after"].as_object().expect("files_after");
            let auth = files
                .iter()
                .find(|(k, _)| k.ends_with("auth.toml"))
                .and_then(|(_, v)| v.as_str())
                .unwrap_or("");
            let plaintext = auth.contains("s3cret-basic") || auth.contains("pypi-s3cret-token");
            let elsewhere = files
                .iter()
                .filter(|(k, _)| !k.ends_with("auth.toml"))
                .any(|(_, v)| v.as_str().is_some_and(|s| s.contains("s3cret")));
            assert!(!elsewhere, "a secret outside auth.toml: {}", record["id"]);
            if plaintext {
                "AuthTomlPlaintext".to_owned()
            } else {
                "Keyring".to_owned()
            }
        }
        "creds" | "publish" => {
            let seen: BTreeSet<String> = o["index_requests"]
                .as_array()
                .expect("index_requests")
                .iter()
                .map(|r| r["basic"].as_str().unwrap_or("-").to_owned())
                .collect();
            seen.into_iter().collect::<Vec<_>>().join(",")
        }
        other => panic!("unknown group {other}"),
    };
    Prediction {
        exit_ok,
        observation,
    }
}

#[test]
fn every_recorded_run_is_predicted() {
    let doc = truth();
    let records = doc["records"].as_array().expect("records");
    assert_eq!(
        records.len(),
        usize::try_from(doc["run_count"].as_u64().expect("run_count")).unwrap()
    );
    let mut versions = BTreeSet::new();
    let mut failures = String::new();
    let mut excluded_hit = BTreeSet::new();
    for record in records {
        let version_text = text(&record["poetry"]);
        let version: PoetryVersion = version_text.parse().expect("a poetry version");
        versions.insert(version);
        let id = text(&record["id"]);
        let files = record["inputs"]["files"]
            .as_object()
            .expect("files")
            .iter()
            .map(|(k, v)| (k.clone(), text(v).to_owned()))
            .collect();
        let case = Case {
            version,
            record,
            env: environment(record),
            files,
        };
        let predicted = case.predict();
        let seen = observed(record);
        let exclusion = EXCLUDED
            .iter()
            .find(|(v, i, _)| *v == version_text && *i == id);
        match (predicted == seen, exclusion) {
            (true, None) => {}
            (false, Some(_)) => {
                excluded_hit.insert((version_text.to_owned(), id.to_owned()));
            }
            (true, Some((_, _, why))) => {
                let _ = writeln!(
                    failures,
                    "{version_text} {id}: excluded ({why}) but now predicted; drop the exclusion"
                );
            }
            (false, None) => {
                let _ = writeln!(
                    failures,
                    "{version_text} {id}: predicted {predicted:?}, observed {seen:?}"
                );
            }
        }
    }
    for (v, i, _) in EXCLUDED {
        if !excluded_hit.contains(&((*v).to_owned(), (*i).to_owned())) {
            let _ = writeln!(failures, "exclusion {v} {i} matches no failing record");
        }
    }
    assert!(failures.is_empty(), "mispredicted records:\n{failures}");
    // Every release of the measurement is replayed, each with the same case list.
    let listed: BTreeSet<PoetryVersion> = doc["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| text(v).parse().expect("version"))
        .collect();
    assert_eq!(versions, listed);
    assert!(versions.len() >= 5, "too few releases: {versions:?}");
}
