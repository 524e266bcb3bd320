//! End-to-end tests of the uv rules (UV001–UV003): the real binary on synthetic images written by
//! the test kit, with the traps beside the hazards (`UV_SYSTEM_PYTHON=0`, a uv setting in
//! a file uv does not read, a `UV_PROJECT_ENVIRONMENT` that is a venv). Each rule fires where
//! intended and nowhere else, findings point at the step or line that made them, and no
//! credential appears in any output, facts included.

use imgaudit_testkit::{LayerBuilder, TestImage, debian_python_base};
use serde_json::Value;

mod common;

use common::{
    TempLayout, assert_no_secret, everything_written, finding_ids, findings_of as of, image_of,
    message, run_in, scan_report,
};

const SECRETS: &[&str] = &["Planted-uv-Secret-0123", "Planted-uv-Named-0456"];

/// uv 0.8.24 installed by Debian's pip, as `pip install --break-system-packages uv` leaves it.
fn uv_layer() -> LayerBuilder {
    LayerBuilder::new()
        .dir("usr/local/lib/python3.11/dist-packages/uv-0.8.24.dist-info")
        .file("usr/local/bin/uv", b"\x7fELF")
}

fn image(layers: Vec<LayerBuilder>, history: &[(&str, bool)], env: &[&str]) -> TestImage {
    let mut image = image_of(layers, history, env);
    image
        .config_fields
        .insert("WorkingDir".to_owned(), Value::from("/srv/app"));
    image
}

/// Every uv hazard, each from one step.
fn hazards() -> TestImage {
    image(
        vec![
            debian_python_base(),
            uv_layer(),
            LayerBuilder::new().file("etc/uv/uv.toml", b"[pip]\nbreak-system-packages = true\n"),
        ],
        &[
            ("/bin/sh -c #(nop) ADD base", false),
            ("/bin/sh -c pip install --break-system-packages uv", false),
            (
                "/bin/sh -c printf '[pip]\\nbreak-system-packages = true\\n' > /etc/uv/uv.toml",
                false,
            ),
            ("/bin/sh -c #(nop)  ENV UV_SYSTEM_PYTHON=1", true),
            (
                "/bin/sh -c #(nop)  ENV UV_INDEX_URL=https://ci-bot:****@pkgs.internal.example/simple",
                true,
            ),
            (
                "/bin/sh -c #(nop)  ENV UV_INDEX_PRIVATE_PASSWORD=****",
                true,
            ),
        ],
        &[
            "UV_SYSTEM_PYTHON=1",
            "UV_INDEX_URL=https://ci-bot:Planted-uv-Secret-0123@pkgs.internal.example/simple",
            "UV_INDEX=private=https://pkgs.internal.example/private/simple",
            "UV_INDEX_PRIVATE_PASSWORD=Planted-uv-Named-0456",
        ],
    )
}

/// The traps: false values, a file uv does not read, a project environment that is a venv.
fn traps() -> TestImage {
    image(
        vec![
            debian_python_base(),
            uv_layer(),
            LayerBuilder::new()
                .file(
                    "opt/elsewhere/uv.toml",
                    b"[pip]\nsystem = true\nbreak-system-packages = true\n",
                )
                .file(
                    "opt/venv/pyvenv.cfg",
                    b"home = /usr/bin\ninclude-system-site-packages = false\n",
                )
                .dir("opt/venv/lib/python3.11/site-packages")
                .dir("srv/app"),
        ],
        &[
            ("/bin/sh -c #(nop) ADD base", false),
            ("/bin/sh -c pip install --break-system-packages uv", false),
            ("/bin/sh -c uv venv /opt/venv", false),
            (
                "/bin/sh -c #(nop)  ENV UV_SYSTEM_PYTHON=0 UV_BREAK_SYSTEM_PACKAGES=false",
                true,
            ),
        ],
        &[
            "UV_SYSTEM_PYTHON=0",
            "UV_BREAK_SYSTEM_PACKAGES=false",
            "UV_PROJECT_ENVIRONMENT=/opt/venv",
            "UV_INDEX_PRIVATE_USERNAME=ci-bot",
        ],
    )
}

fn report(image: &TestImage) -> Value {
    scan_report(image, &["--select", "uv"])
}

#[test]
fn each_uv_rule_fires_where_intended() {
    let report = report(&hazards());
    assert_eq!(
        finding_ids(&report),
        ["UV001", "UV002", "UV003", "UV003"],
        "{report:#}"
    );
    let uv001 = of(&report, "UV001");
    let text = message(uv001[0]);
    assert!(
        text.starts_with("UV_SYSTEM_PYTHON=1 in the image's Env"),
        "{text}"
    );
    // The marker would refuse it, but /etc/uv/uv.toml forces it past: the install lands.
    assert!(
        text.contains("goes past the PEP 668 marker of /usr"),
        "{text}"
    );
    assert_eq!(uv001[0]["severity"], "high");
    assert_eq!(
        uv001[0]["locations"][0]["history_step"], 3,
        "{:#}",
        uv001[0]
    );

    let uv002 = of(&report, "UV002");
    let text = message(uv002[0]);
    assert!(
        text.starts_with("pip.break-system-packages = true in /etc/uv/uv.toml line 2"),
        "{text}"
    );
    assert_eq!(uv002[0]["locations"][0]["path"], "/etc/uv/uv.toml");

    let uv003 = of(&report, "UV003");
    assert!(uv003.iter().all(|f| f["severity"] == "critical"));
    let variables: Vec<&str> = uv003
        .iter()
        .map(|f| f["evidence"]["variable"].as_str().unwrap())
        .collect();
    assert!(variables.contains(&"UV_INDEX_URL"), "{variables:?}");
    assert!(
        variables.contains(&"UV_INDEX_PRIVATE_PASSWORD"),
        "{variables:?}"
    );
}

#[test]
fn the_traps_stay_quiet() {
    let report = report(&traps());
    assert_eq!(finding_ids(&report), [] as [&str; 0], "{report:#}");
}

#[test]
fn no_uv_credential_in_any_output() {
    let layout = TempLayout::new(&hazards());
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["facts", layout.arg.as_str()],
        vec![
            "scan",
            layout.arg.as_str(),
            "--select",
            "uv",
            "--format",
            "sarif",
            "--fail-on",
            "none",
        ],
        vec![
            "scan",
            layout.arg.as_str(),
            "--select",
            "uv",
            "--fail-on",
            "none",
        ],
    ] {
        let output = run_in(dir.path(), &args, None);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            common::stderr(&output)
        );
        assert_no_secret(
            &args.join(" "),
            &everything_written(&output, Some(dir.path())),
            SECRETS,
        );
    }
}
