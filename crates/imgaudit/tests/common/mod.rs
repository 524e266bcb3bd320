//! What the end-to-end tests share: running the `imgaudit` binary, reading what it printed, the
//! committed example image, the rule packs a test selects, the real images' directory, and the
//! snapshots of reports (insta's, in `tests/snapshots/`).
//!
//! `IMGAUDIT_TEST_EXTRA_POLICY=DIR` makes every command that evaluates policies (`scan` and the
//! bare `imgaudit IMAGE`) also load the policy directory `DIR`. `ci/test.sh` runs the tests again
//! with `tests/data/throwaway-policy`, a rule that fires on every image: a test that breaks then
//! depends on which other rules exist, and should `--select` the pack it is about.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use imgaudit_testkit::{TestImage, write_oci_layout};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// The variable naming a policy directory every policy-evaluating command also loads.
pub(crate) const EXTRA_POLICY_VARIABLE: &str = "IMGAUDIT_TEST_EXTRA_POLICY";

/// The commands that evaluate no policy; any other first argument is `scan` or an image (the
/// bare `imgaudit IMAGE` form).
const COMMANDS_WITHOUT_POLICIES: &[&str] = &[
    "facts", "rules", "rule", "policy", "inspect", "cache", "files", "help",
];

/// Whether `args` (first the command, or the image of the bare form) evaluate policies.
pub(crate) fn evaluates_policies(args: &[&str]) -> bool {
    args.first()
        .is_some_and(|first| !first.starts_with('-') && !COMMANDS_WITHOUT_POLICIES.contains(first))
}

/// The `imgaudit` binary with `args`, plus `--policy DIR` when `IMGAUDIT_TEST_EXTRA_POLICY` is
/// set and the command evaluates policies. Every way the tests run the binary starts here.
pub(crate) fn imgaudit_command<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgaudit"));
    command.args(args);
    let strings: Vec<&str> = args.iter().filter_map(|a| a.as_ref().to_str()).collect();
    if let Some(dir) = extra_policy() {
        if evaluates_policies(&strings) {
            command.arg("--policy").arg(dir);
        }
    }
    command
}

/// The directory `IMGAUDIT_TEST_EXTRA_POLICY` names, if set. It must be absolute: the binary
/// runs in temporary directories.
pub(crate) fn extra_policy() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(EXTRA_POLICY_VARIABLE)?);
    assert!(
        dir.is_absolute(),
        "{EXTRA_POLICY_VARIABLE} must be an absolute path, not {}",
        dir.display()
    );
    Some(dir)
}

/// Runs the binary with a cleared environment, feeding `stdin` when given.
pub(crate) fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_in(Path::new("."), args, stdin)
}

/// [`run`] in the working directory `dir` (where `imgaudit.toml` and the Dockerfile are found).
pub(crate) fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = imgaudit_command(args)
        .current_dir(dir)
        .env_clear()
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must exit 0, feeding `stdin` when given; returns its output.
pub(crate) fn succeeds(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let output = run(args, stdin);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    output
}

/// Runs a command that must exit 0; returns its stdout.
pub(crate) fn stdout_of_success(args: &[&str]) -> String {
    stdout(&succeeds(args, None))
}

/// Runs a command that must exit 0; parses its stdout as JSON.
pub(crate) fn json_of_success(args: &[&str]) -> Value {
    json_of_success_with_stdin(args, None)
}

/// [`json_of_success`], feeding `stdin` when given.
pub(crate) fn json_of_success_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Value {
    let output = succeeds(args, stdin);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
}

/// Runs a scan that must complete, whatever its gate says (exit 0 or 1); returns its stdout.
pub(crate) fn stdout_of_audit(args: &[&str]) -> String {
    let output = run(args, None);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// Runs a command that must fail with exit code 2, an error naming every one of `names`, and
/// nothing on stdout (never a partial report); returns the message.
pub(crate) fn fails(args: &[&str], stdin: Option<&[u8]>, names: &[&str]) -> String {
    let output = run(args, stdin);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
    assert!(
        output.stdout.is_empty(),
        "{args:?} printed a partial report"
    );
    assert!(message.starts_with("error: "), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    for name in names {
        assert!(
            message.contains(name),
            "{args:?}: `{name}` not in: {message}"
        );
    }
    message
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// `--select` for the rule pack these tests are about, the Python rules (`PIP*`, `PY*`). A test
/// that asserts on which rules fired, on rule lists or on a report's contents passes it, so that
/// a rule added to another pack changes none of them.
pub(crate) const PYTHON_RULES: [&str; 4] = ["--select", "PIP", "--select", "PY"];

/// `args` followed by [`PYTHON_RULES`].
pub(crate) fn with_python_rules<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(PYTHON_RULES);
    all
}

/// The id of every built-in rule, sorted, as the policy crate loads them.
pub(crate) fn builtin_rule_ids() -> Vec<String> {
    imgaudit_policy::PolicySet::builtin()
        .expect("the built-in policies load")
        .rule_ids()
}

/// The ids of the rules [`PYTHON_RULES`] selects, sorted: the `PIP` and `PY` packs (not
/// `PIPENV`, whose ids also start with `PIP`).
pub(crate) fn python_rule_ids() -> Vec<String> {
    let in_pack = |id: &str, pack: &str| {
        id.strip_prefix(pack)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    builtin_rule_ids()
        .into_iter()
        .filter(|id| in_pack(id, "PIP") || in_pack(id, "PY"))
        .collect()
}

/// The rule id of each finding (one per finding), sorted.
pub(crate) fn rule_ids<'a>(findings: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    let mut ids: Vec<String> = findings
        .into_iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// The rule ids of a JSON report's findings, sorted.
/// An image of `layers` whose config has `env` and whose history is `history` (each step's
/// `created_by` and whether it is an empty layer).
pub(crate) fn image_of(
    layers: Vec<imgaudit_testkit::LayerBuilder>,
    history: &[(&str, bool)],
    env: &[&str],
) -> TestImage {
    let mut image = TestImage::new(
        layers
            .into_iter()
            .map(imgaudit_testkit::LayerBuilder::finish)
            .collect(),
    );
    image.env.extend(env.iter().map(|e| (*e).to_owned()));
    image.history = Some(
        history
            .iter()
            .map(|(by, empty)| ((*by).to_owned(), *empty))
            .collect(),
    );
    image
}

/// The Dockerfile line each finding of `rule` points at (0 when none), sorted.
pub(crate) fn dockerfile_lines(report: &Value, rule: &str) -> Vec<u64> {
    let mut lines: Vec<u64> = findings_of(report, rule)
        .iter()
        .map(|f| f["dockerfile"]["start_line"].as_u64().unwrap_or(0))
        .collect();
    lines.sort_unstable();
    lines
}

/// The findings of `rule` in a JSON report, in report order.
pub(crate) fn findings_of<'r>(report: &'r Value, rule: &str) -> Vec<&'r Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

/// A finding's message.
pub(crate) fn message(finding: &Value) -> &str {
    finding["message"].as_str().unwrap()
}

pub(crate) fn finding_ids(report: &Value) -> Vec<String> {
    rule_ids(report["findings"].as_array().unwrap())
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

/// Everything one run of the binary wrote: `stdout`, `stderr`, and every file under `dir` (the
/// reports it wrote), each named for the message of a failing assertion.
pub(crate) fn everything_written(output: &Output, dir: Option<&Path>) -> Vec<(String, String)> {
    let mut written = vec![
        (
            "stdout".to_owned(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
        ("stderr".to_owned(), stderr(output)),
    ];
    let mut pending: Vec<PathBuf> = dir.into_iter().map(Path::to_owned).collect();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                written.push((path.display().to_string(), text));
            }
        }
    }
    written
}

/// Asserts that none of `secrets` appears in anything `written`, naming the run (`what`), the
/// output and the secret that leaked.
pub(crate) fn assert_no_secret(what: &str, written: &[(String, String)], secrets: &[&str]) {
    for (name, text) in written {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{what}: {name} shows the secret {secret:?}:\n{text}"
            );
        }
    }
}

// Images
// ---------------------------------------------------------------------------------------------

/// The README's example image as committed (`examples/python-hygiene`: `PIP_NO_USER=1`, a
/// removed marker and a user site), as an `oci:` argument.
pub(crate) fn example_layout() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/python-hygiene");
    format!("oci:{}", dir.canonicalize().unwrap().display())
}

/// Writes `image` as an OCI layout at `dir/name` (ref `latest`); returns its `oci:` argument.
pub(crate) fn write_layout(dir: &Path, name: &str, image: &TestImage) -> String {
    let path = dir.join(name);
    write_oci_layout(&path, &[("latest", image)]);
    format!("oci:{}:latest", path.display())
}

/// An image written as an OCI layout in a temporary directory of its own, removed on drop.
pub(crate) struct TempLayout {
    _dir: tempfile::TempDir,
    /// The layout's `oci:` argument.
    pub(crate) arg: String,
}

impl TempLayout {
    pub(crate) fn new(image: &TestImage) -> TempLayout {
        let dir = tempfile::tempdir().unwrap();
        let arg = write_layout(dir.path(), "layout", image);
        TempLayout { _dir: dir, arg }
    }
}

/// `scan --format json --fail-on none` of `image` (written as a temporary layout) with `args`
/// (the rules selected, other flags): the report, whatever the findings (the build gate is tested
/// on its own).
pub(crate) fn scan_report(image: &TestImage, args: &[&str]) -> Value {
    let layout = TempLayout::new(image);
    let mut all = vec![
        "scan",
        layout.arg.as_str(),
        "--format",
        "json",
        "--fail-on",
        "none",
    ];
    all.extend_from_slice(args);
    json_of_success(&all)
}

/// The directory of real images `tests/real-images/build.sh` made (`IMGAUDIT_REAL_IMAGES`);
/// tests that need it fail loudly without it.
pub(crate) fn images_dir() -> PathBuf {
    let dir = std::env::var_os("IMGAUDIT_REAL_IMAGES").expect(
        "IMGAUDIT_REAL_IMAGES is not set: run tests/real-images/build.sh DIR first (ci/test.sh does)",
    );
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("images.json").is_file(),
        "{} has no images.json: run tests/real-images/build.sh",
        dir.display()
    );
    dir
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

/// Asserts that `$content` (a `String` or bytes) is, byte for byte, the committed insta snapshot
/// `$name_and_extension` (`example-sarif.sarif`) of `tests/$dir/`.
///
/// They are insta's binary snapshots: the content is a file of its own, `NAME.snap.EXT`, exactly
/// what the binary wrote (a SARIF one is a SARIF file, which `ci/test.sh` validates), beside
/// insta's metadata in `NAME.snap`. A missing or different snapshot fails; outside CI insta
/// writes the new one as `NAME.snap.new.EXT` for `cargo insta review` (or `INSTA_UPDATE=always`
/// to overwrite). Under `CI=true` insta writes nothing.
#[allow(unused_macros)]
macro_rules! assert_report_snapshot {
    ($dir:expr, $name_and_extension:expr, $content:expr $(,)?) => {{
        let content: Vec<u8> = $content.into();
        $crate::common::show_snapshot_difference($dir, $name_and_extension, &content);
        $crate::common::snapshot_settings($dir).bind(|| {
            insta::assert_binary_snapshot!($name_and_extension, content, stringify!($content))
        });
    }};
}
#[allow(unused_imports)]
pub(crate) use assert_report_snapshot;

/// `tests/DIR` of this crate.
fn tests_path(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir)
}

/// insta's settings for the snapshots of `tests/DIR`: there, named as given (no module prefix).
pub(crate) fn snapshot_settings(dir: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(tests_path(dir));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// Prints where `content` first differs from the committed content of a snapshot: insta names
/// the files of a binary snapshot that differs, without showing how.
pub(crate) fn show_snapshot_difference(dir: &str, name_and_extension: &str, content: &[u8]) {
    let (name, extension) = name_and_extension.split_once('.').unwrap();
    let path = tests_path(dir).join(format!("{name}.snap.{extension}"));
    let Ok(expected) = std::fs::read(&path) else {
        return;
    };
    if expected == content {
        return;
    }
    let (expected, actual) = (
        String::from_utf8_lossy(&expected),
        String::from_utf8_lossy(content),
    );
    let first = expected
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    let from = |text: &str| {
        text.lines()
            .skip(first)
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    };
    eprintln!(
        "{name_and_extension} differs from {} from line {}:\n--- snapshot\n{}\n--- now\n{}",
        path.display(),
        first + 1,
        from(&expected),
        from(&actual),
    );
}
