//! End-to-end tests of the poetry rules (POETRY001, POETRY002): the real binary on synthetic
//! images written by the test kit. Each rule fires where intended and nowhere else (the traps:
//! `POETRY_VIRTUALENVS_CREATE=true`, a user name, a project file poetry does not read, an active
//! venv), findings point at the Dockerfile lines that made them, and no credential appears in
//! any output, facts included.

use imgaudit_testkit::{LayerBuilder, TestImage, debian_python_base};
use serde_json::Value;

mod common;

use common::{
    TempLayout, assert_no_secret, dockerfile_lines, everything_written, finding_ids,
    findings_of as of, image_of, message, run_in, scan_report,
};

const PACK: [&str; 2] = ["--select", "poetry"];

const SECRETS: &[&str] = &[
    "Planted-Poetry-Env-Pass-1",
    "Planted-Poetry-Auth-Pass-2",
    "pypi-PlantedPoetryToken0123456789",
];

/// poetry 2.5.1 as `python3 -m venv /opt/poetry && /opt/poetry/bin/pip install poetry` leaves it.
fn poetry_venv() -> LayerBuilder {
    let site = "opt/poetry/lib/python3.11/site-packages";
    LayerBuilder::new()
        .file(
            "opt/poetry/pyvenv.cfg",
            b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n",
        )
        .file(
            &format!("{site}/poetry-2.5.1.dist-info/INSTALLER"),
            b"pip\n",
        )
        .file(
            &format!("{site}/poetry-2.5.1.dist-info/METADATA"),
            b"Name: poetry\n",
        )
}

fn image(layers: Vec<LayerBuilder>, history: &[(&str, bool)], env: &[&str]) -> TestImage {
    image_of(layers, history, env)
}

const DOCKERFILE: &str = "FROM debian:12\n\
    RUN python3 -m venv /opt/poetry && /opt/poetry/bin/pip install poetry\n\
    ENV POETRY_VIRTUALENVS_CREATE=false POETRY_HTTP_BASIC_PRIVATE_PASSWORD=Planted-Poetry-Env-Pass-1 POETRY_HTTP_BASIC_PRIVATE_USERNAME=ci-bot\n\
    RUN poetry config http-basic.private ci-bot Planted-Poetry-Auth-Pass-2 && poetry config pypi-token.pypi pypi-PlantedPoetryToken0123456789\n\
    RUN printf '[virtualenvs]\\ncreate = false\\n' > /srv/poetry.toml\n";

/// Each hazard at one step, with the traps beside them.
fn leaky_image() -> TestImage {
    let auth = LayerBuilder::new().file(
        "root/.config/pypoetry/auth.toml",
        b"[http-basic.private]\nusername = \"ci-bot\"\npassword = \"Planted-Poetry-Auth-Pass-2\"\n\n[pypi-token]\npypi = \"pypi-PlantedPoetryToken0123456789\"\n",
    );
    // Trap: a poetry.toml beside no pyproject.toml poetry finds (WorkingDir is /).
    let unread = LayerBuilder::new().file("srv/poetry.toml", b"[virtualenvs]\ncreate = false\n");
    image(
        vec![debian_python_base(), poetry_venv(), auth, unread],
        &[
            ("/bin/sh -c #(nop) ADD file:base in /", false),
            (
                "/bin/sh -c python3 -m venv /opt/poetry && /opt/poetry/bin/pip install poetry",
                false,
            ),
            (
                "/bin/sh -c #(nop)  ENV POETRY_VIRTUALENVS_CREATE=false POETRY_HTTP_BASIC_PRIVATE_PASSWORD=Planted-Poetry-Env-Pass-1 POETRY_HTTP_BASIC_PRIVATE_USERNAME=ci-bot",
                true,
            ),
            (
                "/bin/sh -c poetry config http-basic.private ci-bot Planted-Poetry-Auth-Pass-2 && poetry config pypi-token.pypi pypi-PlantedPoetryToken0123456789",
                false,
            ),
            (
                "/bin/sh -c printf '[virtualenvs]\\ncreate = false\\n' > /srv/poetry.toml",
                false,
            ),
        ],
        &[
            "POETRY_VIRTUALENVS_CREATE=false",
            "POETRY_HTTP_BASIC_PRIVATE_PASSWORD=Planted-Poetry-Env-Pass-1",
            "POETRY_HTTP_BASIC_PRIVATE_USERNAME=ci-bot",
        ],
    )
}

#[test]
fn each_rule_fires_where_intended_and_nowhere_else() {
    let report = scan_report(&leaky_image(), &PACK);
    // POETRY001 once (the Env value; /srv/poetry.toml is not read), POETRY002 for the Env
    // password and auth.toml's password and token (not the user names).
    assert_eq!(
        finding_ids(&report),
        ["POETRY001", "POETRY002", "POETRY002", "POETRY002"],
        "{report:#}"
    );
    let poetry001 = of(&report, "POETRY001");
    let msg = message(poetry001[0]);
    assert!(
        msg.starts_with("POETRY_VIRTUALENVS_CREATE=false in the image's Env"),
        "{msg}"
    );
    assert!(msg.contains("writes into /usr"), "{msg}");
    assert!(msg.contains("past the PEP 668 marker of /usr"), "{msg}");
    assert_eq!(poetry001[0]["severity"], "medium");
    let poetry002 = of(&report, "POETRY002");
    assert!(poetry002.iter().all(|f| f["severity"] == "critical"));
    let mut subjects: Vec<String> = poetry002
        .iter()
        .map(|f| {
            f["subject"]["path"]
                .as_str()
                .or(f["subject"]["variable"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "/root/.config/pypoetry/auth.toml",
            "/root/.config/pypoetry/auth.toml",
            "POETRY_HTTP_BASIC_PRIVATE_PASSWORD"
        ]
    );
    assert!(
        poetry002
            .iter()
            .any(|f| message(f).contains("in plain text")),
        "{poetry002:#?}"
    );
}

#[test]
fn traps_stay_quiet() {
    let venv = LayerBuilder::new()
        .file(
            "opt/venv/pyvenv.cfg",
            b"home = /usr/bin\nversion = 3.11.2\n",
        )
        .dir("opt/venv/lib/python3.11/site-packages");
    let quiet = image(
        vec![debian_python_base(), poetry_venv(), venv],
        &[("/bin/sh -c #(nop) ADD file:base in /", false)],
        &[
            // Not off.
            "POETRY_VIRTUALENVS_IN_PROJECT=true",
            // A user name is no secret.
            "POETRY_HTTP_BASIC_PRIVATE_USERNAME=ci-bot",
            // An empty password is none.
            "POETRY_HTTP_BASIC_OTHER_PASSWORD=",
        ],
    );
    let report = scan_report(&quiet, &PACK);
    assert_eq!(finding_ids(&report), [] as [&str; 0], "{report:#}");

    // `true` keeps virtualenvs on; an active venv takes the packages even with `false`.
    for env in [
        &["POETRY_VIRTUALENVS_CREATE=true"][..],
        &["POETRY_VIRTUALENVS_CREATE=false", "VIRTUAL_ENV=/opt/venv"][..],
    ] {
        let venv = LayerBuilder::new()
            .file(
                "opt/venv/pyvenv.cfg",
                b"home = /usr/bin\nversion = 3.11.2\n",
            )
            .dir("opt/venv/lib/python3.11/site-packages");
        let image = image(
            vec![debian_python_base(), poetry_venv(), venv],
            &[("/bin/sh -c #(nop) ADD file:base in /", false)],
            env,
        );
        let report = scan_report(&image, &PACK);
        assert_eq!(finding_ids(&report), [] as [&str; 0], "{env:?}: {report:#}");
    }
}

#[test]
fn a_value_that_looks_true_is_reported_as_false() {
    // poetry reads only `true` and `1` as true: `yes` turns virtualenvs off.
    let image = image(
        vec![debian_python_base(), poetry_venv()],
        &[("/bin/sh -c #(nop) ADD file:base in /", false)],
        &["POETRY_VIRTUALENVS_CREATE=yes"],
    );
    let report = scan_report(&image, &PACK);
    assert_eq!(finding_ids(&report), ["POETRY001"], "{report:#}");
    assert!(
        message(of(&report, "POETRY001")[0]).contains("every value but `true` and `1` as false")
    );
}

#[test]
fn no_secret_in_any_output_and_findings_map_to_the_dockerfile() {
    let layout = TempLayout::new(&leaky_image());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), DOCKERFILE).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let mut args = vec![
        "scan",
        layout.arg.as_str(),
        "--fail-on",
        "none",
        "--dockerfile",
        "Dockerfile",
        "-o",
        "sarif=out/report.sarif",
        "-o",
        "text=out/report.txt",
        "-o",
        "json=-",
    ];
    args.extend(PACK);
    let output = run_in(dir.path(), &args, None);
    let written = everything_written(&output, Some(&dir.path().join("out")));
    assert_no_secret(&format!("{args:?}"), &written, SECRETS);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let lines = |rule: &str| dockerfile_lines(&report, rule);
    assert_eq!(lines("POETRY001"), [3]);
    assert_eq!(lines("POETRY002"), [3, 4, 4]);

    let facts = run_in(dir.path(), &["facts", &layout.arg], None);
    assert!(facts.status.success());
    assert_no_secret("facts", &everything_written(&facts, None), SECRETS);
}
