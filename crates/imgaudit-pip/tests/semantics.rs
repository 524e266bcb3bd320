//! Unit tests of the building blocks, each citing the section of
//! `tests/ground-truth/PIP-SEMANTICS.md` it checks. Expectations marked "(python)" were
//! produced with CPython 3.11.7's `configparser`/`locale`.

use imgaudit_pip::{
    AbortKind, BoolValue, ConfigFileKind, ConfigFileState, ConfigMerge, ConfigSource, Decision,
    ErrorReason, FileUse, Launch, MarkerRead, MarkerState, Pep668, PipCommand, PipConfigFile,
    PipVersion, ProblemKind, ResolvedSettings, Scenario, SettingRef, SettingStatus, SettingsInput,
    ValueOrigin, VenvKind, decide_install, env_option_name, evaluate_install, marker_error_keys,
    messages_language, parse_bool, read_marker, resolve_settings, user_base, user_site,
    user_site_disabled,
};

fn v(s: &str) -> PipVersion {
    s.parse().expect("version")
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| (*a).to_owned()).collect()
}

fn file(kind: ConfigFileKind, text: &str) -> ConfigSource {
    ConfigSource::parsed(kind, format!("/{}", kind.json_key()), text)
}

const DEBIAN_MARKER: &str = "[externally-managed]\nError=To install Python packages system-wide, \
                             try apt install\n python3-xyz, where xyz is the package.\n";

// ---------------------------------------------------------------- PipVersion (§5.4)

/// §5.4: versions as found in images, suffixes dropped.
#[test]
fn version_parsing_is_tolerant() {
    assert_eq!(v("23.0.1"), PipVersion::new(23, 0, 1));
    assert_eq!(v("24.0"), PipVersion::new(24, 0, 0));
    assert_eq!(v("9.0.3"), PipVersion::new(9, 0, 3));
    assert_eq!(v("23.0.1+dfsg"), PipVersion::new(23, 0, 1));
    assert_eq!(v("23.0.1+dfsg-1"), PipVersion::new(23, 0, 1));
    assert_eq!(v("25.3.dev0"), PipVersion::new(25, 3, 0));
    assert_eq!(v("24.1rc1"), PipVersion::new(24, 1, 0));
    assert_eq!(v(" 26.3\n"), PipVersion::new(26, 3, 0));
    assert_eq!(v("10"), PipVersion::new(10, 0, 0));
    for bad in ["", "abc", "v1.0", ".1"] {
        assert!(bad.parse::<PipVersion>().is_err(), "{bad:?}");
    }
}

/// §5.4: ordering, display and serde as a string.
#[test]
fn version_order_display_serde() {
    assert!(v("9.0.3") < v("10.0.1"));
    assert!(v("10.0.1") < v("18.1"));
    assert!(v("23.0") < v("23.0.1"));
    assert!(v("25.3") < v("26.3"));
    assert_eq!(v("24.0").to_string(), "24.0");
    assert_eq!(v("23.0.1").to_string(), "23.0.1");
    assert_eq!(serde_json::to_string(&v("23.0.1")).unwrap(), "\"23.0.1\"");
    let back: PipVersion = serde_json::from_str("\"21.3.1\"").unwrap();
    assert_eq!(back, v("21.3.1"));
}

/// §5.4: every change point, just before and at the version that changed it.
#[test]
fn version_change_points() {
    // 10.0: hidden --no-user (inversion), case-sensitive PIP_ prefix, ENV_NAMES_IGNORED.
    assert!(!v("9.0.3").has_no_user_option() && v("10.0").has_no_user_option());
    assert!(v("9.0.3").env_prefix_case_insensitive() && !v("10.0").env_prefix_case_insensitive());
    assert!(!v("9.0.3").ignores_version_and_help_env() && v("10.0").ignores_version_and_help_env());
    // 9.x → 10: unhandled EnvironmentError (2) → handled (1).
    assert_eq!(v("9.0.3").permission_error_exit_code(), 2);
    assert_eq!(v("10.0").permission_error_exit_code(), 1);
    // 10.x → 18.1: invalid boolean traceback → clean error.
    assert!(!v("10.0.1").clean_invalid_boolean_error() && v("18.1").clean_invalid_boolean_error());
    // 19.1.x: sys.prefix/pip.conf as lowest global file; 19.2: the site file, always read.
    assert!(!v("19.0.3").reads_prefix_config_as_global());
    assert!(
        v("19.1").reads_prefix_config_as_global() && v("19.1.1").reads_prefix_config_as_global()
    );
    assert!(!v("19.2").reads_prefix_config_as_global());
    assert!(
        !v("19.1.1").reads_site_config_outside_venv() && v("19.2").reads_site_config_outside_venv()
    );
    // 20.0: decide_user_install (fallback and log lines), ~ expansion in path options.
    assert!(!v("19.3.1").falls_back_to_user_install() && v("20.0").falls_back_to_user_install());
    assert!(
        !v("19.3.1").expands_tilde_in_path_options() && v("20.0").expands_tilde_in_path_options()
    );
    // 20.1: --user with --target rejected up front.
    assert!(!v("20.0.2").rejects_user_with_target_upfront());
    assert!(v("20.1").rejects_user_with_target_upfront());
    // 21.2: decision lines need -vv.
    assert_eq!(v("19.3.1").decision_log_verbosity(), None);
    assert_eq!(v("20.0").decision_log_verbosity(), Some(1));
    assert_eq!(v("21.1.3").decision_log_verbosity(), Some(1));
    assert_eq!(v("21.2").decision_log_verbosity(), Some(2));
    // 22.2: --dry-run.
    assert!(!v("22.1.2").has_dry_run() && v("22.2").has_dry_run());
    // 23.0: PEP 668 enforced; 23.0.1: break-system-packages.
    assert!(!v("22.3.1").enforces_externally_managed() && v("23.0").enforces_externally_managed());
    assert!(
        !v("23.0").honours_break_system_packages() && v("23.0.1").honours_break_system_packages()
    );
    // 25.2 / 26.0: configuration merge (pypa/pip#12201, #13703; §5.4 "26.0 rewritten").
    assert_eq!(v("9.0.3").config_merge(), ConfigMerge::SingleParser);
    assert_eq!(v("10.0").config_merge(), ConfigMerge::MergedKeys);
    assert_eq!(v("25.1.1").config_merge(), ConfigMerge::MergedKeys);
    assert_eq!(v("25.2").config_merge(), ConfigMerge::PerFileEntries);
    assert_eq!(v("25.3").config_merge(), ConfigMerge::PerFileEntries);
    assert_eq!(v("26.0").config_merge(), ConfigMerge::MergedKeys);
    // 25.3: explicit user install refused when the user site is disabled.
    assert!(!v("25.2").refuses_user_install_when_user_site_disabled());
    assert!(v("25.3").refuses_user_install_when_user_site_disabled());
    // 26.2: sys.real_prefix detection removed.
    assert!(v("26.1").detects_legacy_virtualenv() && !v("26.2").detects_legacy_virtualenv());
}

// ---------------------------------------------------------------- parse_bool (§1.2)

/// §1.2: truthy, falsy, empty and invalid values, compared after `.lower()`.
#[test]
fn parse_bool_values() {
    for t in ["1", "y", "yes", "t", "true", "on", "TRUE", "Y", "On"] {
        assert_eq!(parse_bool(t, ValueOrigin::Env), BoolValue::True, "{t}");
    }
    for f in ["0", "n", "no", "f", "false", "off", "FALSE", "Off"] {
        assert_eq!(parse_bool(f, ValueOrigin::Env), BoolValue::False, "{f}");
    }
    for bad in ["2", "-1", "garbage", "truee", "yes please"] {
        assert_eq!(
            parse_bool(bad, ValueOrigin::Config),
            BoolValue::Invalid,
            "{bad}"
        );
    }
    assert_eq!(parse_bool("", ValueOrigin::Env), BoolValue::Empty);
    assert_eq!(parse_bool("", ValueOrigin::Config), BoolValue::Empty);
}

/// §1.2: env values are not stripped, config values are.
#[test]
fn parse_bool_stripping_depends_on_origin() {
    assert_eq!(parse_bool(" 1", ValueOrigin::Env), BoolValue::Invalid);
    assert_eq!(parse_bool(" 1", ValueOrigin::Config), BoolValue::True);
    assert_eq!(parse_bool("yes ", ValueOrigin::Env), BoolValue::Invalid);
    assert_eq!(parse_bool("\tno\n", ValueOrigin::Config), BoolValue::False);
    // A lone space is a (non-empty, invalid) value in the environment, empty in a file.
    assert_eq!(parse_bool(" ", ValueOrigin::Env), BoolValue::Invalid);
    assert_eq!(parse_bool(" ", ValueOrigin::Config), BoolValue::Empty);
    assert_eq!(parse_bool(" 1", ValueOrigin::Cli), BoolValue::Invalid);
}

// ---------------------------------------------------------------- env_option_name (§1.2)

/// §1.2: name rules per version.
#[test]
fn env_option_names() {
    let new = v("24.0");
    let old = v("9.0.3");
    assert_eq!(
        env_option_name("PIP_NO_USER", new).as_deref(),
        Some("no-user")
    );
    assert_eq!(env_option_name("PIP_USER", new).as_deref(), Some("user"));
    assert_eq!(env_option_name("PIP_user", new).as_deref(), Some("user"));
    assert_eq!(env_option_name("pip_user", new), None);
    assert_eq!(env_option_name("Pip_USER", new), None);
    assert_eq!(env_option_name("pip_user", old).as_deref(), Some("user"));
    assert_eq!(env_option_name("Pip_USER", old).as_deref(), Some("user"));
    assert_eq!(
        env_option_name("PIP_BREAK_SYSTEM_PACKAGES", new).as_deref(),
        Some("break-system-packages")
    );
    assert_eq!(
        env_option_name("PIP_CONFIG_FILE", new).as_deref(),
        Some("config-file")
    );
    assert_eq!(env_option_name("PIP___USER", new).as_deref(), Some("user"));
    // ENV_NAMES_IGNORED exists from 10.0; pip 9 had no such list.
    assert_eq!(env_option_name("PIP_VERSION", new), None);
    assert_eq!(env_option_name("PIP_HELP", new), None);
    assert_eq!(
        env_option_name("PIP_VERSION", old).as_deref(),
        Some("version")
    );
    for other in ["PIP_", "PYTHONUSERBASE", "HOME", "PI", "PIPUSER"] {
        assert_eq!(env_option_name(other, new), None, "{other}");
    }
}

// ---------------------------------------------------------------- user_site_disabled (§1.9)

/// §1.9: CPython's `_Py_get_env_flag` as observed on 3.11.7.
#[test]
fn pythonnousersite_values() {
    for enabled in [
        None,
        Some(""),
        Some("0"),
        Some("00"),
        Some("-0"),
        Some("+0"),
        Some(" 0"),
    ] {
        assert!(
            !user_site_disabled(enabled),
            "{enabled:?} keeps the user site"
        );
    }
    for disabled in [
        "1",
        "2",
        "-1",
        "false",
        "no",
        "yes",
        "0 ",
        " ",
        "0x0",
        "99999999999",
    ] {
        assert!(
            user_site_disabled(Some(disabled)),
            "{disabled:?} disables it"
        );
    }
}

/// §3: USER_BASE and USER_SITE.
#[test]
fn user_base_and_site() {
    let home = Some("/home/app");
    assert_eq!(user_base(&env(&[]), home), "/home/app/.local");
    assert_eq!(user_base(&env(&[("HOME", "/h/")]), home), "/h/.local");
    assert_eq!(user_base(&env(&[("HOME", "")]), home), "/.local");
    assert_eq!(user_base(&env(&[("PYTHONUSERBASE", "/ub")]), home), "/ub");
    assert_eq!(
        user_base(&env(&[("PYTHONUSERBASE", "")]), home),
        "/home/app/.local"
    );
    assert_eq!(
        user_site(&env(&[("HOME", "/root")]), None, "3.11"),
        "/root/.local/lib/python3.11/site-packages"
    );
}

// ---------------------------------------------------------------- config parser (§1.2, §1.6)

/// §1.2: `key = value`, `key: value`, case-insensitive keys, `_` ≡ `-`, stripped values.
#[test]
fn config_basic_syntax() {
    let f = PipConfigFile::parse("[global]\nUSER = true \nno_user: 1\n\n[install]\nk=v\n");
    assert!(f.problems().is_empty());
    let user = f.get("global", "user").expect("user");
    assert_eq!(
        (user.raw_key.as_str(), user.value.as_str(), user.line),
        ("USER", "true", 2)
    );
    let no_user = f.get("global", "no-user").expect("no-user");
    assert_eq!(
        (no_user.key.as_str(), no_user.value.as_str(), no_user.line),
        ("no_user", "1", 3)
    );
    assert_eq!(f.section("install").map(|s| s.line), Some(5));
    assert_eq!(f.get("install", "K").map(|e| e.value.as_str()), Some("v"));
}

/// §1.2: section names are case-sensitive.
#[test]
fn config_sections_are_case_sensitive() {
    let f = PipConfigFile::parse("[GLOBAL]\nuser = true\n");
    assert!(f.section("global").is_none());
    assert!(f.get("global", "user").is_none());
    assert_eq!(
        f.get("GLOBAL", "user").map(|e| e.value.as_str()),
        Some("true")
    );
}

/// §1.2: continuation lines, blank lines kept inside, indented comments skipped (python:
/// `'tr\nue\n\nmore\nx'`).
#[test]
fn config_continuation_lines() {
    let f = PipConfigFile::parse("[global]\nuser = tr\n  ue\n\n  more\n# c\n  x\nnext=1\n");
    let user = f.get("global", "user").expect("user");
    assert_eq!(user.value, "tr\nue\n\nmore\nx");
    assert_eq!((user.line, user.end_line), (2, 7));
    assert_eq!(f.get("global", "next").map(|e| e.line), Some(8));
    let f = PipConfigFile::parse("[global]\nk = a\n  ; c\n  b\n");
    assert_eq!(f.get("global", "k").map(|e| e.value.as_str()), Some("a\nb"));
    // A multi-line value is not a boolean.
    assert_eq!(
        parse_bool(
            &PipConfigFile::parse("[global]\nuser = true\n  yes\n")
                .get("global", "user")
                .unwrap()
                .value,
            ValueOrigin::Config
        ),
        BoolValue::Invalid
    );
}

/// §1.2: no inline comments (python: `'true # c'`), indented headers, odd keys.
#[test]
fn config_python_quirks() {
    let f = PipConfigFile::parse("[global]\nuser = true # c\n");
    assert_eq!(
        f.get("global", "user").map(|e| e.value.as_str()),
        Some("true # c")
    );
    let f = PipConfigFile::parse("  [global]\n  user = 1\n");
    assert_eq!(f.get("global", "user").map(|e| e.value.as_str()), Some("1"));
    let f = PipConfigFile::parse("[a] = [b]\nk=v\n");
    assert_eq!(f.sections()[0].name, "a] = [b");
    let f = PipConfigFile::parse("[global]\n a b = c \nk =   \nu = \u{1c}1\u{1c}\n");
    assert_eq!(f.get("global", "a b").map(|e| e.value.as_str()), Some("c"));
    assert_eq!(f.get("global", "k").map(|e| e.value.as_str()), Some(""));
    assert_eq!(f.get("global", "u").map(|e| e.value.as_str()), Some("1"));
    let f = PipConfigFile::parse("# hi\n; x\n\n[global]\nuser=1\n");
    assert!(f.problems().is_empty());
    // A key: value delimiter is whichever of = and : comes first.
    let f = PipConfigFile::parse("[global]\nindex-url: http://x/simple\n");
    assert_eq!(
        f.get("global", "index-url").map(|e| e.value.as_str()),
        Some("http://x/simple")
    );
}

/// §1.6: real files are read with universal newlines.
#[test]
fn config_line_endings_and_bom() {
    for text in ["[global]\r\nuser = 1\r\n", "[global]\ruser = 1\r"] {
        let f = PipConfigFile::parse(text);
        assert_eq!(
            f.get("global", "user").map(|e| (e.value.as_str(), e.line)),
            Some(("1", 2))
        );
    }
    // configparser does not skip a BOM (python: MissingSectionHeaderError).
    let f = PipConfigFile::parse("\u{feff}[global]\nuser=1\n");
    assert_eq!(
        f.python_error().map(|p| p.kind),
        Some(ProblemKind::MissingSectionHeader)
    );
}

/// §1.2/§2.2: problems are kept as data; `python_error` says what configparser raises.
#[test]
fn config_problems() {
    let f = PipConfigFile::parse("user = 1\n[global]\nuser = 0\n");
    assert_eq!(f.problems()[0].kind, ProblemKind::MissingSectionHeader);
    assert_eq!(f.problems()[0].line, 1);
    assert_eq!(f.get("global", "user").map(|e| e.value.as_str()), Some("0"));

    let f = PipConfigFile::parse("[global]\nuser=1\nUSER=0\n");
    let p = f.python_error().expect("duplicate");
    assert_eq!((p.kind, p.line), (ProblemKind::DuplicateOption, 3));
    assert_eq!(p.kind.python_exception(), "DuplicateOptionError");
    assert_eq!(f.get("global", "user").map(|e| e.value.as_str()), Some("0"));

    let f = PipConfigFile::parse("[global]\na=1\n[global]\nb=2\n");
    assert_eq!(
        f.python_error().map(|p| (p.kind, p.line)),
        Some((ProblemKind::DuplicateSection, 3))
    );
    assert_eq!(f.sections().len(), 1);
    assert_eq!(f.sections()[0].entries.len(), 2);

    let f = PipConfigFile::parse("[global]\nfoo\nuser=1\n");
    assert_eq!(
        f.python_error().map(|p| (p.kind, p.line)),
        Some((ProblemKind::ParsingError, 2))
    );
    assert_eq!(f.get("global", "user").map(|e| e.value.as_str()), Some("1"));

    // A duplicate is raised at once, a ParsingError only at the end (python: line 4).
    let f = PipConfigFile::parse("[global]\nfoo\nuser=1\nuser=2\n");
    assert_eq!(
        f.python_error().map(|p| (p.kind, p.line)),
        Some((ProblemKind::DuplicateOption, 4))
    );

    let f = PipConfigFile::parse("[global]\n= x\n[]\n");
    let kinds: Vec<_> = f.problems().iter().map(|p| (p.kind, p.line)).collect();
    assert_eq!(
        kinds,
        [
            (ProblemKind::ParsingError, 2),
            (ProblemKind::ParsingError, 3)
        ]
    );

    // After a bad line the previous option stays open for continuation lines.
    let f = PipConfigFile::parse("[global]\na=1\nfoo\n  bar\n");
    assert_eq!(
        f.get("global", "a").map(|e| e.value.as_str()),
        Some("1\nbar")
    );
}

/// §1.2: `[DEFAULT]` is inherited by every section (python items: global
/// `[('user','1'),('x','2')]`, install `[('user','0')]`).
#[test]
fn config_default_section() {
    let f = PipConfigFile::parse("[DEFAULT]\nuser = 1\n[global]\nx=2\n[install]\nuser=0\n");
    let global: Vec<_> = f
        .items("global")
        .iter()
        .map(|i| (i.entry.key.as_str(), i.entry.value.as_str(), i.from_default))
        .collect();
    assert_eq!(global, [("user", "1", true), ("x", "2", false)]);
    let install: Vec<_> = f
        .items("install")
        .iter()
        .map(|i| (i.entry.value.as_str(), i.from_default))
        .collect();
    assert_eq!(install, [("0", false)]);
    assert_eq!(f.default_line(), Some(1));
    assert_eq!(f.defaults().len(), 1);
    assert!(f.section("DEFAULT").is_none());
}

// ---------------------------------------------------------------- marker (§2.1, §2.2)

/// §2.2: only a regular file is a marker, and any regular file blocks.
#[test]
fn marker_states() {
    assert!(!MarkerState::Absent.is_marker());
    assert!(!MarkerState::Directory.is_marker());
    assert!(!MarkerState::DanglingLink.is_marker());
    assert!(MarkerState::RegularFile { content: None }.is_marker());
}

/// §2.2: how malformed markers read; all block, with exit 1 except the uncaught crash.
#[test]
fn marker_reading() {
    let read = |t: &str| read_marker(Some(t.as_bytes()), None);
    assert!(matches!(read(DEBIAN_MARKER), MarkerRead::Message { ref key, .. } if key == "Error"));
    assert_eq!(read(""), MarkerRead::Generic { warning: None });
    assert_eq!(
        read("Error=custom text no section\n"),
        MarkerRead::Generic {
            warning: Some("MissingSectionHeaderError".to_owned())
        }
    );
    assert_eq!(
        read("[something]\nError=x\n"),
        MarkerRead::Generic { warning: None }
    );
    assert_eq!(
        read("[externally-managed]\nFoo=bar\n"),
        MarkerRead::Generic { warning: None }
    );
    assert_eq!(
        read_marker(Some(b"[externally-managed]\nError=\xff\xfe bad\n"), None),
        MarkerRead::Generic {
            warning: Some("UnicodeDecodeError".to_owned())
        }
    );
    assert_eq!(
        read_marker(None, None),
        MarkerRead::Generic { warning: None }
    );
    let crash = read("[externally-managed]\nError=a\nError=b\n");
    assert_eq!(
        crash,
        MarkerRead::Crash {
            exception: "DuplicateOptionError".to_owned(),
            line: 3
        }
    );
    assert_eq!(crash.exit_code(), 2);
    assert_eq!(read("").exit_code(), 1);
    // ConfigParser's section proxy falls back to [DEFAULT] (python: 'from default').
    assert!(matches!(
        read("[DEFAULT]\nError=from default\n[externally-managed]\n"),
        MarkerRead::Message { ref text, .. } if text == "from default"
    ));
}

/// §2.1: `Error-<lang>`, then `Error-<prefix>`, then `Error`.
#[test]
fn marker_localization() {
    assert_eq!(marker_error_keys(None), ["Error"]);
    assert_eq!(
        marker_error_keys(Some("fr_FR")),
        ["Error-fr_FR", "Error-fr", "Error"]
    );
    assert_eq!(
        marker_error_keys(Some("zh-Hant_TW")),
        ["Error-zh-Hant_TW", "Error-zh", "Error-zh-Hant", "Error"]
    );
    let text = "[externally-managed]\nError=DEFAULT-MSG\nError-fr=FRENCH-MSG\n\
                Error-fr_FR=FRENCH-FR-MSG\nError-en_US=EN-US-MSG\n";
    let msg = |lang: Option<&str>| match read_marker(Some(text.as_bytes()), lang) {
        MarkerRead::Message { text, .. } => text,
        other => panic!("{other:?}"),
    };
    assert_eq!(msg(Some("fr_FR")), "FRENCH-FR-MSG");
    assert_eq!(msg(Some("fr_BE")), "FRENCH-MSG");
    assert_eq!(msg(Some("en_US")), "EN-US-MSG");
    assert_eq!(msg(None), "DEFAULT-MSG");
    // python: locale._parse_localename('C.UTF-8') == ('en_US', 'UTF-8').
    assert_eq!(
        messages_language(&env(&[("LC_ALL", "C.UTF-8")])).as_deref(),
        Some("en_US")
    );
    assert_eq!(
        messages_language(&env(&[("LANG", "fr_FR.UTF-8")])).as_deref(),
        Some("fr_FR")
    );
    assert_eq!(
        messages_language(&env(&[("LC_ALL", ""), ("LANG", "de_DE@euro")])).as_deref(),
        Some("de_DE")
    );
    assert_eq!(messages_language(&env(&[("LANG", "C")])), None);
    assert_eq!(messages_language(&env(&[])), None);
}

// ---------------------------------------------------------------- settings (§1.3–§1.6, §2.3)

struct Settings {
    version: PipVersion,
    command: PipCommand,
    env: Vec<(String, String)>,
    files: Vec<ConfigSource>,
    args: Vec<String>,
    launch: Launch,
    in_venv: bool,
}

impl Settings {
    fn new(version: &str) -> Self {
        Self {
            version: v(version),
            command: PipCommand::Install,
            env: Vec::new(),
            files: Vec::new(),
            args: Vec::new(),
            launch: Launch::Exec,
            in_venv: false,
        }
    }

    fn resolve(&self) -> ResolvedSettings {
        resolve_settings(&SettingsInput {
            version: self.version,
            command: self.command,
            env: &self.env,
            config_files: &self.files,
            cli_args: &self.args,
            launch: self.launch,
            in_venv: self.in_venv,
            passwd_home: Some("/home/app"),
        })
    }
}

/// §1.3/§1.4: values are stored unconverted, so `PIP_NO_USER=1` means use_user_site=1, and
/// the envp order (kept by exec, rebuilt by bash/dash) decides between the two variables.
#[test]
fn env_order_and_inversion() {
    let mut s = Settings::new("24.0");
    s.env = env(&[("PIP_NO_USER", "1"), ("PIP_USER", "0")]);
    let exec = s.resolve();
    assert_eq!(exec.use_user_site.value, Some(false));
    assert_eq!(
        exec.use_user_site.decided_by,
        Some(SettingRef::Env {
            index: 1,
            name: "PIP_USER".to_owned(),
            raw_value: "0".to_owned()
        })
    );
    let statuses: Vec<_> = exec
        .use_user_site
        .seen
        .iter()
        .map(|x| (x.option.as_str(), x.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("no-user", SettingStatus::Overridden),
            ("user", SettingStatus::Decisive)
        ]
    );
    s.launch = Launch::Shell;
    let shell = s.resolve();
    assert_eq!(shell.use_user_site.value, Some(true));
    assert!(matches!(
        shell.use_user_site.decided_by,
        Some(SettingRef::Env { index: 0, ref name, .. }) if name == "PIP_NO_USER"
    ));
    // pip 9 has no --no-user: the variable is ignored.
    let mut s = Settings::new("9.0.3");
    s.env = env(&[("PIP_USER", "1"), ("PIP_NO_USER", "0")]);
    let r = s.resolve();
    assert_eq!(r.use_user_site.value, Some(true));
    assert_eq!(r.use_user_site.seen[1].status, SettingStatus::NoSuchOption);
    // Duplicated names: CPython keeps the first (convertenviron uses PyDict_SetDefault).
    let mut s = Settings::new("24.0");
    s.env = env(&[("PIP_USER", "1"), ("PIP_USER", "0")]);
    assert_eq!(s.resolve().use_user_site.value, Some(true));
}

/// §1.5: [global] of all files < [install] of all files < env < CLI; the section beats the
/// file; the winner is reported with file, section, line and key.
#[test]
fn precedence_and_winner() {
    let mut s = Settings::new("24.0");
    s.files = vec![
        file(ConfigFileKind::Etc, "[install]\nuser = false\n"),
        file(ConfigFileKind::User, "[global]\nuser = true\n"),
    ];
    let r = s.resolve();
    assert_eq!(r.use_user_site.value, Some(false));
    assert_eq!(
        r.use_user_site.decided_by,
        Some(SettingRef::Config {
            kind: ConfigFileKind::Etc,
            path: "/etc".to_owned(),
            section: "install".to_owned(),
            applies_to: "install".to_owned(),
            line: 2,
            key: "user".to_owned(),
            raw_value: "false".to_owned(),
        })
    );
    s.env = env(&[("PIP_NO_USER", "1")]);
    assert_eq!(s.resolve().use_user_site.value, Some(true));
    s.args = args(&["--no-user"]);
    let r = s.resolve();
    assert_eq!(r.use_user_site.value, Some(false));
    assert!(
        matches!(
            r.use_user_site.decided_by,
            Some(SettingRef::Cli { index: 0, .. })
        ),
        "{:?}",
        r.use_user_site
    );
    // CLI beats a file for break-system-packages too (§2.3).
    let mut s = Settings::new("24.0");
    s.files = vec![file(
        ConfigFileKind::Etc,
        "[global]\nbreak-system-packages = false\n",
    )];
    s.args = args(&["--break-system-packages"]);
    assert_eq!(s.resolve().break_system_packages.value, Some(true));
}

/// §1.4: a key's position is fixed by the first file that mentions it.
#[test]
fn config_key_order_by_first_appearance() {
    let mut s = Settings::new("24.0");
    s.files = vec![
        file(ConfigFileKind::Etc, "[global]\nuser = true\n"),
        file(ConfigFileKind::User, "[global]\nno-user = 0\n"),
    ];
    assert_eq!(s.resolve().use_user_site.value, Some(false));
    s.files = vec![
        file(ConfigFileKind::Etc, "[global]\nno-user = 0\n"),
        file(ConfigFileKind::User, "[global]\nuser = true\n"),
    ];
    assert_eq!(s.resolve().use_user_site.value, Some(true));
    // MergedKeys vs PerFileEntries: a key repeated in a later file keeps its first position
    // (24.0) or is replayed in file order (25.3).
    let files = vec![
        file(ConfigFileKind::Etc, "[global]\nuser = true\nno-user = 0\n"),
        file(ConfigFileKind::User, "[global]\nuser = true\n"),
    ];
    let mut s = Settings::new("24.0");
    s.files.clone_from(&files);
    assert_eq!(s.resolve().use_user_site.value, Some(false));
    let mut s = Settings::new("25.3");
    s.files = files;
    assert_eq!(s.resolve().use_user_site.value, Some(true));
}

/// §1.2 with pypa/pip#13696: an empty value in a later file unsets an earlier one, except in
/// pip 25.2–25.3; an invalid value shadowed by a later file never aborts, except there.
#[test]
fn empty_and_shadowed_values_by_merge_model() {
    let files = vec![
        file(ConfigFileKind::Etc, "[global]\nuser = true\n"),
        file(ConfigFileKind::User, "[global]\nuser =\n"),
    ];
    for (version, expected) in [("24.0", None), ("25.3", Some(true)), ("26.3", None)] {
        let mut s = Settings::new(version);
        s.files.clone_from(&files);
        let r = s.resolve();
        assert_eq!(r.use_user_site.value, expected, "{version}");
        assert_eq!(
            r.use_user_site.seen[1].status,
            SettingStatus::Empty,
            "{version}"
        );
    }
    let files = vec![
        file(ConfigFileKind::Etc, "[global]\nuser = garbage\n"),
        file(ConfigFileKind::User, "[global]\nuser = true\n"),
    ];
    let mut s = Settings::new("24.0");
    s.files.clone_from(&files);
    let r = s.resolve();
    assert!(r.abort.is_none());
    assert_eq!(r.use_user_site.seen[0].status, SettingStatus::Shadowed);
    assert_eq!(r.use_user_site.seen[0].parsed, Some(BoolValue::Invalid));
    let mut s = Settings::new("25.3");
    s.files = files;
    assert!(matches!(
        s.resolve().abort.map(|a| a.kind),
        Some(AbortKind::InvalidBoolean { ref value, .. }) if value == "garbage"
    ));
}

/// §1.2: the first invalid boolean in processing order aborts, even if a later setting
/// would override it; exit 2 from 18.1, traceback exit 1 before.
#[test]
fn invalid_boolean_aborts() {
    let mut s = Settings::new("24.0");
    s.files = vec![file(
        ConfigFileKind::Etc,
        "[global]\nuser = garbage\n[install]\nuser = true\n",
    )];
    s.args = args(&["--user"]);
    let r = s.resolve();
    let abort = r.abort.expect("abort");
    assert_eq!(abort.exit_code, 2);
    assert!(
        abort
            .message
            .contains("garbage is not a valid value for user option")
    );
    assert!(matches!(
        abort.setting,
        Some(SettingRef::Config { line: 2, .. })
    ));
    let statuses: Vec<_> = r.use_user_site.seen.iter().map(|x| x.status).collect();
    assert_eq!(
        statuses,
        [SettingStatus::Invalid, SettingStatus::NotReached]
    );
    // pip 9 merges [global] and [install] by option name before converting: no abort.
    let mut s = Settings::new("9.0.3");
    s.files = vec![file(
        ConfigFileKind::Etc,
        "[global]\nuser = garbage\n[install]\nuser = true\n",
    )];
    assert!(s.resolve().abort.is_none());
    s.env = env(&[("PIP_USER", "Garbage")]);
    let abort = s.resolve().abort.expect("abort");
    assert_eq!(abort.exit_code, 1);
    assert!(abort.message.contains("invalid truth value 'garbage'"));
    assert!(matches!(
        abort.kind,
        AbortKind::InvalidBoolean {
            traceback: true,
            ..
        }
    ));
    // Env values are not stripped (§1.2).
    let mut s = Settings::new("24.0");
    s.env = env(&[("PIP_USER", " 1")]);
    assert!(s.resolve().abort.is_some());
}

/// §1.2: pip 9 merges env into the same dict, so an empty `PIP_USER=` unsets a file's value;
/// pip ≥ 10 keeps `:env:` keys apart.
#[test]
fn empty_env_value_per_version() {
    for (version, expected) in [("9.0.3", None), ("24.0", Some(true))] {
        let mut s = Settings::new(version);
        s.files = vec![file(ConfigFileKind::Etc, "[global]\nuser = true\n")];
        s.env = env(&[("PIP_USER", "")]);
        assert_eq!(s.resolve().use_user_site.value, expected, "{version}");
    }
}

/// §1.6: PIP_CONFIG_FILE hiding rules.
#[test]
fn pip_config_file_hiding() {
    let user = file(ConfigFileKind::User, "[install]\nuser = true\n");
    let legacy = file(ConfigFileKind::Legacy, "[install]\nuser = true\n");
    let etc = file(ConfigFileKind::Etc, "[install]\nuser = true\n");
    let uses = |r: &ResolvedSettings| r.files.iter().map(|(k, _, u)| (*k, *u)).collect::<Vec<_>>();

    // An existing (even empty) file hides only the legacy and user files.
    let mut s = Settings::new("24.0");
    s.env = env(&[("PIP_CONFIG_FILE", "/x.conf")]);
    s.files = vec![
        etc.clone(),
        legacy.clone(),
        user.clone(),
        file(ConfigFileKind::EnvFile, ""),
    ];
    let r = s.resolve();
    assert_eq!(
        uses(&r),
        [
            (ConfigFileKind::Etc, FileUse::Read),
            (ConfigFileKind::Legacy, FileUse::HiddenByEnvFile),
            (ConfigFileKind::User, FileUse::HiddenByEnvFile),
            (ConfigFileKind::EnvFile, FileUse::Read),
        ]
    );
    assert_eq!(r.use_user_site.value, Some(true));
    let hidden: Vec<_> = r
        .use_user_site
        .seen
        .iter()
        .filter(|x| x.status == SettingStatus::FileNotRead)
        .collect();
    assert_eq!(hidden.len(), 2);

    // An existing but unreadable file still hides them.
    s.files = vec![
        user.clone(),
        ConfigSource {
            kind: ConfigFileKind::EnvFile,
            path: "/x.conf".to_owned(),
            state: ConfigFileState::Unreadable,
        },
    ];
    assert_eq!(s.resolve().use_user_site.value, None);

    // A missing file hides nothing.
    s.files = vec![
        user.clone(),
        ConfigSource::missing(ConfigFileKind::EnvFile, "/x.conf"),
    ];
    assert_eq!(s.resolve().use_user_site.value, Some(true));

    // /dev/null reads no file, but env vars still count.
    s.env = env(&[("PIP_CONFIG_FILE", "/dev/null"), ("PIP_NO_USER", "0")]);
    s.files = vec![etc.clone(), user.clone()];
    let r = s.resolve();
    assert!(r.files.iter().all(|(_, _, u)| *u == FileUse::DevNull));
    assert_eq!(r.use_user_site.value, Some(false));

    // An env file given while PIP_CONFIG_FILE is unset is not read.
    let mut s = Settings::new("24.0");
    s.files = vec![file(ConfigFileKind::EnvFile, "[global]\nuser = true\n")];
    let r = s.resolve();
    assert_eq!(r.files[0].2, FileUse::NotReferenced);
    assert_eq!(r.use_user_site.value, None);
}

/// §1.6: --isolated drops env vars and user files but reads files 1, 2, 5 (and, from source,
/// the env file on pip ≥ 10; pip 9 read it in the user files' place). PIP_ISOLATED_MODE is inert.
#[test]
fn isolated_mode() {
    let mut s = Settings::new("24.0");
    s.args = args(&["--isolated"]);
    s.env = env(&[("PIP_USER", "1"), ("PIP_CONFIG_FILE", "/x.conf")]);
    s.files = vec![
        file(ConfigFileKind::Site, "[install]\nuser = true\n"),
        file(ConfigFileKind::User, "[install]\nuser = false\n"),
        file(
            ConfigFileKind::EnvFile,
            "[global]\nbreak-system-packages = yes\n",
        ),
    ];
    let r = s.resolve();
    assert!(r.isolated);
    assert_eq!(r.use_user_site.value, Some(true));
    assert_eq!(r.break_system_packages.value, Some(true));
    assert!(
        r.use_user_site
            .seen
            .iter()
            .any(|x| x.status == SettingStatus::IsolatedAway)
    );
    let use_of = |r: &ResolvedSettings, kind| r.files.iter().find(|f| f.0 == kind).map(|f| f.2);
    assert_eq!(
        use_of(&r, ConfigFileKind::User),
        Some(FileUse::HiddenByIsolated)
    );
    assert_eq!(use_of(&r, ConfigFileKind::EnvFile), Some(FileUse::Read));
    s.version = v("9.0.3");
    s.in_venv = true;
    let r = s.resolve();
    assert_eq!(
        use_of(&r, ConfigFileKind::EnvFile),
        Some(FileUse::HiddenByIsolated)
    );
    let mut s = Settings::new("24.0");
    s.env = env(&[("PIP_ISOLATED_MODE", "1"), ("PIP_USER", "1")]);
    assert_eq!(s.resolve().use_user_site.value, Some(true));
}

/// §1.6: sys.prefix/pip.conf per version and venv state.
#[test]
fn site_file_per_version() {
    let files = vec![
        file(ConfigFileKind::Etc, "[global]\nuser = false\n"),
        file(ConfigFileKind::Site, "[global]\nuser = true\n"),
    ];
    for (version, in_venv, expected, use_) in [
        ("18.1", false, Some(false), FileUse::SiteOnlyInVenv),
        ("18.1", true, Some(true), FileUse::Read),
        ("9.0.3", true, Some(true), FileUse::Read),
        ("19.1", false, Some(false), FileUse::ReadAsGlobal),
        ("19.3.1", false, Some(true), FileUse::Read),
    ] {
        let mut s = Settings::new(version);
        s.files.clone_from(&files);
        s.in_venv = in_venv;
        let r = s.resolve();
        assert_eq!(r.use_user_site.value, expected, "{version} venv={in_venv}");
        assert_eq!(r.files[1].2, use_, "{version} venv={in_venv}");
    }
}

/// §1.2: other commands' sections, `[GLOBAL]`, unknown env spellings are ignored and said so;
/// `[DEFAULT]` applies through the sections of its file.
#[test]
fn ignored_settings_are_reported() {
    let mut s = Settings::new("24.0");
    s.env = env(&[("pip_user", "1")]);
    s.files = vec![file(
        ConfigFileKind::Etc,
        "[freeze]\nuser = true\n[GLOBAL]\nuser = true\n",
    )];
    let r = s.resolve();
    assert_eq!(r.use_user_site.value, None);
    let statuses: Vec<_> = r.use_user_site.seen.iter().map(|x| x.status).collect();
    assert_eq!(
        statuses,
        [
            SettingStatus::SectionNotRead,
            SettingStatus::SectionNotRead,
            SettingStatus::NameNotRecognised
        ]
    );
    let mut s = Settings::new("24.0");
    s.files = vec![file(
        ConfigFileKind::Etc,
        "[DEFAULT]\nuser = yes\n[global]\n",
    )];
    let r = s.resolve();
    assert_eq!(r.use_user_site.value, Some(true));
    assert!(matches!(
        r.use_user_site.decided_by,
        Some(SettingRef::Config { ref section, ref applies_to, .. })
            if section == "DEFAULT" && applies_to == "global"
    ));
    // pip 9's single parser merges [DEFAULT] across files.
    let mut s = Settings::new("9.0.3");
    s.files = vec![
        file(ConfigFileKind::Etc, "[DEFAULT]\nuser = yes\n"),
        file(ConfigFileKind::User, "[global]\nx = 1\n"),
    ];
    assert_eq!(s.resolve().use_user_site.value, Some(true));
    s.version = v("24.0");
    assert_eq!(s.resolve().use_user_site.value, None);
}

/// §1.2/§1.6: an unparsable file pip reads aborts every command; a hidden one does not.
#[test]
fn broken_config_files() {
    let mut s = Settings::new("24.0");
    s.files = vec![file(ConfigFileKind::User, "user = true\n")];
    let abort = s.resolve().abort.expect("abort");
    assert_eq!(abort.exit_code, 2);
    assert!(matches!(
        abort.kind,
        AbortKind::ConfigFileUnloadable { ref exception, line: Some(1), .. }
            if exception == "MissingSectionHeaderError"
    ));
    s.version = v("9.0.3");
    assert_eq!(s.resolve().abort.map(|a| a.exit_code), Some(1));
    s.version = v("24.0");
    s.args = args(&["--isolated"]);
    assert!(s.resolve().abort.is_none());
    let mut s = Settings::new("24.0");
    s.files = vec![ConfigSource {
        kind: ConfigFileKind::Etc,
        path: "/etc/pip.conf".to_owned(),
        state: ConfigFileState::Undecodable,
    }];
    assert!(s.resolve().abort.is_some());
}

/// §1.1 step 4 and §5.4: optparse — last flag wins, absent options, argument forms, `~`.
#[test]
fn command_line_forms() {
    let mut s = Settings::new("24.0");
    s.args = args(&["--user", "--no-user", "--user", "pkg"]);
    assert_eq!(s.resolve().use_user_site.value, Some(true));
    s.args = args(&[
        "-t",
        "/t1",
        "--target=/t2",
        "-t/t3",
        "--cert",
        "--user",
        "pkg",
    ]);
    let r = s.resolve();
    assert_eq!(r.target.value.as_deref(), Some("/t3"));
    assert_eq!(r.use_user_site.value, None, "--user was --cert's argument");
    assert_eq!(r.unmodelled_args, ["--cert", "--user"]);
    s.args = args(&["--index-url", "--user", "pkg"]);
    let r = s.resolve();
    assert_eq!(r.index_url.value.as_deref(), Some("--user"));
    assert_eq!(
        r.use_user_site.value, None,
        "--user was --index-url's argument"
    );
    s.args = args(&["--user=1"]);
    assert!(matches!(
        s.resolve().abort.map(|a| a.kind),
        Some(AbortKind::TakesNoValue { .. })
    ));
    s.args = args(&["--prefix"]);
    assert!(matches!(
        s.resolve().abort.map(|a| a.kind),
        Some(AbortKind::MissingArgument { .. })
    ));
    s.args = args(&["--prefix", "~/pfx"]);
    s.env = env(&[("HOME", "/h")]);
    assert_eq!(s.resolve().prefix.value.as_deref(), Some("/h/pfx"));
    s.version = v("19.3.1");
    assert_eq!(s.resolve().prefix.value.as_deref(), Some("~/pfx"));
    for (version, arg) in [
        ("9.0.3", "--no-user"),
        ("22.1", "--dry-run"),
        ("23.0", "--break-system-packages"),
    ] {
        let mut s = Settings::new(version);
        s.args = args(&[arg]);
        let abort = s.resolve().abort.expect("no such option");
        assert_eq!(abort.exit_code, 2);
        assert_eq!(abort.message, format!("no such option: {arg}"));
    }
    // uninstall has no --user: PIP_USER=garbage is ignored there.
    let mut s = Settings::new("24.0");
    s.command = PipCommand::Uninstall;
    s.env = env(&[("PIP_USER", "garbage"), ("PIP_BREAK_SYSTEM_PACKAGES", "1")]);
    let r = s.resolve();
    assert!(r.abort.is_none());
    assert_eq!(r.use_user_site.seen[0].status, SettingStatus::NoSuchOption);
    assert_eq!(r.break_system_packages.value, Some(true));
}

// ---------------------------------------------------------------- decide_install (§1.7–§2)

fn scenario(version: &str) -> Scenario {
    let mut s = Scenario::new(
        v(version),
        PipCommand::Install,
        "3.11",
        "/usr/local/lib/python3.11/site-packages",
    );
    s.passwd_home = Some("/root".to_owned());
    s
}

/// §1.7: the automatic path and its log lines, per version.
#[test]
fn decide_user_install_paths() {
    let mut s = scenario("24.0");
    s.site_packages_writable = false;
    let out = evaluate_install(&s);
    assert_eq!(out.decision, Decision::User);
    assert_eq!(out.log[0].verbosity, 0, "Defaulting… is INFO");
    s.env = env(&[("PYTHONNOUSERSITE", "1")]);
    let out = evaluate_install(&s);
    assert!(matches!(
        out.decision,
        Decision::Error(ErrorReason::Permission { .. })
    ));
    assert_eq!(
        out.log[0].text,
        "Non-user install because user site-packages disabled"
    );
    assert_eq!(out.log[0].verbosity, 2);
    s.version = v("20.0.2");
    assert_eq!(evaluate_install(&s).log[0].verbosity, 1);
    s.version = v("19.3.1");
    s.env.clear();
    let out = evaluate_install(&s);
    assert_eq!(out.exit_code, 1);
    assert!(out.log.iter().all(|l| !l.text.starts_with("Non-user")));
    // -s, -E and setuid (§1.9).
    let mut s = scenario("24.0");
    s.site_packages_writable = false;
    s.python_no_user_site_flag = true;
    assert!(!s.user_site_enabled());
    s.python_no_user_site_flag = false;
    s.env = env(&[("PYTHONNOUSERSITE", "1")]);
    s.python_ignore_environment = true;
    assert!(s.user_site_enabled());
    assert_eq!(decide_install(&s), Decision::User);
    s.privileges_differ = true;
    assert!(!s.user_site_enabled());
}

/// §1.4: the same Env gives S by exec and U through sh -c.
#[test]
fn launch_style_changes_the_decision() {
    let mut s = scenario("24.0");
    s.env = env(&[("PIP_NO_USER", "1"), ("PIP_USER", "0")]);
    assert_eq!(decide_install(&s), Decision::Site);
    s.launch = Launch::Shell;
    assert_eq!(decide_install(&s), Decision::User);
}

/// §1.8: venv kinds and `pyvenv.cfg`.
#[test]
fn venvs() {
    assert_eq!(
        VenvKind::from_pyvenv_cfg("home = /usr/bin\ninclude-system-site-packages = false\n"),
        VenvKind::Plain
    );
    assert_eq!(
        VenvKind::from_pyvenv_cfg("include-system-site-packages = true\n"),
        VenvKind::SystemSitePackages
    );
    assert_eq!(
        VenvKind::from_pyvenv_cfg("home = /usr/bin\n"),
        VenvKind::SystemSitePackages
    );
    let odd = VenvKind::from_pyvenv_cfg("include-system-site-packages = False\n");
    assert_eq!(
        odd,
        VenvKind::Inconsistent {
            cpython_user_site: false,
            pip_no_global: false
        }
    );

    let mut s = scenario("24.0");
    s.marker = MarkerState::RegularFile {
        content: Some(DEBIAN_MARKER.as_bytes().to_vec()),
    };
    s.env = env(&[("PIP_USER", "1")]);
    s.venv = VenvKind::Plain;
    assert_eq!(
        decide_install(&s),
        Decision::Error(ErrorReason::UserSiteNotVisibleInVenv)
    );
    s.venv = VenvKind::SystemSitePackages;
    let out = evaluate_install(&s);
    assert_eq!(out.decision, Decision::User);
    assert_eq!(out.pep668, Pep668::InsideVenv);
    s.venv = odd;
    assert_eq!(
        decide_install(&s),
        Decision::User,
        "≤ 25.2 installs invisibly"
    );
    s.version = v("25.3");
    assert_eq!(
        decide_install(&s),
        Decision::Error(ErrorReason::UserSiteDisabled)
    );
    // Automatic path in a plain venv: the user site is off, so no fallback.
    let mut s = scenario("24.0");
    s.venv = VenvKind::Plain;
    s.site_packages_writable = false;
    assert!(matches!(
        decide_install(&s),
        Decision::Error(ErrorReason::Permission { .. })
    ));
}

/// §2.1–§2.3: the PEP 668 check, its bypasses and the marker states.
#[test]
fn pep668() {
    let blocked = MarkerState::RegularFile {
        content: Some(DEBIAN_MARKER.as_bytes().to_vec()),
    };
    let mut s = scenario("24.0");
    s.marker = blocked.clone();
    assert_eq!(
        decide_install(&s),
        Decision::Error(ErrorReason::ExternallyManaged)
    );
    s.marker = MarkerState::RegularFile { content: None };
    assert_eq!(
        decide_install(&s),
        Decision::Error(ErrorReason::ExternallyManaged)
    );
    s.marker = MarkerState::DanglingLink;
    assert_eq!(decide_install(&s), Decision::Site);
    s.marker = blocked.clone();
    s.env = env(&[("PIP_TARGET", "/tgt")]);
    assert_eq!(decide_install(&s), Decision::Other("/tgt".to_owned()));
    s.env = env(&[("PIP_BREAK_SYSTEM_PACKAGES", "on")]);
    let out = evaluate_install(&s);
    assert_eq!(
        (out.decision, out.pep668),
        (Decision::Site, Pep668::Bypassed)
    );
    assert!(matches!(
        out.settings.break_system_packages.decided_by,
        Some(SettingRef::Env { ref name, .. }) if name == "PIP_BREAK_SYSTEM_PACKAGES"
    ));
    // 23.0 enforced the marker with no override; earlier pips ignore it.
    s.version = v("23.0");
    assert_eq!(
        decide_install(&s),
        Decision::Error(ErrorReason::ExternallyManaged)
    );
    s.version = v("22.3.1");
    assert_eq!(evaluate_install(&s).pep668, Pep668::NotEnforced);
    // uninstall is checked too; a config bypass works for it.
    let mut s = scenario("24.0");
    s.command = PipCommand::Uninstall;
    s.marker = blocked;
    assert_eq!(
        decide_install(&s),
        Decision::Error(ErrorReason::ExternallyManaged)
    );
    s.config_files = vec![file(
        ConfigFileKind::Site,
        "[global]\nbreak-system-packages = true\n",
    )];
    assert_eq!(decide_install(&s), Decision::Uninstalled);
}

/// §1.7, §3: where the package lands and what a write failure looks like.
#[test]
fn destinations() {
    let mut s = scenario("24.0");
    s.args_mut(&["--root", "/r", "--user"]);
    assert_eq!(
        decide_install(&s),
        Decision::Other("/r/root/.local/lib/python3.11/site-packages".to_owned())
    );
    let mut s = scenario("24.0");
    s.args_mut(&["--prefix", "/p/"]);
    assert_eq!(
        decide_install(&s),
        Decision::Other("/p/lib/python3.11/site-packages".to_owned())
    );
    let mut s = scenario("24.0");
    s.env = env(&[("PIP_USER", "1"), ("HOME", "/nonexistent")]);
    s.user_base_writable = false;
    let out = evaluate_install(&s);
    assert_eq!(
        out.decision,
        Decision::Error(ErrorReason::Permission {
            path: "/nonexistent/.local".to_owned()
        })
    );
    assert_eq!(out.exit_code, 1);
    s.version = v("9.0.3");
    assert_eq!(evaluate_install(&s).exit_code, 2);
    // 20.0.x: --user with --target reaches distutils (exit 2); 20.1 refuses up front (exit 1).
    let mut s = scenario("20.0.2");
    s.args_mut(&["--user", "--target", "/t"]);
    let out = evaluate_install(&s);
    assert_eq!(
        out.decision,
        Decision::Error(ErrorReason::CombineUserTarget { upfront: false })
    );
    assert_eq!(out.exit_code, 2);
    s.version = v("20.1");
    let out = evaluate_install(&s);
    assert_eq!(
        out.decision,
        Decision::Error(ErrorReason::CombineUserTarget { upfront: true })
    );
    assert_eq!(out.exit_code, 1);
}

trait ArgsMut {
    fn args_mut(&mut self, list: &[&str]);
}

impl ArgsMut for Scenario {
    fn args_mut(&mut self, list: &[&str]) {
        self.cli_args = args(list);
    }
}
