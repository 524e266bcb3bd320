//! Secrets found in files while a layer streams past: in the one pass, within the caps, and
//! what the caps leave out recorded.

use imgaudit_digest::Algorithm;
use imgaudit_layer::{
    Budget, CaptureRules, Category, Detector, Inspected, Inspection, LayerIndex, ReadOptions,
    read_layer,
};
use imgaudit_testkit::{LayerBuilder, gzip, synthetic_private_key};

fn read(blob: &[u8], capture: &CaptureRules) -> LayerIndex {
    read_layer(
        blob,
        &ReadOptions {
            capture,
            budget: &Budget::default(),
            blob_algorithm: Algorithm::Sha256,
            diff_id_algorithm: Algorithm::Sha256,
            hash_uncompressed: true,
        },
    )
    .unwrap()
}

fn inspecting(inspection: Inspection) -> CaptureRules {
    CaptureRules::new(&["/etc/pip.conf"], 1 << 20)
        .unwrap()
        .with_inspection(inspection)
}

fn found(inspected: &Inspected) -> Vec<(String, Detector, u32, bool)> {
    inspected
        .hits
        .iter()
        .map(|h| (h.path.display(), h.hit.detector, h.hit.line, h.fixture))
        .collect()
}

const PIP_CONF: &[u8] = b"[global]\nindex-url = https://x\n# glpat-0123456789abcdefghij\n";

#[test]
fn hits_are_found_in_the_single_pass() {
    let key = synthetic_private_key("OPENSSH PRIVATE KEY", 0);
    let mut binary_key = key.clone().into_bytes();
    binary_key.insert(0, 0);
    let blob = gzip(
        &LayerBuilder::new()
            .file("root/.ssh/id_ed25519", key.as_bytes())
            .file(
                "root/.ssh/id_ed25519.pub",
                b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG user@host\n",
            )
            .file(
                "etc/ssl/certs/ca.pem",
                synthetic_private_key("CERTIFICATE", 1).as_bytes(),
            )
            .file(
                "root/.npmrc",
                b"//registry.example/:_authToken=s3cr3t-value-1234\n",
            )
            // Captured for the facts as well: the captured copy is what is inspected.
            .file("etc/pip.conf", PIP_CONF)
            .file(
                "usr/lib/python3.11/test/keycert.pem",
                synthetic_private_key("PRIVATE KEY", 2).as_bytes(),
            )
            .file("opt/blob.bin", &binary_key)
            .file("usr/bin/tool", b"\x7fELF\0\0\0plain binary")
            .finish(),
    );
    let index = read(&blob, &inspecting(Inspection::default()));
    let inspected = index.inspected.as_ref().expect("inspection was asked for");
    assert_eq!(
        found(inspected),
        [
            (
                "/root/.ssh/id_ed25519".to_owned(),
                Detector::PrivateKeyFile,
                1,
                false
            ),
            ("/root/.npmrc".to_owned(), Detector::NpmrcAuth, 1, false),
            ("/etc/pip.conf".to_owned(), Detector::GitlabToken, 3, false),
            (
                "/usr/lib/python3.11/test/keycert.pem".to_owned(),
                Detector::PrivateKeyFile,
                1,
                true
            ),
        ]
    );
    assert_eq!(inspected.hits[0].hit.category, Category::PrivateKey);
    assert!(inspected.uninspected.is_empty());
    assert_eq!(inspected.uninspected_count, 0);
    assert!(inspected.inspected_bytes > 0);
    // The captured file kept its content; the others were not captured.
    assert_eq!(index.captured_bytes(), PIP_CONF.len() as u64);
}

#[test]
fn nothing_is_inspected_unless_asked() {
    let blob = LayerBuilder::new()
        .file(
            "root/.ssh/id_rsa",
            synthetic_private_key("RSA PRIVATE KEY", 0).as_bytes(),
        )
        .finish();
    let index = read(&blob, &CaptureRules::none());
    assert_eq!(index.inspected, None);
}

#[test]
fn files_over_the_size_cap_and_binary_files_are_skipped() {
    let key = synthetic_private_key("RSA PRIVATE KEY", 0);
    let mut large = key.clone().into_bytes();
    large.extend(std::iter::repeat_n(b'\n', 2000));
    let mut binary = b"\0\0".to_vec();
    binary.extend_from_slice(key.as_bytes());
    let blob = LayerBuilder::new()
        .file("a/large.pem", &large)
        .file("a/binary.pem", &binary)
        .file("a/small.pem", key.as_bytes())
        .finish();
    let index = read(
        &blob,
        &inspecting(Inspection {
            max_file_size: 1000,
            ..Inspection::default()
        }),
    );
    let inspected = index.inspected.unwrap();
    assert_eq!(
        found(&inspected),
        [(
            "/a/small.pem".to_owned(),
            Detector::PrivateKeyFile,
            1,
            false
        )]
    );
    // By design, not for lack of budget: nothing is listed as uninspected.
    assert_eq!(inspected.uninspected_count, 0);
}

#[test]
fn files_beyond_the_layer_budget_are_recorded_not_silently_skipped() {
    let key = synthetic_private_key("EC PRIVATE KEY", 0);
    let mut builder = LayerBuilder::new().file("a/first.pem", key.as_bytes());
    for i in 0..150 {
        builder = builder.file(&format!("b/{i}.pem"), key.as_bytes());
    }
    let index = read(
        &builder.finish(),
        &inspecting(Inspection {
            max_file_size: 1 << 20,
            max_layer_bytes: key.len() as u64,
        }),
    );
    let inspected = index.inspected.unwrap();
    assert_eq!(inspected.hits.len(), 1);
    assert_eq!(inspected.uninspected_count, 150);
    assert_eq!(
        inspected.uninspected.len(),
        imgaudit_layer::MAX_UNINSPECTED_LISTED
    );
    assert_eq!(inspected.uninspected[0].display(), "/b/0.pem");
    assert_eq!(inspected.inspected_bytes, key.len() as u64);
}

#[test]
fn a_later_entry_for_the_same_path_replaces_the_earlier_hits() {
    let key = synthetic_private_key("RSA PRIVATE KEY", 0);
    let blob = LayerBuilder::new()
        .file("k.pem", key.as_bytes())
        .file("k.pem", b"gone\n")
        .file("j.pem", key.as_bytes())
        .symlink("j.pem", "/dev/null")
        .file("i.pem", b"nothing\n")
        .file("i.pem", key.as_bytes())
        .finish();
    let inspected = read(&blob, &inspecting(Inspection::default()))
        .inspected
        .unwrap();
    assert_eq!(
        found(&inspected),
        [("/i.pem".to_owned(), Detector::PrivateKeyFile, 1, false)]
    );
}
