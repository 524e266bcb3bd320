//! Files the facts read through links (issue 14): symbolic and hard links to files no capture
//! rule names, in any layer, linked directories, `PIP_CONFIG_FILE` naming a link, start-up
//! files behind links; and files that cannot be read (too large, looping links, a stream) are
//! listed as `unjudged`, never taken as absent.

mod common;

use common::image;
use imgaudit_facts::{Domains, Facts, Unjudged, collect, config_paths, wanted_files};
use imgaudit_image::ImageSpec;
use imgaudit_layer::DEFAULT_MAX_CAPTURE_SIZE;
use imgaudit_loader::LoadOptions;
use imgaudit_testkit::{LayerBuilder, TestImage, docker_archive_legacy};

fn options() -> LoadOptions {
    LoadOptions {
        capture: Domains::all()
            .capture_rules(DEFAULT_MAX_CAPTURE_SIZE)
            .unwrap(),
        capture_from_config: Some(config_paths),
        wanted: Some(wanted_files),
        ..LoadOptions::default()
    }
}

/// The facts of `image`, read in memory as a layout's would be (its layers can be read again).
fn facts_of(image: &TestImage) -> Facts {
    collect(&common::load(image, &options()), &Domains::all())
}

/// The facts of `image` read as a `docker save` stream (which cannot be read again).
fn facts_of_stream(image: &TestImage) -> Facts {
    let archive = docker_archive_legacy(&[(&["app:ci"], image)]);
    let spec = ImageSpec::parse("-").unwrap();
    collect(
        &imgaudit_loader::load_stream(&archive[..], &spec, &options()).unwrap(),
        &Domains::all(),
    )
}

fn base() -> LayerBuilder {
    LayerBuilder::new()
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        .file("usr/local/lib/python3.11/os.py", b"# stdlib\n")
        .dir("usr/local/lib/python3.11/site-packages/pip-24.0.dist-info")
        .dir("root")
}

const USER_CONF: &[u8] = b"[global]\nuser = true\n";

/// The `[global] user` entries pip config files hold, by path.
fn user_entries(facts: &Facts) -> Vec<String> {
    let python = facts.python.as_ref().unwrap();
    python
        .pip_config_files
        .iter()
        .filter(|file| {
            file.entries
                .iter()
                .any(|e| e.key == "user" && e.value == "true")
        })
        .map(|file| file.path.clone())
        .collect()
}

/// The `PIP_USER` exports of start-up files, by path.
fn startup_exports(facts: &Facts) -> Vec<String> {
    let python = facts.python.as_ref().unwrap();
    python
        .startup_files
        .iter()
        .filter(|file| file.assignments.iter().any(|a| a.name == "PIP_USER"))
        .map(|file| file.path.clone())
        .collect()
}

fn reasons(unjudged: &[Unjudged]) -> Vec<(String, &'static str)> {
    unjudged
        .iter()
        .map(|u| {
            let reason = match serde_json::to_value(u.reason).unwrap() {
                serde_json::Value::String(text) => Box::leak(text.into_boxed_str()) as &str,
                other => panic!("{other}"),
            };
            (u.path.clone(), reason)
        })
        .collect()
}

/// `/etc/pip.conf` as a link to a file no capture rule names, wherever it is.
fn linked_pip_conf_images() -> Vec<(&'static str, TestImage)> {
    let target = || LayerBuilder::new().file("opt/conf/settings.ini", USER_CONF);
    vec![
        (
            "absolute symlink, target in the same layer",
            image(
                vec![
                    base(),
                    target().symlink("etc/pip.conf", "/opt/conf/settings.ini"),
                ],
                &[],
            ),
        ),
        (
            "relative symlink, target in an earlier layer",
            image(
                vec![
                    base(),
                    target(),
                    LayerBuilder::new().symlink("etc/pip.conf", "../opt/conf/settings.ini"),
                ],
                &[],
            ),
        ),
        (
            "symlink, target in a later layer",
            image(
                vec![
                    base(),
                    LayerBuilder::new().symlink("etc/pip.conf", "/opt/conf/settings.ini"),
                    target(),
                ],
                &[],
            ),
        ),
        (
            "a chain of two symlinks, climbing above the root",
            image(
                vec![
                    base(),
                    target()
                        .symlink("opt/conf/current", "settings.ini")
                        .symlink("etc/pip.conf", "../../../opt/conf/current"),
                ],
                &[],
            ),
        ),
        (
            "hard link in the same layer",
            image(
                vec![
                    base(),
                    target().hardlink("etc/pip.conf", "opt/conf/settings.ini"),
                ],
                &[],
            ),
        ),
        (
            "hard link to a file of a lower layer",
            image(
                vec![
                    base(),
                    target(),
                    LayerBuilder::new().hardlink("etc/pip.conf", "opt/conf/settings.ini"),
                ],
                &[],
            ),
        ),
    ]
}

#[test]
fn a_linked_pip_conf_is_read_through_its_link() {
    for (name, image) in linked_pip_conf_images() {
        let facts = facts_of(&image);
        assert_eq!(user_entries(&facts), ["/etc/pip.conf"], "{name}");
        assert!(facts.unjudged.is_empty(), "{name}: {:#?}", facts.unjudged);
    }
}

#[test]
fn a_plain_pip_conf_reads_as_before() {
    let plain = image(
        vec![base(), LayerBuilder::new().file("etc/pip.conf", USER_CONF)],
        &[],
    );
    for facts in [facts_of(&plain), facts_of_stream(&plain)] {
        assert_eq!(user_entries(&facts), ["/etc/pip.conf"]);
        assert!(facts.unjudged.is_empty(), "{:#?}", facts.unjudged);
    }
}

#[test]
fn a_stream_says_which_linked_files_it_could_not_read() {
    for (name, image) in linked_pip_conf_images() {
        let facts = facts_of_stream(&image);
        assert!(user_entries(&facts).is_empty(), "{name}");
        assert_eq!(
            reasons(&facts.unjudged),
            [("/etc/pip.conf".to_owned(), "stream")],
            "{name}"
        );
        let unjudged = &facts.unjudged[0];
        assert_eq!(unjudged.resolved.as_deref(), Some("/opt/conf/settings.ini"));
        assert_eq!(unjudged.needed_by, "pip_config_files");
        assert!(unjudged.detail.contains("stream"), "{}", unjudged.detail);
    }
}

#[test]
fn linked_directories_lead_to_the_files_pip_reads() {
    for (name, layers, env, path) in [
        (
            "/etc/xdg linked",
            vec![
                base(),
                LayerBuilder::new()
                    .file("opt/xdg/pip/pip.conf", USER_CONF)
                    .symlink("etc/xdg", "/opt/xdg"),
            ],
            &[][..],
            "/etc/xdg/pip/pip.conf",
        ),
        (
            "/etc/pip linked, XDG_CONFIG_DIRS=/etc",
            vec![
                base(),
                LayerBuilder::new()
                    .file("opt/conf/pip/pip.conf", USER_CONF)
                    .symlink("etc/pip", "../opt/conf/pip"),
            ],
            &["XDG_CONFIG_DIRS=/etc"][..],
            "/etc/pip/pip.conf",
        ),
        (
            "a linked directory whose pip.conf is a link again",
            vec![
                base(),
                LayerBuilder::new()
                    .file("opt/conf/base.ini", USER_CONF)
                    .dir("opt/xdg/pip")
                    .symlink("opt/xdg/pip/pip.conf", "/opt/conf/base.ini")
                    .symlink("etc/xdg", "/opt/xdg"),
            ],
            &[][..],
            "/etc/xdg/pip/pip.conf",
        ),
    ] {
        let facts = facts_of(&image(layers, env));
        assert_eq!(user_entries(&facts), [path], "{name}");
        assert!(facts.unjudged.is_empty(), "{name}: {:#?}", facts.unjudged);
    }
}

#[test]
fn pip_config_file_naming_a_link_is_read_through_it() {
    let linked = image(
        vec![
            base(),
            LayerBuilder::new()
                .file("opt/conf/settings.ini", USER_CONF)
                .symlink("etc/pip-env.conf", "/opt/conf/settings.ini"),
        ],
        &["PIP_CONFIG_FILE=/etc/pip-env.conf"],
    );
    let facts = facts_of(&linked);
    assert_eq!(user_entries(&facts), ["/etc/pip-env.conf"]);
    let runtime = facts.accounts.as_ref().unwrap().runtime.python.as_ref();
    assert!(runtime.unwrap().pip_config_file_exists);
    assert!(facts.unjudged.is_empty(), "{:#?}", facts.unjudged);
    let streamed = facts_of_stream(&linked);
    assert_eq!(
        reasons(&streamed.unjudged),
        [("/etc/pip-env.conf".to_owned(), "stream")]
    );
}

#[test]
fn start_up_files_behind_links_are_read() {
    let script = b"export PIP_USER=1\n";
    for (name, layer, path) in [
        (
            "a profile.d script linked to a file elsewhere",
            LayerBuilder::new()
                .file("opt/scripts/pip.sh", script)
                .dir("etc/profile.d")
                .symlink("etc/profile.d/pip.sh", "/opt/scripts/pip.sh"),
            "/etc/profile.d/pip.sh",
        ),
        (
            "/etc/profile.d linked",
            LayerBuilder::new()
                .file("opt/profile.d/pip.sh", script)
                .symlink("etc/profile.d", "/opt/profile.d"),
            "/etc/profile.d/pip.sh",
        ),
        (
            "~/.bashrc linked to dotfiles",
            LayerBuilder::new()
                .file("opt/dotfiles/bashrc", script)
                .symlink("root/.bashrc", "/opt/dotfiles/bashrc"),
            "/root/.bashrc",
        ),
        (
            "~/.profile hard-linked",
            LayerBuilder::new()
                .file("opt/dotfiles/profile", script)
                .hardlink("root/.profile", "opt/dotfiles/profile"),
            "/root/.profile",
        ),
    ] {
        let facts = facts_of(&image(vec![base(), layer], &[]));
        assert_eq!(startup_exports(&facts), [path], "{name}");
        assert!(facts.unjudged.is_empty(), "{name}: {:#?}", facts.unjudged);
    }
}

#[test]
fn files_that_cannot_be_read_are_unjudged_not_absent() {
    let mut large = b"[global]\nuser = true\n".to_vec();
    large.resize(usize::try_from(DEFAULT_MAX_CAPTURE_SIZE).unwrap() + 1, b'#');
    let mut chain = LayerBuilder::new().file("opt/conf/settings.ini", USER_CONF);
    chain = chain.symlink("opt/links/0", "/opt/conf/settings.ini");
    for i in 1..=40 {
        chain = chain.symlink(&format!("opt/links/{i}"), &format!("/opt/links/{}", i - 1));
    }
    chain = chain.symlink("etc/pip.conf", "/opt/links/40");
    for (name, layer, reason) in [
        (
            "larger than the capture limit",
            LayerBuilder::new().file("etc/pip.conf", &large),
            "too_large",
        ),
        (
            "a link to a file larger than the capture limit",
            LayerBuilder::new()
                .file("opt/conf/big.ini", &large)
                .symlink("etc/pip.conf", "/opt/conf/big.ini"),
            "too_large",
        ),
        (
            "a link to itself",
            LayerBuilder::new().symlink("etc/pip.conf", "pip.conf"),
            "link_loop",
        ),
        (
            "two links in a loop",
            LayerBuilder::new()
                .symlink("etc/pip.conf", "/opt/a")
                .symlink("opt/a", "/etc/pip.conf"),
            "link_loop",
        ),
        ("a chain of 41 links", chain, "link_loop"),
    ] {
        let test_image = image(vec![base(), layer], &[]);
        for (how, facts) in [
            ("layout", facts_of(&test_image)),
            ("stream", facts_of_stream(&test_image)),
        ] {
            assert_eq!(
                reasons(&facts.unjudged),
                [("/etc/pip.conf".to_owned(), reason)],
                "{name} ({how})"
            );
            assert_eq!(facts.unjudged[0].needed_by, "pip_config_files");
            assert_eq!(facts.unjudged[0].origin.layer, Some(1), "{name} ({how})");
        }
    }
}

#[test]
fn a_chain_of_forty_links_is_still_followed() {
    let mut chain = LayerBuilder::new().file("opt/conf/settings.ini", USER_CONF);
    chain = chain.symlink("opt/links/0", "/opt/conf/settings.ini");
    for i in 1..=38 {
        chain = chain.symlink(&format!("opt/links/{i}"), &format!("/opt/links/{}", i - 1));
    }
    chain = chain.symlink("etc/pip.conf", "/opt/links/38");
    let facts = facts_of(&image(vec![base(), chain], &[]));
    assert_eq!(user_entries(&facts), ["/etc/pip.conf"]);
    assert!(facts.unjudged.is_empty(), "{:#?}", facts.unjudged);
}
