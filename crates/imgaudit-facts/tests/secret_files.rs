//! The secrets domain's `secret_files`, from synthetic images read in memory: where each hit
//! is, whether the final tree still has it, which later layer removed or replaced it, and what
//! the inspection budget left out.

mod common;

use imgaudit_facts::{Domain, Domains, Facts, SecretFile, UnjudgedReason, collect};
use imgaudit_layer::{CaptureRules, DEFAULT_MAX_CAPTURE_SIZE, Inspection};
use imgaudit_loader::LoadOptions;
use imgaudit_testkit::{LayerBuilder, TestImage, synthetic_private_key};

fn facts_with(image: &TestImage, capture: CaptureRules, domains: &Domains) -> Facts {
    let options = LoadOptions {
        capture,
        ..LoadOptions::default()
    };
    collect(&common::load(image, &options), domains)
}

fn facts_of(image: &TestImage) -> Facts {
    let domains = Domains::of([Domain::Secrets]);
    facts_with(
        image,
        domains.capture_rules(DEFAULT_MAX_CAPTURE_SIZE).unwrap(),
        &domains,
    )
}

fn files(facts: &Facts) -> &[SecretFile] {
    &facts
        .secrets
        .as_ref()
        .expect("the secrets domain")
        .secret_files
}

fn key(seed: usize) -> String {
    synthetic_private_key("RSA PRIVATE KEY", seed)
}

#[test]
fn each_hit_knows_its_layer_and_whether_a_later_layer_removed_it() {
    let mut image = TestImage::new(vec![
        LayerBuilder::new()
            .file("keys/kept.pem", key(0).as_bytes())
            .file("keys/deleted.pem", key(1).as_bytes())
            .file("keys/replaced.pem", key(2).as_bytes())
            .file("cache/inner/opaque.pem", key(3).as_bytes())
            .file("dir/under.pem", key(4).as_bytes())
            .file("swapped/a.pem", key(5).as_bytes())
            .finish(),
        LayerBuilder::new()
            .whiteout("keys/deleted.pem")
            .file("keys/replaced.pem", b"no key now\n")
            .finish(),
        LayerBuilder::new()
            .opaque("cache")
            .whiteout("dir")
            // A directory that becomes a file: everything below it is gone.
            .file("swapped", b"a file\n")
            .finish(),
    ]);
    image.history = Some(vec![
        ("COPY keys /".into(), false),
        ("RUN rm /keys/deleted.pem".into(), false),
        ("RUN cleanup".into(), false),
    ]);
    let facts = facts_of(&image);
    let seen: Vec<(&str, bool, Option<usize>)> = files(&facts)
        .iter()
        .map(|f| {
            (
                f.path.as_str(),
                f.in_final_tree,
                f.removed_by.as_ref().and_then(|r| r.layer),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("/keys/kept.pem", true, None),
            ("/keys/deleted.pem", false, Some(1)),
            ("/keys/replaced.pem", false, Some(1)),
            ("/cache/inner/opaque.pem", false, Some(2)),
            ("/dir/under.pem", false, Some(2)),
            ("/swapped/a.pem", false, Some(2)),
        ]
    );
    let deleted = &files(&facts)[1];
    assert_eq!(deleted.layer, 0);
    assert_eq!(deleted.history_step, Some(0));
    assert_eq!(deleted.created_by.as_deref(), Some("COPY keys /"));
    assert_eq!(deleted.origin.line, Some(1));
    assert_eq!(deleted.origin.path.as_deref(), Some("/keys/deleted.pem"));
    let removed_by = deleted.removed_by.as_ref().unwrap();
    assert_eq!(removed_by.history_step, Some(1));
    assert_eq!(
        removed_by.created_by.as_deref(),
        Some("RUN rm /keys/deleted.pem")
    );
    assert_eq!(deleted.category, "private-key");
    assert_eq!(deleted.detector, "private-key-file");
    assert_eq!(deleted.shown.length, 6 * 64);
    assert!(!deleted.fixture);
}

#[test]
fn a_key_rewritten_in_a_later_layer_is_in_the_tree_from_that_layer() {
    let image = TestImage::new(vec![
        LayerBuilder::new()
            .file("k.pem", key(0).as_bytes())
            .finish(),
        LayerBuilder::new()
            .file("k.pem", key(0).as_bytes())
            .finish(),
    ]);
    let facts = facts_of(&image);
    let seen: Vec<(usize, bool, Option<usize>)> = files(&facts)
        .iter()
        .map(|f| {
            (
                f.layer,
                f.in_final_tree,
                f.removed_by.as_ref().and_then(|r| r.layer),
            )
        })
        .collect();
    assert_eq!(seen, [(0, false, Some(1)), (1, true, None)]);
    assert_eq!(files(&facts)[0].shown, files(&facts)[1].shown);
}

#[test]
fn the_value_is_never_in_the_document() {
    let key = key(7);
    let image = TestImage::new(vec![
        LayerBuilder::new()
            .file("root/.ssh/id_rsa", key.as_bytes())
            .file(
                "root/.pypirc",
                b"[pypi]\nusername = __token__\npassword = PypircSecret-99\n",
            )
            .finish(),
    ]);
    let facts = facts_of(&image);
    assert_eq!(files(&facts).len(), 2);
    let document = serde_json::to_string(&facts).unwrap();
    assert!(!document.contains("PypircSecret-99"), "{document}");
    for line in key.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!document.contains(line), "{document}");
    }
    let shown = &serde_json::to_value(&facts).unwrap()["secret_files"][1]["shown"];
    // A quarter of 15 characters at most.
    assert_eq!(shown["prefix"], "Pyp");
    assert_eq!(shown["length"], 15);
    assert_eq!(shown["hash"].as_str().unwrap().len(), 8);
}

#[test]
fn files_the_budget_left_out_are_unjudged_not_silently_clean() {
    let mut layer = LayerBuilder::new().file("a/first.pem", key(0).as_bytes());
    for i in 0..3 {
        layer = layer.file(&format!("b/{i}.txt"), b"maybe a secret, maybe not\n");
    }
    let image = TestImage::new(vec![layer.finish()]);
    let domains = Domains::of([Domain::Secrets]);
    let capture = domains
        .capture_rules(DEFAULT_MAX_CAPTURE_SIZE)
        .unwrap()
        .with_inspection(Inspection {
            max_file_size: 1 << 20,
            max_layer_bytes: key(0).len() as u64,
        });
    let facts = facts_with(&image, capture, &domains);
    assert_eq!(files(&facts).len(), 1);
    let unjudged: Vec<(&str, UnjudgedReason, &str)> = facts
        .unjudged
        .iter()
        .map(|u| (u.path.as_str(), u.reason, u.needed_by.as_str()))
        .collect();
    assert_eq!(
        unjudged,
        [
            ("/b/0.txt", UnjudgedReason::NotInspected, "secret_files"),
            ("/b/1.txt", UnjudgedReason::NotInspected, "secret_files"),
            ("/b/2.txt", UnjudgedReason::NotInspected, "secret_files"),
        ]
    );
    assert!(
        facts.unjudged[0].detail.contains("budget"),
        "{:?}",
        facts.unjudged[0]
    );
    assert_eq!(facts.unjudged[0].origin.layer, Some(0));
}

#[test]
fn without_inspection_the_domain_says_so() {
    let image = TestImage::new(vec![
        LayerBuilder::new()
            .file("k.pem", key(0).as_bytes())
            .finish(),
    ]);
    let domains = Domains::of([Domain::Secrets]);
    let facts = facts_with(&image, CaptureRules::none(), &domains);
    assert!(files(&facts).is_empty());
    assert!(
        facts.notes.iter().any(|n| n.contains("without inspecting")),
        "{:?}",
        facts.notes
    );
    // And a document without the domain has no `secret_files` key at all.
    let none = facts_with(&image, CaptureRules::none(), &Domains::of([]));
    assert!(
        serde_json::to_value(&none)
            .unwrap()
            .get("secret_files")
            .is_none()
    );
}
