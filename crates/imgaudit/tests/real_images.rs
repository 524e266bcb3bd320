//! Integration tests on real images built by buildah from a debootstrap Debian base, exported by
//! skopeo in every format, and unpacked by umoci as an independent reference.
//!
//! `tests/real-images/build.sh DIR` makes them (minutes); `ci/test.sh` runs it and then these
//! tests with `IMGAUDIT_REAL_IMAGES=DIR`. They are ignored in a plain `cargo test`, and fail
//! loudly when run without the images.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;

mod common;

use common::{
    PYTHON_RULES, assert_report_snapshot, finding_ids, images_dir, imgaudit_command,
    with_python_rules,
};

fn catalog() -> (PathBuf, Value) {
    let dir = images_dir();
    let text = std::fs::read_to_string(dir.join("images.json")).unwrap();
    (dir, serde_json::from_str(&text).unwrap())
}

/// Runs the binary with the [`shared_cache`], reading `stdin` from a file when given.
fn run(args: &[&str], stdin: Option<&Path>) -> Output {
    let stdin = match stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
        None => Stdio::null(),
    };
    imgaudit_command(args)
        .env("IMGAUDIT_CACHE_DIR", shared_cache())
        .stdin(stdin)
        .output()
        .unwrap()
}

/// One layer cache for this test run: never the user's, and shared, so that later tests read
/// what earlier ones cached (which must change nothing they see).
fn shared_cache() -> &'static Path {
    static CACHE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

fn json(args: &[&str], stdin: Option<&Path>) -> Value {
    let output = run(args, stdin);
    assert!(
        output.status.success(),
        "imgaudit {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The image argument for one export format, with the transport that names it explicitly.
fn argument(dir: &Path, image: &Value, format: &str) -> String {
    let path = dir.join(image["formats"][format].as_str().unwrap());
    let path = path.display();
    match format {
        "oci-gzip" | "oci-zstd" | "oci-plain" => {
            format!("oci:{path}:{}", image["ref"].as_str().unwrap())
        }
        "oci-archive" => format!("oci-archive:{path}:{}", image["ref"].as_str().unwrap()),
        _ => format!("docker-archive:{path}"),
    }
}

/// How many images an OCI layout directory's index.json lists (0 for anything else).
fn refs_in_layout(path: &Path) -> usize {
    std::fs::read_to_string(path.join("index.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|index| index["manifests"].as_array().map(Vec::len))
        .unwrap_or(0)
}

fn entries(listing: &Value) -> &Vec<Value> {
    listing["entries"].as_array().unwrap()
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn every_export_format_gives_the_same_tree() {
    let (dir, catalog) = catalog();
    for image in catalog["images"].as_array().unwrap() {
        let name = image["name"].as_str().unwrap();
        let formats: Vec<&String> = image["formats"].as_object().unwrap().keys().collect();
        let reference = json(
            &[
                "files",
                &argument(&dir, image, "oci-gzip"),
                "--format",
                "json",
            ],
            None,
        );
        assert!(
            entries(&reference).len() > 100,
            "{name}: suspiciously small tree"
        );
        for format in formats {
            let arg = argument(&dir, image, format);
            let listing = json(&["files", &arg, "--format", "json"], None);
            assert_eq!(
                entries(&listing),
                entries(&reference),
                "{name}: {format} differs from oci-gzip"
            );
            // Auto-detection of the bare path reads the same image, or, when the layout holds
            // several, asks which one.
            let bare = dir.join(image["formats"][format].as_str().unwrap());
            let bare = bare.display().to_string();
            let output = run(&["files", &bare, "--format", "json"], None);
            if refs_in_layout(Path::new(&bare)) > 1 {
                assert_eq!(output.status.code(), Some(2), "{name}: bare {format}");
                let message = String::from_utf8_lossy(&output.stderr);
                assert!(
                    message.contains(image["ref"].as_str().unwrap()),
                    "{message}"
                );
            } else {
                let listing = json(&["files", &bare, "--format", "json"], None);
                assert_eq!(
                    entries(&listing),
                    entries(&reference),
                    "{name}: bare {format}"
                );
            }
        }
        // `docker save | imgaudit files -` streams without spooling, and agrees.
        for format in ["docker-archive", "docker25"] {
            if let Some(path) = image["formats"][format].as_str() {
                let listing = json(&["files", "-", "--format", "json"], Some(&dir.join(path)));
                assert_eq!(
                    entries(&listing),
                    entries(&reference),
                    "{name}: {format} on stdin"
                );
            }
        }
    }
}

/// What `lstat` says of a path in umoci's unpacked rootfs, in imgaudit's terms.
fn host_entry(path: &Path) -> Value {
    let meta = std::fs::symlink_metadata(path).unwrap();
    let file_type = meta.file_type();
    let kind = if file_type.is_dir() {
        "dir"
    } else if file_type.is_symlink() {
        "symlink"
    } else if file_type.is_file() {
        "file"
    } else {
        "special"
    };
    let link_target = file_type
        .is_symlink()
        .then(|| escape(std::fs::read_link(path).unwrap().as_os_str()));
    serde_json::json!({
        "type": kind,
        "mode": format!("{:04o}", meta.permissions().mode() & 0o7777),
        "uid": meta.uid(),
        "gid": meta.gid(),
        "size": if file_type.is_file() { meta.size() } else { 0 },
        "link_target": link_target,
    })
}

/// Names as imgaudit prints them (the escaping is not what this test checks).
fn escape(name: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    imgaudit_layer::escape_bytes(name.as_bytes())
}

fn walk_host(root: &Path, dir: &Path, out: &mut BTreeMap<String, Value>) {
    for child in std::fs::read_dir(dir).unwrap() {
        let child = child.unwrap().path();
        let relative = format!("/{}", escape(child.strip_prefix(root).unwrap().as_os_str()));
        let entry = host_entry(&child);
        let is_dir = entry["type"] == "dir";
        out.insert(relative, entry);
        if is_dir {
            walk_host(root, &child, out);
        }
    }
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn the_tree_equals_what_umoci_unpacks() {
    let (dir, catalog) = catalog();
    let mut compared = 0;
    for image in catalog["images"].as_array().unwrap() {
        let Some(rootfs) = image["umoci_rootfs"].as_str() else {
            continue;
        };
        let name = image["name"].as_str().unwrap();
        let rootfs = dir.join(rootfs);
        let mut expected = BTreeMap::new();
        walk_host(&rootfs, &rootfs, &mut expected);
        let listing = json(
            &[
                "files",
                &argument(&dir, image, "oci-gzip"),
                "--format",
                "json",
            ],
            None,
        );
        let actual: BTreeMap<String, Value> = entries(&listing)
            .iter()
            .map(|e| {
                let fields = ["type", "mode", "uid", "gid", "size", "link_target"];
                let mut projected = serde_json::Map::new();
                for field in fields {
                    projected.insert(field.to_owned(), e[field].clone());
                }
                // Directory sizes are the host filesystem's, not the image's.
                if e["type"] == "dir" {
                    projected.insert("size".to_owned(), 0.into());
                }
                (
                    e["path"].as_str().unwrap().to_owned(),
                    Value::Object(projected),
                )
            })
            .collect();
        let only_umoci: Vec<_> = expected
            .keys()
            .filter(|k| !actual.contains_key(*k))
            .collect();
        let only_imgaudit: Vec<_> = actual
            .keys()
            .filter(|k| !expected.contains_key(*k))
            .collect();
        assert!(
            only_umoci.is_empty() && only_imgaudit.is_empty(),
            "{name}: paths only umoci has: {only_umoci:?}; only imgaudit has: {only_imgaudit:?}"
        );
        for (path, entry) in &expected {
            assert_eq!(&actual[path], entry, "{name}: {path}");
        }
        compared += expected.len();
    }
    assert!(compared > 1000, "compared only {compared} paths");
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn whiteouts_of_every_storage_driver_remove_the_marker() {
    let (dir, catalog) = catalog();
    for image in catalog["images"].as_array().unwrap() {
        let name = image["name"].as_str().unwrap();
        if name == "base" {
            continue;
        }
        let arg = argument(&dir, image, "oci-gzip");
        let removed = json(&["files", &arg, "--removed", "--format", "json"], None);
        let marker = removed["removed"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == "/usr/lib/python3.11/EXTERNALLY-MANAGED")
            .unwrap_or_else(|| panic!("{name}: the PEP 668 marker is not reported removed"));
        assert_eq!(marker["written_by_layer"], 0, "{name}");
        let inspection = json(&["inspect", &arg, "--format", "json"], None);
        let layer = usize::try_from(marker["removed_by_layer"].as_u64().unwrap()).unwrap();
        let created_by = inspection["layers"][layer]["created_by"]
            .as_str()
            .unwrap_or_default();
        assert!(
            created_by.contains("EXTERNALLY-MANAGED"),
            "{name}: layer {layer} was made by `{created_by}`"
        );
        let env = inspection["config"]["env"].as_array().unwrap();
        assert!(env.iter().any(|v| v == "PIP_NO_USER=1"), "{name}: {env:?}");
    }
    // A base without the removal keeps the marker, as a regular file owned by root.
    let base = catalog["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "base")
        .unwrap();
    let listing = json(
        &[
            "files",
            &argument(&dir, base, "oci-gzip"),
            "/usr/lib/python3.11/EXTERNALLY-MANAGED",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(entries(&listing).len(), 1);
    assert_eq!(entries(&listing)[0]["type"], "file");
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn multi_arch_indexes_and_multi_image_archives_select() {
    let (dir, catalog) = catalog();
    let multi = &catalog["multiarch"];
    let layout = format!(
        "oci:{}:{}",
        dir.join(multi["oci"].as_str().unwrap()).display(),
        multi["ref"].as_str().unwrap()
    );
    let default = json(&["inspect", &layout, "--format", "json"], None);
    assert_eq!(default["image"]["platform"], "linux/amd64");
    let arm = json(
        &[
            "inspect",
            &layout,
            "--platform",
            "linux/arm64",
            "--format",
            "json",
        ],
        None,
    );
    assert!(
        arm["image"]["platform"]
            .as_str()
            .unwrap()
            .starts_with("linux/arm64")
    );
    assert_ne!(
        arm["image"]["config_digest"],
        default["image"]["config_digest"]
    );
    let absent = run(&["inspect", &layout, "--platform", "linux/riscv64"], None);
    assert_eq!(absent.status.code(), Some(2));
    let message = String::from_utf8_lossy(&absent.stderr);
    assert!(
        message.contains("linux/amd64") && message.contains("linux/arm64"),
        "{message}"
    );

    let archive = &catalog["multi_image_archive"];
    let path = dir
        .join(archive["path"].as_str().unwrap())
        .display()
        .to_string();
    let bare = run(&["inspect", &path], None);
    assert_eq!(bare.status.code(), Some(2));
    let message = String::from_utf8_lossy(&bare.stderr);
    let mut configs = Vec::new();
    for tag in archive["tags"].as_array().unwrap() {
        let tag = tag.as_str().unwrap();
        assert!(message.contains(tag), "{tag} not listed in: {message}");
        let selected = json(
            &[
                "inspect",
                &format!("docker-archive:{path}:{tag}"),
                "--format",
                "json",
            ],
            None,
        );
        configs.push(selected["image"]["config_digest"].clone());
    }
    assert_ne!(configs[0], configs[1]);
}

/// The rule ids of the Python rules' findings on an image, sorted, with repeats.
fn python_rule_findings(image: &str) -> Vec<String> {
    let args = ["scan", "--format", "json", "--fail-on", "none", image];
    finding_ids(&json(&with_python_rules(&args), None))
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn python_rules_fire_exactly_where_the_fixtures_say() {
    // tests/real-images/python-rules/Dockerfile sets up each rule's hazard once (PIP001 three
    // times: Env, a conditional start-up file line, an XDG pip.conf); python-traps holds every
    // look-alike that must stay silent; hygiene has the PIP_NO_USER leak, a user site and the
    // removed marker.
    let (dir, catalog) = catalog();
    let fixture = |name: &str| {
        let path = catalog["python_fixtures"][name].as_str().unwrap();
        format!("oci:{}", dir.join(path).display())
    };
    // PIP005: python-rules' extra index sits beside pip's default public index.
    let expected_rules = [
        "PIP001", "PIP001", "PIP001", "PIP002", "PIP003", "PIP004", "PIP005", "PY001", "PY002",
        "PY003", "PY004", "PY005",
    ];
    assert_eq!(
        python_rule_findings(&fixture("python-rules")),
        expected_rules
    );
    assert_eq!(
        python_rule_findings(&fixture("python-traps")),
        Vec::<String>::new()
    );
    // The build gate: high and critical findings fail it by default, the traps pass.
    let status = |image: &str| {
        run(&with_python_rules(&["scan", image]), None)
            .status
            .code()
    };
    assert_eq!(status(&fixture("python-rules")), Some(1));
    assert_eq!(status(&fixture("python-traps")), Some(0));

    // The conditional start-up line is reported, with lower precision; the Env one is certain.
    let python_rules = fixture("python-rules");
    let args = [
        "scan",
        "--format",
        "json",
        "--fail-on",
        "none",
        &python_rules,
    ];
    let report = json(&with_python_rules(&args), None);
    let mut precisions: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "PIP001")
        .map(|f| {
            (
                f["evidence"]["source"].as_str().unwrap(),
                f["precision"].as_str().unwrap(),
            )
        })
        .collect();
    precisions.sort_unstable();
    assert_eq!(
        precisions,
        [
            ("env", "high"),
            ("pip_config", "high"),
            ("startup_file", "low")
        ]
    );

    // Every export of the hygiene image, from either storage driver, gives the same findings.
    for image in catalog["images"].as_array().unwrap() {
        let name = image["name"].as_str().unwrap();
        if name != "hygiene" && name != "hygiene-vfs" {
            continue;
        }
        for format in image["formats"].as_object().unwrap().keys() {
            assert_eq!(
                python_rule_findings(&argument(&dir, image, format)),
                ["PIP001", "PY001", "PY002"],
                "{name} {format}"
            );
        }
    }
}

/// The findings of the file hygiene rules (`--select FILE --select PKG`) on an image, as
/// `(rule id, evidence path)`, sorted.
fn file_rule_findings(image: &str) -> Vec<(String, String)> {
    let args = [
        "scan",
        "--format",
        "json",
        "--fail-on",
        "none",
        "--select",
        "FILE",
        "--select",
        "PKG",
        image,
    ];
    let mut found: Vec<(String, String)> = json(&args, None)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["evidence"]["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn file_rules_fire_exactly_where_the_fixtures_say() {
    // The Debian base ships su, passwd, mount, chfn... setuid, sticky /tmp and /var/tmp, and no
    // apt lists: none is a finding. The hygiene fixture adds `/opt/setuid` (chmod 4755, no
    // package): FILE001, in every export from either storage driver.
    let (dir, catalog) = catalog();
    for image in catalog["images"].as_array().unwrap() {
        let name = image["name"].as_str().unwrap();
        let expected: Vec<(String, String)> = match name {
            "base" => Vec::new(),
            "hygiene" | "hygiene-vfs" => vec![("FILE001".into(), "/opt/setuid".into())],
            _ => continue,
        };
        for format in image["formats"].as_object().unwrap().keys() {
            assert_eq!(
                file_rule_findings(&argument(&dir, image, format)),
                expected,
                "{name} {format}"
            );
        }
    }
    for fixture in ["python-rules", "python-traps"] {
        let path = catalog["python_fixtures"][fixture].as_str().unwrap();
        let image = format!("oci:{}", dir.join(path).display());
        assert_eq!(file_rule_findings(&image), Vec::new(), "{fixture}");
    }
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn the_index_token_of_the_fixture_is_never_printed() {
    let (dir, catalog) = catalog();
    let image = format!(
        "oci:{}",
        dir.join(catalog["python_fixtures"]["python-rules"].as_str().unwrap())
            .display()
    );
    for args in [
        vec!["scan", "--fail-on", "none", &image],
        vec!["scan", "--format", "json", "--fail-on", "none", &image],
        vec!["facts", &image],
        vec!["inspect", &image],
        vec!["inspect", "--format", "json", &image],
    ] {
        let output = run(&args, None);
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("ci-bot:****@"),
            "{args:?} does not show the masked URL"
        );
        assert!(
            !text.contains("hunter2-not-a-real-token"),
            "{args:?} printed the token"
        );
    }
}

/// Where the reports of the real images are kept for the SARIF Multitool that `ci/test.sh` runs
/// after these tests: `IMGAUDIT_REPORTS_OUT`, else a directory that is removed.
fn reports_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(dir) = std::env::var_os("IMGAUDIT_REPORTS_OUT") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        (dir, None)
    } else {
        let temp = tempfile::tempdir().unwrap();
        (temp.path().to_owned(), Some(temp))
    }
}

/// Digests and the images directory differ from one build of the fixtures to the next.
fn normalize(text: &str, images: &Path) -> String {
    let text = text.replace(&images.display().to_string(), "<images>");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("sha256:") {
        let digest = &rest[at + 7..];
        let hex = digest.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str(&rest[..at + 7]);
        if hex == 64 {
            out.push_str("<digest>");
            rest = &digest[64..];
        } else {
            rest = digest;
        }
    }
    out.push_str(rest);
    out
}

/// Runs a scan of `image` with the Python rules from the repository's root (so that the
/// Dockerfile's URI is the repository's path), writing every format into `out` as `NAME.*`.
fn scan_to_files(image: &str, dockerfile: Option<&str>, out: &Path, name: &str) -> (i32, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let outputs: Vec<String> = [
        ("json", "json"),
        ("sarif", "sarif"),
        ("codequality", "codequality.json"),
    ]
    .iter()
    .map(|(format, extension)| {
        format!(
            "{format}={}",
            out.join(format!("{name}.{extension}")).display()
        )
    })
    .collect();
    let mut args = vec!["scan", image, "--no-config", "--output", "text=-"];
    args.extend(PYTHON_RULES);
    for output in &outputs {
        args.extend(["--output", output.as_str()]);
    }
    if let Some(path) = dockerfile {
        args.extend(["--dockerfile", path]);
    }
    let output = imgaudit_command(&args).current_dir(&root).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.is_empty(), "{args:?}: {stderr}");
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

fn line_of(dockerfile: &str, starts_with: &str) -> u64 {
    let index = dockerfile
        .lines()
        .position(|line| line.starts_with(starts_with))
        .unwrap_or_else(|| panic!("no line starting with {starts_with}"));
    u64::try_from(index).unwrap() + 1
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn reports_point_at_the_dockerfile_and_match_their_snapshots() {
    let (dir, catalog) = catalog();
    let (out, _keep) = reports_dir();
    let fixture = |name: &str| {
        let path = catalog["python_fixtures"][name].as_str().unwrap();
        format!("oci:{}", dir.join(path).display())
    };
    let dockerfile_path = "tests/real-images/python-rules/Dockerfile";
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dockerfile = std::fs::read_to_string(root.join(dockerfile_path)).unwrap();
    let (status, text) = scan_to_files(
        &fixture("python-rules"),
        Some(dockerfile_path),
        &out,
        "python-rules",
    );
    assert_eq!(status, 1);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("python-rules.sarif")).unwrap())
            .unwrap();
    let run = &sarif["runs"][0];
    // The fixture's OCI layout names the image by tag only: the directory names it.
    assert_eq!(run["automationDetails"]["id"], "imgaudit/oci/");

    // Each finding on the line of the instruction that caused it.
    let mut located: Vec<(String, String, u64)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            let location = &result["locations"][0]["physicalLocation"];
            (
                result["ruleId"].as_str().unwrap().to_owned(),
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                location["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    located.sort();
    let at = |rule: &str, instruction: &str| {
        (
            rule.to_owned(),
            dockerfile_path.to_owned(),
            line_of(&dockerfile, instruction),
        )
    };
    let mut expected = vec![
        at("PIP001", "ENV PIP_NO_USER=1"),
        at("PIP001", "RUN printf 'if [ -n \"$CI\" ]"),
        at("PIP001", "RUN mkdir -p /etc/xdg/pip"),
        at("PIP002", "RUN printf 'export PIP_USER=enabled"),
        at("PIP003", "ENV PIP_BREAK_SYSTEM_PACKAGES=1"),
        at("PIP004", "ENV PIP_EXTRA_INDEX_URL="),
        at("PIP005", "ENV PIP_EXTRA_INDEX_URL="),
        at("PY001", "RUN rm /usr/lib/python3.11/EXTERNALLY-MANAGED"),
        at("PY002", "RUN pip install --user"),
        at("PY003", "RUN pip install --user"),
        at("PY004", "RUN pip install --no-index"),
        at("PY005", "ENV PIP_NO_USER=1"),
    ];
    expected.sort();
    assert_eq!(located, expected);

    let snapshots = "snapshots/real-images";
    assert_report_snapshot!(snapshots, "python-rules-text.txt", normalize(&text, &dir));
    for (file, snapshot) in [
        ("python-rules.sarif", "python-rules-sarif.sarif"),
        ("python-rules.json", "python-rules-json.json"),
    ] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(!text.contains("hunter2-not-a-real-token"), "{file}");
        assert_report_snapshot!(snapshots, snapshot, normalize(&text, &dir));
    }

    // The traps: a valid report with no results.
    let (status, _) = scan_to_files(&fixture("python-traps"), None, &out, "python-traps");
    assert_eq!(status, 0);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("python-traps.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"], Value::Array(vec![]));

    // Every export of the hygiene images: the same fingerprints whatever the format, and the
    // repository from the tag (`imgaudit-test/hygiene`) wherever the export keeps one.
    for image in catalog["images"].as_array().unwrap() {
        let name = image["name"].as_str().unwrap();
        if name != "hygiene" && name != "hygiene-vfs" {
            continue;
        }
        let dockerfile = "tests/real-images/hygiene/Dockerfile";
        let mut fingerprints_of_tagged = None;
        for format in image["formats"].as_object().unwrap().keys() {
            let report = format!("{name}-{format}");
            let (status, _) = scan_to_files(
                &argument(&dir, image, format),
                Some(dockerfile),
                &out,
                &report,
            );
            assert_eq!(status, 0, "{report}");
            let json: Value = serde_json::from_str(
                &std::fs::read_to_string(out.join(format!("{report}.json"))).unwrap(),
            )
            .unwrap();
            if json["image"]["repository"] != format!("imgaudit-test/{name}") {
                continue;
            }
            let mut fingerprints: Vec<&str> = json["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["fingerprint"].as_str().unwrap())
                .collect();
            fingerprints.sort_unstable();
            let fingerprints: Vec<String> = fingerprints.iter().map(|s| (*s).to_owned()).collect();
            match &fingerprints_of_tagged {
                None => fingerprints_of_tagged = Some(fingerprints),
                Some(first) => assert_eq!(first, &fingerprints, "{report}"),
            }
            assert!(
                json["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|f| f["dockerfile"]["file"] == dockerfile),
                "{report}: {json:#}"
            );
        }
        assert!(
            fingerprints_of_tagged.is_some(),
            "{name}: no export kept its tag"
        );
    }
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn cached_and_batched_audits_equal_fresh_ones_on_every_export() {
    let (dir, catalog) = catalog();
    let mut images = Vec::new();
    for image in catalog["images"].as_array().unwrap() {
        if !matches!(
            image["name"].as_str(),
            Some("python-rules" | "hygiene" | "base")
        ) {
            continue;
        }
        for format in image["formats"].as_object().unwrap().keys() {
            images.push(argument(&dir, image, format));
        }
    }
    assert!(images.len() >= 10, "{images:?}");
    let scan = [
        "scan",
        "--format",
        "json",
        "--fail-on",
        "none",
        "--no-config",
    ];
    let fresh: Vec<Value> = images
        .iter()
        .map(|image| {
            let mut args = scan.to_vec();
            args.extend([image.as_str(), "--no-cache"]);
            json(&args, None)
        })
        .collect();
    let cache = tempfile::tempdir().unwrap();
    for round in ["cold", "warm"] {
        let mut args = scan.to_vec();
        args.extend(images.iter().map(String::as_str));
        args.extend(["--cache-dir", cache.path().to_str().unwrap()]);
        let output = imgaudit_command(&args).output().unwrap();
        let table = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{round}: {table}");
        let lines: Vec<Value> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), images.len(), "{round}");
        for ((line, alone), image) in lines.iter().zip(&fresh).zip(&images) {
            // The same but for the SARIF category, which a batch gives each image.
            let mut line = line.clone();
            assert!(line["category"].as_str().unwrap().starts_with("imgaudit/"));
            line["category"] = alone["category"].clone();
            assert!(
                line == *alone,
                "{round}: {image}: the batch's report differs"
            );
        }
        let totals = table.lines().last().unwrap();
        if round == "warm" {
            assert!(totals.contains("layers: 0 read"), "{totals}");
        } else {
            // Cold, the layers had to be read (each compression of a layer is its own blob).
            assert!(!totals.contains("layers: 0 read"), "{totals}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The hygiene and secrets pack
// ---------------------------------------------------------------------------------------------

/// `--select` for the hygiene and secrets pack (IMG001, ACC*, FILE*, PKG001, SEC*), by id
/// prefix, so that the tests below see no rule of another pack.
const HYGIENE_AND_SECRETS_RULES: [&str; 10] = [
    "--select", "IMG", "--select", "ACC", "--select", "FILE", "--select", "PKG", "--select", "SEC",
];

/// Rules whose subject (the path or variable a report names) the issue does not fix: an account,
/// the runtime user, a history step. Their findings are compared by rule and Dockerfile line,
/// and their messages must name what they are about.
const RULES_WITHOUT_A_FIXED_SUBJECT: [&str; 4] = ["IMG001", "ACC001", "ACC002", "SEC005"];

/// Where a finding is: its rule, its subject's path (else its variable, else `*` for the rules
/// above) and the first line of the Dockerfile instruction it points at.
type Place = (String, String, Option<u64>);

/// Asserts that the findings of fixture `name` are at exactly the `expected` places.
fn assert_places(name: &str, findings: &[Value], expected: &std::collections::BTreeSet<Place>) {
    let actual: std::collections::BTreeSet<Place> = findings.iter().map(place).collect();
    let missing: Vec<&Place> = expected.difference(&actual).collect();
    let unexpected: Vec<&Place> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{name}: missing {missing:#?}\nunexpected {unexpected:#?}\n(rule, subject, Dockerfile \
         line) of every finding: {:#?}",
        findings.iter().map(place).collect::<Vec<_>>()
    );
}

fn place(finding: &Value) -> Place {
    let rule = finding["rule_id"].as_str().unwrap().to_owned();
    let subject = &finding["subject"];
    let what = if RULES_WITHOUT_A_FIXED_SUBJECT.contains(&rule.as_str()) {
        "*".to_owned()
    } else {
        subject["path"]
            .as_str()
            .or(subject["variable"].as_str())
            .unwrap_or("<no subject>")
            .to_owned()
    };
    (rule, what, finding["dockerfile"]["start_line"].as_u64())
}

/// The fixtures of the pack from `images.json`: `(oci argument, Dockerfile path in the
/// repository, keys directory if any)`.
fn pack_fixture(dir: &Path, catalog: &Value, name: &str) -> (String, String, Option<PathBuf>) {
    fixture_in(dir, catalog, "pack_fixtures", name)
}

/// A fixture of `images.json`'s `group` (`pack_fixtures`, `tool_fixtures`): `(oci argument,
/// Dockerfile path in the repository, keys directory if any)`.
fn fixture_in(
    dir: &Path,
    catalog: &Value,
    group: &str,
    name: &str,
) -> (String, String, Option<PathBuf>) {
    let fixture = &catalog[group][name];
    assert!(
        fixture.is_object(),
        "images.json has no {group} fixture {name}: rebuild with tests/real-images/build.sh"
    );
    (
        format!(
            "oci:{}",
            dir.join(fixture["oci"].as_str().unwrap()).display()
        ),
        fixture["dockerfile"].as_str().unwrap().to_owned(),
        fixture["keys"].as_str().map(|keys| dir.join(keys)),
    )
}

/// Scans `image` with the pack from the repository's root, with `--dockerfile`, writing JSON,
/// SARIF and Code Quality reports into `out` as `NAME.*` and the text report to stdout. Returns
/// the process output and the JSON report.
fn scan_with_pack(image: &str, dockerfile: &str, out: &Path, name: &str) -> (Output, Value) {
    scan_fixture(image, dockerfile, out, name, &HYGIENE_AND_SECRETS_RULES)
}

/// [`scan_with_pack`] with the rules `select` chooses.
fn scan_fixture(
    image: &str,
    dockerfile: &str,
    out: &Path,
    name: &str,
    select: &[&str],
) -> (Output, Value) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let report = |extension: &str| {
        out.join(format!("{name}.{extension}"))
            .display()
            .to_string()
    };
    let outputs = [
        format!("json={}", report("json")),
        format!("sarif={}", report("sarif")),
        format!("codequality={}", report("codequality.json")),
    ];
    let mut args = vec![
        "scan",
        image,
        "--no-config",
        "--dockerfile",
        dockerfile,
        "--output",
        "text=-",
    ];
    args.extend(select);
    for output in &outputs {
        args.extend(["--output", output.as_str()]);
    }
    let output = imgaudit_command(&args)
        .current_dir(&root)
        .env("IMGAUDIT_CACHE_DIR", shared_cache())
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = std::fs::read_to_string(report("json")).unwrap();
    (output, serde_json::from_str(&json).unwrap())
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn hygiene_and_secrets_rules_fire_exactly_where_the_fixture_says() {
    // tests/real-images/secrets-hygiene/Dockerfile: each rule's hazard at one step, with the
    // look-alikes the issue lists beside it (certificates, a CA bundle, public keys, a README
    // quoting a key header, an empty Docker `auths`, GPG_KEY, *_SHA256, *_FILE, $VAR, the
    // distribution's setuid programs, sticky directories, a symbolic link).
    let (dir, catalog) = catalog();
    let (image, dockerfile_path, _) = pack_fixture(&dir, &catalog, "secrets-hygiene");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dockerfile = std::fs::read_to_string(root.join(&dockerfile_path)).unwrap();
    let (out, _keep) = reports_dir();
    let (output, report) = scan_with_pack(&image, &dockerfile_path, &out, "secrets-hygiene");

    let at = |rule: &str, what: &str, instruction: &str| -> Place {
        (
            rule.to_owned(),
            what.to_owned(),
            Some(line_of(&dockerfile, instruction)),
        )
    };
    let expected: std::collections::BTreeSet<Place> = [
        at("SEC001", "/root/.ssh/id_rsa", "COPY keys/ssh/"),
        at("SEC001", "/etc/ssl/fixture/server.key", "COPY keys/tls/"),
        at("SEC002", "/root/.docker/config.json", "COPY root-home/"),
        at("SEC002", "/root/.npmrc", "COPY root-home/"),
        at("SEC002", "/root/.pypirc", "COPY root-home/"),
        at("SEC002", "/root/.netrc", "COPY root-home/"),
        at("SEC002", "/root/.git-credentials", "COPY root-home/"),
        at("SEC002", "/root/.aws/credentials", "COPY root-home/"),
        at("SEC002", "/root/.kube/config", "COPY root-home/"),
        at("FILE003", "/app/.git", "COPY app/"),
        at("FILE003", "/app/.env", "COPY app/"),
        // The layer that holds the key is the one to rebuild: the step that added it.
        at("SEC004", "/opt/build/deploy_key", "RUN --mount=type=bind"),
        at("ACC001", "*", "RUN useradd --non-unique --uid 0"),
        at("ACC002", "*", "RUN useradd --non-unique --uid 0"),
        at("FILE001", "/usr/bin/find", "RUN chmod u+s /usr/bin/find"),
        at(
            "FILE001",
            "/usr/local/bin/fixture-escalate",
            "RUN cp /bin/true",
        ),
        at("FILE002", "/srv/shared", "RUN mkdir -p /srv/shared"),
        at("FILE002", "/srv/app.log", "RUN mkdir -p /srv/shared"),
        at("PKG001", "/root/.cache/pip", "RUN pip install"),
        at("SEC005", "*", "RUN if false; then curl -u"),
        at("SEC005", "*", "RUN test -n \"$TOKEN\""),
        at("SEC003", "GITHUB_TOKEN", "ENV GITHUB_TOKEN="),
        at("IMG001", "*", "USER toor"),
    ]
    .into_iter()
    .collect();
    let findings = report["findings"].as_array().unwrap();
    assert_places("secrets-hygiene", findings, &expected);

    // The findings whose subject is not a path or variable say what they are about.
    let messages = |rule: &str| -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| f["message"].as_str().unwrap())
            .collect()
    };
    for (rule, names) in [
        ("IMG001", &["toor"][..]),
        ("ACC001", &["guest"][..]),
        ("ACC002", &["toor"][..]),
    ] {
        for message in messages(rule) {
            for name in names {
                assert!(message.contains(name), "{rule}: `{name}` not in: {message}");
            }
        }
    }
    assert!(
        messages("SEC005").iter().any(|m| m.contains("TOKEN")),
        "no SEC005 message names the build argument TOKEN: {:?}",
        messages("SEC005")
    );
    // PKG001 says how much the cache holds (pip's wheel of six: tens of kilobytes).
    assert!(
        messages("PKG001").iter().all(|m| m.contains("bytes")
            || m.contains("KB")
            || m.contains("kB")
            || m.contains("KiB")),
        "PKG001 does not say how many bytes: {:?}",
        messages("PKG001")
    );

    // Keys and credentials are critical or high: the default gate fails the build.
    assert_eq!(output.status.code(), Some(1));
    for finding in findings {
        let rule = finding["rule_id"].as_str().unwrap();
        if matches!(rule, "SEC001" | "SEC002" | "SEC003" | "SEC004" | "SEC005") {
            assert!(
                matches!(finding["severity"].as_str(), Some("critical" | "high")),
                "{rule} is {}",
                finding["severity"]
            );
        }
    }

    // Every rule of the pack is described in the SARIF run, its results on the same lines.
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("secrets-hygiene.sarif")).unwrap())
            .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for result in results {
        let region = &result["locations"][0]["physicalLocation"];
        assert_eq!(region["artifactLocation"]["uri"], dockerfile_path.as_str());
    }
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn a_carefully_built_image_gets_no_hygiene_or_secrets_finding() {
    // tests/real-images/hygiene-clean/Dockerfile: a non-root user with a locked password, a venv
    // installed with --no-cache-dir from a bind mount, an .npmrc reading ${NPM_TOKEN}, *_FILE,
    // *_SHA256 and version variables.
    let (dir, catalog) = catalog();
    let (image, dockerfile, _) = pack_fixture(&dir, &catalog, "hygiene-clean");
    let (out, _keep) = reports_dir();
    let (output, report) = scan_with_pack(&image, &dockerfile, &out, "hygiene-clean");
    let places: Vec<Place> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(place)
        .collect();
    assert_eq!(places, Vec::<Place>::new(), "hygiene-clean");
    assert_eq!(output.status.code(), Some(0));
}

/// The pack's findings on an image, sorted: each finding's rule id and subject (its path, else
/// its variable; none for the rules whose subject the issue does not fix).
fn pack_findings(image: &str) -> Vec<(String, Option<String>)> {
    let mut args = vec![
        "scan",
        "--format",
        "json",
        "--fail-on",
        "none",
        "--no-config",
        image,
    ];
    args.extend(HYGIENE_AND_SECRETS_RULES);
    let report = json(&args, None);
    let mut found: Vec<(String, Option<String>)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let rule = f["rule_id"].as_str().unwrap().to_owned();
            let subject = &f["subject"];
            let what = subject["path"]
                .as_str()
                .or(subject["variable"].as_str())
                .filter(|_| !RULES_WITHOUT_A_FIXED_SUBJECT.contains(&rule.as_str()))
                .map(str::to_owned);
            (rule, what)
        })
        .collect();
    found.sort();
    found
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn the_earlier_real_images_gain_only_root_their_setuid_file_and_their_index_token() {
    // The base, python-rules and python-traps images run as root (no USER); the hygiene images
    // run as 1234:5678 and hold one setuid file that no package installed (/opt/setuid);
    // python-rules' Env holds an index URL with a (fake) password, which PIP004 reports too: a
    // credential in the Env is SEC003's. Nothing else in them is a hygiene or secrets finding:
    // the distribution's setuid programs, /tmp and /var/tmp, pip's vendored CA bundle, the
    // base's CA certificates.
    let (dir, catalog) = catalog();
    let root = ("IMG001".to_owned(), None);
    for (name, expected) in [
        (
            "python-rules",
            vec![
                root.clone(),
                ("SEC003".to_owned(), Some("PIP_EXTRA_INDEX_URL".to_owned())),
            ],
        ),
        ("python-traps", vec![root.clone()]),
    ] {
        let path = catalog["python_fixtures"][name].as_str().unwrap();
        let image = format!("oci:{}", dir.join(path).display());
        assert_eq!(pack_findings(&image), expected, "{name}");
    }
    let setuid = vec![("FILE001".to_owned(), Some("/opt/setuid".to_owned()))];
    let mut checked = 0;
    for image in catalog["images"].as_array().unwrap() {
        let name = image["name"].as_str().unwrap();
        let found = pack_findings(&argument(&dir, image, "oci-gzip"));
        match name {
            "base" => assert_eq!(found, vec![root.clone()], "{name}"),
            "hygiene" | "hygiene-vfs" | "umoci-edit" => assert_eq!(found, setuid, "{name}"),
            other => panic!("images.json lists an image this test does not know: {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// Every fake credential of tests/real-images/secrets-hygiene, as planted (and, for Docker's
/// `auth`, decoded), and the key material of the keys build.sh generated: every full body line
/// of each private key (the last may be short), but the first of an OpenSSH key, which every
/// OpenSSH key without a passphrase shares.
fn planted_secrets(keys: &Path) -> Vec<String> {
    let mut secrets: Vec<String> = [
        "Y2ktYm90OmRja3JfcGF0X0ZpeHR1cmVEb2NrZXJDb25maWdBdXRoMDEyMw==",
        "dckr_pat_FixtureDockerConfigAuth0123",
        "npm_FixtureNpmrcAuthToken0123456789abcde",
        "pypi-AgEIcHlwaS5pbnRlcm5hbC5leGFtcGxlFixturePypircToken0123456789abcdef",
        "netrc-fixture-password-3e1d",
        "ghp_FixtureGitCredentials0123456789abcde",
        "AKIAZZFAKEFIXTUREAWS",
        "FixtureAwsSecretAccessKey0123456789abcde",
        "Rml4dHVyZUt1YmVjb25maWdTaWduYXR1cmU",
        "ghp_FixtureEnvGithubToken0123456789abcde",
        "glpat-FixtureBuildArgTok01",
        "FixtureCurlPassw0rd-4c2a",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut key_lines = 0;
    for key in ["ssh/id_rsa", "tls/server.key", "deploy/deploy_key"] {
        let text = std::fs::read_to_string(keys.join(key)).unwrap();
        let body: Vec<&str> = text
            .lines()
            .filter(|line| !line.starts_with("-----") && line.len() >= 32)
            .collect();
        assert!(body.len() >= 2, "{key}: too short a key to check");
        let first = usize::from(text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        for line in &body[first..body.len() - 1] {
            secrets.push((*line).to_owned());
            key_lines += 1;
        }
    }
    assert!(key_lines > 20, "only {key_lines} key lines to look for");
    secrets
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn no_fake_secret_of_the_fixture_appears_in_any_output() {
    let (dir, catalog) = catalog();
    let (image, dockerfile, keys) = pack_fixture(&dir, &catalog, "secrets-hygiene");
    let secrets = planted_secrets(&keys.expect("images.json names the fixture's keys"));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secret_in_any_output(&image, &dockerfile, &secrets);
}

/// Runs every command that prints something of `image` (a scan with every rule in every report
/// format, `facts`, `inspect`, `files`) and asserts none of `secrets` appears in what it wrote.
fn assert_no_secret_in_any_output(image: &str, dockerfile: &str, secrets: &[&str]) {
    let image = image.to_owned();
    let dockerfile = dockerfile.to_owned();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");

    // Every report format of a scan with every rule, and the commands that print facts.
    let reports = tempfile::tempdir().unwrap();
    let report = |name: &str| reports.path().join(name).display().to_string();
    let scan_outputs = [
        format!("json={}", report("scan.json")),
        format!("sarif={}", report("scan.sarif")),
        format!("codequality={}", report("scan.codequality.json")),
        format!("text={}", report("scan.txt")),
    ];
    let mut scan = vec!["scan", &image, "--no-config", "--dockerfile", &dockerfile];
    for output in &scan_outputs {
        scan.extend(["--output", output.as_str()]);
    }
    let runs: Vec<Vec<&str>> = vec![
        scan,
        vec!["scan", &image, "--no-config", "--fail-on", "none"],
        vec![
            "scan",
            &image,
            "--no-config",
            "--fail-on",
            "none",
            "--format",
            "json",
        ],
        vec!["facts", &image],
        vec!["inspect", &image],
        vec!["inspect", &image, "--format", "json"],
        vec!["files", &image, "--removed", "--format", "json"],
    ];
    for args in runs {
        let output = imgaudit_command(&args)
            .current_dir(&root)
            .env("IMGAUDIT_CACHE_DIR", shared_cache())
            .output()
            .unwrap();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let written = common::everything_written(&output, Some(reports.path()));
        common::assert_no_secret(&format!("{args:?}"), &written, secrets);
    }
}

/// The Python-tools rules: uv's, poetry's and pipenv's packs and pip's index rules.
const PYTHON_TOOLS_RULES: [&str; 10] = [
    "--select", "uv", "--select", "poetry", "--select", "pipenv", "--select", "PIP005", "--select",
    "PIP006",
];

/// The credentials tests/real-images/python-tools plants.
const PLANTED_TOOL_SECRETS: [&str; 2] = ["Planted-uv-Secret-0123", "Planted-Poetry-Secret-0456"];

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn python_tools_rules_fire_exactly_where_the_fixture_says() {
    // tests/real-images/python-tools/Dockerfile: real uv, poetry and pipenv releases, each rule's
    // hazard at one step (the poetry password written by `poetry config` itself).
    let (dir, catalog) = catalog();
    let (image, dockerfile_path, _) = fixture_in(&dir, &catalog, "tool_fixtures", "python-tools");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dockerfile = std::fs::read_to_string(root.join(&dockerfile_path)).unwrap();
    let (out, _keep) = reports_dir();
    let (output, report) = scan_fixture(
        &image,
        &dockerfile_path,
        &out,
        "python-tools",
        &PYTHON_TOOLS_RULES,
    );
    let at = |rule: &str, what: &str, instruction: &str| -> Place {
        (
            rule.to_owned(),
            what.to_owned(),
            Some(line_of(&dockerfile, instruction)),
        )
    };
    let expected: std::collections::BTreeSet<Place> = [
        at("UV001", "UV_SYSTEM_PYTHON", "ENV UV_SYSTEM_PYTHON=1"),
        at("UV002", "/etc/uv/uv.toml", "RUN mkdir -p /etc/uv"),
        at("UV003", "UV_INDEX_URL", "ENV UV_INDEX_URL="),
        at("PIP005", "UV_INDEX_STRATEGY", "ENV UV_INDEX_STRATEGY="),
        at(
            "PIP005",
            "/etc/pip.conf",
            "RUN printf '[global]\\nextra-index-url",
        ),
        at("PIP006", "PIP_TRUSTED_HOST", "ENV PIP_TRUSTED_HOST="),
        at("PIP006", "UV_EXTRA_INDEX_URL", "ENV UV_EXTRA_INDEX_URL="),
        at(
            "POETRY001",
            "POETRY_VIRTUALENVS_CREATE",
            "ENV POETRY_VIRTUALENVS_CREATE=false",
        ),
        at(
            "POETRY002",
            "/root/.config/pypoetry/auth.toml",
            "RUN POETRY_KEYRING_ENABLED=false poetry config",
        ),
        at("PIPENV001", "PIPENV_SYSTEM", "ENV PIPENV_SYSTEM=1"),
    ]
    .into_iter()
    .collect();
    let findings = report["findings"].as_array().unwrap();
    assert_places("python-tools", findings, &expected);
    assert_eq!(output.status.code(), Some(1));
    assert_no_secret_in_any_output(&image, &dockerfile_path, &PLANTED_TOOL_SECRETS);
}

#[test]
#[ignore = "needs real images: run ci/test.sh (or set IMGAUDIT_REAL_IMAGES)"]
fn python_tools_traps_stay_quiet() {
    // tests/real-images/python-tools-traps/Dockerfile: false values, a uv project environment
    // that is a venv uv made, a uv.toml uv does not read, an extra index on the index's host,
    // plain http to localhost, a poetry user name.
    let (dir, catalog) = catalog();
    let (image, dockerfile, _) = fixture_in(&dir, &catalog, "tool_fixtures", "python-tools-traps");
    let (out, _keep) = reports_dir();
    let (output, report) = scan_fixture(
        &image,
        &dockerfile,
        &out,
        "python-tools-traps",
        &PYTHON_TOOLS_RULES,
    );
    let places: Vec<Place> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(place)
        .collect();
    assert_eq!(places, Vec::<Place>::new(), "python-tools-traps");
    assert_eq!(output.status.code(), Some(0));
}
