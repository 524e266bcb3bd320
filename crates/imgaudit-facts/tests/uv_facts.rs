//! uv's facts (the `python_tools` domain) from synthetic images, checked against the measured
//! semantics in `tests/ground-truth/UV-SEMANTICS.md` (each test names the section it follows).

mod common;

use common::facts_of;
use imgaudit_facts::Facts;
use imgaudit_facts::python_tools::{PythonToolsFacts, ToolConfigFile, ToolSetting};
use imgaudit_testkit::{LayerBuilder, TestImage, debian_python_base};

fn image(layers: Vec<LayerBuilder>, env: &[&str], workdir: Option<&str>) -> TestImage {
    let mut image = common::image(layers, env);
    if let Some(dir) = workdir {
        image
            .config_fields
            .insert("WorkingDir".to_owned(), serde_json::Value::from(dir));
    }
    image
}

fn name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value).unwrap() {
        serde_json::Value::String(text) => text,
        other => panic!("{other} is not a name"),
    }
}

fn tools(facts: &Facts) -> &PythonToolsFacts {
    facts.python_tools.as_ref().expect("python_tools collected")
}

fn uv_setting<'f>(facts: &'f Facts, name: &str) -> &'f ToolSetting {
    tools(facts)
        .tool_settings
        .iter()
        .find(|s| name_of(&s.tool) == "uv" && s.name == name)
        .unwrap_or_else(|| panic!("no uv setting {name}: {:#?}", tools(facts).tool_settings))
}

fn name_of<T: serde::Serialize>(v: &T) -> String {
    name(v)
}

fn uv_file<'f>(facts: &'f Facts, path: &str) -> &'f ToolConfigFile {
    tools(facts)
        .tool_config_files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no uv file {path}: {:#?}", tools(facts).tool_config_files))
}

/// uv 0.5.31 installed with Debian's pip into /usr/local/.../dist-packages.
fn uv_dist(version: &str) -> LayerBuilder {
    LayerBuilder::new()
        .dir(&format!(
            "usr/local/lib/python3.11/dist-packages/uv-{version}.dist-info"
        ))
        .file("usr/local/bin/uv", b"\x7fELF")
}

#[test]
fn system_switch_from_env_is_refused_by_the_marker_unless_forced() {
    // §0.1, §2: UV_SYSTEM_PYTHON=1 targets /usr, whose marker refuses it; with
    // UV_BREAK_SYSTEM_PACKAGES=1 it goes past it.
    let facts = facts_of(&image(
        vec![debian_python_base(), uv_dist("0.5.31")],
        &["UV_SYSTEM_PYTHON=1"],
        None,
    ));
    let tool = &tools(&facts).tools;
    assert_eq!(
        tool.len(),
        1,
        "the binary belongs to the distribution: {tool:#?}"
    );
    assert_eq!(tool[0].version.as_deref(), Some("0.5.31"));
    assert_eq!(tool[0].found_by, "dist_info");
    let system = uv_setting(&facts, "UV_SYSTEM_PYTHON");
    assert_eq!(system.option, "system");
    assert_eq!(name(&system.parsed), "true");
    assert!(system.counts);
    let results: Vec<(String, String)> = system
        .outcomes
        .iter()
        .map(|o| (o.prefix.clone(), name(&o.result)))
        .collect();
    assert_eq!(
        results,
        [("/usr".to_owned(), "refused_by_marker".to_owned())]
    );

    let forced = facts_of(&image(
        vec![debian_python_base(), uv_dist("0.5.31")],
        &["UV_SYSTEM_PYTHON=1", "UV_BREAK_SYSTEM_PACKAGES=true"],
        None,
    ));
    let system = uv_setting(&forced, "UV_SYSTEM_PYTHON");
    assert_eq!(name(&system.outcomes[0].result), "forced_past_marker");
    assert!(uv_setting(&forced, "UV_BREAK_SYSTEM_PACKAGES").counts);
}

#[test]
fn false_and_invalid_values_do_not_count_but_a_file_still_does() {
    // §0.1, §0.2: UV_SYSTEM_PYTHON=0 is "not given", so the project file's system = true decides.
    let layer = uv_dist("0.6.17").file("srv/app/uv.toml", b"[pip]\nsystem = true\n");
    let facts = facts_of(&image(
        vec![debian_python_base(), layer],
        &["UV_SYSTEM_PYTHON=0", "UV_BREAK_SYSTEM_PACKAGES="],
        Some("/srv/app"),
    ));
    let env = uv_setting(&facts, "UV_SYSTEM_PYTHON");
    assert_eq!(name(&env.parsed), "false");
    assert!(!env.counts);
    assert!(env.ignored_because[0].contains("not given"), "{env:#?}");
    let empty = uv_setting(&facts, "UV_BREAK_SYSTEM_PACKAGES");
    assert_eq!(name(&empty.parsed), "invalid");
    assert!(!empty.counts);
    let file = uv_setting(&facts, "pip.system");
    assert_eq!(file.file.as_deref(), Some("/srv/app/uv.toml"));
    assert!(file.counts, "{file:#?}");
    assert_eq!(file.origin.line, Some(2));
    assert_eq!(name(&file.outcomes[0].result), "refused_by_marker");
    let project = uv_file(&facts, "/srv/app/uv.toml");
    assert_eq!(project.kind, "project");
    assert!(project.read);
}

#[test]
fn files_uv_does_not_read_are_listed_with_why() {
    // §3.1: /etc/uv is read from uv 0.4 on; a uv.toml outside the working directory's ancestry is
    // never read; UV_CONFIG_FILE hides the others.
    let layer = || {
        LayerBuilder::new()
            .file("etc/uv/uv.toml", b"[pip]\nbreak-system-packages = true\n")
            .file("opt/elsewhere/uv.toml", b"[pip]\nsystem = true\n")
            .file(
                "cfg/only.toml",
                b"[pip]\nindex-strategy = \"first-index\"\n",
            )
    };
    let old = facts_of(&image(
        vec![debian_python_base(), uv_dist("0.2.37"), layer()],
        &[],
        Some("/srv/app"),
    ));
    let etc = uv_file(&old, "/etc/uv/uv.toml");
    assert!(!etc.read);
    assert!(etc.not_read_because.as_deref().unwrap().contains("0.2.37"));
    assert!(!uv_setting(&old, "pip.break-system-packages").counts);
    let stray = uv_file(&old, "/opt/elsewhere/uv.toml");
    assert!(!stray.read);
    assert!(!uv_setting(&old, "pip.system").counts);

    let new = facts_of(&image(
        vec![debian_python_base(), uv_dist("0.8.24"), layer()],
        &[],
        Some("/srv/app"),
    ));
    assert!(uv_file(&new, "/etc/uv/uv.toml").read);
    let bsp = uv_setting(&new, "pip.break-system-packages");
    assert!(bsp.counts);
    assert_eq!(name(&bsp.outcomes[0].result), "forced_past_marker");

    let hidden = facts_of(&image(
        vec![debian_python_base(), uv_dist("0.8.24"), layer()],
        &["UV_CONFIG_FILE=/cfg/only.toml"],
        Some("/srv/app"),
    ));
    let etc = uv_file(&hidden, "/etc/uv/uv.toml");
    assert!(!etc.read);
    assert!(
        etc.not_read_because
            .as_deref()
            .unwrap()
            .contains("UV_CONFIG_FILE")
    );
    assert_eq!(uv_file(&hidden, "/cfg/only.toml").kind, "env_file");
}

#[test]
fn index_settings_carry_urls_and_credentials_masked() {
    // §5: index URLs, an unsafe strategy, named-index passwords (masked everywhere).
    let facts = facts_of(&image(
        vec![debian_python_base(), uv_dist("0.13.9")],
        &[
            "UV_INDEX_URL=https://bot:Sup3rSecretPassw0rd@pkgs.example/simple",
            "UV_EXTRA_INDEX_URL=http://mirror.example/simple http://localhost:3141/simple",
            "UV_INDEX_STRATEGY=unsafe-best-match",
            "UV_INDEX_PRIVATE_PASSWORD=hunter2hunter2",
            "UV_INSECURE_HOST=mirror.example",
        ],
        None,
    ));
    let text = serde_json::to_string(&facts).unwrap();
    assert!(!text.contains("Sup3rSecretPassw0rd"), "password leaked");
    assert!(!text.contains("hunter2"), "password leaked");
    let index = uv_setting(&facts, "UV_INDEX_URL");
    assert!(index.has_credentials);
    assert_eq!(index.urls[0].host.as_deref(), Some("pkgs.example"));
    let extra = uv_setting(&facts, "UV_EXTRA_INDEX_URL");
    assert_eq!(extra.urls.len(), 2);
    assert!(extra.urls[0].plain_http && !extra.urls[0].loopback);
    assert!(extra.urls[1].loopback);
    assert_eq!(
        uv_setting(&facts, "UV_INDEX_STRATEGY").value,
        "unsafe-best-match"
    );
    let password = uv_setting(&facts, "UV_INDEX_PRIVATE_PASSWORD");
    assert_eq!(password.option, "index-password");
    assert!(password.has_credentials);
    assert_eq!(
        uv_setting(&facts, "UV_INSECURE_HOST").option,
        "allow-insecure-host"
    );
}

#[test]
fn installations_binaries_and_uv_managed_pythons() {
    // A bare binary (version unknown), the installer's receipt, and uv-managed Pythons in the
    // default place and under UV_PYTHON_INSTALL_DIR.
    let layer = LayerBuilder::new()
        .file("bin/uv", b"\x7fELF")
        .file(
            "root/.config/uv/uv-receipt.json",
            br#"{"binaries":["uv","uvx"],"version":"0.6.14","source":{"app_name":"uv"}}"#,
        )
        .file(
            "root/.local/share/uv/python/cpython-3.12.8-linux-x86_64-gnu/lib/python3.12/os.py",
            b"",
        )
        .file(
            "opt/uvpy/cpython-3.13.1-linux-x86_64-gnu/lib/python3.13/os.py",
            b"",
        );
    let facts = facts_of(&image(
        vec![debian_python_base(), layer],
        &[
            "UV_PYTHON_INSTALL_DIR=/opt/uvpy",
            "UV_PROJECT_ENVIRONMENT=/opt/venv",
        ],
        None,
    ));
    let found: Vec<(String, Option<String>, String)> = tools(&facts)
        .tools
        .iter()
        .map(|t| (t.path.clone(), t.version.clone(), t.found_by.clone()))
        .collect();
    assert!(
        found.contains(&("/bin/uv".to_owned(), None, "binary".to_owned())),
        "{found:?}"
    );
    assert!(found.contains(&(
        "/root/.config/uv/uv-receipt.json".to_owned(),
        Some("0.6.14".to_owned()),
        "receipt".to_owned()
    )));
    let pythons = &facts.python.as_ref().unwrap().pythons;
    for prefix in [
        "/root/.local/share/uv/python/cpython-3.12.8-linux-x86_64-gnu",
        "/opt/uvpy/cpython-3.13.1-linux-x86_64-gnu",
    ] {
        let p = pythons.iter().find(|p| p.prefix == prefix).expect(prefix);
        assert_eq!(name(&p.kind), "uv", "{prefix}");
    }
    // A project environment that is no system interpreter: no outcome to report.
    let project = uv_setting(&facts, "UV_PROJECT_ENVIRONMENT");
    assert!(project.outcomes.is_empty());
    assert_eq!(
        uv_setting(&facts, "UV_PYTHON_INSTALL_DIR").option,
        "python-install-dir"
    );
}

#[test]
fn project_environment_at_a_system_prefix_bypasses_the_marker() {
    // §0.3, §4: uv sync into a system prefix does not consult the marker.
    let facts = facts_of(&image(
        vec![debian_python_base(), uv_dist("0.8.24")],
        &["UV_PROJECT_ENVIRONMENT=/usr"],
        None,
    ));
    let project = uv_setting(&facts, "UV_PROJECT_ENVIRONMENT");
    assert_eq!(name(&project.outcomes[0].result), "forced_past_marker");
}
