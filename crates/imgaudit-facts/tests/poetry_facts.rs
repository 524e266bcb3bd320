//! poetry's facts from synthetic images, checked against the measured semantics in
//! `tests/ground-truth/POETRY-SEMANTICS.md` (each test names the section it follows).

mod common;

use common::{facts_of, image};
use imgaudit_facts::Facts;
use imgaudit_facts::python_tools::{InstallResult, Tool, ToolConfigFile, ToolSetting, ToolValue};
use imgaudit_testkit::{LayerBuilder, debian_python_base};
use serde_json::json;

/// poetry `version` installed as pip puts it into a venv at /opt/poetry made from Debian's
/// python3 (`python3 -m venv /opt/poetry && /opt/poetry/bin/pip install poetry`).
fn poetry_venv(version: &str) -> LayerBuilder {
    let site = "opt/poetry/lib/python3.11/site-packages";
    LayerBuilder::new()
        .file(
            "opt/poetry/pyvenv.cfg",
            b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n",
        )
        .file(
            &format!("{site}/poetry-{version}.dist-info/INSTALLER"),
            b"pip\n",
        )
        .file(
            &format!("{site}/poetry-{version}.dist-info/METADATA"),
            b"Name: poetry\n",
        )
}

fn poetry_settings(facts: &Facts) -> Vec<&ToolSetting> {
    facts
        .python_tools
        .as_ref()
        .expect("every domain is collected here")
        .tool_settings
        .iter()
        .filter(|s| s.tool == Tool::Poetry)
        .collect()
}

fn setting<'f>(facts: &'f Facts, name: &str) -> &'f ToolSetting {
    poetry_settings(facts)
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no poetry setting {name}: {:#?}", poetry_settings(facts)))
}

fn file<'f>(facts: &'f Facts, path: &str) -> &'f ToolConfigFile {
    let tools = facts.python_tools.as_ref().unwrap();
    tools
        .tool_config_files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no file {path}: {:#?}", tools.tool_config_files))
}

fn results(s: &ToolSetting) -> Vec<(&str, InstallResult)> {
    s.outcomes
        .iter()
        .map(|o| (o.prefix.as_str(), o.result))
        .collect()
}

#[test]
fn poetry_in_a_venv_installs_into_its_base_past_the_marker() {
    // §0.3, §0.4, §3.1: from 1.8 the venv's base interpreter, and the marker never stops it.
    let facts = facts_of(&image(
        vec![debian_python_base(), poetry_venv("2.5.1")],
        &["POETRY_VIRTUALENVS_CREATE=false"],
    ));
    let tools = &facts.python_tools.as_ref().unwrap().tools;
    assert_eq!(tools.len(), 1, "{tools:#?}");
    assert_eq!(tools[0].version.as_deref(), Some("2.5.1"));
    assert_eq!(tools[0].found_by, "dist_info");
    let s = setting(&facts, "POETRY_VIRTUALENVS_CREATE");
    assert_eq!(s.option, "virtualenvs.create");
    assert_eq!(s.parsed, ToolValue::False);
    assert!(s.counts);
    assert_eq!(results(s), [("/usr", InstallResult::ForcedPastMarker)]);
}

#[test]
fn poetry_before_1_8_in_a_plain_venv_keeps_the_packages_in_that_venv() {
    // §3.1: < 1.8, a venv without `poetry_env` receives the packages itself: no interpreter's
    // own site is written.
    let facts = facts_of(&image(
        vec![debian_python_base(), poetry_venv("1.7.1")],
        &["POETRY_VIRTUALENVS_CREATE=false"],
    ));
    assert_eq!(results(setting(&facts, "POETRY_VIRTUALENVS_CREATE")), []);
    // ...but the official installer's `poetry_env` file sends them to the base.
    let marked = poetry_venv("1.7.1").file("opt/poetry/poetry_env", b"");
    let facts = facts_of(&image(
        vec![debian_python_base(), marked],
        &["POETRY_VIRTUALENVS_CREATE=false"],
    ));
    assert_eq!(
        results(setting(&facts, "POETRY_VIRTUALENVS_CREATE")),
        [("/usr", InstallResult::ForcedPastMarker)]
    );
}

#[test]
fn only_true_and_1_read_as_true() {
    // §1.1: `yes` is false; `True` is false before 2.1 and true after.
    for (value, version, parsed) in [
        ("yes", "2.5.1", ToolValue::False),
        ("", "2.5.1", ToolValue::False),
        ("1", "2.5.1", ToolValue::True),
        ("True", "2.5.1", ToolValue::True),
        ("True", "2.0.1", ToolValue::False),
    ] {
        let env = format!("POETRY_VIRTUALENVS_CREATE={value}");
        let facts = facts_of(&image(
            vec![debian_python_base(), poetry_venv(version)],
            &[&env],
        ));
        let s = setting(&facts, "POETRY_VIRTUALENVS_CREATE");
        assert_eq!(s.parsed, parsed, "{value:?} on {version}");
        assert_eq!(s.outcomes.is_empty(), parsed == ToolValue::True);
    }
}

#[test]
fn an_active_virtual_env_takes_the_packages() {
    // §3.1: VIRTUAL_ENV naming a venv wins over virtualenvs.create.
    let venv = LayerBuilder::new()
        .file(
            "opt/venv/pyvenv.cfg",
            b"home = /usr/bin\nversion = 3.11.2\n",
        )
        .dir("opt/venv/lib/python3.11/site-packages");
    let facts = facts_of(&image(
        vec![debian_python_base(), poetry_venv("2.5.1"), venv],
        &["POETRY_VIRTUALENVS_CREATE=false", "VIRTUAL_ENV=/opt/venv"],
    ));
    let prefixes: Vec<&str> = facts
        .python
        .as_ref()
        .unwrap()
        .pythons
        .iter()
        .map(|p| p.prefix.as_str())
        .collect();
    assert!(prefixes.contains(&"/opt/venv"), "{prefixes:?}");
    assert_eq!(results(setting(&facts, "POETRY_VIRTUALENVS_CREATE")), []);
}

#[test]
fn config_files_in_poetrys_order_with_what_hides_them() {
    // §2.1–2.3: the runtime user's config dir, the project's poetry.toml; others unread.
    let layer = LayerBuilder::new()
        .file(
            "root/.config/pypoetry/config.toml",
            b"[virtualenvs]\ncreate = false\n",
        )
        .file(
            "home/app/.config/pypoetry/auth.toml",
            b"[pypi-token]\npypi = \"pypi-AgEIcHlwaS5vcmcPlantedToken\"\n",
        )
        .file("srv/app/pyproject.toml", b"[tool.poetry]\nname = \"app\"\n")
        .file(
            "srv/app/poetry.toml",
            b"[virtualenvs]\ncreate = \"false\"\n",
        )
        .file("srv/poetry.toml", b"[virtualenvs]\ncreate = false\n")
        .dir("srv/app/src");
    let mut image = image(vec![debian_python_base(), poetry_venv("2.5.1"), layer], &[]);
    image = image.config_field("WorkingDir", json!("/srv/app/src"));
    let facts = facts_of(&image);
    let global = file(&facts, "/root/.config/pypoetry/config.toml");
    assert!(global.read);
    assert_eq!(global.kind, "user");
    let other_home = file(&facts, "/home/app/.config/pypoetry/auth.toml");
    assert!(!other_home.read);
    assert!(
        other_home
            .not_read_because
            .as_deref()
            .unwrap()
            .contains("app's home"),
        "{other_home:#?}"
    );
    assert!(other_home.entries[0].has_credentials);
    let project = file(&facts, "/srv/app/poetry.toml");
    assert!(project.read);
    assert_eq!(project.kind, "project");
    assert!(!file(&facts, "/srv/poetry.toml").read);

    // The project's `create = "false"` is a truthy string: it wins, as true (§1.2).
    let create: Vec<&ToolSetting> = poetry_settings(&facts)
        .into_iter()
        .filter(|s| s.option == "virtualenvs.create")
        .collect();
    let counting: Vec<(&str, ToolValue)> = create
        .iter()
        .filter(|s| s.counts)
        .map(|s| (s.file.as_deref().unwrap(), s.parsed))
        .collect();
    assert_eq!(counting, [("/srv/app/poetry.toml", ToolValue::True)]);
    let global_setting = create
        .iter()
        .find(|s| s.file.as_deref() == Some("/root/.config/pypoetry/config.toml"))
        .unwrap();
    assert!(global_setting.ignored_because[0].contains("poetry.toml sets it later"));

    let token = setting(&facts, "pypi-token.pypi");
    assert!(token.has_credentials);
    assert!(!token.counts);
    let text = serde_json::to_string(&facts).unwrap();
    assert!(!text.contains("PlantedToken"), "the token leaked: {text}");
}

#[test]
fn the_environment_overrides_files_and_credentials_are_masked() {
    // §2.2: the variable beats every file; §4.2: credential variables.
    let layer = LayerBuilder::new().file(
        "root/.config/pypoetry/config.toml",
        b"[virtualenvs]\ncreate = false\n[http-basic.private]\nusername = \"ci\"\npassword = \"Planted-Cfg-Pass-1\"\n",
    );
    let facts = facts_of(&image(
        vec![debian_python_base(), poetry_venv("2.5.1"), layer],
        &[
            "POETRY_VIRTUALENVS_CREATE=true",
            "POETRY_HTTP_BASIC_PRIVATE_PASSWORD=Planted-Env-Pass-2",
            "POETRY_HTTP_BASIC_PRIVATE_USERNAME=ci-bot",
            "POETRY_REPOSITORIES_PRIVATE_URL=https://u:Planted-Url-Pass-3@pkgs.example/simple",
        ],
    ));
    let file_create = setting(&facts, "virtualenvs.create");
    assert!(!file_create.counts);
    assert!(file_create.ignored_because[0].contains("POETRY_VIRTUALENVS_CREATE"));
    let password = setting(&facts, "POETRY_HTTP_BASIC_PRIVATE_PASSWORD");
    assert_eq!(password.option, "http-basic.private.password");
    assert!(password.has_credentials);
    assert!(!setting(&facts, "POETRY_HTTP_BASIC_PRIVATE_USERNAME").has_credentials);
    assert!(setting(&facts, "http-basic.private.password").has_credentials);
    let url = setting(&facts, "POETRY_REPOSITORIES_PRIVATE_URL");
    assert!(url.has_credentials);
    assert_eq!(url.urls[0].host.as_deref(), Some("pkgs.example"));
    let text = serde_json::to_string(&facts).unwrap();
    for secret in [
        "Planted-Cfg-Pass-1",
        "Planted-Env-Pass-2",
        "Planted-Url-Pass-3",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn without_poetry_a_later_one_would_still_write_into_the_system_python() {
    // No poetry in the image: the setting waits for the one installed later (read as the
    // newest measured release reads it).
    let facts = facts_of(&image(
        vec![debian_python_base()],
        &["POETRY_VIRTUALENVS_CREATE=0"],
    ));
    let s = setting(&facts, "POETRY_VIRTUALENVS_CREATE");
    assert_eq!(s.parsed, ToolValue::False);
    assert_eq!(results(s), [("/usr", InstallResult::ForcedPastMarker)]);
}

#[test]
fn a_broken_config_file_is_a_problem_not_a_crash() {
    let layer = LayerBuilder::new().file(
        "root/.config/pypoetry/config.toml",
        b"[virtualenvs\ncreate = false\n",
    );
    let facts = facts_of(&image(vec![debian_python_base(), layer], &[]));
    let f = file(&facts, "/root/.config/pypoetry/config.toml");
    assert!(f.problems[0].contains("Invalid TOML file"), "{f:#?}");
    assert!(poetry_settings(&facts).is_empty());
}
