//! End-to-end tests of the file hygiene rules (FILE001 setuid-setgid-added, FILE002
//! world-writable-path, FILE003 vcs-or-env-file-in-image, PKG001 package-cache-left): the real
//! binary on synthetic images written by the test kit. A Debian-shaped base holds every trap the
//! rules must stay silent on (the distribution's setuid programs behind a merged `/usr`,
//! sticky `/tmp`, a symlink, `/dev/null`, an emptied apt lists directory, a `.env.example`, a
//! virtual environment named `.env`, a dependency's own `.git`); a layer on top adds one case
//! of each finding. The tests select these rules only (`--select FILE --select PKG`), so that
//! rules of other packs change nothing here.

use imgaudit_testkit::{LayerBuilder, TestImage};
use serde_json::Value;

mod common;

use common::{TempLayout, finding_ids, json_of_success, scan_report};

const FILE_RULES: [&str; 4] = ["--select", "FILE", "--select", "PKG"];

/// A layer holding `/dev/null`, a world-writable character device (the test kit writes no
/// devices).
fn dev_null_layer() -> Vec<u8> {
    let header = |kind: tar::EntryType, mode: u32| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_size(0);
        header
    };
    let mut builder = tar::Builder::new(Vec::new());
    let mut dir = header(tar::EntryType::Directory, 0o755);
    builder.append_data(&mut dir, "dev", &b""[..]).unwrap();
    let mut null = header(tar::EntryType::Char, 0o666);
    null.set_device_major(1).unwrap();
    null.set_device_minor(3).unwrap();
    builder
        .append_data(&mut null, "dev/null", &b""[..])
        .unwrap();
    builder.into_inner().unwrap()
}

/// A Debian-shaped base with merged `/usr`: `su` (package `login`, listed as `/bin/su`),
/// `passwd` and `chage` (package `passwd`), sticky `/tmp` and `/var/tmp`, an emptied apt lists
/// directory, a link to a setuid program.
fn debian_base() -> LayerBuilder {
    LayerBuilder::new()
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n",
        )
        .dir("usr/bin")
        .symlink("bin", "usr/bin")
        .file_with("usr/bin/su", b"su", 0o4755, 0, 0)
        .file_with("usr/bin/passwd", b"passwd", 0o4755, 0, 0)
        .file_with("usr/bin/chage", b"chage", 0o2755, 0, 42)
        .symlink("usr/bin/su-link", "su")
        .file("var/lib/dpkg/info/login.list", b"/.\n/bin\n/bin/su\n")
        .file(
            "var/lib/dpkg/info/passwd:amd64.list",
            b"/.\n/usr/bin/passwd\n/usr/bin/chage\n",
        )
        .file("var/lib/dpkg/status", b"Package: login\n")
        .dir_with("tmp", 0o1777, 0, 0)
        .dir_with("var/tmp", 0o1777, 0, 0)
        .file("var/lib/apt/lists/lock", b"")
        .dir("var/lib/apt/lists/partial")
        .dir("root")
        .dir("home/app")
}

/// The traps an application layer adds and no rule flags.
fn harmless_app_layer() -> LayerBuilder {
    LayerBuilder::new()
        .file("app/main.py", b"print('hi')\n")
        .file("app/.env.example", b"DATABASE_URL=\n")
        .file("app/.gitignore", b".env\n")
        .file("opt/proj/.env/bin/python", b"")
        .file("opt/proj/.env/pyvenv.cfg", b"home = /usr/bin\n")
        .file(
            "app/node_modules/left-pad/.git/HEAD",
            b"ref: refs/heads/main\n",
        )
        .dir_with("srv/shared", 0o1777, 0, 0)
}

/// One case of each finding.
fn offending_layer() -> LayerBuilder {
    LayerBuilder::new()
        .file_with("opt/setuid", b"tool", 0o4755, 0, 0)
        // The image changed a packaged program: `chmod g+s /usr/bin/passwd`.
        .file_with("usr/bin/passwd", b"passwd", 0o6755, 0, 0)
        .dir_with("srv/data", 0o777, 1000, 1000)
        .file_with("app/config.yml", b"debug: true\n", 0o666, 1000, 1000)
        .file("app/.git/HEAD", b"ref: refs/heads/main\n")
        .file("app/.git/config", b"[core]\n")
        .file("app/.env", b"DEBUG=1\n")
        .file(
            "var/lib/apt/lists/mirror.example_debian_dists_bookworm_InRelease",
            &[b'x'; 1000],
        )
        .file("root/.cache/pip/http/a/b", &[b'y'; 500])
        .file("home/app/.npm/_cacache/index-v5/ab", &[b'z'; 10])
}

fn image(layers: Vec<Vec<u8>>) -> TestImage {
    let steps = layers.len();
    let mut image = TestImage::new(layers);
    image.history = Some(
        (0..steps)
            .map(|i| (format!("RUN step {i}"), false))
            .collect(),
    );
    image
}

fn report(image: &TestImage) -> Value {
    scan_report(image, &FILE_RULES)
}

fn findings_of<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

fn paths(findings: &[&Value]) -> Vec<String> {
    let mut paths: Vec<String> = findings
        .iter()
        .map(|f| f["evidence"]["path"].as_str().unwrap().to_owned())
        .collect();
    paths.sort();
    paths
}

#[test]
fn the_traps_alone_give_no_finding() {
    let image = image(vec![
        debian_base().finish(),
        dev_null_layer(),
        harmless_app_layer().finish(),
    ]);
    let report = report(&image);
    assert_eq!(finding_ids(&report), Vec::<String>::new(), "{report:#}");
}

#[test]
fn each_rule_fires_where_intended_and_nowhere_else() {
    let image = image(vec![
        debian_base().finish(),
        dev_null_layer(),
        harmless_app_layer().finish(),
        offending_layer().finish(),
    ]);
    let report = report(&image);
    assert_eq!(
        finding_ids(&report),
        [
            "FILE001", "FILE001", "FILE002", "FILE002", "FILE003", "FILE003", "PKG001", "PKG001",
            "PKG001"
        ],
        "{report:#}"
    );

    let file001 = findings_of(&report, "FILE001");
    assert_eq!(paths(&file001), ["/opt/setuid", "/usr/bin/passwd"]);
    let setuid = file001
        .iter()
        .find(|f| f["evidence"]["path"] == "/opt/setuid")
        .unwrap();
    let msg = setuid["message"].as_str().unwrap();
    assert!(
        msg.contains("no package installed it (layer 3, history step 3: RUN step 3)"),
        "{msg}"
    );
    assert!(msg.contains("chmod u-s /opt/setuid"), "{msg}");
    let passwd = file001
        .iter()
        .find(|f| f["evidence"]["path"] == "/usr/bin/passwd")
        .unwrap();
    let msg = passwd["message"].as_str().unwrap();
    assert!(
        msg.contains("after package passwd installed it: layer 3 wrote it after layer 0"),
        "{msg}"
    );

    assert_eq!(
        paths(&findings_of(&report, "FILE002")),
        ["/app/config.yml", "/srv/data"]
    );
    assert_eq!(
        paths(&findings_of(&report, "FILE003")),
        ["/app/.env", "/app/.git"]
    );

    let pkg001 = findings_of(&report, "PKG001");
    assert_eq!(
        paths(&pkg001),
        [
            "/home/app/.npm/_cacache",
            "/root/.cache/pip",
            "/var/lib/apt/lists"
        ]
    );
    let lists = pkg001
        .iter()
        .find(|f| f["evidence"]["path"] == "/var/lib/apt/lists")
        .unwrap();
    assert_eq!(lists["evidence"]["bytes"], 1000);
    assert_eq!(lists["evidence"]["files"], 1);
    let msg = lists["message"].as_str().unwrap();
    assert!(
        msg.contains("1000 bytes") && msg.contains("rm -rf /var/lib/apt/lists/*"),
        "{msg}"
    );
}

#[test]
fn the_facts_record_ownership_modes_and_the_databases() {
    let image = image(vec![
        debian_base().finish(),
        dev_null_layer(),
        harmless_app_layer().finish(),
        offending_layer().finish(),
    ]);
    let layout = TempLayout::new(&image);
    let facts = json_of_success(&["facts", layout.arg.as_str()]);
    let special = facts["special_files"].as_array().unwrap();
    let find = |path: &str| {
        special
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path} not in special_files: {special:#?}"))
    };
    // `/bin/su` in login's list is `/usr/bin/su` in the merged tree.
    let su = find("/usr/bin/su");
    assert_eq!(su["package"]["name"], "login");
    assert_eq!(su["changed_after_install"], false);
    assert_eq!(su["mode"], "4755");
    assert_eq!(su["mode_bits"], 0o4755);
    assert_eq!(find("/usr/bin/chage")["gid"], 42);
    assert_eq!(find("/usr/bin/passwd")["changed_after_install"], true);
    assert_eq!(find("/tmp")["sticky"], true);
    assert!(find("/opt/setuid")["package"].is_null());
    // Links and devices are not listed.
    assert!(
        special
            .iter()
            .all(|f| f["path"] != "/usr/bin/su-link" && f["path"] != "/dev/null")
    );
    let dependency_git = facts["leftovers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["path"] == "/app/node_modules/left-pad/.git")
        .expect("a dependency's .git is recorded");
    assert_eq!(dependency_git["inside_dependency"], "node_modules");
    let databases = facts["package_db"]["databases"].as_array().unwrap();
    assert_eq!(databases.len(), 1, "{databases:#?}");
    assert_eq!(databases[0]["manager"], "dpkg");
    assert_eq!(databases[0]["packages"], 2);
}

#[test]
fn an_apk_program_whose_mode_the_image_changed_is_flagged_in_the_same_layer() {
    // apk records modes: busybox is 0755 in the database, the layer made it setuid.
    let installed = "P:busybox\nV:1.36.1-r29\nF:bin\nR:busybox\na:0:0:755\nR:bbsuid\na:0:0:4111\n";
    let layer = LayerBuilder::new()
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        .file("lib/apk/db/installed", installed.as_bytes())
        .file_with("bin/busybox", b"bb", 0o4755, 0, 0)
        .file_with("bin/bbsuid", b"bbsuid", 0o4111, 0, 0)
        .file("var/cache/apk/APKINDEX.abc.tar.gz", &[0; 64]);
    let report = report(&image(vec![layer.finish()]));
    assert_eq!(finding_ids(&report), ["FILE001", "PKG001"], "{report:#}");
    let file001 = findings_of(&report, "FILE001");
    assert_eq!(paths(&file001), ["/bin/busybox"]);
    let msg = file001[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("its mode is 4755 and apk records 0755 for busybox"),
        "{msg}"
    );
}

#[test]
fn with_an_rpm_database_only_what_came_after_the_last_rpm_transaction_is_flagged() {
    // The rpm database is not read: `su`, written with it, may be an rpm package's.
    let base = LayerBuilder::new()
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        .file("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0")
        .file_with("usr/bin/su", b"su", 0o4755, 0, 0);
    let added = LayerBuilder::new().file_with("opt/tool", b"tool", 0o4755, 0, 0);
    let report = report(&image(vec![base.finish(), added.finish()]));
    let file001 = findings_of(&report, "FILE001");
    assert_eq!(paths(&file001), ["/opt/tool"], "{report:#}");
    let msg = file001[0]["message"].as_str().unwrap();
    assert!(msg.contains("after the last rpm transaction"), "{msg}");
}
