//! Valid files: every setting read back, paths resolved, suppressions and rules applied.

use std::path::{Path, PathBuf};

use imgaudit_config::{Config, Date, FILE_NAME, RuleKey, Threshold};
use imgaudit_finding::Severity;

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn parse(source: &str) -> Config {
    Config::parse(source, Path::new(FILE_NAME)).unwrap()
}

#[test]
fn full_file() {
    let config = Config::load(Path::new("tests/data/full.toml")).unwrap();
    assert_eq!(config.path, Path::new("tests/data/full.toml"));
    assert_eq!(config.fail_on, Some(Threshold::AtOrAbove(Severity::High)));
    assert_eq!(config.min_severity, Some(Severity::Low));
    assert_eq!(
        config.dockerfile,
        Some(PathBuf::from("tests/data/docker/Dockerfile"))
    );
    assert_eq!(
        config.policies,
        [
            PathBuf::from("tests/data/policies/extra"),
            PathBuf::from("/opt/imgaudit/policies")
        ]
    );
    assert_eq!(config.sarif_category.as_deref(), Some("imgaudit/app/"));
    assert_eq!(config.image_name.as_deref(), Some("team/app"));

    let enable: Vec<(&str, usize)> = config
        .rules
        .enable
        .as_ref()
        .unwrap()
        .iter()
        .map(|selector| (selector.as_str(), selector.line))
        .collect();
    assert_eq!(
        enable,
        [
            ("PIP", 10),
            ("PY001", 10),
            ("user-site-packages-present", 10)
        ]
    );
    assert_eq!(config.rules.disable.len(), 1);
    assert_eq!(config.rules.disable[0].value, "PY004");
    assert_eq!(config.rules.disable[0].line, 11);
    let severity: Vec<(&str, Severity)> = config
        .rules
        .severity
        .iter()
        .map(|(selector, severity)| (selector.as_str(), *severity))
        .collect();
    assert_eq!(
        severity,
        [
            ("PY002", Severity::Low),
            ("user-site-packages-present", Severity::High)
        ]
    );

    let [first, second, third] = config.suppressions.as_slice() else {
        panic!("{:?}", config.suppressions);
    };
    assert_eq!(first.rule, "PY002");
    assert_eq!(first.image.as_deref(), Some("registry.example.com/team/*"));
    assert_eq!(first.target.as_deref(), Some("/root/.local/**"));
    assert_eq!(first.reason, "vendored wheels, tracked in JIRA-123");
    assert_eq!(first.expires, Some(date("2026-12-31")));
    assert_eq!(first.line, 14);
    assert_eq!(second.rule, "pip-user-enabled");
    assert_eq!(second.image, None);
    assert_eq!(second.target.as_deref(), Some("PIP_*"));
    assert_eq!(second.expires, Some(date("2024-02-29")));
    assert_eq!(second.line, 21);
    assert_eq!((third.image.as_ref(), third.target.as_ref()), (None, None));
    assert_eq!(third.expires, None);
    assert_eq!(third.line, 27);
}

#[test]
fn empty_file_sets_nothing() {
    let config = parse("# nothing\n");
    assert_eq!(config.fail_on, None);
    assert_eq!(config.min_severity, None);
    assert_eq!(config.dockerfile, None);
    assert!(config.policies.is_empty());
    assert_eq!(config.rules.enable, None);
    assert!(config.rules.disable.is_empty() && config.rules.severity.is_empty());
    assert!(config.suppressions.is_empty());
    assert_eq!(parse("fail-on = \"None\"").fail_on, Some(Threshold::Never));
}

#[test]
fn inline_suppressions_and_dotted_keys() {
    let config = parse(
        "rules.disable = [\"PY004\"]\n\nsuppress = [\n  { rule = \"PY002\", reason = \"r\" },\n  { rule = \"PY001\", reason = \"s\", expires = \"2030-01-01\" },\n]\n",
    );
    assert_eq!(config.rules.disable[0].value, "PY004");
    let lines: Vec<usize> = config.suppressions.iter().map(|s| s.line).collect();
    assert_eq!(lines, [4, 5]);
    assert_eq!(config.suppressions[1].expires, Some(date("2030-01-01")));
}

#[test]
fn relative_paths_resolve_against_the_files_directory() {
    let source =
        "dockerfile = \"docker/Dockerfile\"\npolicies = [\"p\", \"../shared\", \"/abs\"]\n";
    let resolve = |path: &str| {
        let config = Config::parse(source, Path::new(path)).unwrap();
        (config.dockerfile.unwrap(), config.policies)
    };
    let (dockerfile, policies) = resolve("imgaudit.toml");
    assert_eq!(dockerfile, Path::new("docker/Dockerfile"));
    assert_eq!(
        policies,
        [Path::new("p"), Path::new("../shared"), Path::new("/abs")]
    );
    let (dockerfile, policies) = resolve("/srv/app/imgaudit.toml");
    assert_eq!(dockerfile, Path::new("/srv/app/docker/Dockerfile"));
    assert_eq!(
        policies,
        [
            Path::new("/srv/app/p"),
            Path::new("/srv/app/../shared"),
            Path::new("/abs")
        ]
    );
    let (dockerfile, _) = resolve("ci/imgaudit-ci.toml");
    assert_eq!(dockerfile, Path::new("ci/docker/Dockerfile"));
}

#[test]
fn discover() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Config::discover(dir.path()), None);
    std::fs::create_dir(dir.path().join(FILE_NAME)).unwrap();
    assert_eq!(
        Config::discover(dir.path()),
        None,
        "a directory is not a config file"
    );
    std::fs::remove_dir(dir.path().join(FILE_NAME)).unwrap();
    std::fs::write(dir.path().join(FILE_NAME), "fail-on = \"low\"\n").unwrap();
    let found = Config::discover(dir.path()).unwrap();
    assert_eq!(found, dir.path().join(FILE_NAME));
    let config = Config::load(&found).unwrap();
    assert_eq!(config.fail_on, Some(Threshold::AtOrAbove(Severity::Low)));
    assert_eq!(Config::discover(&dir.path().join("missing")), None);
}

#[test]
fn suppression_matches_rule_by_id_or_name_in_any_case() {
    let config = parse(
        "[[suppress]]\nrule = \"py002\"\nreason = \"r\"\n[[suppress]]\nrule = \"PIP-Installed-Into-Distro-Python\"\nreason = \"r\"\n",
    );
    let name = "pip-installed-into-distro-python";
    for suppression in &config.suppressions {
        assert!(suppression.matches("PY002", name, "any/image", &[]));
        assert!(suppression.matches("PY002", name, "", &["/x"]));
        assert!(!suppression.matches("PY001", "user-site-packages-present", "any/image", &[]));
        assert!(!suppression.matches("PY0021", "other", "any/image", &[]));
    }
}

#[test]
fn suppression_image_glob_crosses_slashes() {
    let config = parse(
        "[[suppress]]\nrule = \"PY002\"\nimage = \"registry.example.com/team/*\"\nreason = \"r\"\n",
    );
    let suppression = &config.suppressions[0];
    let matches = |image: &str| suppression.matches("PY002", "n", image, &["/x"]);
    assert!(matches("registry.example.com/team/app"));
    assert!(matches("registry.example.com/team/sub/app"));
    assert!(matches("registry.example.com/team/app:1.2"));
    assert!(matches("registry.example.com/team/app@sha256:0123"));
    assert!(!matches("registry.example.com/other/app"));
    assert!(!matches("team/app"));
    assert!(!matches(""));
}

#[test]
fn suppression_target_glob_on_path_or_variable() {
    let config = parse(
        "[[suppress]]\nrule = \"PY001\"\ntarget = \"/root/.local/**\"\nreason = \"r\"\n\n[[suppress]]\nrule = \"PY001\"\ntarget = \"/etc/profile.d/*.sh\"\nreason = \"r\"\n\n[[suppress]]\nrule = \"PY001\"\ntarget = \"PIP_*\"\nreason = \"r\"\n",
    );
    let [deep, shallow, variable] = config.suppressions.as_slice() else {
        panic!();
    };
    let matches = |suppression: &imgaudit_config::Suppression, targets: &[&str]| {
        suppression.matches("PY001", "n", "team/app", targets)
    };
    assert!(matches(
        deep,
        &["/root/.local/lib/python3.12/site-packages"]
    ));
    assert!(!matches(deep, &["/home/app/.local/lib"]));
    assert!(matches(shallow, &["/etc/profile.d/pip.sh"]));
    assert!(
        !matches(shallow, &["/etc/profile.d/sub/pip.sh"]),
        "`*` stays in a segment"
    );
    assert!(matches(variable, &["PIP_USER"]));
    assert!(!matches(variable, &["PYTHONUSERBASE"]));
    // A finding with a path and a variable is covered if either matches.
    assert!(matches(variable, &["/etc/environment", "PIP_USER"]));
    assert!(matches(shallow, &["/etc/profile.d/pip.sh", "PIP_USER"]));
    // A target glob does not cover a finding without targets.
    assert!(!matches(deep, &[]));
}

#[test]
fn suppression_without_scopes_matches_everything_of_its_rule() {
    let config = parse("[[suppress]]\nrule = \"PY003\"\nreason = \"r\"\n");
    let suppression = &config.suppressions[0];
    assert!(suppression.matches("PY003", "n", "", &[]));
    assert!(suppression.matches("PY003", "n", "registry/x/y:1", &["/a", "B"]));
}

#[test]
fn expiry_boundaries() {
    let config = parse(
        "[[suppress]]\nrule = \"PY003\"\nreason = \"r\"\nexpires = 2026-12-31\n\n[[suppress]]\nrule = \"PY003\"\nreason = \"r\"\nexpires = \"2024-02-29\"\n\n[[suppress]]\nrule = \"PY003\"\nreason = \"r\"\n",
    );
    let [year_end, leap_day, never] = config.suppressions.as_slice() else {
        panic!();
    };
    assert!(!year_end.is_expired(date("2026-12-30")));
    assert!(
        !year_end.is_expired(date("2026-12-31")),
        "the day itself still suppresses"
    );
    assert!(year_end.is_expired(date("2027-01-01")));
    assert!(!leap_day.is_expired(date("2024-02-29")));
    assert!(leap_day.is_expired(date("2024-03-01")));
    assert!(!never.is_expired(date("9999-12-31")));
    assert!(!never.is_expired(Date::today_utc()));
}

#[test]
fn leap_day_literals() {
    let source = |expires: &str| {
        format!("[[suppress]]\nrule = \"PY003\"\nreason = \"r\"\nexpires = {expires}\n")
    };
    for ok in ["2024-02-29", "2000-02-29", "\"2028-02-29\""] {
        assert!(
            Config::parse(&source(ok), Path::new(FILE_NAME)).is_ok(),
            "{ok}"
        );
    }
    for bad in [
        "2025-02-29",
        "1900-02-29",
        "\"2100-02-29\"",
        "\"2025-02-29\"",
    ] {
        assert!(
            Config::parse(&source(bad), Path::new(FILE_NAME)).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn today_utc_is_sane() {
    let today = Date::today_utc();
    assert!(
        date("2024-01-01") < today && today < date("2100-01-01"),
        "{today}"
    );
}

const KNOWN: &[RuleKey<'static>] = &[
    RuleKey {
        id: "PIP001",
        name: "pip-user-enabled",
        aliases: &[],
        pack: "",
    },
    RuleKey {
        id: "PIP002",
        name: "pip-break-system-packages",
        aliases: &[],
        pack: "",
    },
    RuleKey {
        id: "PY001",
        name: "user-site-packages-present",
        aliases: &[],
        pack: "",
    },
    RuleKey {
        id: "PY002",
        name: "pip-installed-into-distro-python",
        aliases: &[],
        pack: "",
    },
    RuleKey {
        id: "PY004",
        name: "something-else",
        aliases: &[],
        pack: "",
    },
    RuleKey {
        id: "PY010",
        name: "tenth",
        aliases: &[],
        pack: "",
    },
];

#[test]
fn resolve_rules_without_rules_table_enables_everything() {
    let resolved = parse("").resolve_rules(KNOWN).unwrap();
    assert!(resolved.disabled.is_empty());
    assert!(resolved.severity.is_empty());
    assert!(resolved.is_enabled("PY001"));
    assert_eq!(
        resolved.severity_of("PY001", Severity::Medium),
        Severity::Medium
    );
}

#[test]
fn resolve_rules_with_prefixes_ids_and_names() {
    let config = Config::load(Path::new("tests/data/full.toml")).unwrap();
    // full.toml suppresses `PY003`, which this list lacks.
    assert!(config.resolve_rules(KNOWN).is_err());
    let mut known = KNOWN.to_vec();
    known.push(RuleKey {
        id: "PY003",
        name: "third",
        aliases: &[],
        pack: "",
    });
    let resolved = config.resolve_rules(&known).unwrap();
    // enable = ["PIP", "PY001", "user-site-packages-present"], disable = ["PY004"]
    assert_eq!(
        resolved
            .disabled
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["PY002", "PY003", "PY004", "PY010"]
    );
    assert!(resolved.is_enabled("PIP001") && resolved.is_enabled("PIP002"));
    // severity = { PY002 = "low", "user-site-packages-present" = "HIGH" }
    assert_eq!(resolved.severity.get("PY002"), Some(&Severity::Low));
    assert_eq!(resolved.severity.get("PY001"), Some(&Severity::High));
    assert_eq!(resolved.severity.len(), 2);
}

#[test]
fn resolve_rules_case_and_precedence() {
    let config = parse(
        "[rules]\nenable = [\"py0\", \"Pip-User-Enabled\"]\ndisable = [\"py01\", \"PIP001\"]\nseverity = { py = \"low\", PY0 = \"medium\", py00 = \"high\", \"something-else\" = \"critical\" }\n",
    );
    let resolved = config.resolve_rules(KNOWN).unwrap();
    // `disable` wins over `enable`; PIP002 is not enabled.
    assert_eq!(
        resolved
            .disabled
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["PIP001", "PIP002", "PY010"]
    );
    // The longest prefix wins, and a name beats any prefix.
    assert_eq!(
        resolved.severity_of("PY001", Severity::Info),
        Severity::High
    );
    assert_eq!(
        resolved.severity_of("PY010", Severity::Info),
        Severity::Medium
    );
    assert_eq!(
        resolved.severity_of("PY004", Severity::Info),
        Severity::Critical
    );
    assert_eq!(
        resolved.severity_of("PIP001", Severity::Info),
        Severity::Info
    );
}

#[test]
fn selectors_match() {
    let config = parse("[rules]\nenable = [\"PY00\", \"tenth\"]\n");
    let enable = config.rules.enable.as_ref().unwrap();
    let rule = |id, name| RuleKey {
        id,
        name,
        aliases: &[],
        pack: "",
    };
    assert!(enable[0].matches(rule("PY001", "x")));
    assert!(enable[0].matches(rule("py004", "x")));
    assert!(!enable[0].matches(rule("PY010", "x")));
    assert!(!enable[0].matches(rule("PY0", "x")));
    assert!(enable[1].matches(rule("PY010", "TENTH")));
    assert!(
        !enable[1].matches(rule("PY999", "tenth-rule")),
        "names are not prefixes"
    );
    // Another tool's id for the rule selects it, whole and in any case.
    let config = parse("[rules]\ndisable = [\"cis-di-0001\", \"CIS-DI\"]\n");
    let disable = &config.rules.disable;
    let aliases = ["CIS-DI-0001".to_owned()];
    let aliased = RuleKey {
        id: "IMG001",
        name: "runs-as-root",
        aliases: &aliases,
        pack: "hygiene",
    };
    assert!(disable[0].matches(aliased));
    assert!(!disable[1].matches(aliased), "aliases are not prefixes");
}

#[test]
fn a_pack_selects_its_rules_and_ranks_below_prefixes() {
    let config = parse(
        "[rules]\nenable = [\"Hygiene\"]\ndisable = [\"ACC002\"]\nseverity = { hygiene = \"low\", ACC = \"high\" }\n",
    );
    let hygiene = |id, name| RuleKey {
        id,
        name,
        aliases: &[],
        pack: "hygiene",
    };
    let known = [
        hygiene("IMG001", "runs-as-root"),
        hygiene("ACC001", "account-without-password"),
        hygiene("ACC002", "duplicate-uid"),
        RuleKey {
            id: "SEC003",
            name: "secret-in-env",
            aliases: &[],
            pack: "secrets",
        },
        RuleKey {
            id: "PY001",
            name: "user-site-packages-present",
            aliases: &[],
            pack: "",
        },
    ];
    let resolved = config.resolve_rules(&known).unwrap();
    assert_eq!(
        resolved
            .disabled
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["ACC002", "PY001", "SEC003"]
    );
    // A prefix is more precise than a pack.
    assert_eq!(
        resolved.severity_of("IMG001", Severity::Info),
        Severity::Low
    );
    assert_eq!(
        resolved.severity_of("ACC001", Severity::Info),
        Severity::High
    );
    // A pack name is matched whole: `hyg` is neither a pack nor an id prefix.
    let config = parse("[rules]\nenable = [\"hyg\"]\n");
    assert!(config.resolve_rules(&known).is_err());
}

#[test]
fn the_expansion_cap_is_read_and_left_unset_when_absent() {
    let config = parse("max-expansion-ratio = 40000\nexpansion-floor = 8589934592\n");
    assert_eq!(config.max_expansion_ratio, Some(40_000));
    assert_eq!(config.expansion_floor, Some(8 << 30));
    let config = parse("fail-on = \"high\"\n");
    assert_eq!(
        (config.max_expansion_ratio, config.expansion_floor),
        (None, None)
    );
}
