//! The layer cache and batch scans, end to end: what a warm cache changes (nothing in any
//! report, only what is read), what it never lets through, and many images in one run.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use imgaudit_testkit::{LayerBuilder, example_image};
use serde_json::Value;

use common::{
    fails, finding_ids, imgaudit_command, run as imgaudit, stderr, stdout, stdout_of_audit,
    with_python_rules, write_layout,
};

/// Every command of these tests runs with this cache directory unless it says otherwise.
fn with_cache<'a>(cache: &'a Path, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--cache-dir", cache.to_str().unwrap()]);
    all
}

/// The cache's entries: (layer indexes, trees of layer chains, images' facts).
fn cache_entries(cache: &Path) -> (u64, u64, u64) {
    let info: Value = serde_json::from_str(&stdout_of_audit(&with_cache(
        cache,
        &["cache", "info", "--format", "json"],
    )))
    .unwrap();
    let count = |key: &str| info[key].as_u64().unwrap();
    assert_eq!(
        count("entries"),
        count("layers") + count("trees") + count("documents")
    );
    (count("layers"), count("trees"), count("documents"))
}

fn entry_files(cache: &Path) -> Vec<PathBuf> {
    fs::read_dir(cache.join("layers-v1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

/// The layer blob files of a layout, bottom layer first.
fn layer_blobs(layout_arg: &str) -> Vec<PathBuf> {
    let dir = Path::new(
        layout_arg
            .strip_prefix("oci:")
            .unwrap()
            .rsplit_once(':')
            .unwrap()
            .0,
    );
    let index: Value = serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    let blob = |digest: &str| {
        dir.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let manifest: Value = serde_json::from_slice(
        &fs::read(blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| blob(l["digest"].as_str().unwrap()))
        .collect()
}

/// A temporary directory (dropped last) holding the example image's layout and a cache path.
fn example_with_cache() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let image = write_layout(dir.path(), "example", &example_image());
    (dir, cache, image)
}

#[test]
fn a_warm_cache_changes_no_report_and_reads_no_blob() {
    let (_dir, cache, image) = example_with_cache();
    let cold_json = stdout_of_audit(&with_cache(&cache, &["scan", &image, "--format", "json"]));
    assert_eq!(cache_entries(&cache), (3, 2, 1));
    let warm_json = stdout_of_audit(&with_cache(&cache, &["scan", &image, "--format", "json"]));
    assert_eq!(warm_json, cold_json);
    assert_eq!(
        stdout_of_audit(&["scan", &image, "--format", "json", "--no-cache"]),
        cold_json
    );
    for format in ["sarif", "text", "codequality"] {
        assert_eq!(
            stdout_of_audit(&with_cache(&cache, &["scan", &image, "--format", format])),
            stdout_of_audit(&["scan", &image, "--format", format, "--no-cache"]),
            "{format}"
        );
    }

    // Proof that nothing was read: with every blob emptied, the warm audit is unchanged, while
    // one without the cache sees the damage. The manifest still names the same content, so the
    // cached audit is the audit of the image it names.
    for blob in layer_blobs(&image) {
        fs::write(blob, b"").unwrap();
    }
    assert_eq!(
        stdout_of_audit(&with_cache(&cache, &["scan", &image, "--format", "json"])),
        cold_json
    );
    let output = imgaudit(&["scan", &image, "--no-cache"], None);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    // An emptied blob is refused by its size, before it is read.
    assert!(
        stderr(&output).contains("is 0 bytes, but its descriptor says"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_changed_layer_is_read_and_its_findings_reported() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let original = example_image();
    let first = write_layout(dir.path(), "v1", &original);
    stdout_of_audit(&with_cache(&cache, &["scan", &first]));
    // The rebuild changes the top layer: a pip.conf that forces user installs.
    let mut rebuilt = original.clone();
    let top = rebuilt.layers.len() - 1;
    rebuilt.layers[top] = LayerBuilder::new()
        .dir("etc")
        .file("etc/pip.conf", b"[install]\nuser = true\n")
        .finish();
    let second = write_layout(dir.path(), "v2", &rebuilt);
    let warm = stdout_of_audit(&with_cache(&cache, &["scan", &second, "--format", "json"]));
    let cold = stdout_of_audit(&["scan", &second, "--format", "json", "--no-cache"]);
    assert_eq!(warm, cold);
    let before = stdout_of_audit(&with_cache(&cache, &["scan", &first, "--format", "json"]));
    let ids = |report: &str| finding_ids(&serde_json::from_str(report).unwrap());
    assert_ne!(
        ids(&warm),
        ids(&before),
        "the changed layer made no difference"
    );
    assert!(warm.contains("pip.conf"), "{warm}");
    assert_eq!(cache_entries(&cache), (4, 3, 2));
}

#[test]
fn damaged_entries_are_discarded_rebuilt_and_said() {
    let (_dir, cache, image) = example_with_cache();
    let expected = stdout_of_audit(&["inspect", &image, "--format", "json", "--no-cache"]);
    stdout_of_audit(&with_cache(&cache, &["inspect", &image]));
    for (n, path) in entry_files(&cache).into_iter().enumerate() {
        let mut bytes = fs::read(&path).unwrap();
        match n {
            0 => bytes.truncate(bytes.len() / 2),
            1 => *bytes.last_mut().unwrap() ^= 0x01,
            _ => bytes[70] ^= 0x80,
        }
        fs::write(&path, bytes).unwrap();
    }
    let output = imgaudit(
        &with_cache(&cache, &["inspect", &image, "--format", "json"]),
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let mut report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let notes = report["notes"].as_array().unwrap().clone();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.as_str().unwrap().contains("was damaged"))
            .count(),
        3,
        "{notes:?}"
    );
    report["notes"] = Value::Array(Vec::new());
    let mut clean: Value = serde_json::from_str(&expected).unwrap();
    clean["notes"] = Value::Array(Vec::new());
    assert_eq!(report, clean);
    // Rebuilt: the next run uses them without a word.
    let again: Value = serde_json::from_str(&stdout_of_audit(&with_cache(
        &cache,
        &["inspect", &image, "--format", "json"],
    )))
    .unwrap();
    assert_eq!(again, serde_json::from_str::<Value>(&expected).unwrap());
}

#[test]
fn what_is_captured_is_part_of_the_key() {
    let (_dir, cache, image) = example_with_cache();
    // `inspect` captures no file; `scan` needs file contents: its layers are not inspect's.
    stdout_of_audit(&with_cache(&cache, &["inspect", &image]));
    assert_eq!(
        stdout_of_audit(&with_cache(&cache, &["scan", &image, "--format", "json"])),
        stdout_of_audit(&["scan", &image, "--format", "json", "--no-cache"])
    );
    assert_eq!(cache_entries(&cache), (6, 4, 1));
}

#[test]
fn a_file_the_config_points_at_is_captured_from_shared_layers() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let mut plain = example_image();
    plain.layers[0] = LayerBuilder::new()
        .file("etc/bash_env", b"export PIP_USER=1\n")
        .finish();
    let mut pointing = plain.clone();
    pointing.env.push("BASH_ENV=/etc/bash_env".to_owned());
    let plain = write_layout(dir.path(), "plain", &plain);
    let pointing = write_layout(dir.path(), "pointing", &pointing);
    // The shared layers are cached by the image that does not point at the file ...
    stdout_of_audit(&with_cache(&cache, &["scan", &plain]));
    // ... and the image that does still sees its content, cached or not.
    let cold = stdout_of_audit(&["facts", &pointing, "--no-cache"]);
    assert!(cold.contains("PIP_USER"), "{cold}");
    assert_eq!(
        stdout_of_audit(&with_cache(&cache, &["facts", &pointing])),
        cold
    );
    assert_eq!(
        stdout_of_audit(&with_cache(&cache, &["facts", &pointing])),
        cold
    );
    assert_eq!(
        stdout_of_audit(&with_cache(&cache, &["facts", &plain])),
        stdout_of_audit(&["facts", &plain, "--no-cache"])
    );
}

#[test]
fn caps_refuse_a_cached_image_as_they_refuse_a_read_one() {
    let (_dir, cache, image) = example_with_cache();
    stdout_of_audit(&with_cache(&cache, &["inspect", &image]));
    for cap in [["--max-entries", "3"], ["--max-uncompressed-bytes", "1000"]] {
        let cold = imgaudit(&["inspect", &image, "--no-cache", cap[0], cap[1]], None);
        let warm = imgaudit(
            &with_cache(&cache, &["inspect", &image, cap[0], cap[1]]),
            None,
        );
        assert_eq!(cold.status.code(), Some(2));
        assert_eq!(
            warm.status.code(),
            Some(2),
            "{cap:?} let a cached image through"
        );
        assert!(stderr(&warm).contains("cap"), "{}", stderr(&warm));
    }
}

#[test]
fn the_capture_cap_refuses_a_cached_image_as_it_refuses_a_read_one() {
    let (_dir, cache, image) = example_with_cache();
    stdout_of_audit(&with_cache(&cache, &["scan", &image]));
    let capped = ["--max-captured-bytes", "10"];
    let cold = imgaudit(&["scan", &image, "--no-cache", capped[0], capped[1]], None);
    let warm = imgaudit(
        &with_cache(&cache, &["scan", &image, capped[0], capped[1]]),
        None,
    );
    for (run, output) in [("cold", &cold), ("warm", &warm)] {
        assert_eq!(output.status.code(), Some(2), "{run}: {}", stderr(output));
        assert!(
            stderr(output).contains("captured") && stderr(output).contains("more than 10 bytes"),
            "{run}: {}",
            stderr(output)
        );
    }
}

#[test]
fn concurrent_runs_share_one_cache() {
    let (_dir, cache, image) = example_with_cache();
    let expected = stdout_of_audit(&["scan", &image, "--format", "json", "--no-cache"]);
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let args = with_cache(&cache, &["scan", &image, "--format", "json"]);
                scope.spawn(move || imgaudit(&args, None))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for output in &outputs {
        assert_eq!(stdout(output), expected, "{}", stderr(output));
        assert!(stderr(output).is_empty(), "{}", stderr(output));
    }
    assert_eq!(cache_entries(&cache), (3, 2, 1));
    assert_eq!(fs::read_dir(cache.join("tmp")).unwrap().count(), 0);
}

#[test]
fn cache_info_prune_and_bad_settings() {
    let (dir, cache, image) = example_with_cache();
    stdout_of_audit(&with_cache(&cache, &["inspect", &image]));
    let text = stdout_of_audit(&with_cache(&cache, &["cache", "info"]));
    assert!(text.contains("3 layers, 2 trees of layer chains"), "{text}");
    assert!(text.contains(cache.to_str().unwrap()), "{text}");
    let pruned = stdout_of_audit(&with_cache(&cache, &["cache", "prune", "--max-size", "1"]));
    assert!(pruned.starts_with("removed 5 entries"), "{pruned}");
    assert_eq!(cache_entries(&cache), (0, 0, 0));
    stdout_of_audit(&with_cache(&cache, &["inspect", &image]));
    stdout_of_audit(&with_cache(&cache, &["cache", "prune", "--all"]));
    assert_eq!(cache_entries(&cache), (0, 0, 0));
    // The cap is enforced on writes: a tiny cap keeps only the newest entry.
    stdout_of_audit(&with_cache(
        &cache,
        &["inspect", &image, "--jobs", "1", "--cache-max-size", "1"],
    ));
    assert_eq!(cache_entries(&cache), (0, 1, 0));

    let file = dir.path().join("a-file");
    fs::write(&file, b"").unwrap();
    let message = fails(
        &["inspect", &image, "--cache-dir", file.to_str().unwrap()],
        None,
        &[file.to_str().unwrap(), "layer cache"],
    );
    assert!(message.contains("cannot create"), "{message}");
    fails(
        &["inspect", &image, "--cache-max-size", "lots"],
        None,
        &["lots", "size"],
    );
    fails(
        &["cache", "prune", "--unused-for", "7 weeks"],
        None,
        &["7 weeks", "duration"],
    );
}

#[test]
fn the_default_cache_follows_xdg() {
    let dir = tempfile::tempdir().unwrap();
    let image = write_layout(dir.path(), "example", &example_image());
    let home = dir.path().join("home");
    let xdg = dir.path().join("xdg");
    let run = |envs: &[(&str, &Path)]| {
        let mut command = imgaudit_command(&["inspect", &image]);
        command.env_clear();
        for (name, value) in envs {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(output.stderr.is_empty(), "{}", stderr(&output));
    };
    run(&[("HOME", &home)]);
    assert_eq!(entry_files(&home.join(".cache/imgaudit")).len(), 3);
    run(&[("HOME", &home), ("XDG_CACHE_HOME", &xdg)]);
    assert_eq!(entry_files(&xdg.join("imgaudit")).len(), 3);
    assert!(xdg.join("imgaudit/CACHEDIR.TAG").is_file());
    // An unusable default directory is not worth failing an audit for.
    let blocked = dir.path().join("blocked");
    fs::write(&blocked, b"").unwrap();
    let output = imgaudit_command(&["inspect", &image])
        .env_clear()
        .env("XDG_CACHE_HOME", &blocked)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("without the layer cache"),
        "{}",
        stderr(&output)
    );
}

/// A batch's report for `image` is exactly what a scan of the image alone reports (with the
/// batch's gate and rules), but for the SARIF category, which names the image in the batch.
fn assert_is_alone_report(batch: &Value, image: &str) {
    let mut alone: Value = serde_json::from_str(&stdout_of_audit(&with_python_rules(&[
        "scan",
        image,
        "--format",
        "json",
        "--no-cache",
        "--fail-on",
        "medium",
    ])))
    .unwrap();
    alone["category"] = batch["category"].clone();
    assert!(
        *batch == alone,
        "{image}: the batch's report is not the image's own"
    );
}

/// Three images, two sharing their base layers, and one that cannot be read.
fn fleet(dir: &Path) -> (String, String, String, String) {
    let example = example_image();
    let mut clean = example.clone();
    clean.layers.truncate(1);
    clean.env.retain(|e| !e.starts_with("PIP_"));
    clean.history = None;
    let mut sibling = example.clone();
    sibling.layers[2] = LayerBuilder::new()
        .file("srv/app.py", b"print(1)\n")
        .finish();
    (
        write_layout(dir, "example", &example),
        write_layout(dir, "clean", &clean),
        write_layout(dir, "sibling", &sibling),
        format!("oci:{}:latest", dir.join("missing").display()),
    )
}

#[test]
fn a_batch_writes_a_report_per_image_and_goes_on_after_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (example, clean, sibling, missing) = fleet(dir.path());
    let reports = dir.path().join("reports");
    let sarif = format!("sarif={}/{{image}}.sarif", reports.display());
    let json = format!("json={}/{{image}}.json", reports.display());
    // The gate and the table depend on the rules: the Python ones only.
    let output = imgaudit(
        &with_python_rules(&with_cache(
            &cache,
            &[
                "scan",
                &example,
                &clean,
                &missing,
                &sibling,
                "-o",
                &sarif,
                "-o",
                &json,
                "--fail-on",
                "medium",
            ],
        )),
        None,
    );
    let table = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{table}{}", stderr(&output));
    assert!(stderr(&output).contains("missing"), "{}", stderr(&output));
    let mut written: Vec<String> = fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written.len(), 6, "{written:?}");
    for image in [&example, &clean, &sibling] {
        let name = image
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>();
        let squeezed = name
            .split('_')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        let report = fs::read_to_string(reports.join(format!("{squeezed}.json"))).unwrap();
        // Each is exactly the report of a scan of that image alone.
        let report: Value = serde_json::from_str(&report).unwrap();
        assert_eq!(report["category"], format!("imgaudit/{squeezed}/"));
        assert_is_alone_report(&report, image);
    }
    // The table: a row per image in the order given, the failure in its row, the totals.
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].starts_with("IMAGE"), "{table}");
    assert!(
        rows[1].starts_with(&example[..20]) && rows[1].contains("failing"),
        "{table}"
    );
    assert!(rows[2].contains("passed"), "{table}");
    assert!(rows[3].contains("error"), "{table}");
    assert!(rows[5].starts_with("4 images"), "{table}");
    assert!(rows[5].contains("1 not audited"), "{table}");
    // The sibling shares the example's two bottom layers: read once in this run.
    assert!(rows[5].contains("shared in this run"), "{table}");
    let read: u32 = rows[5]
        .split("layers: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(read, 4, "3 + 1 distinct layers: {table}");

    // Again, warm: nothing read, and without the broken image the worst outcome is 1.
    let output = imgaudit(
        &with_python_rules(&with_cache(
            &cache,
            &["scan", &example, &clean, &sibling, "--fail-on", "medium"],
        )),
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("layers: 0 read"),
        "{}",
        stdout(&output)
    );
    let output = imgaudit(
        &with_python_rules(&with_cache(&cache, &["scan", &example, &clean, &sibling])),
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn a_batch_streams_json_lines_and_reads_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (example, clean, sibling, _) = fleet(dir.path());
    let list = dir.path().join("images.txt");
    fs::write(
        &list,
        format!("# the fleet\n{example}\n\n{clean}   # no findings\n{sibling}\n"),
    )
    .unwrap();
    let output = imgaudit(
        &with_python_rules(&[
            "scan",
            "--images-from",
            list.to_str().unwrap(),
            "--format",
            "json",
            "--no-cache",
            "--fail-on",
            "medium",
        ]),
        None,
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (line, image) in lines.iter().zip([&example, &clean, &sibling]) {
        assert_is_alone_report(line, image);
    }
    // Each image its own SARIF category: code scanning refuses two runs with one category.
    let categories: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories.len(), 3, "{categories:?}");
    // The table went to standard error, with the totals.
    assert!(
        stderr(&output).contains("3 images in"),
        "{}",
        stderr(&output)
    );
    // One image from a list is a batch too (a report per image, the table).
    let one = dir.path().join("one.txt");
    fs::write(&one, format!("{clean}\n")).unwrap();
    let output = imgaudit(
        &["scan", "--images-from", one.to_str().unwrap(), "--no-cache"],
        None,
    );
    assert!(
        stdout(&output).contains("1 image in"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn batch_settings_that_cannot_work_are_refused_before_any_image_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (example, clean, _, _) = fleet(dir.path());
    fails(
        &["scan", &example, &clean, "--output", "sarif=one.sarif"],
        None,
        &["{image}", "one.sarif"],
    );
    fails(
        &["scan", &example, &clean, "--format", "sarif"],
        None,
        &["{image}"],
    );
    fails(
        &["scan", &example, &clean, "--image-name", "app"],
        None,
        &["image name"],
    );
    fails(&["scan", &example, "-"], None, &["standard input"]);
    let empty = dir.path().join("empty.txt");
    fs::write(&empty, "# nothing\n").unwrap();
    fails(
        &["scan", "--images-from", empty.to_str().unwrap()],
        None,
        &["empty.txt", "no image"],
    );
    fails(
        &["scan", "--images-from", "/nonexistent/list"],
        None,
        &["/nonexistent/list"],
    );
    fails(
        &["scan", &example, &clean, "--parallel-images", "0"],
        None,
        &["0"],
    );
}

#[test]
fn one_image_takes_the_image_placeholder_and_missing_directories_too() {
    let (dir, _cache, image) = example_with_cache();
    let target = format!("json={}/new/dir/{{image}}.json", dir.path().display());
    let output = imgaudit(
        &with_python_rules(&["scan", &image, "--no-cache", "-o", &target]),
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written: Vec<String> = fs::read_dir(dir.path().join("new/dir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].ends_with("example_latest.json"), "{written:?}");
}

/// A user rule that reads the image domain only, so that adding it changes no domain and the
/// remembered facts serve: it fires on every image, naming it as the facts do.
const EVERY_IMAGE_RULE: &str = r#"# METADATA
# title: every image is noted
# description: Fires on every image.
# custom:
#   id: ORG100
#   name: every-image
#   severity: low
#   domains: [image]
#   remediation: None needed.
package imgaudit.rules.org100

import rego.v1

deny contains finding if {
	finding := {"msg": sprintf("%s (%s)", [input.image.reference, input.image.manifest_digest]), "evidence": {"path": "/"}}
}
"#;

/// A scan of `image` printing its JSON report, whatever the gate says.
fn json_scan(image: &str) -> [&str; 6] {
    ["scan", image, "--format", "json", "--fail-on", "none"]
}

/// The summary line of a one-image batch of `image` with `args`.
fn batch_summary(cache: &Path, image: &str, args: &[&str]) -> String {
    let mut all = vec!["scan", "--images-from", "-", "--fail-on", "none"];
    all.extend(args);
    let all = with_cache(cache, &all);
    let output = imgaudit(&all, Some(format!("{image}\n").as_bytes()));
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn remembered_facts_are_judged_afresh_and_reused_only_when_everything_they_depend_on_is_equal() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let image = write_layout(dir.path(), "example", &example_image());
    let scan = |extra: &[&str]| {
        let mut args = json_scan(&image).to_vec();
        args.extend(extra);
        let output = imgaudit(&with_cache(&cache, &args), None);
        (output.status.code(), stdout(&output), stderr(&output))
    };
    let (_, cold, _) = scan(&[]);
    let cold: Value = serde_json::from_str(&cold).unwrap();
    let first = cold["findings"][0]["rule_id"].as_str().unwrap().to_owned();
    assert!(
        batch_summary(&cache, &image, &[]).ends_with("facts: 1 remembered"),
        "the second run did not take the facts"
    );
    // What the facts depend on, changed: they are collected again (and then remembered under
    // that change).
    for changed in [
        &["--max-entries", "123456"][..],
        &["--skip-diff-id-check"],
        &["--max-captured-bytes", "1000000"],
        // Fewer domains: the Python rules alone.
        &["--select", "PIP"],
    ] {
        let summary = batch_summary(&cache, &image, changed);
        assert!(
            summary.ends_with("facts: 0 remembered"),
            "{changed:?}: {summary}"
        );
        let summary = batch_summary(&cache, &image, changed);
        assert!(
            summary.ends_with("facts: 1 remembered"),
            "{changed:?}: {summary}"
        );
    }

    // From now on a run that reads a layer fails: every blob is emptied.
    for blob in layer_blobs(&image) {
        fs::write(blob, b"").unwrap();
    }
    let (code, warm, err) = scan(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(serde_json::from_str::<Value>(&warm).unwrap(), cold);

    // The rules and the configuration judge the remembered facts afresh.
    let policies = dir.path().join("org");
    fs::create_dir(&policies).unwrap();
    fs::write(policies.join("every_image.rego"), EVERY_IMAGE_RULE).unwrap();
    let (code, with_rule, err) = scan(&["--policy", policies.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let with_rule: Value = serde_json::from_str(&with_rule).unwrap();
    assert!(
        finding_ids(&with_rule).contains(&"ORG100".to_owned()),
        "{with_rule:#}"
    );
    let config = dir.path().join("imgaudit.toml");
    fs::write(
        &config,
        format!("[rules]\nseverity = {{ {first} = \"critical\" }}\n"),
    )
    .unwrap();
    let (code, configured, err) = scan(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let configured: Value = serde_json::from_str(&configured).unwrap();
    let judged = configured["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == first.as_str())
        .unwrap();
    assert_eq!(judged["severity"], "critical", "{judged:#}");
}

#[test]
fn the_same_image_under_another_name_takes_the_facts_with_its_own_identity() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let first = write_layout(dir.path(), "first", &example_image());
    let second = write_layout(dir.path(), "second", &example_image());
    // A rule that names the image as its facts do (`input.image.reference`).
    let policies = dir.path().join("org");
    fs::create_dir(&policies).unwrap();
    fs::write(policies.join("every_image.rego"), EVERY_IMAGE_RULE).unwrap();
    let policy = ["--policy", policies.to_str().unwrap()];
    let scan = |image: &str, extra: &[&str]| -> Value {
        let mut args = json_scan(image).to_vec();
        args.extend(policy);
        args.extend(extra);
        serde_json::from_str(&stdout_of_audit(&with_cache(&cache, &args))).unwrap()
    };
    // What a run that reads the second image reports: its own name, in the report and in the
    // rule's message.
    let expected = scan(&second, &["--no-cache"]);
    scan(&first, &[]);
    assert!(
        batch_summary(&cache, &second, &policy).ends_with("facts: 1 remembered"),
        "the second name did not take the first one's facts"
    );
    let remembered = scan(&second, &[]);
    assert_eq!(remembered, expected);
    let named = common::findings_of(&remembered, "ORG100");
    assert_eq!(named.len(), 1);
    assert!(
        common::message(named[0]).starts_with(&second),
        "{}",
        common::message(named[0])
    );
}

#[test]
fn damaged_facts_are_collected_again_and_said() {
    let (_dir, cache, image) = example_with_cache();
    let args = json_scan(&image);
    let cold: Value = serde_json::from_str(&stdout_of_audit(&with_cache(&cache, &args))).unwrap();
    let documents: Vec<PathBuf> = fs::read_dir(cache.join("documents-v1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(documents.len(), 1);
    let mut bytes = fs::read(&documents[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    fs::write(&documents[0], bytes).unwrap();
    let mut again: Value =
        serde_json::from_str(&stdout_of_audit(&with_cache(&cache, &args))).unwrap();
    let notes = again["notes"].as_array().unwrap().clone();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("facts of this image were damaged")),
        "{notes:?}"
    );
    again["notes"] = cold["notes"].clone();
    assert_eq!(again, cold);
    // Collected again and remembered: the next run takes them without a word.
    assert!(batch_summary(&cache, &image, &[]).ends_with("facts: 1 remembered"));
}
