//! End-to-end tests of the Python rules and the policy commands: the real binary on synthetic
//! images written by the test kit. Every rule has images where it fires and trap images where it
//! must stay silent; each case names the section of `tests/ground-truth/PIP-SEMANTICS.md` its
//! expectation rests on, and asserts the exact list of rule ids `scan` reports with the Python
//! rules selected (`--select PIP --select PY`), so that rules of other packs change nothing here.

use std::path::Path;

use imgaudit_testkit::{DEBIAN_MARKER, LayerBuilder, TestImage, debian_python_base};
use serde_json::Value;

mod common;

use common::{
    PYTHON_RULES, TempLayout, builtin_rule_ids, example_layout, fails, finding_ids,
    json_of_success, python_rule_ids, rule_ids, run, scan_report, stderr, stdout,
    stdout_of_success, succeeds, with_python_rules,
};

// ---------------------------------------------------------------------------------------------
// Synthetic images
// ---------------------------------------------------------------------------------------------

/// A Debian 11 shaped base: its Python package ships no marker (§2.4, "Debian <= 11" row).
fn debian_without_marker() -> LayerBuilder {
    LayerBuilder::new()
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        .file("usr/lib/python3.11/os.py", b"# stdlib\n")
        .dir("usr/lib/python3/dist-packages/pip-23.0.1.dist-info")
        .file(
            "var/lib/dpkg/info/libpython3.11-minimal:amd64.list",
            b"/usr/lib/python3.11\n/usr/lib/python3.11/os.py\n",
        )
        .file(
            "var/lib/dpkg/info/libpython3.11-stdlib:amd64.list",
            b"/usr/lib/python3.11/json/__init__.py\n",
        )
        .dir("root")
}

/// An official `python:3.11-slim` shaped base: CPython built from source under `/usr/local`,
/// owned by no package, no marker (§2.4, "official python:3.x" row), pip 24.0.
fn official_python() -> LayerBuilder {
    official_python_with_pip("24.0")
}

fn official_python_with_pip(pip: &str) -> LayerBuilder {
    LayerBuilder::new()
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n",
        )
        .file("usr/local/lib/python3.11/os.py", b"# stdlib\n")
        .dir(&format!(
            "usr/local/lib/python3.11/site-packages/pip-{pip}.dist-info"
        ))
        .dir("root")
        .dir("home/app")
}

/// A conda environment at `/opt/conda` (`conda-meta/`, no `pyvenv.cfg`) with pip 24.0.
fn conda_env() -> LayerBuilder {
    LayerBuilder::new()
        .file("opt/conda/lib/python3.11/os.py", b"")
        .dir("opt/conda/conda-meta")
        .dir("opt/conda/lib/python3.11/site-packages/pip-24.0.dist-info")
}

/// A virtual environment at `/opt/venv` on the base at `/usr/local`.
fn venv(system_site_packages: bool) -> LayerBuilder {
    let cfg = format!(
        "home = /usr/local/bin\ninclude-system-site-packages = {system_site_packages}\nversion = 3.11.9\n"
    );
    LayerBuilder::new()
        .file("opt/venv/pyvenv.cfg", cfg.as_bytes())
        .dir("opt/venv/lib/python3.11/site-packages/pip-24.0.dist-info")
}

/// A dist-info directory with an `INSTALLER` record (none when `installer` is empty).
fn dist(
    layer: LayerBuilder,
    site: &str,
    name: &str,
    version: &str,
    installer: &str,
) -> LayerBuilder {
    let info = format!("{site}/{name}-{version}.dist-info");
    let layer = layer.file(
        &format!("{info}/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").as_bytes(),
    );
    if installer.is_empty() {
        layer
    } else {
        layer.file(
            &format!("{info}/INSTALLER"),
            format!("{installer}\n").as_bytes(),
        )
    }
}

const ROOT_USER_SITE: &str = "root/.local/lib/python3.11/site-packages";

/// `six 1.15.0` installed with `pip install --user` for root.
fn user_site_with_six() -> LayerBuilder {
    dist(LayerBuilder::new(), ROOT_USER_SITE, "six", "1.15.0", "pip")
        .file(&format!("{ROOT_USER_SITE}/six.py"), b"# six 1.15.0\n")
}

fn image(layers: Vec<LayerBuilder>, env: &[&str]) -> TestImage {
    let mut image = TestImage::new(layers.into_iter().map(LayerBuilder::finish).collect());
    image.env.extend(env.iter().map(|e| (*e).to_owned()));
    image
}

/// `scan --format json`'s report on `image`, the Python rules selected, `extra` arguments added.
fn python_report(image: &TestImage, extra: &[&str]) -> Value {
    let report = scan_report(image, &[PYTHON_RULES.as_slice(), extra].concat());
    assert_eq!(report["schema_version"], 1);
    report
}

/// The findings of [`python_report`].
fn findings(image: &TestImage, extra: &[&str]) -> Vec<Value> {
    python_report(image, extra)["findings"]
        .as_array()
        .unwrap()
        .clone()
}

fn only<'f>(findings: &'f [Value], rule: &str) -> Vec<&'f Value> {
    findings.iter().filter(|f| f["rule_id"] == rule).collect()
}

// ---------------------------------------------------------------------------------------------
// The rules, case by case
// ---------------------------------------------------------------------------------------------

/// One image and the exact findings (rule ids, one per finding) `scan` must report.
struct Case {
    name: &'static str,
    /// The section of PIP-SEMANTICS.md the expectation rests on.
    section: &'static str,
    image: TestImage,
    expected: &'static [&'static str],
}

fn case(
    name: &'static str,
    section: &'static str,
    layers: Vec<LayerBuilder>,
    env: &[&str],
    expected: &'static [&'static str],
) -> Case {
    Case {
        name,
        section,
        image: image(layers, env),
        expected,
    }
}

/// Scans every case and reports all mismatches at once.
fn check(cases: Vec<Case>) {
    let mut wrong = Vec::new();
    for case in cases {
        let found = findings(&case.image, &[]);
        if rule_ids(&found) != case.expected {
            wrong.push(format!(
                "{} ({}): expected {:?}, got {:?}\n{}",
                case.name,
                case.section,
                case.expected,
                rule_ids(&found),
                serde_json::to_string_pretty(&found).unwrap()
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n\n"));
}

#[test]
fn pip001_user_install_forced() {
    check(vec![
        case(
            "PIP_NO_USER=1 is a user install",
            "§0.1, §1.3",
            vec![official_python()],
            &["PIP_NO_USER=1"],
            &["PIP001"],
        ),
        case(
            "PIP_USER=1",
            "§1.3",
            vec![official_python()],
            &["PIP_USER=1"],
            &["PIP001"],
        ),
        case(
            "user = true in /etc/pip.conf",
            "§1.5, §1.6",
            vec![
                official_python(),
                LayerBuilder::new().file("etc/pip.conf", b"[global]\nuser = true\n"),
            ],
            &[],
            &["PIP001"],
        ),
        case(
            "trap: PIP_NO_USER=0 means non-user",
            "§1.3, §5.3",
            vec![official_python()],
            &["PIP_NO_USER=0"],
            &[],
        ),
        case(
            "trap: PIP_USER=false",
            "§1.2",
            vec![official_python()],
            &["PIP_USER=false"],
            &[],
        ),
        case(
            "trap: PIP_USER= (empty) is ignored",
            "§1.2",
            vec![official_python()],
            &["PIP_USER="],
            &[],
        ),
        case(
            "trap: lower-case pip_user is ignored by pip >= 10",
            "§1.2",
            vec![official_python()],
            &["pip_user=1"],
            &[],
        ),
        case(
            "trap: PIP_USER=1 then PIP_NO_USER=0 is S in both launches",
            "§1.4",
            vec![official_python()],
            &["PIP_USER=1", "PIP_NO_USER=0"],
            &[],
        ),
        case(
            "PIP_NO_USER=1 then PIP_USER=0 is U via sh -c",
            "§1.4",
            vec![official_python()],
            &["PIP_NO_USER=1", "PIP_USER=0"],
            &["PIP001"],
        ),
        case(
            "trap: pip 9.0.3 has no --no-user, so ignores PIP_NO_USER",
            "§1.3 9.0.3 column",
            vec![official_python_with_pip("9.0.3")],
            &["PIP_NO_USER=1"],
            &[],
        ),
        case(
            "trap: PIP_USER=0 in Env beats user = true in a pip.conf",
            "§1.5 env vars over files",
            vec![
                official_python(),
                LayerBuilder::new().file("etc/pip.conf", b"[global]\nuser = true\n"),
            ],
            &["PIP_USER=0"],
            &[],
        ),
        case(
            "trap: PIP_CONFIG_FILE=/dev/null: no file is read",
            "§1.6 hiding rules",
            vec![
                official_python(),
                LayerBuilder::new().file("etc/pip.conf", b"[global]\nuser = true\n"),
            ],
            &["PIP_CONFIG_FILE=/dev/null"],
            &[],
        ),
        case(
            "PIP_CONFIG_FILE naming a missing file hides nothing",
            "§1.6 hiding rules",
            vec![
                official_python(),
                LayerBuilder::new().file("etc/pip.conf", b"[global]\nuser = true\n"),
            ],
            &["PIP_CONFIG_FILE=/etc/missing.conf"],
            &["PIP001"],
        ),
        case(
            "trap: user = true in [freeze] does not affect install",
            "§1.2",
            vec![
                official_python(),
                LayerBuilder::new().file("etc/pip.conf", b"[freeze]\nuser = true\n"),
            ],
            &[],
            &[],
        ),
        case(
            "trap: [GLOBAL] is not [global]",
            "§1.2",
            vec![
                official_python(),
                LayerBuilder::new().file("etc/pip.conf", b"[GLOBAL]\nuser = true\n"),
            ],
            &[],
            &[],
        ),
    ]);
}

#[test]
fn pip001_launch_dependent_user_install_is_not_certain() {
    // §1.4: [PIP_NO_USER=1, PIP_USER=0] is S by direct exec, U via sh -c; [PIP_NO_USER=0,
    // PIP_USER=1] is U by direct exec, S via sh -c. §5.2: "PIP_USER and PIP_NO_USER disagree |
    // medium | launch-dependent (§1.4); report both outcomes".
    for env in [
        ["PIP_NO_USER=1", "PIP_USER=0"],
        ["PIP_NO_USER=0", "PIP_USER=1"],
    ] {
        let found = findings(&image(vec![official_python()], &env), &[]);
        assert_eq!(rule_ids(&found), ["PIP001"], "{env:?}: {found:#?}");
        assert_eq!(found[0]["precision"], "medium", "{env:?}: {found:#?}");
        let msg = found[0]["message"].as_str().unwrap();
        assert!(!msg.contains("every `pip install`"), "{env:?}: {msg}");
        assert!(
            msg.contains("sh -c") || msg.contains("shell"),
            "{env:?}: {msg}"
        );
    }
}

#[test]
fn pip001_is_high_where_user_installs_land_silently() {
    // §1.8 and §0.9: conda envs and --system-site-packages venvs take user installs silently;
    // a plain venv refuses them.
    for (name, layers, severity, expected) in [
        (
            "no environment",
            vec![official_python()],
            "medium",
            &["PIP001"][..],
        ),
        (
            "conda env",
            vec![official_python(), conda_env()],
            "high",
            &["PIP001", "PY005"],
        ),
        (
            "system-site venv",
            vec![official_python(), venv(true)],
            "high",
            &["PIP001"],
        ),
        (
            "plain venv",
            vec![official_python(), venv(false)],
            "medium",
            &["PIP001"],
        ),
    ] {
        let found = findings(&image(layers, &["PIP_NO_USER=1"]), &[]);
        assert_eq!(rule_ids(&found), expected, "{name}: {found:#?}");
        let pip001 = only(&found, "PIP001");
        assert_eq!(pip001[0]["severity"], severity, "{name}");
    }
}

#[test]
fn pip001_reports_each_source_once() {
    // §4 (start-up files) and §1.6 (pip.conf): each place the setting is written is one finding,
    // with its own source and location.
    let profile = || LayerBuilder::new().file("etc/profile.d/pip.sh", b"export PIP_USER=1\n");
    let conf = || LayerBuilder::new().file("etc/pip.conf", b"[global]\nuser = true\n");
    for (layers, env, source) in [
        (vec![official_python()], &["PIP_USER=1"][..], "env"),
        (vec![official_python(), profile()], &[][..], "startup_file"),
        (vec![official_python(), conf()], &[][..], "pip_config"),
    ] {
        let found = findings(&image(layers, env), &[]);
        assert_eq!(rule_ids(&found), ["PIP001"], "{source}: {found:#?}");
        assert_eq!(found[0]["evidence"]["source"], source);
    }
    let found = findings(
        &image(vec![official_python(), profile(), conf()], &["PIP_USER=1"]),
        &[],
    );
    let mut sources: Vec<&str> = only(&found, "PIP001")
        .iter()
        .map(|f| f["evidence"]["source"].as_str().unwrap())
        .collect();
    sources.sort_unstable();
    assert_eq!(sources, ["env", "pip_config", "startup_file"], "{found:#?}");
    assert_eq!(rule_ids(&found), ["PIP001", "PIP001", "PIP001"]);
}

#[test]
fn settings_in_start_up_files_are_not_certain() {
    // §4, §5.2 ("PIP_* only in start-up files: low; medium for bash -l... entrypoints") and
    // §5.3 "Start-up files are conditional sources. Never rate them like image Env".
    for (script, precision) in [
        (&b"export PIP_USER=1\n"[..], "low"),
        (
            &b"if [ -n \"$CI\" ]; then\n  export PIP_USER=1\nfi\n"[..],
            "low",
        ),
    ] {
        let test_image = image(
            vec![
                official_python(),
                LayerBuilder::new().file("etc/profile.d/pip.sh", script),
            ],
            &[],
        );
        let found = findings(&test_image, &[]);
        assert_eq!(rule_ids(&found), ["PIP001"], "{found:#?}");
        assert_eq!(found[0]["precision"], precision, "{found:#?}");
        assert_eq!(found[0]["locations"][0]["path"], "/etc/profile.d/pip.sh");
        let layout = TempLayout::new(&test_image);
        let text = stdout_of_success(&with_python_rules(&["scan", &layout.arg]));
        assert!(
            text.contains(&format!("[medium, {precision} precision]")),
            "{text}"
        );
    }
    // The image's Env is certain.
    let found = findings(&image(vec![official_python()], &["PIP_USER=1"]), &[]);
    assert_eq!(found[0]["precision"], "high");
}

#[test]
fn pip002_invalid_pip_boolean() {
    check(vec![
        case(
            "PIP_USER=garbage",
            "§1.2 invalid",
            vec![official_python()],
            &["PIP_USER=garbage"],
            &["PIP002"],
        ),
        case(
            "PIP_USER= 1: env values are not stripped",
            "§1.2 invalid (src)",
            vec![official_python()],
            &["PIP_USER= 1"],
            &["PIP002"],
        ),
        case(
            "PIP_NO_USER=2",
            "§1.3 PIP_NO_USER=garbage",
            vec![official_python()],
            &["PIP_NO_USER=2"],
            &["PIP002"],
        ),
        case(
            "PIP_BREAK_SYSTEM_PACKAGES=garbage with pip 23.0.1",
            "§2.3",
            vec![debian_python_base()],
            &["PIP_BREAK_SYSTEM_PACKAGES=garbage"],
            &["PIP002"],
        ),
        case(
            "trap: `user =  1 ` in a pip.conf is stripped, a valid true (PIP001, not PIP002)",
            "§1.2 config values are whitespace-stripped",
            vec![
                official_python(),
                LayerBuilder::new().file("etc/pip.conf", b"[global]\nuser =  1 \n"),
            ],
            &[],
            &["PIP001"],
        ),
        case(
            "trap: upper-case TRUE is a boolean",
            "§1.2 truthy",
            vec![official_python()],
            &["PIP_USER=TRUE"],
            &["PIP001"],
        ),
        case(
            "trap: PIP_BREAK_SYSTEM_PACKAGES=garbage with only pip 22.3.1, which ignores it",
            "§2.3 <= 22.3.1 column",
            vec![official_python_with_pip("22.3.1")],
            &["PIP_BREAK_SYSTEM_PACKAGES=garbage"],
            &[],
        ),
    ]);
}

/// A Debian base whose only pip is 22.3.1 (no `--break-system-packages` yet).
fn debian_with_pip_22() -> Vec<LayerBuilder> {
    vec![
        debian_python_base(),
        LayerBuilder::new()
            .whiteout("usr/lib/python3/dist-packages/pip-23.0.1.dist-info")
            .dir("usr/lib/python3/dist-packages/pip-22.3.1.dist-info"),
    ]
}

#[test]
fn pip003_pep668_bypass_persisted() {
    check(vec![
        case(
            "PIP_BREAK_SYSTEM_PACKAGES=1 with Debian's pip 23.0.1",
            "§2.3 23.0.1 column",
            vec![debian_python_base()],
            &["PIP_BREAK_SYSTEM_PACKAGES=1"],
            &["PIP003"],
        ),
        case(
            "break-system-packages = true in /etc/pip.conf",
            "§2.3 any file",
            vec![
                debian_python_base(),
                LayerBuilder::new()
                    .file("etc/pip.conf", b"[install]\nbreak-system-packages = true\n"),
            ],
            &[],
            &["PIP003"],
        ),
        case(
            "no marked interpreter: still reported, for the images built FROM this one",
            "§2.3 23.0.1 column (pip 24.0 honours it); the rule's document",
            vec![official_python()],
            &["PIP_BREAK_SYSTEM_PACKAGES=1"],
            &["PIP003"],
        ),
        case(
            "trap: PIP_BREAK_SYSTEM_PACKAGES=0",
            "§2.3 =0/false: no bypass",
            vec![debian_python_base()],
            &["PIP_BREAK_SYSTEM_PACKAGES=0"],
            &[],
        ),
        case(
            "trap: PIP_BREAK_SYSTEM_PACKAGES= (empty)",
            "§2.3 \"\": no bypass",
            vec![debian_python_base()],
            &["PIP_BREAK_SYSTEM_PACKAGES="],
            &[],
        ),
        case(
            "trap: the only pip is 22.3.1, which ignores it",
            "§2.3 <= 22.3.1 column, §5.4",
            debian_with_pip_22(),
            &["PIP_BREAK_SYSTEM_PACKAGES=1"],
            &[],
        ),
    ]);
    // The message names the interpreters that lose their guard.
    let found = findings(
        &image(vec![debian_python_base()], &["PIP_BREAK_SYSTEM_PACKAGES=1"]),
        &[],
    );
    let msg = found[0]["message"].as_str().unwrap();
    assert!(msg.contains("which protects /usr"), "{msg}");
}

#[test]
fn pip004_index_credentials_in_image() {
    check(vec![
        case(
            "password in PIP_INDEX_URL",
            "§5.2 (index URLs), docs/policy-input.md has_credentials",
            vec![official_python()],
            &["PIP_INDEX_URL=https://user:pa55word@pypi.example/simple"],
            &["PIP004"],
        ),
        case(
            "trap: a keyring user name alone is not a credential",
            "pip's keyring support names the user in the URL",
            vec![
                official_python(),
                LayerBuilder::new().file(
                    "etc/pip.conf",
                    b"[global]\nindex-url = https://oauth2accesstoken@pkgs.example/simple\n",
                ),
            ],
            &[],
            &[],
        ),
        case(
            "token in extra-index-url of a pip.conf",
            "§1.6 config files",
            vec![
                official_python(),
                LayerBuilder::new().file(
                    "etc/pip.conf",
                    b"[global]\nextra-index-url = https://pypi-AgEIcHlwaS5vcmcCJDk0@pkgs.example/simple\n",
                ),
            ],
            &[],
            // An extra index beside pip's default public index is PIP005 too.
            &["PIP004", "PIP005"],
        ),
        case(
            "a hidden user pip.conf still leaks",
            "§1.6 hiding rules: PIP_CONFIG_FILE hides files 3-4",
            vec![
                official_python(),
                LayerBuilder::new()
                    .file("etc/pip-ci.conf", b"[global]\n")
                    .file(
                        "root/.config/pip/pip.conf",
                        b"[global]\nindex-url = https://u:pw@idx.example/simple\n",
                    ),
            ],
            &["PIP_CONFIG_FILE=/etc/pip-ci.conf"],
            &["PIP004"],
        ),
        case(
            "trap: an index URL without credentials",
            "§5.2",
            vec![official_python()],
            &["PIP_INDEX_URL=https://index.example/simple"],
            &[],
        ),
    ]);
}

#[test]
fn py001_externally_managed_marker_missing() {
    let mut removed = image(
        vec![
            debian_python_base(),
            LayerBuilder::new().whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED"),
        ],
        &[],
    );
    removed.history = Some(vec![
        ("ADD rootfs /".into(), false),
        (
            "RUN rm /usr/lib/python3.11/EXTERNALLY-MANAGED".into(),
            false,
        ),
    ]);
    check(vec![
        Case {
            name: "marker removed by a whiteout",
            section: "§2.5 last row",
            image: removed.clone(),
            expected: &["PY001"],
        },
        case(
            "marker replaced by a directory",
            "§2.1 a directory is not a marker",
            vec![
                debian_python_base(),
                LayerBuilder::new()
                    .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
                    .dir("usr/lib/python3.11/EXTERNALLY-MANAGED"),
            ],
            &[],
            &["PY001"],
        ),
        case(
            "marker replaced by a dangling link",
            "§2.1 nor a dangling symlink",
            vec![
                debian_python_base(),
                LayerBuilder::new()
                    .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
                    .symlink("usr/lib/python3.11/EXTERNALLY-MANAGED", "../nowhere"),
            ],
            &[],
            &["PY001"],
        ),
        case(
            "trap: Debian with its marker",
            "§2.4 Debian 12 row",
            vec![debian_python_base()],
            &[],
            &[],
        ),
        case(
            "trap: an empty (malformed) marker still blocks",
            "§2.2",
            vec![
                debian_python_base(),
                LayerBuilder::new().file("usr/lib/python3.11/EXTERNALLY-MANAGED", b""),
            ],
            &[],
            &[],
        ),
        case(
            "trap: a Gentoo-style marker link to a file",
            "§2.1 a symlink to a regular file",
            vec![
                debian_python_base(),
                LayerBuilder::new()
                    .file("usr/lib/python/EXTERNALLY-MANAGED", DEBIAN_MARKER)
                    .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
                    .symlink(
                        "usr/lib/python3.11/EXTERNALLY-MANAGED",
                        "../python/EXTERNALLY-MANAGED",
                    ),
            ],
            &[],
            &[],
        ),
        case(
            "trap: a source-built Python under /usr/local has no marker to lose",
            "§2.4 official python:3.x row",
            vec![official_python()],
            &[],
            &[],
        ),
        case(
            "trap: a distribution whose package ships no marker (Debian 11)",
            "§2.4 Debian <= 11 row",
            vec![debian_without_marker()],
            &[],
            &[],
        ),
    ]);
    // The finding names the layer and the step that removed the marker.
    let found = findings(&removed, &[]);
    let msg = found[0]["message"].as_str().unwrap();
    assert!(msg.contains("layer 1 removed it"), "{msg}");
    assert!(
        msg.contains("RUN rm /usr/lib/python3.11/EXTERNALLY-MANAGED"),
        "{msg}"
    );
    assert_eq!(found[0]["locations"][0]["layer"], 1);
    assert_eq!(found[0]["locations"][0]["history_step"], 1);
    assert_eq!(found[0]["evidence"]["package"], "libpython3.11-stdlib");
}

#[test]
fn py002_user_site_packages_present() {
    check(vec![
        case(
            "root's user site holds six",
            "§3 USER_SITE",
            vec![official_python(), user_site_with_six()],
            &[],
            &["PY002"],
        ),
        case(
            "a user site under PYTHONUSERBASE",
            "§3 USER_BASE is a non-empty $PYTHONUSERBASE",
            vec![
                official_python(),
                LayerBuilder::new().file("data/pyuser/lib/python3.11/site-packages/x.py", b""),
            ],
            &["PYTHONUSERBASE=/data/pyuser"],
            &["PY002"],
        ),
        case(
            "trap: a user site created and removed by a later layer's whiteout",
            "§3 (on sys.path only when the directory exists)",
            vec![
                official_python(),
                user_site_with_six(),
                LayerBuilder::new().whiteout("root/.local"),
            ],
            &[],
            &[],
        ),
        case(
            "trap: an empty user site",
            "§3",
            vec![official_python(), LayerBuilder::new().dir(ROOT_USER_SITE)],
            &[],
            &[],
        ),
    ]);
}

#[test]
fn py003_user_site_shadows_environment() {
    // six 1.16.0 in the interpreter's site-packages, 1.15.0 in root's user site.
    let system_six = || {
        dist(
            LayerBuilder::new(),
            "usr/local/lib/python3.11/site-packages",
            "six",
            "1.16.0",
            "pip",
        )
    };
    let venv_six = || {
        dist(
            venv(false),
            "opt/venv/lib/python3.11/site-packages",
            "six",
            "1.16.0",
            "pip",
        )
    };
    let shadowing = || vec![official_python(), system_six(), user_site_with_six()];
    check(vec![
        case(
            "user-site six 1.15.0 shadows six 1.16.0",
            "§3 Shadowing, §0.10",
            shadowing(),
            &[],
            &["PY002", "PY003"],
        ),
        case(
            "PYTHONNOUSERSITE=0 does not disable the user site",
            "§0.3, §1.9",
            shadowing(),
            &["PYTHONNOUSERSITE=0"],
            &["PY002", "PY003"],
        ),
        case(
            "trap: PYTHONNOUSERSITE=1 disables it",
            "§3 Disabled by PYTHONNOUSERSITE",
            shadowing(),
            &["PYTHONNOUSERSITE=1"],
            &["PY002"],
        ),
        case(
            "trap: a plain venv does not see the user site",
            "§3 Disabled by plain venvs",
            vec![official_python(), venv_six(), user_site_with_six()],
            &[],
            &["PY002"],
        ),
        case(
            "trap: a --system-site-packages venv imports its own copy before the user site",
            "§3 In a system-site venv the order is venv, USER_SITE, base",
            vec![
                official_python(),
                dist(
                    venv(true),
                    "opt/venv/lib/python3.11/site-packages",
                    "six",
                    "1.16.0",
                    "pip",
                ),
                user_site_with_six(),
            ],
            &[],
            &["PY002"],
        ),
        case(
            "a --system-site-packages venv sees the user site before its base's copy",
            "§3 In a system-site venv the order is venv, USER_SITE, base",
            vec![
                dist(
                    official_python(),
                    "usr/local/lib/python3.11/site-packages",
                    "six",
                    "1.16.0",
                    "pip",
                ),
                venv(true),
                user_site_with_six(),
            ],
            &[],
            // The base itself and the venv on top of it.
            &["PY002", "PY003", "PY003"],
        ),
        case(
            "trap: the same version is not shadowing",
            "§3 Shadowing",
            vec![
                official_python(),
                dist(
                    LayerBuilder::new(),
                    "usr/local/lib/python3.11/site-packages",
                    "six",
                    "1.15.0",
                    "pip",
                ),
                user_site_with_six(),
            ],
            &[],
            &["PY002"],
        ),
    ]);
}

#[test]
fn py004_pip_installed_into_distro_python() {
    let debian_local = "usr/local/lib/python3.11/dist-packages";
    check(vec![
        case(
            "INSTALLER=pip in Debian's /usr/local/lib/python3.11/dist-packages",
            "§2.5 evidence table",
            vec![
                debian_python_base(),
                dist(LayerBuilder::new(), debian_local, "flask", "3.0.0", "pip"),
            ],
            &[],
            &["PY004"],
        ),
        case(
            "trap: apt's dists (no INSTALLER, or INSTALLER=debian)",
            "§2.5 no INSTALLER / INSTALLER = debian",
            vec![
                debian_python_base(),
                dist(
                    dist(
                        LayerBuilder::new(),
                        "usr/lib/python3/dist-packages",
                        "six",
                        "1.16.0",
                        "",
                    ),
                    "usr/lib/python3/dist-packages",
                    "requests",
                    "2.28.1",
                    "debian",
                ),
            ],
            &[],
            &[],
        ),
        case(
            "trap: INSTALLER=pip in a source-built Python is normal",
            "§2.4 official python:3.x row",
            vec![
                official_python(),
                dist(
                    LayerBuilder::new(),
                    "usr/local/lib/python3.11/site-packages",
                    "flask",
                    "3.0.0",
                    "pip",
                ),
            ],
            &[],
            &[],
        ),
        case(
            "trap: INSTALLER=pip in a venv on Debian's Python",
            "§2.3 inside a venv",
            vec![
                debian_python_base(),
                dist(
                    LayerBuilder::new().file(
                        "opt/venv/pyvenv.cfg",
                        b"home = /usr/bin\ninclude-system-site-packages = false\n",
                    ),
                    "opt/venv/lib/python3.11/site-packages",
                    "flask",
                    "3.0.0",
                    "pip",
                ),
            ],
            &[],
            &[],
        ),
    ]);
    let found = findings(
        &image(
            vec![
                debian_python_base(),
                dist(LayerBuilder::new(), debian_local, "flask", "3.0.0", "pip"),
            ],
            &[],
        ),
        &[],
    );
    let msg = found[0]["message"].as_str().unwrap();
    assert!(msg.contains("flask 3.0.0"), "{msg}");
    assert!(msg.contains("marker is present"), "{msg}");
}

#[test]
fn py005_conda_env_with_user_install() {
    check(vec![
        case(
            "PIP_NO_USER=1 with a conda env",
            "§1.8, §0.1",
            vec![official_python(), conda_env()],
            &["PIP_NO_USER=1"],
            &["PIP001", "PY005"],
        ),
        case(
            "user = true in the conda env's own pip.conf",
            "§1.6 row 5 (sys.prefix/pip.conf, pip >= 19.2)",
            vec![
                official_python(),
                conda_env().file("opt/conda/pip.conf", b"[global]\nuser = true\n"),
            ],
            &[],
            &["PIP001", "PY005"],
        ),
        case(
            "trap: PIP_NO_USER=0 with a conda env",
            "§1.3",
            vec![official_python(), conda_env()],
            &["PIP_NO_USER=0"],
            &[],
        ),
        case(
            "trap: a plain venv is not a conda env (pip refuses instead)",
            "§0.9, §5.3 Plain venvs",
            vec![official_python(), venv(false)],
            &["PIP_NO_USER=1"],
            &["PIP001"],
        ),
        case(
            "trap: a conda env without any user-install setting",
            "§1.7",
            vec![official_python(), conda_env()],
            &[],
            &[],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn credentials_appear_in_no_output() {
    const SECRETS: [&str; 4] = [
        "env-pa55word",
        "conf-s3cr3t",
        "ghp_profilet0ken0123456789",
        "history-hunter2",
    ];
    let layer = LayerBuilder::new()
        .file(
            "etc/pip.conf",
            b"[global]\nextra-index-url = https://bot:conf-s3cr3t@pkgs.example/simple\n",
        )
        .file(
            "etc/profile.d/index.sh",
            b"export PIP_INDEX_URL=https://ghp_profilet0ken0123456789@idx.example/simple\n",
        );
    let mut test_image = image(
        vec![official_python(), layer],
        &["PIP_INDEX_URL=https://ci:env-pa55word@pypi.example/simple"],
    );
    test_image.history = Some(vec![
        ("ADD rootfs /".into(), false),
        (
            "RUN pip download --index-url https://ci:history-hunter2@pypi.example/simple x".into(),
            false,
        ),
    ]);
    let layout = TempLayout::new(&test_image);
    let arg = layout.arg.as_str();
    let reports = tempfile::tempdir().unwrap();
    let file = |name: &str| reports.path().join(name).display().to_string();
    let (json_file, sarif_file, quality_file, text_file) = (
        format!("json={}", file("r.json")),
        format!("sarif={}", file("r.sarif")),
        format!("codequality={}", file("r.cq.json")),
        format!("text={}", file("r.txt")),
    );
    for args in [
        &["scan", arg, "--fail-on", "none"][..],
        &["scan", arg, "--format", "json", "--fail-on", "none"],
        &["scan", arg, "--format", "sarif", "--fail-on", "none"],
        &["scan", arg, "--format", "codequality", "--fail-on", "none"],
        &[
            "scan",
            arg,
            "--fail-on",
            "none",
            "--color",
            "always",
            "--output",
            &json_file,
            "--output",
            &sarif_file,
            "--output",
            &quality_file,
            "--output",
            &text_file,
        ],
        &[arg, "--fail-on", "none"],
        &["facts", arg],
        &["inspect", arg],
        &["inspect", arg, "--format", "json"],
    ] {
        let output = succeeds(args, None);
        let mut everything = format!("{}{}", stdout(&output), stderr(&output));
        for written in std::fs::read_dir(reports.path()).unwrap() {
            everything.push_str(&std::fs::read_to_string(written.unwrap().path()).unwrap());
        }
        for secret in SECRETS {
            assert!(
                !everything.contains(secret),
                "{args:?} printed {secret}:\n{everything}"
            );
        }
    }
    assert_eq!(std::fs::read_dir(reports.path()).unwrap().count(), 4);
    let sarif = std::fs::read_to_string(reports.path().join("r.sarif")).unwrap();
    assert!(
        sarif.contains("https://ci:****@pypi.example/simple"),
        "{sarif}"
    );
    // One PIP004 per source; the masked value is still shown. The file's extra index on
    // another host than PIP_INDEX_URL's is PIP005 too.
    let found = findings(&test_image, &[]);
    assert_eq!(
        rule_ids(&found),
        ["PIP004", "PIP004", "PIP004", "PIP005"],
        "{found:#?}"
    );
    let mut sources: Vec<&str> = found
        .iter()
        .filter(|f| f["rule_id"] == "PIP004")
        .map(|f| f["evidence"]["source"].as_str().unwrap())
        .collect();
    sources.sort_unstable();
    assert_eq!(sources, ["env", "pip_config", "startup_file"]);
    assert!(
        found
            .iter()
            .any(|f| f["evidence"]["value"] == "https://ci:****@pypi.example/simple"),
        "{found:#?}"
    );
}

#[test]
fn a_quote_in_a_password_is_masked_too() {
    let test_image = image(
        vec![official_python()],
        &["PIP_INDEX_URL=https://u:it's-s3cret@pypi.example/simple"],
    );
    let layout = TempLayout::new(&test_image);
    for args in [
        &["scan", layout.arg.as_str(), "--fail-on", "none"][..],
        &["facts", &layout.arg],
        &["inspect", &layout.arg],
    ] {
        let printed = stdout_of_success(args);
        assert!(
            !printed.contains("s3cret"),
            "{args:?} printed it:\n{printed}"
        );
    }
    assert_eq!(rule_ids(&findings(&test_image, &[])), ["PIP004"]);
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

#[test]
fn imgaudit_image_is_scan_image() {
    let image = example_layout();
    for format in [&[][..], &["--format", "json"], &["--format", "text"]] {
        let mut bare = vec![image.as_str()];
        bare.extend_from_slice(format);
        let mut scan = vec!["scan", image.as_str()];
        scan.extend_from_slice(format);
        let (bare, scan) = (run(&bare, None), run(&scan, None));
        assert_eq!(bare.status.code(), scan.status.code());
        assert_eq!(stdout(&bare), stdout(&scan), "{format:?}");
        assert_eq!(stderr(&bare), stderr(&scan));
    }
    let report = json_of_success(&with_python_rules(&[&image, "--format", "json"]));
    assert_eq!(finding_ids(&report), ["PIP001", "PY001", "PY002"]);
}

#[test]
fn the_build_gate_fails_on_the_threshold_whatever_the_report_shows() {
    // The example has three medium findings; other packs' rules are left out.
    let image = example_layout();
    let python = |args: &[&str]| run(&with_python_rules(args), None);
    let status = |args: &[&str]| python(args).status.code();
    assert_eq!(status(&[&image]), Some(0), "default --fail-on high");
    assert_eq!(status(&[&image, "--fail-on", "medium"]), Some(1));
    assert_eq!(status(&[&image, "--fail-on", "MEDIUM"]), Some(1));
    assert_eq!(status(&[&image, "--fail-on", "none"]), Some(0));
    assert_eq!(status(&[&image, "--fail-on", "critical"]), Some(0));
    // --min-severity filters the report, not the gate.
    let output = python(&[
        &image,
        "--format",
        "json",
        "--min-severity",
        "high",
        "--fail-on",
        "medium",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report["findings"].as_array().unwrap().is_empty());
    assert_eq!(report["failing"], 3);
    assert_eq!(report["fail_on"], "medium");
    let text = stdout(&python(&[&image, "--fail-on", "medium"]));
    assert!(
        text.contains("Failing: 3 finding(s) at or above medium"),
        "{text}"
    );
    // A critical finding fails the default gate.
    let leaked = image_with_env(&["PIP_INDEX_URL=https://u:pw@idx.example/simple"]);
    let layout = TempLayout::new(&leaked);
    assert_eq!(status(&[&layout.arg]), Some(1));
    // A bad threshold is a usage error.
    fails(&[&image, "--fail-on", "severe"], None, &["severe"]);
    fails(&[&image, "--min-severity", "none"], None, &["none"]);
}

fn image_with_env(env: &[&str]) -> TestImage {
    image(vec![official_python()], env)
}

#[test]
fn rules_lists_the_built_in_rules() {
    // Every rule on purpose, so the list comes from the policy crate, not from this file.
    let builtin = builtin_rule_ids();
    let text = stdout_of_success(&["rules"]);
    let listed: Vec<&str> = text
        .lines()
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(listed, builtin, "{text}");
    let list = json_of_success(&["rules", "--format", "json"]);
    assert_eq!(list["schema_version"], 1);
    let rules = list["rules"].as_array().unwrap();
    assert_eq!(rules.len(), builtin.len());
    for rule in rules {
        for field in [
            "id",
            "name",
            "title",
            "severity",
            "description",
            "remediation",
        ] {
            assert!(
                rule[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field}: {rule:#}"
            );
        }
        assert_eq!(rule["origin"], "builtin");
    }
}

#[test]
fn rule_prints_the_rule_document_by_id_or_name() {
    let by_id = stdout_of_success(&["rule", "pip001"]);
    assert_eq!(stdout_of_success(&["rule", "PIP001"]), by_id);
    assert_eq!(stdout_of_success(&["rule", "user-install-forced"]), by_id);
    assert_eq!(stdout_of_success(&["rule", "USER-INSTALL-FORCED"]), by_id);
    assert!(
        by_id.starts_with("# user-install-forced (PIP001)"),
        "{by_id}"
    );
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## References",
    ] {
        assert!(by_id.contains(section), "{section} missing:\n{by_id}");
    }
    // Every line of the document's prose and code is there (fences dropped, code indented).
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/pip/user_install_forced.md"),
    )
    .unwrap();
    for line in doc.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !line.starts_with("```") {
            assert!(by_id.contains(line), "`{line}` missing:\n{by_id}");
        }
    }
    // An unknown rule: the message lists every known id, whatever the packs.
    let message = fails(&["rule", "NOPE"], None, &["NOPE"]);
    for id in builtin_rule_ids() {
        assert!(message.contains(&id), "{id} not named: {message}");
    }
}

#[test]
fn disable_removes_a_rule_and_is_checked_before_the_image_is_read() {
    let image = example_layout();
    let python = python_rule_ids();
    for disable in ["PIP001", "pip001", "user-install-forced"] {
        let args = ["scan", &image, "--format", "json", "--disable", disable];
        let report = json_of_success(&with_python_rules(&args));
        assert_eq!(finding_ids(&report), ["PY001", "PY002"], "{disable}");
        assert_eq!(report["disabled"], serde_json::json!(["PIP001"]));
        let rules = report["rules"].as_array().unwrap();
        assert_eq!(rules.len(), python.len() - 1);
        assert!(!rules.contains(&Value::from("PIP001")));
    }
    // Two rules at once.
    let args = [
        "scan",
        &image,
        "--format",
        "json",
        "--disable",
        "PIP001",
        "--disable",
        "PY002",
    ];
    assert_eq!(
        finding_ids(&json_of_success(&with_python_rules(&args))),
        ["PY001"]
    );
    // An unknown id is refused before the (missing) image is opened.
    let message = fails(
        &["scan", "/nonexistent/image", "--disable", "NOPE"],
        None,
        &["NOPE"],
    );
    assert!(!message.contains("nonexistent"), "{message}");
    fails(
        &["/nonexistent/image", "--disable", "NOPE"],
        None,
        &["NOPE"],
    );
}

/// The ids a report lists under `key` (`rules`, `disabled`).
fn listed(report: &Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn select_narrows_the_run_to_the_rules_it_names() {
    let image = example_layout();
    let scan = |format: &str, select: &[&str]| {
        let mut args = vec!["scan", image.as_str(), "--format", format];
        args.extend_from_slice(select);
        json_of_success(&args)
    };
    let report = |select: &[&str]| scan("json", select);
    let py: Vec<String> = python_rule_ids()
        .into_iter()
        .filter(|id| id.starts_with("PY"))
        .collect();
    // An id prefix: only the rules it selects run and are listed; the others are not disabled,
    // they are not part of the run.
    let by_prefix = report(&["--select", "PY"]);
    assert_eq!(finding_ids(&by_prefix), ["PY001", "PY002"]);
    assert_eq!(listed(&by_prefix, "rules"), py);
    assert!(listed(&by_prefix, "disabled").is_empty(), "{by_prefix:#}");
    // A name, an id in any case, the same id twice.
    for select in [
        &["--select", "user-install-forced"][..],
        &["--select", "pip001"],
        &["--select", "PIP001", "--select", "PIP001"],
    ] {
        let selected = report(select);
        assert_eq!(finding_ids(&selected), ["PIP001"], "{select:?}");
        assert_eq!(listed(&selected, "rules"), ["PIP001"], "{select:?}");
        assert!(listed(&selected, "disabled").is_empty(), "{select:?}");
    }
    // With --disable: what --select leaves out is still not listed as disabled.
    let narrowed = report(&["--select", "PY", "--disable", "PY002"]);
    assert_eq!(finding_ids(&narrowed), ["PY001"]);
    assert_eq!(listed(&narrowed, "disabled"), ["PY002"]);
    assert!(!listed(&narrowed, "rules").iter().any(|id| id == "PY002"));
    // SARIF describes only the selected rules.
    let sarif = scan("sarif", &["--select", "PY"]);
    let described: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    assert_eq!(described, py);
    // A key that selects no rule is an error naming it, before the (missing) image is opened.
    let message = fails(
        &["scan", "/nonexistent/image", "--select", "NOPE"],
        None,
        &["NOPE"],
    );
    assert!(!message.contains("nonexistent"), "{message}");
    fails(&["/nonexistent/image", "--select", "XX"], None, &["XX"]);
}

#[test]
fn select_leaves_out_the_rules_of_user_policies_too() {
    let dir = policy_dir(ORG_RULE, ORG_TEST);
    let policies = dir.path().display().to_string();
    let test_image = image(vec![official_python()], &["CORP_TOKEN=abc", "PIP_USER=1"]);
    let python = python_report(&test_image, &["--policy", &policies]);
    assert_eq!(finding_ids(&python), ["PIP001"]);
    assert_eq!(listed(&python, "rules"), python_rule_ids());
    assert!(listed(&python, "disabled").is_empty(), "{python:#}");
    let layout = TempLayout::new(&test_image);
    let org = json_of_success(&[
        "scan",
        &layout.arg,
        "--format",
        "json",
        "--fail-on",
        "none",
        "--policy",
        &policies,
        "--select",
        "ORG",
    ]);
    assert_eq!(finding_ids(&org), ["ORG001"]);
    assert_eq!(listed(&org, "rules"), ["ORG001"]);
}

/// A user rule trio: ORG001 fires on a `CORP_TOKEN` variable in the image's Env.
const ORG_RULE: &str = r#"# METADATA
# title: a corporate token is baked into the image
# description: The image's Env holds CORP_TOKEN.
# custom:
#   id: ORG001
#   name: corp-token-in-env
#   severity: high
#   remediation: Pass it at run time.
package imgaudit.rules.org001

import rego.v1

deny contains finding if {
	some v in input.env
	v.name == "CORP_TOKEN"
	finding := {"msg": sprintf("CORP_TOKEN is set (Env index %d)", [v.index]), "evidence": {"variable": v.name}}
}
"#;

const ORG_TEST: &str = r#"package imgaudit.rules.org001_test

import data.imgaudit.rules.org001
import rego.v1

test_token_is_reported if {
	count(org001.deny) == 1 with input as {"env": [{"index": 0, "name": "CORP_TOKEN", "value": "x"}]}
}

test_nothing_without_it if {
	count(org001.deny) == 0 with input as {"env": []}
}
"#;

const ORG_DOC: &str = "## What it does\nChecks the Env for CORP_TOKEN.\n\n## Why is this bad?\nIt leaks.\n\n\
## Example\n```dockerfile\nENV CORP_TOKEN=x\n```\n\n## Use instead\n```dockerfile\nRUN --mount=type=secret,id=t true\n```\n\n\
## References\n- https://docs.docker.com/build/building/secrets/\n";

fn policy_dir(rule: &str, test: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    std::fs::create_dir(&org).unwrap();
    std::fs::write(org.join("corp_token.rego"), rule).unwrap();
    std::fs::write(org.join("corp_token_test.rego"), test).unwrap();
    std::fs::write(org.join("corp_token.md"), ORG_DOC).unwrap();
    dir
}

#[test]
fn user_policies_add_rules() {
    let dir = policy_dir(ORG_RULE, ORG_TEST);
    let policies = dir.path().display().to_string();
    let test_image = image(vec![official_python()], &["CORP_TOKEN=abc", "PIP_USER=1"]);
    // This directory's rule, selected besides the Python ones.
    let with_org = ["--policy", policies.as_str(), "--select", "ORG001"];
    let report = python_report(&test_image, &with_org);
    let found = report["findings"].as_array().unwrap();
    assert_eq!(rule_ids(found), ["ORG001", "PIP001"], "{found:#?}");
    // A user rule's high finding fails the default gate like a built-in one.
    let layout = TempLayout::new(&test_image);
    let gate = run(
        &[
            "scan",
            &layout.arg,
            "--policy",
            &policies,
            "--select",
            "ORG001",
        ],
        None,
    );
    assert_eq!(gate.status.code(), Some(1), "{}", stderr(&gate));
    let org = only(found, "ORG001")[0];
    assert_eq!(org["severity"], "high");
    assert_eq!(org["rule_name"], "corp-token-in-env");
    assert!(
        report["rules"]
            .as_array()
            .unwrap()
            .contains(&Value::from("ORG001"))
    );
    // Without --policy it is not there; --disable works on user rules too.
    assert_eq!(finding_ids(&python_report(&test_image, &[])), ["PIP001"]);
    let mut disabled = with_org.to_vec();
    disabled.extend(["--disable", "org001"]);
    assert_eq!(
        finding_ids(&python_report(&test_image, &disabled)),
        ["PIP001"]
    );
    // `rules` and `rule` see it with --policy.
    let list = json_of_success(&["rules", "--format", "json", "--policy", &policies]);
    let rules = list["rules"].as_array().unwrap();
    assert_eq!(rules.len(), builtin_rule_ids().len() + 1);
    let org = rules.iter().find(|r| r["id"] == "ORG001").unwrap();
    assert!(
        org["origin"].as_str().unwrap().ends_with("corp_token.rego"),
        "{org:#}"
    );
    let doc = stdout_of_success(&["rule", "org001", "--policy", &policies]);
    assert!(doc.contains("Checks the Env for CORP_TOKEN."), "{doc}");
    // Its tests pass.
    let tested = stdout_of_success(&["policy", "test", &policies]);
    assert!(tested.contains("PASS: 2/2"), "{tested}");
}

#[test]
fn a_user_rule_cannot_reuse_a_built_in_id() {
    let dir = policy_dir(&ORG_RULE.replace("id: ORG001", "id: PIP001"), ORG_TEST);
    let policies = dir.path().display().to_string();
    let example = example_layout();
    fails(
        &["scan", &example, "--policy", &policies],
        None,
        &["PIP001"],
    );
    fails(&["rules", "--policy", &policies], None, &["PIP001"]);
    // Nor a built-in name.
    let dir = policy_dir(
        &ORG_RULE.replace("name: corp-token-in-env", "name: user-install-forced"),
        ORG_TEST,
    );
    let policies = dir.path().display().to_string();
    fails(
        &["scan", &example, "--policy", &policies],
        None,
        &["user-install-forced"],
    );
}

#[test]
fn policy_test_runs_the_built_in_tests() {
    let output = run(&["policy", "test"], None);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    let summary = text
        .lines()
        .find_map(|l| l.strip_prefix("PASS: "))
        .unwrap_or_else(|| panic!("no PASS line: {text}"));
    let (passed, total) = summary.split_once('/').unwrap();
    assert_eq!(passed, total, "{text}");
    // At least one test per rule.
    assert!(
        total.parse::<usize>().unwrap() >= builtin_rule_ids().len(),
        "{text}"
    );
    assert!(!text.contains("FAIL"), "{text}");
    assert!(!text.contains("ERROR"), "{text}");
}

#[test]
fn policy_test_reports_a_failing_test() {
    let failing = ORG_TEST.replace(
        "test_nothing_without_it if {\n\tcount(org001.deny) == 0",
        "test_nothing_without_it if {\n\tcount(org001.deny) == 1",
    );
    assert_ne!(failing, ORG_TEST);
    let dir = policy_dir(ORG_RULE, &failing);
    let output = run(&["policy", "test", &dir.path().display().to_string()], None);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    assert!(
        text.contains("FAIL: imgaudit.rules.org001_test.test_nothing_without_it"),
        "{text}"
    );
    assert!(text.contains("PASS: 1/2"), "{text}");
    assert!(text.contains("FAIL: 1/2"), "{text}");
}

#[test]
fn policy_schema_describes_the_facts() {
    let schema = json_of_success(&["policy", "schema"]);
    let properties = schema["properties"].as_object().unwrap();
    for field in [
        "schema_version",
        "image",
        "layers",
        "history",
        "env",
        "runtime",
        "users",
        "groups",
        "account_notes",
        "secret_env",
        "secret_history",
        "startup_files",
        "pip_config_files",
        "pip_settings",
        "pythons",
        "user_sites",
        "shadowed_distributions",
        "notes",
    ] {
        assert!(
            properties.contains_key(field),
            "{field} not in {properties:?}"
        );
    }
    // The published copy is the same.
    let published: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy-input.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(schema, published);
}

#[test]
fn facts_prints_the_policy_input() {
    let facts = json_of_success(&["facts", &example_layout()]);
    assert_eq!(facts["schema_version"], 1);
    let env: Vec<&str> = facts["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(env, ["PATH", "PIP_NO_USER"]);
    let python = &facts["pythons"][0];
    assert_eq!(python["prefix"], "/usr");
    assert_eq!(python["marker"]["state"], "absent");
    assert_eq!(
        facts["user_sites"][0]["path"],
        "/root/.local/lib/python3.11/site-packages"
    );
}

// ---------------------------------------------------------------------------------------------
// Invariants of the built-in rule set
// ---------------------------------------------------------------------------------------------

#[test]
fn every_built_in_rule_is_unique_documented_and_tested() {
    let list = json_of_success(&["rules", "--format", "json"]);
    let rules = list["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let names: Vec<&str> = rules.iter().map(|r| r["name"].as_str().unwrap()).collect();
    for (what, mut values) in [("ids", ids.clone()), ("names", names)] {
        let count = values.len();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), count, "duplicate {what}: {values:?}");
    }
    // Every rule on purpose: the binary's list is the policy crate's.
    assert_eq!(ids, builtin_rule_ids());
    let tests = stdout_of_success(&["policy", "test", "--verbose"]);
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        // A document: all five sections, not the description standing in for it.
        let doc = stdout_of_success(&["rule", id]);
        for section in [
            "What it does",
            "Why is this bad?",
            "Example",
            "Use instead",
            "References",
        ] {
            assert!(
                doc.contains(&format!("## {section}")),
                "{id}: no `{section}`:\n{doc}"
            );
        }
        // Tests: the built-in packages are `imgaudit.rules.<id>` with tests in `<id>_test`.
        let package = format!("PASS: imgaudit.rules.{}_test.test_", id.to_lowercase());
        assert!(tests.contains(&package), "{id}: no passing test:\n{tests}");
    }
}

// ---------------------------------------------------------------------------------------------
// The tests' own machinery
// ---------------------------------------------------------------------------------------------

#[test]
fn an_extra_test_policy_goes_to_every_command_that_evaluates_policies() {
    use common::evaluates_policies;
    for args in [
        &["scan", "IMAGE"][..],
        &["IMAGE"],
        &["IMAGE", "--format", "json"],
    ] {
        assert!(evaluates_policies(args), "{args:?}");
    }
    for args in [
        &["rules"][..],
        &["rule", "PIP001"],
        &["policy", "test"],
        &["inspect", "IMAGE"],
        &["facts", "IMAGE"],
        &["files", "IMAGE"],
        &["cache", "info"],
        &["--version"],
        &[],
    ] {
        assert!(!evaluates_policies(args), "{args:?}");
    }
    // When ci/test.sh sets it, the scans here do load it: its rules are part of a run that
    // selects nothing.
    if let Some(dir) = common::extra_policy() {
        let image = example_layout();
        let report = json_of_success(&["scan", &image, "--format", "json", "--fail-on", "none"]);
        let rules = listed(&report, "rules");
        assert!(
            rules.len() > builtin_rule_ids().len(),
            "{} added no rule: {rules:?}",
            dir.display()
        );
    }
}
