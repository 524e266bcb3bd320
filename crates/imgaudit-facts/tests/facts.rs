//! Facts extracted from synthetic images, checked against the measured semantics in
//! `tests/ground-truth/PIP-SEMANTICS.md` (each test names the section it follows).

mod common;

use common::{facts_of, image};
use imgaudit_facts::{Facts, PipSetting, Python, PythonFacts};
use imgaudit_testkit::{DEBIAN_MARKER, LayerBuilder, debian_python_base};

/// The name the facts document gives an enum value: what policies compare against. (Leaked:
/// a few short strings per test.)
fn name<T: serde::Serialize>(value: &T) -> &'static str {
    match serde_json::to_value(value).unwrap() {
        serde_json::Value::String(text) => Box::leak(text.into_boxed_str()),
        other => panic!("{other} is not a name"),
    }
}

/// The Python domain's facts (every domain is collected here).
fn py(facts: &Facts) -> &PythonFacts {
    facts
        .python
        .as_ref()
        .expect("the Python domain was collected")
}

fn python<'f>(facts: &'f Facts, prefix: &str) -> &'f Python {
    py(facts)
        .pythons
        .iter()
        .find(|p| p.prefix == prefix)
        .unwrap_or_else(|| panic!("no Python at {prefix}: {:#?}", py(facts).pythons))
}

fn setting<'f>(facts: &'f Facts, name: &str) -> &'f PipSetting {
    py(facts)
        .pip_settings
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no setting {name}: {:#?}", py(facts).pip_settings))
}

#[test]
fn debian_python_is_distro_managed_with_its_marker() {
    // §2.4 (Debian 12 row) and §2.6 (dpkg lists).
    let facts = facts_of(&image(vec![debian_python_base()], &[]));
    let p = python(&facts, "/usr");
    assert_eq!(name(&p.kind), "distro");
    assert_eq!(p.version, "3.11");
    assert_eq!(p.owner_package.as_deref(), Some("libpython3.11-minimal"));
    assert_eq!(p.package_manager.as_ref().map(name), Some("dpkg"));
    let marker = p.marker.as_ref().unwrap();
    assert_eq!(name(&marker.state), "present");
    assert_eq!(marker.well_formed, Some(true));
    assert_eq!(marker.shipped_by.as_deref(), Some("libpython3.11-stdlib"));
    assert_eq!(p.pip.as_ref().unwrap().version, "23.0.1");
}

#[test]
fn marker_removed_by_a_whiteout_names_the_layer() {
    // §2.5, last row: a package-owned marker that a layer whiteout removed.
    let facts = facts_of(&image(
        vec![
            debian_python_base(),
            LayerBuilder::new().whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED"),
        ],
        &[],
    ));
    let marker = python(&facts, "/usr").marker.clone().unwrap();
    assert_eq!(name(&marker.state), "absent");
    assert_eq!(marker.shipped_by.as_deref(), Some("libpython3.11-stdlib"));
    assert_eq!(marker.removed.unwrap().layer, Some(1));
}

#[test]
fn marker_forms_pip_ignores_and_forms_that_still_block() {
    // §2.1 "Present means os.path.isfile" and §2.2 "malformed markers still block".
    let cases: [(LayerBuilder, &str, Option<bool>); 5] = [
        (
            LayerBuilder::new()
                .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
                .dir("usr/lib/python3.11/EXTERNALLY-MANAGED"),
            "directory",
            None,
        ),
        (
            LayerBuilder::new()
                .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
                .symlink("usr/lib/python3.11/EXTERNALLY-MANAGED", "../nowhere"),
            "dangling_link",
            None,
        ),
        (
            LayerBuilder::new()
                .file("usr/lib/python/EXTERNALLY-MANAGED", DEBIAN_MARKER)
                .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
                .symlink(
                    "usr/lib/python3.11/EXTERNALLY-MANAGED",
                    "../python/EXTERNALLY-MANAGED",
                ),
            "present",
            Some(true),
        ),
        (
            LayerBuilder::new().file("usr/lib/python3.11/EXTERNALLY-MANAGED", b""),
            "present",
            Some(false),
        ),
        (
            LayerBuilder::new().file("usr/lib/python3.11/EXTERNALLY-MANAGED", b"Error=x\n"),
            "present",
            Some(false),
        ),
    ];
    for (layer, state, well_formed) in cases {
        let facts = facts_of(&image(vec![debian_python_base(), layer], &[]));
        let marker = python(&facts, "/usr").marker.clone().unwrap();
        assert_eq!(name(&marker.state), state);
        assert_eq!(marker.well_formed, well_formed, "{state}");
    }
}

#[test]
fn interpreter_kinds() {
    // §2.4: official images build under /usr/local (no marker); §1.8: venvs by pyvenv.cfg,
    // conda envs by conda-meta/ and no pyvenv.cfg.
    let extra = LayerBuilder::new()
        .file("usr/local/lib/python3.12/os.py", b"")
        .dir("usr/local/lib/python3.12/site-packages/pip-24.0.dist-info")
        .file("opt/conda/lib/python3.10/os.py", b"")
        .dir("opt/conda/conda-meta")
        .dir("opt/conda/lib/python3.10/site-packages/pip-23.3.2.dist-info")
        .file(
            "opt/venv/pyvenv.cfg",
            b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n",
        )
        .dir("opt/venv/lib/python3.11/site-packages/six-1.16.0.dist-info")
        .file(
            "opt/sys/pyvenv.cfg",
            b"home = /usr/bin\ninclude-system-site-packages = TRUE\n",
        )
        .dir("opt/sys/lib/python3.11/site-packages")
        .file("root/.pyenv/versions/3.9.18/lib/python3.9/os.py", b"");
    let facts = facts_of(&image(vec![debian_python_base(), extra], &[]));
    let local = python(&facts, "/usr/local");
    assert_eq!(name(&local.kind), "source_built");
    assert_eq!(name(&local.marker.as_ref().unwrap().state), "absent");
    assert_eq!(local.marker.as_ref().unwrap().shipped_by, None);
    assert_eq!(local.pip.as_ref().unwrap().version, "24.0");
    assert_eq!(name(&python(&facts, "/opt/conda").kind), "conda");
    assert_eq!(
        name(&python(&facts, "/root/.pyenv/versions/3.9.18").kind),
        "pyenv"
    );
    let venv = python(&facts, "/opt/venv");
    assert_eq!(name(&venv.kind), "venv");
    assert!(!venv.sees_user_site, "a plain venv hides the user site");
    assert_eq!(venv.stdlib.as_deref(), Some("/usr/lib/python3.11"));
    assert_eq!(venv.site_packages[0].distributions[0].name, "six");
    let system_site = python(&facts, "/opt/sys");
    assert!(
        system_site
            .venv
            .as_ref()
            .unwrap()
            .include_system_site_packages
    );
    assert!(system_site.sees_user_site);
    // A venv without its own pip uses its base's through the system site.
    assert_eq!(system_site.pip.as_ref().unwrap().version, "23.0.1");
}

fn user_site_layer() -> LayerBuilder {
    LayerBuilder::new()
        .file("usr/local/lib/python3.11/os.py", b"")
        .file(
            "usr/local/lib/python3.11/site-packages/six-1.16.0.dist-info/INSTALLER",
            b"pip\n",
        )
        .file(
            "root/.local/lib/python3.11/site-packages/six-1.15.0.dist-info/INSTALLER",
            b"pip\n",
        )
        .file("root/.local/lib/python3.11/site-packages/six.py", b"")
        .file(
            "root/.local/lib/python3.11/site-packages/evil.pth",
            b"import os\n",
        )
}

#[test]
fn user_site_shadows_the_same_distribution_unless_disabled() {
    // §3 "Shadowing" and §1.9: PYTHONNOUSERSITE=0 does not disable the user site, =false does.
    for (env, shadowed) in [
        (&[][..], true),
        (&["PYTHONNOUSERSITE=0"][..], true),
        (&["PYTHONNOUSERSITE="][..], true),
        (&["PYTHONNOUSERSITE=false"][..], false),
        (&["PYTHONNOUSERSITE=1"][..], false),
    ] {
        let facts = facts_of(&image(vec![debian_python_base(), user_site_layer()], env));
        let site = &py(&facts).user_sites[0];
        assert_eq!(site.path, "/root/.local/lib/python3.11/site-packages");
        assert_eq!(site.entries, 3);
        assert_eq!(
            site.pth_files,
            ["/root/.local/lib/python3.11/site-packages/evil.pth"]
        );
        assert_eq!(site.distributions[0].installer.as_deref(), Some("pip"));
        let found: Vec<_> = py(&facts)
            .shadowed_distributions
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.user_version.as_str(),
                    s.environment_version.as_str(),
                )
            })
            .collect();
        if shadowed {
            assert_eq!(found, [("six", "1.15.0", "1.16.0")], "{env:?}");
        } else {
            assert!(found.is_empty(), "{env:?}: {found:?}");
        }
    }
}

#[test]
fn a_user_site_removed_by_a_later_layer_is_gone() {
    let facts = facts_of(&image(
        vec![
            debian_python_base(),
            user_site_layer(),
            LayerBuilder::new().whiteout("root/.local"),
        ],
        &[],
    ));
    assert!(
        py(&facts).user_sites.is_empty(),
        "{:#?}",
        py(&facts).user_sites
    );
    assert!(py(&facts).shadowed_distributions.is_empty());
}

#[test]
fn pythonuserbase_moves_the_user_site() {
    // §3: USER_BASE is a non-empty $PYTHONUSERBASE, else ~/.local.
    let layer = LayerBuilder::new()
        .file("data/pyuser/lib/python3.11/site-packages/six.py", b"")
        .file("home/app/.local/lib/python3.11/site-packages/x.py", b"");
    let facts = facts_of(&image(
        vec![debian_python_base(), layer],
        &["PYTHONUSERBASE=/data/pyuser"],
    ));
    assert_eq!(
        facts
            .accounts
            .as_ref()
            .unwrap()
            .runtime
            .python
            .as_ref()
            .unwrap()
            .user_base,
        "/data/pyuser"
    );
    let runtime: Vec<_> = py(&facts)
        .user_sites
        .iter()
        .map(|s| (s.path.as_str(), s.runtime))
        .collect();
    assert_eq!(
        runtime,
        [
            ("/data/pyuser/lib/python3.11/site-packages", true),
            ("/home/app/.local/lib/python3.11/site-packages", false),
        ]
    );
}

#[test]
fn env_values_are_read_as_pip_reads_them() {
    // §1.2: truthy/falsy lists, empty ignored, env values not stripped; §1.3: PIP_NO_USER is
    // not inverted.
    for (var, option, parsed, effect) in [
        ("PIP_NO_USER=1", "no-user", "true", "user_install"),
        ("PIP_NO_USER=0", "no-user", "false", "non_user_install"),
        ("PIP_USER=false", "user", "false", "non_user_install"),
        ("PIP_USER=On", "user", "true", "user_install"),
        ("PIP_USER=", "user", "empty", "none"),
        ("PIP_USER= 1", "user", "invalid", "abort"),
        ("PIP_USER=2", "user", "invalid", "abort"),
        (
            "PIP_BREAK_SYSTEM_PACKAGES=yes",
            "break-system-packages",
            "true",
            "bypass_pep668",
        ),
        (
            "PIP_BREAK_SYSTEM_PACKAGES=off",
            "break-system-packages",
            "false",
            "keep_pep668",
        ),
        ("PIP_user=1", "user", "true", "user_install"),
    ] {
        let facts = facts_of(&image(vec![debian_python_base()], &[var]));
        let variable = var.split('=').next().unwrap();
        let s = setting(&facts, variable);
        assert_eq!(
            (name(&s.option), name(&s.parsed), name(&s.effect)),
            (option, parsed, effect),
            "{var}"
        );
        assert_eq!(name(&s.source), "env");
        assert!(
            s.ignored_because.is_empty(),
            "{var}: {:?}",
            s.ignored_because
        );
    }
    // §1.2: pip >= 10 needs the upper-case prefix.
    let facts = facts_of(&image(vec![debian_python_base()], &["pip_user=1"]));
    assert!(py(&facts).pip_settings.is_empty());
}

#[test]
fn settings_old_pips_ignore() {
    // §1.3, 9.0.3 column: no --no-user; §2.3: break-system-packages from 23.0.1.
    let old = LayerBuilder::new()
        .whiteout("usr/lib/python3/dist-packages/pip-23.0.1.dist-info")
        .dir("usr/lib/python3/dist-packages/pip-9.0.3.dist-info");
    let facts = facts_of(&image(
        vec![debian_python_base(), old],
        &["PIP_NO_USER=1", "PIP_BREAK_SYSTEM_PACKAGES=1", "PIP_USER=1"],
    ));
    let ignored = |name: &str| setting(&facts, name).ignored_because.join("; ");
    assert!(
        ignored("PIP_NO_USER").contains("ignored by the pip in the image (9.0.3)"),
        "{}",
        ignored("PIP_NO_USER")
    );
    assert!(
        ignored("PIP_BREAK_SYSTEM_PACKAGES").contains("ignored by the pip in the image (9.0.3)"),
        "{}",
        ignored("PIP_BREAK_SYSTEM_PACKAGES")
    );
    assert_eq!(ignored("PIP_USER"), "");
}

#[test]
fn pip_config_files_in_pips_order_with_hiding() {
    // §1.6: file kinds and order; PIP_CONFIG_FILE naming an existing file hides the user
    // files only; §1.2: section names are case-sensitive, keys are not, values are stripped.
    let layer = LayerBuilder::new()
        .file("etc/xdg/pip/pip.conf", b"[global]\nUSER =  true  \n")
        .file(
            "etc/pip.conf",
            b"[GLOBAL]\nuser = true\n[install]\nno_user = 0\n",
        )
        .file("root/.config/pip/pip.conf", b"[global]\nuser = yes\n")
        .file("usr/pip.conf", b"[global]\nbreak-system-packages = true\n")
        .file(
            "opt/pip.conf",
            b"[global]\nindex-url = https://u:pw@idx.example/simple\n",
        );
    let facts = facts_of(&image(
        vec![debian_python_base(), layer],
        &["PIP_CONFIG_FILE=/opt/pip.conf"],
    ));
    let files: Vec<_> = py(&facts)
        .pip_config_files
        .iter()
        .map(|f| (f.path.as_str(), name(&f.kind), f.read))
        .collect();
    assert_eq!(
        files,
        [
            ("/etc/xdg/pip/pip.conf", "xdg", true),
            ("/etc/pip.conf", "etc", true),
            ("/root/.config/pip/pip.conf", "user", false),
            ("/usr/pip.conf", "site", true),
            ("/opt/pip.conf", "envfile", true),
        ]
    );
    let found: Vec<_> = py(&facts)
        .pip_settings
        .iter()
        .map(|s| {
            (
                s.origin.path.as_deref().unwrap(),
                name(&s.option),
                name(&s.parsed),
                s.ignored_because.is_empty(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            // §1.5: `[install] no_user = 0` beats `[global] user = true` of any file.
            ("/etc/xdg/pip/pip.conf", "user", "true", false),
            ("/etc/pip.conf", "no-user", "false", true),
            ("/root/.config/pip/pip.conf", "user", "true", false),
            ("/usr/pip.conf", "break-system-packages", "true", true),
            ("/opt/pip.conf", "index-url", "text", true),
        ]
    );
    assert!(
        py(&facts).pip_settings[0].ignored_because[0].contains("overridden by no_user=0"),
        "{:?}",
        py(&facts).pip_settings[0].ignored_because
    );
    let index = py(&facts).pip_settings.last().unwrap();
    assert!(index.has_credentials);
    assert_eq!(index.value, "https://u:****@idx.example/simple");
}

#[test]
fn startup_files_say_who_reads_them() {
    // §4: /etc/profile.d is read by login shells; /etc/environment by pam_env (su, su -);
    // root's .bashrc has no interactive guard; a conditional is recorded, not dropped.
    let layer = LayerBuilder::new()
        .file(
            "etc/profile.d/pip.sh",
            b"if [ -n \"$CI\" ]; then\n  export PIP_USER=1\nfi\n",
        )
        .file("etc/environment", b"PIP_NO_USER=1\nLANG=C.UTF-8\n")
        .file(
            "root/.bashrc",
            b"export PIP_BREAK_SYSTEM_PACKAGES=1\nalias ll='ls -l'\n",
        );
    let facts = facts_of(&image(vec![debian_python_base(), layer], &[]));
    let profile = setting(&facts, "PIP_USER");
    assert_eq!(name(&profile.source), "startup_file");
    assert_eq!(name(&profile.precision), "low");
    assert_eq!(profile.origin.line, Some(2));
    assert!(profile.readers.iter().any(|r| r == "bash_login"));
    assert!(!profile.readers.iter().any(|r| r == "sh_c"));
    // §5.2: only in start-up files is low, unless the image's entry point reads them.
    let environment = setting(&facts, "PIP_NO_USER");
    assert_eq!(name(&environment.precision), "low");
    assert!(environment.readers.iter().any(|r| r == "su_login"));
    let bashrc = setting(&facts, "PIP_BREAK_SYSTEM_PACKAGES");
    assert!(bashrc.readers.iter().any(|r| r == "bash_login"));
    assert!(bashrc.readers.iter().any(|r| r == "bash_interactive"));
}

#[test]
fn bash_env_names_a_start_up_file() {
    // §4 footnote 8: every non-interactive bash reads $BASH_ENV.
    let layer = LayerBuilder::new().file("opt/env.sh", b"export PIP_USER=1\n");
    let facts = facts_of(&image(
        vec![debian_python_base(), layer],
        &["BASH_ENV=/opt/env.sh"],
    ));
    let s = setting(&facts, "PIP_USER");
    assert_eq!(s.origin.path.as_deref(), Some("/opt/env.sh"));
    assert!(s.readers.iter().any(|r| r == "bash_c"));
    // §5.2: `BASH_ENV` in Env whose file sets PIP_* is medium.
    assert_eq!(name(&s.precision), "medium");
}

#[test]
fn credentials_never_reach_the_document() {
    let layer = LayerBuilder::new()
        .file(
            "etc/pip.conf",
            b"[global]\nextra-index-url = https://bot:s3cr3t-token@pkgs.example/simple\n",
        )
        .file(
            "etc/profile.d/idx.sh",
            b"export PIP_INDEX_URL=https://ghp_tok3nvalue0123456789@idx.example/simple\n",
        );
    let mut test_image = image(
        vec![debian_python_base(), layer],
        &["PIP_EXTRA_INDEX_URL=https://ci:an0ther-secret@pkgs.example/simple"],
    );
    test_image.history = Some(vec![
        ("base".into(), false),
        (
            "RUN echo https://ci:an0ther-secret@pkgs.example/simple".into(),
            false,
        ),
    ]);
    let facts = facts_of(&test_image);
    let text = serde_json::to_string(&facts).unwrap();
    for secret in ["s3cr3t-token", "tok3nvalue0123456789", "an0ther-secret"] {
        assert!(!text.contains(secret), "{secret} leaked into the facts");
    }
    let with_credentials: Vec<_> = py(&facts)
        .pip_settings
        .iter()
        .filter(|s| s.has_credentials)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        with_credentials,
        ["PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "extra-index-url"]
    );
}

#[test]
fn tool_variables_in_start_up_files_are_listed_and_masked_by_name() {
    // A password that is no URL is masked because its variable's name says it is one.
    let layer = LayerBuilder::new().file(
        "etc/profile.d/tools.sh",
        b"export POETRY_HTTP_BASIC_PRIVATE_PASSWORD=hunter2hunter2\nexport UV_SYSTEM_PYTHON=1\n",
    );
    let facts = facts_of(&image(vec![debian_python_base(), layer], &[]));
    let text = serde_json::to_string(&facts).unwrap();
    assert!(!text.contains("hunter2"), "the password leaked: {text}");
    let file = py(&facts)
        .startup_files
        .iter()
        .find(|f| f.path == "/etc/profile.d/tools.sh")
        .expect("the start-up file is read");
    let names: Vec<_> = file.assignments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["POETRY_HTTP_BASIC_PRIVATE_PASSWORD", "UV_SYSTEM_PYTHON"]
    );
    assert!(
        facts.python_tools.is_some(),
        "every domain is collected here"
    );
}

#[test]
fn env_variables_link_to_their_history_step() {
    let facts = facts_of(&imgaudit_testkit::example_image());
    let var = facts
        .image_config
        .env
        .iter()
        .find(|v| v.name == "PIP_NO_USER")
        .unwrap();
    assert_eq!(var.origin.history_step, Some(1));
    assert!(
        var.origin
            .created_by
            .as_deref()
            .unwrap()
            .contains("ENV PIP_NO_USER=1")
    );
}

fn outcomes(python: &Python) -> Vec<(&str, &str)> {
    python
        .decisions
        .iter()
        .map(|d| (name(&d.launch), name(&d.outcome)))
        .collect()
}

#[test]
fn decisions_follow_the_environment_order_per_launch() {
    // §1.4: Env [PIP_NO_USER=1, PIP_USER=0] gives S by direct exec but U via sh -c; Debian's
    // pip 23.0.1 honours the bypass (§2.3), else the marker blocks (§2.1).
    let facts = facts_of(&image(
        vec![debian_python_base()],
        &["PIP_BREAK_SYSTEM_PACKAGES=1", "PIP_NO_USER=1", "PIP_USER=0"],
    ));
    let debian = python(&facts, "/usr");
    assert_eq!(outcomes(debian), [("exec", "site"), ("shell", "user")]);
    let by = |launch: &str| {
        let d = debian
            .decisions
            .iter()
            .find(|d| name(&d.launch) == launch)
            .unwrap();
        py(&facts).pip_settings[d.user_setting.unwrap()]
            .name
            .clone()
    };
    assert_eq!(
        (by("exec"), by("shell")),
        ("PIP_USER".into(), "PIP_NO_USER".into())
    );
    assert!(
        setting(&facts, "PIP_NO_USER").ignored_because.is_empty(),
        "sh -c still uses it"
    );
    let bypass = debian.decisions[0].break_system_packages_setting.unwrap();
    assert_eq!(
        py(&facts).pip_settings[bypass].name,
        "PIP_BREAK_SYSTEM_PACKAGES"
    );

    let facts = facts_of(&image(vec![debian_python_base()], &["PIP_NO_USER=1"]));
    assert_eq!(
        outcomes(python(&facts, "/usr")),
        [("exec", "error"), ("shell", "error")],
        "the marker blocks user installs too (§2.1)"
    );
}

#[test]
fn conda_environments_take_user_installs_silently() {
    // §1.8: a conda env is not a venv, so an explicit user install goes to ~/.local.
    let conda = LayerBuilder::new()
        .file("opt/conda/lib/python3.11/os.py", b"")
        .dir("opt/conda/conda-meta")
        .dir("opt/conda/lib/python3.11/site-packages/pip-24.0.dist-info")
        .file(
            "opt/venv/pyvenv.cfg",
            b"home = /opt/conda/bin\ninclude-system-site-packages = false\n",
        )
        .dir("opt/venv/lib/python3.11/site-packages/pip-24.0.dist-info");
    let facts = facts_of(&image(
        vec![debian_python_base(), conda],
        &["PIP_NO_USER=1"],
    ));
    assert_eq!(
        outcomes(python(&facts, "/opt/conda")),
        [("exec", "user"), ("shell", "user")]
    );
    assert_eq!(
        outcomes(python(&facts, "/opt/venv")),
        [("exec", "error"), ("shell", "error")],
        "a plain venv refuses it (§1.8)"
    );
    // Falsy is fine (§1.3).
    let facts = facts_of(&image(
        vec![
            debian_python_base(),
            LayerBuilder::new()
                .file("opt/conda/lib/python3.11/os.py", b"")
                .dir("opt/conda/conda-meta")
                .dir("opt/conda/lib/python3.11/site-packages/pip-24.0.dist-info"),
        ],
        &["PIP_NO_USER=0"],
    ));
    assert_eq!(
        outcomes(python(&facts, "/opt/conda")),
        [("exec", "site"), ("shell", "site")]
    );
}

#[test]
fn non_root_users_fall_back_to_user_installs_without_a_setting() {
    // §1.7: pip >= 20.0 falls back to a user install when site-packages is not writable.
    let local = LayerBuilder::new()
        .file("usr/local/lib/python3.12/os.py", b"")
        .dir("usr/local/lib/python3.12/site-packages/pip-24.0.dist-info");
    let mut test_image = image(vec![debian_python_base(), local], &[]);
    test_image.user = Some("app".into());
    let facts = facts_of(&test_image);
    let local = python(&facts, "/usr/local");
    assert_eq!(outcomes(local), [("exec", "user"), ("shell", "user")]);
    assert!(local.decisions.iter().all(|d| d.user_setting.is_none()));
}

#[test]
fn overrides_count_even_without_pip_in_the_image() {
    // §1.4/§1.5 with the newest measured pip when the image has none: PIP_USER=1 then
    // PIP_NO_USER=0 is S in both launches (bash/dash put PIP_NO_USER last too).
    let no_pip = LayerBuilder::new().whiteout("usr/lib/python3/dist-packages/pip-23.0.1.dist-info");
    let facts = facts_of(&image(
        vec![debian_python_base(), no_pip],
        &["PIP_BREAK_SYSTEM_PACKAGES=1", "PIP_USER=1", "PIP_NO_USER=0"],
    ));
    assert!(python(&facts, "/usr").pip.is_none());
    let user = setting(&facts, "PIP_USER");
    assert!(
        user.ignored_because
            .iter()
            .any(|w| w.contains("overridden by PIP_NO_USER=0")),
        "{user:?}"
    );
}

#[test]
fn a_later_false_turns_the_pep668_bypass_off() {
    // §2.3 "PIP_BREAK_SYSTEM_PACKAGES=0 beats =true in a file".
    let conf =
        LayerBuilder::new().file("etc/pip.conf", b"[global]\nbreak-system-packages = true\n");
    let facts = facts_of(&image(
        vec![debian_python_base(), conf],
        &["PIP_BREAK_SYSTEM_PACKAGES=0"],
    ));
    let file = setting(&facts, "break-system-packages");
    assert!(
        file.ignored_because
            .iter()
            .any(|w| w.contains("PIP_BREAK_SYSTEM_PACKAGES=0")),
        "{file:?}"
    );
}

#[test]
fn config_values_pip_never_converts_do_not_count() {
    // §1.2: [DEFAULT] only reaches pip through a section it reads; a key a later file sets
    // again is replaced before pip converts it (merged keys, pip < 25.2 and >= 26.0).
    let files = LayerBuilder::new()
        .file(
            "etc/xdg/pip/pip.conf",
            b"[DEFAULT]\nuser = true\n[freeze]\nall = true\n",
        )
        .file("etc/pip.conf", b"[global]\nno-user = maybe\n")
        .file("root/.config/pip/pip.conf", b"[global]\nno-user = 0\n");
    let facts = facts_of(&image(vec![debian_python_base(), files], &[]));
    assert!(
        !py(&facts)
            .pip_settings
            .iter()
            .any(|s| s.origin.path.as_deref() == Some("/etc/xdg/pip/pip.conf")),
        "{:#?}",
        py(&facts).pip_settings
    );
    let maybe = py(&facts)
        .pip_settings
        .iter()
        .find(|s| s.value == "maybe")
        .unwrap();
    assert_eq!(name(&maybe.parsed), "invalid");
    assert_eq!(
        maybe.ignored_because,
        ["a later file sets the same key, so pip never reads this one"],
        "{maybe:?}"
    );
}

#[test]
fn pyvenv_without_the_key_includes_system_site_packages() {
    // CPython's site.venv defaults include-system-site-packages to true (§1.8).
    let layer = LayerBuilder::new()
        .file("opt/v/pyvenv.cfg", b"home = /usr/bin\n")
        .dir("opt/v/lib/python3.11/site-packages");
    let facts = facts_of(&image(vec![debian_python_base(), layer], &[]));
    let venv = python(&facts, "/opt/v");
    assert!(venv.venv.as_ref().unwrap().include_system_site_packages);
    assert!(venv.sees_user_site);
}

#[test]
fn a_fifo_named_like_the_marker_does_not_block() {
    // §2.1: only os.path.isfile counts.
    let layer = LayerBuilder::new()
        .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
        .fifo("usr/lib/python3.11/EXTERNALLY-MANAGED");
    let facts = facts_of(&image(vec![debian_python_base(), layer], &[]));
    assert_eq!(
        name(&python(&facts, "/usr").marker.as_ref().unwrap().state),
        "not_a_file"
    );
}

#[test]
fn group_writable_site_packages_takes_installs_for_its_group() {
    // §1.7: site_packages_writable is os.access(W_OK), and only without it does pip >= 20.0
    // fall back to a user install. OpenShift-style images make site-packages writable by group
    // 0 and run as 1001:0.
    for (mode, outcome) in [(0o775, "site"), (0o755, "user")] {
        let local = LayerBuilder::new()
            .file("usr/local/lib/python3.12/os.py", b"")
            .dir_with("usr/local/lib/python3.12/site-packages", mode, 0, 0)
            .dir("usr/local/lib/python3.12/site-packages/pip-24.0.dist-info");
        let mut test_image = image(vec![debian_python_base(), local], &[]);
        test_image.user = Some("1001:0".into());
        let facts = facts_of(&test_image);
        assert_eq!(
            outcomes(python(&facts, "/usr/local")),
            [("exec", outcome), ("shell", outcome)],
            "mode {mode:o}"
        );
    }
}

#[test]
fn values_of_secret_variables_are_masked() {
    let facts = facts_of(&image(
        vec![debian_python_base()],
        &[
            "PYPI_TOKEN=pypi-AgEIcHlwaS5vcmc",
            "GPG_KEY=A035C8C19219BA821E",
        ],
    ));
    let value = |name: &str| {
        facts
            .image_config
            .env
            .iter()
            .find(|v| v.name == name)
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(value("PYPI_TOKEN"), "****");
    assert_eq!(value("GPG_KEY"), "A035C8C19219BA821E");
}

#[test]
fn a_user_install_setting_knows_where_pip_refuses_it() {
    // §1.8: a plain venv refuses an explicit user install; the PEP 668 marker is another error.
    let venv_only = LayerBuilder::new()
        .whiteout("usr/lib/python3/dist-packages/pip-23.0.1.dist-info")
        .file(
            "opt/venv/pyvenv.cfg",
            b"home = /usr/bin\ninclude-system-site-packages = false\n",
        )
        .dir("opt/venv/lib/python3.11/site-packages/pip-24.0.dist-info");
    let facts = facts_of(&image(
        vec![debian_python_base(), venv_only],
        &["PIP_USER=1"],
    ));
    let user = setting(&facts, "PIP_USER");
    assert!(
        user.outcomes.iter().any(|o| name(o) == "refused"),
        "{user:?}"
    );
    let facts = facts_of(&image(vec![debian_python_base()], &["PIP_USER=1"]));
    let outcomes: Vec<&str> = setting(&facts, "PIP_USER")
        .outcomes
        .iter()
        .map(name)
        .collect();
    assert_eq!(outcomes, ["error"]);
}

#[test]
fn index_settings_with_their_urls_and_overrides() {
    // PIP-INDEX-SEMANTICS.md §2.1: lists split on whitespace; §2.2: a variable replaces a
    // file's list, `[install]` replaces `[global]`; empty variables are ignored (pip >= 10).
    let layer = LayerBuilder::new().file(
        "etc/pip.conf",
        b"[global]\nindex-url = https://nexus.example/repository/pypi/simple\n\
          extra-index-url = http://10.0.0.5:8080/simple\ntrusted-host = 10.0.0.5:8080\n\
          [install]\nfind-links =\n    /wheels\n    http://127.0.0.1:8000/links/\n",
    );
    let facts = facts_of(&image(
        vec![debian_python_base(), layer],
        &[
            "PIP_EXTRA_INDEX_URL=https://u:secret@pkgs.example/simple   http://localhost:3141/root/dev",
            "PIP_TRUSTED_HOST=",
            "PIP_NO_INDEX=0",
        ],
    ));
    let env_extra = setting(&facts, "PIP_EXTRA_INDEX_URL");
    assert_eq!(name(&env_extra.option), "extra-index-url");
    assert!(env_extra.ignored_because.is_empty(), "{env_extra:?}");
    assert!(env_extra.has_credentials);
    assert!(!env_extra.value.contains("secret"));
    let hosts: Vec<(Option<&str>, bool, bool)> = env_extra
        .urls
        .iter()
        .map(|u| (u.host.as_deref(), u.plain_http, u.loopback))
        .collect();
    assert_eq!(
        hosts,
        [
            (Some("pkgs.example"), false, false),
            (Some("localhost"), true, true)
        ]
    );

    let file_extra = setting(&facts, "extra-index-url");
    assert!(
        file_extra.ignored_because[0].contains("overridden by PIP_EXTRA_INDEX_URL="),
        "{file_extra:?}"
    );
    let index = setting(&facts, "index-url");
    assert!(index.ignored_because.is_empty());
    assert_eq!(index.urls[0].host.as_deref(), Some("nexus.example"));

    // An empty PIP_TRUSTED_HOST leaves the file's trusted host in force.
    let trusted = setting(&facts, "trusted-host");
    assert!(trusted.ignored_because.is_empty(), "{trusted:?}");
    assert!(trusted.urls.is_empty());
    assert_eq!(
        setting(&facts, "PIP_TRUSTED_HOST").ignored_because,
        ["empty: pip ignores it"]
    );

    // find-links: the local directory is not a URL; the loopback http page is.
    let links = setting(&facts, "find-links");
    assert_eq!(links.urls.len(), 1);
    assert!(links.urls[0].loopback);

    let no_index = setting(&facts, "PIP_NO_INDEX");
    assert_eq!(
        (name(&no_index.parsed), name(&no_index.effect)),
        ("false", "none")
    );
}
