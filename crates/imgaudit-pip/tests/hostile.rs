//! A hostile image's pip configuration (up to the megabyte the facts capture of a file) is read
//! in linear time. Found with a large input fed to the `pip_config` fuzz target (tests/fuzz):
//! a 100 KB file of ten thousand options took seconds, a megabyte minutes.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use imgaudit_pip::{PipConfigFile, ProblemKind};

/// Far above what linear parsing of a megabyte costs (milliseconds), far below what the
/// quadratic one cost (minutes), even in a debug build on a busy machine.
const BOUND: Duration = Duration::from_secs(30);

#[test]
fn a_megabyte_of_options_sections_and_defaults_parses_in_linear_time() {
    let mut text = String::from("[DEFAULT]\n");
    for k in 0..10_000 {
        let _ = writeln!(text, "d{k} = default");
    }
    text.push_str("[global]\n");
    for k in 0..40_000 {
        let _ = writeln!(text, "k{k} = v{k}");
    }
    // configparser (strict) raises on a repeated option; the entry keeps its place and takes
    // the new value, and a section's key overrides the default of that key.
    text.push_str("K7 = again\nd3 = mine\n");
    for s in 0..20_000 {
        let _ = writeln!(text, "[s{s}]");
    }
    text.push_str("[global]\n");
    assert!(text.len() > 900_000, "{} bytes", text.len());

    let started = Instant::now();
    let file = PipConfigFile::parse(&text);
    let items = file.items("global");
    let k7 = file.get("global", "k7").map(|e| e.value.clone());
    let elapsed = started.elapsed();

    assert_eq!(file.sections().len(), 20_001);
    assert_eq!(file.defaults().len(), 10_000);
    let problems: Vec<(ProblemKind, usize)> =
        file.problems().iter().map(|p| (p.kind, p.line)).collect();
    assert_eq!(
        problems,
        [
            (ProblemKind::DuplicateOption, 50_003),
            (ProblemKind::DuplicateSection, 70_005),
        ]
    );
    assert_eq!(k7.as_deref(), Some("again"));
    assert_eq!(items.len(), 10_000 + 40_000);
    let d3 = items.iter().find(|i| i.entry.key == "d3").expect("d3");
    assert!(!d3.from_default);
    assert_eq!((d3.entry.value.as_str(), d3.entry.line), ("mine", 50_004));
    assert!(elapsed < BOUND, "took {elapsed:?}");
}

/// A hostile configuration's lists of trusted hosts and extra indexes (tens of thousands each,
/// what a megabyte holds) are judged without comparing every URL with every entry.
#[test]
fn many_trusted_hosts_and_indexes_are_judged_quickly() {
    use imgaudit_pip::{
        ConfigFileKind, ConfigSource, Launch, PipCommand, PipVersion, SettingsInput, index_plan,
        resolve_settings,
    };
    let count = 25_000;
    let mut text = String::from("[global]\ntrusted-host =\n");
    for k in 0..count {
        let _ = writeln!(text, "    h{k}.example");
        let _ = writeln!(text, "    10.{}.{}.0/24", k / 256 % 256, k % 256);
    }
    text.push_str("extra-index-url =\n");
    for k in 0..count {
        let _ = writeln!(text, "    http://x{k}.example/simple");
        let _ = writeln!(text, "    http://11.0.{}.{}/simple", k / 256 % 256, k % 256);
    }
    assert!(text.len() > 1_000_000, "{} bytes", text.len());
    let version: PipVersion = "18.1".parse().unwrap();
    let files = [ConfigSource::parsed(
        ConfigFileKind::Etc,
        "/etc/pip.conf",
        &text,
    )];
    let started = Instant::now();
    let settings = resolve_settings(&SettingsInput {
        version,
        command: PipCommand::Install,
        env: &[],
        config_files: &files,
        cli_args: &[],
        launch: Launch::Exec,
        in_venv: false,
        passwd_home: None,
    });
    let plan = index_plan(&settings, version);
    let elapsed = started.elapsed();
    assert_eq!(plan.locations.len(), 1 + 2 * count);
    assert_eq!(plan.trusted_hosts.len(), 2 * count);
    assert!(plan.locations.iter().skip(1).all(|l| !l.verdict.accepted()));
    assert!(elapsed < BOUND, "took {elapsed:?}");
}
