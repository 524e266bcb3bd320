//! Replays every case of `tests/ground-truth/pip-index-truth.json` (PIP-INDEX-SEMANTICS.md §6):
//! the settings are resolved by `resolve_settings`, the locations judged by `index_plan`, the
//! lab's servers answer as they did, and `pick` chooses. The prediction must match the recorded
//! exit status, installed version and origin, the servers asked (in order) and the hosts pip
//! refused as insecure, for every pip version.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;

use imgaudit_pip::{
    ConfigFileKind, ConfigSource, Found, Launch, LocationRole, OriginVerdict, PipCommand,
    PipVersion, SettingsInput, UrlOrigin, index_plan, pick, resolve_settings,
};
use serde_json::Value;

/// Cases that cannot be predicted from the settings: (pip version, case id, why). Kept empty;
/// an entry that starts matching or disappears fails the test.
const EXCLUDED: &[(&str, &str, &str)] = &[];

const RUN: &str = "/run";

fn truth() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/ground-truth/pip-index-truth.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("pip-index-truth.json is JSON")
}

fn text(v: &Value) -> &str {
    v.as_str().expect("a string")
}

struct Server {
    label: String,
    address: IpAddr,
    port: u16,
    /// The URL pip must be given to find the package there (trailing slash optional).
    url: String,
    version: String,
}

struct Lab {
    servers: Vec<Server>,
    /// Name → address, from the namespace's hosts file.
    hosts: Vec<(String, IpAddr)>,
}

impl Lab {
    fn from(truth: &Value) -> Self {
        let servers = truth["servers"]
            .as_object()
            .expect("servers")
            .iter()
            .map(|(label, s)| Server {
                label: label.clone(),
                address: text(&s["address"]).parse().expect("address"),
                port: u16::try_from(s["port"].as_u64().expect("port")).expect("port"),
                url: text(&s["url"]).to_owned(),
                version: text(&s["tinypkg_version"]).to_owned(),
            })
            .collect();
        let hosts = text(&truth["hosts_file"])
            .lines()
            .flat_map(|line| {
                let mut words = line.split_whitespace();
                let address: IpAddr = words.next().expect("address").parse().expect("ip");
                words.map(move |name| (name.to_owned(), address))
            })
            .collect();
        Self { servers, hosts }
    }

    /// The server a URL reaches: its host resolved (IP literal, or the hosts file, first match
    /// as glibc does) and its port.
    fn server(&self, url: &str) -> Option<&Server> {
        let origin = UrlOrigin::parse(url);
        let host = origin.host?;
        let address = host.parse::<IpAddr>().ok().or_else(|| {
            self.hosts
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&host))
                .map(|(_, a)| *a)
        })?;
        let port = origin.port.unwrap_or(80);
        self.servers
            .iter()
            .find(|s| s.address == address && s.port == port)
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    exit_code: i64,
    installed: Option<(String, String)>,
    servers_asked: Vec<String>,
    ignored_hosts: BTreeSet<String>,
}

fn recorded(case: &Value) -> Outcome {
    Outcome {
        exit_code: case["exit_code"].as_i64().expect("exit code"),
        installed: case["installed"].as_object().map(|i| {
            (
                text(&i["version"]).to_owned(),
                text(&i["origin"]).to_owned(),
            )
        }),
        servers_asked: case["servers_asked"]
            .as_array()
            .expect("servers_asked")
            .iter()
            .map(|s| text(s).to_owned())
            .collect(),
        ignored_hosts: case["ignored_hosts"]
            .as_array()
            .expect("ignored_hosts")
            .iter()
            .map(|s| text(s).to_owned())
            .collect(),
    }
}

/// Whether two URLs reaching the same server name the same page: their paths agree (a missing
/// trailing slash is added back by pip).
fn same_page(a: &str, b: &str) -> bool {
    let path = |url: &str| {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.find('/')
            .map_or("", |i| &rest[i..])
            .trim_end_matches('/')
            .to_owned()
    };
    path(a) == path(b)
}

fn predict(lab: &Lab, version: PipVersion, inputs: &Value) -> Outcome {
    let mut env: Vec<(String, String)> = vec![
        ("PATH".into(), "/venv/bin:/usr/bin:/bin".into()),
        ("HOME".into(), format!("{RUN}/home")),
        ("XDG_CONFIG_DIRS".into(), format!("{RUN}/xdg")),
        ("LC_ALL".into(), "C.UTF-8".into()),
    ];
    for pair in inputs["env_in_order"].as_array().expect("env_in_order") {
        env.push((
            text(&pair[0]).to_owned(),
            text(&pair[1]).replace("{RUN}", RUN),
        ));
    }
    let files = inputs["config_files"].as_object().expect("config_files");
    let config_file = |kind: ConfigFileKind, key: &str, path: String| match files.get(key) {
        Some(body) => ConfigSource::parsed(kind, path, text(body)),
        None => ConfigSource::missing(kind, path),
    };
    for key in files.keys() {
        assert!(
            ["etc", "user", "envfile"].contains(&key.as_str()),
            "unknown config file {key}"
        );
    }
    let config_files = [
        ConfigSource::missing(ConfigFileKind::Xdg, format!("{RUN}/xdg/pip/pip.conf")),
        config_file(ConfigFileKind::Etc, "etc", "/etc/pip.conf".into()),
        ConfigSource::missing(ConfigFileKind::Legacy, format!("{RUN}/home/.pip/pip.conf")),
        config_file(
            ConfigFileKind::User,
            "user",
            format!("{RUN}/home/.config/pip/pip.conf"),
        ),
        ConfigSource::missing(ConfigFileKind::Site, "/venv/pip.conf"),
        config_file(
            ConfigFileKind::EnvFile,
            "envfile",
            format!("{RUN}/envfile.conf"),
        ),
    ];
    let mut cli_args: Vec<String> = [
        "--disable-pip-version-check",
        "--retries",
        "0",
        "--timeout",
        "5",
        "--target",
        "/run/target",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    cli_args.extend(
        inputs["cli_args"]
            .as_array()
            .expect("cli_args")
            .iter()
            .map(|a| text(a).to_owned()),
    );
    cli_args.push("tinypkg".into());
    let settings = resolve_settings(&SettingsInput {
        version,
        command: PipCommand::Install,
        env: &env,
        config_files: &config_files,
        cli_args: &cli_args,
        launch: Launch::Exec,
        in_venv: true,
        passwd_home: None,
    });
    assert!(settings.abort.is_none(), "{:?}", settings.abort);
    let plan = index_plan(&settings, version);

    let mut ignored_hosts = BTreeSet::new();
    let mut found = Vec::new();
    let mut found_origin = Vec::new();
    let mut asked_finds: Vec<&str> = Vec::new();
    let mut asked_indexes: Vec<&str> = Vec::new();
    let mut crashed = false;
    for (position, location) in plan.locations.iter().enumerate() {
        // The default index is out of reach in the lab (no network).
        let Some(url) = location.url.as_deref() else {
            continue;
        };
        if location.verdict == OriginVerdict::Insecure {
            ignored_hosts.insert(UrlOrigin::parse(url).host.unwrap_or_default());
            continue;
        }
        let Some(server) = lab.server(url) else {
            continue;
        };
        if location.role == LocationRole::FindLinks {
            asked_finds.push(&server.label);
        } else {
            asked_indexes.push(&server.label);
        }
        if url.contains('[') && !version.fetches_bracketed_ipv6_urls() {
            crashed = true;
        }
        if same_page(url, &server.url) {
            found.push(Found {
                location: position,
                version: &server.version,
            });
            found_origin.push(server);
        }
    }
    let asked: Vec<&str> = if version.requests_find_links_first() {
        asked_finds.into_iter().chain(asked_indexes).collect()
    } else {
        asked_indexes.into_iter().chain(asked_finds).collect()
    };
    let mut servers_asked: Vec<String> = Vec::new();
    for label in asked {
        if !servers_asked.iter().any(|s| s == label) {
            servers_asked.push(label.to_owned());
        }
    }
    if crashed {
        return Outcome {
            exit_code: i64::from(version.permission_error_exit_code()),
            installed: None,
            servers_asked,
            ignored_hosts,
        };
    }
    let installed = pick(&found, version).map(|n| {
        let server = found_origin[n];
        (server.version.clone(), server.label.clone())
    });
    Outcome {
        exit_code: i64::from(installed.is_none()),
        installed,
        servers_asked,
        ignored_hosts,
    }
}

#[test]
fn every_recorded_index_case_is_predicted() {
    let truth = truth();
    let lab = Lab::from(&truth);
    let mut failures = String::new();
    let mut checked = 0;
    let mut excluded_seen = Vec::new();
    for (version_key, per_version) in truth["versions"].as_object().expect("versions") {
        let version: PipVersion = version_key.parse().expect("version");
        for (id, case) in per_version["cases"].as_object().expect("cases") {
            let expected = recorded(case);
            let predicted = predict(&lab, version, &case["inputs"]);
            let excluded = EXCLUDED
                .iter()
                .find(|(v, c, _)| v == version_key && c == id);
            match (predicted == expected, excluded) {
                (true, None) => checked += 1,
                (false, Some(_)) => excluded_seen.push((version_key.clone(), id.clone())),
                (true, Some(_)) => {
                    let _ = writeln!(failures, "{version_key} {id}: excluded but now predicted");
                }
                (false, None) => {
                    let _ = writeln!(
                        failures,
                        "{version_key} {id}:\n  expected {expected:?}\n  predicted {predicted:?}"
                    );
                }
            }
        }
    }
    for (v, c, _) in EXCLUDED {
        if !excluded_seen.iter().any(|(sv, sc)| sv == v && sc == c) {
            let _ = writeln!(failures, "{v} {c}: excluded case not in the data");
        }
    }
    assert!(failures.is_empty(), "mispredicted:\n{failures}");
    let runs = truth["run_count"].as_u64().expect("run_count");
    assert_eq!(
        u64::try_from(checked).unwrap(),
        runs,
        "every recorded run is checked"
    );
}

/// The plan a rule reads: several indexes, and the refused http index does not count.
#[test]
fn plan_reports_several_indexes_and_refusals() {
    let env = vec![
        (
            "PIP_INDEX_URL".to_owned(),
            "https://pkgs.example/simple".to_owned(),
        ),
        (
            "PIP_EXTRA_INDEX_URL".to_owned(),
            "http://10.0.0.5/simple https://other.example/simple".to_owned(),
        ),
    ];
    let version: PipVersion = "24.0".parse().unwrap();
    let settings = resolve_settings(&SettingsInput {
        version,
        command: PipCommand::Install,
        env: &env,
        config_files: &[],
        cli_args: &[],
        launch: Launch::Exec,
        in_venv: false,
        passwd_home: None,
    });
    let plan = index_plan(&settings, version);
    let verdicts: Vec<bool> = plan
        .locations
        .iter()
        .map(|l| l.verdict.accepted())
        .collect();
    assert_eq!(verdicts, [true, false, true]);
    assert!(plan.reads_several_indexes());
}

/// Short forms (`-i`, `-f`, `-iURL`), `--no-index`, and `trusted-host` as a general option
/// (read for `uninstall` too, where the index options do not exist).
#[test]
fn command_line_forms_of_index_options() {
    let version: PipVersion = "26.3".parse().unwrap();
    let args = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let resolve = |command, cli: &[String], env: &[(String, String)]| {
        resolve_settings(&SettingsInput {
            version,
            command,
            env,
            config_files: &[],
            cli_args: cli,
            launch: Launch::Exec,
            in_venv: false,
            passwd_home: None,
        })
    };
    let cli = args(&[
        "-ihttp://a.example/simple",
        "-f",
        "http://links.example/",
        "--no-index",
        "pkg",
    ]);
    let r = resolve(PipCommand::Install, &cli, &[]);
    assert_eq!(
        r.index_url.value.as_deref(),
        Some("http://a.example/simple")
    );
    assert_eq!(
        r.find_links.value.as_deref(),
        Some(&["http://links.example/".to_owned()][..])
    );
    assert_eq!(r.no_index.value, Some(true));
    let plan = index_plan(&r, version);
    assert_eq!(plan.locations.len(), 1, "no-index leaves find-links only");
    assert!(!plan.reads_several_indexes());

    let env = vec![
        ("PIP_TRUSTED_HOST".to_owned(), "a.example".to_owned()),
        ("PIP_INDEX_URL".to_owned(), "http://a.example/".to_owned()),
    ];
    let r = resolve(PipCommand::Uninstall, &[], &env);
    assert_eq!(
        r.trusted_hosts.value.as_deref(),
        Some(&["a.example".to_owned()][..])
    );
    assert_eq!(r.index_url.value, None, "uninstall has no --index-url");
}
