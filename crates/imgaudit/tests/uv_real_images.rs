//! The uv rules on the real Python-tools fixtures (`tests/real-images/python-tools*`, real uv
//! releases from PyPI): each rule fires once, on the Dockerfile line that set its hazard up, the
//! traps image stays silent, and the planted credential is never printed. Needs the images
//! `tests/real-images/build.sh` made (`IMGAUDIT_REAL_IMAGES`); fails loudly without them.

use std::path::PathBuf;

use serde_json::Value;

mod common;

use common::{images_dir, imgaudit_command};

const SECRET: &str = "Planted-uv-Secret-0123";

fn fixture(name: &str) -> (String, String) {
    let dir = images_dir();
    let catalog: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("images.json")).unwrap()).unwrap();
    let entry = &catalog["tool_fixtures"][name];
    let oci = format!("oci:{}", dir.join(entry["oci"].as_str().unwrap()).display());
    (oci, entry["dockerfile"].as_str().unwrap().to_owned())
}

/// The SARIF of `scan --select uv`, run from the repository root so the Dockerfile's URI is its
/// repository path.
fn sarif(image: &str, dockerfile: &str) -> (Value, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = imgaudit_command(&[
        "scan",
        image,
        "--select",
        "uv",
        "--dockerfile",
        dockerfile,
        "--format",
        "sarif",
        "--fail-on",
        "none",
    ])
    .current_dir(&root)
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

/// The 1-based line of the first Dockerfile line that starts with `prefix`.
fn line_of(dockerfile: &str, prefix: &str) -> u64 {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join(dockerfile)).unwrap();
    let index = text
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in {dockerfile}"));
    u64::try_from(index + 1).unwrap()
}

#[test]
#[ignore = "needs the real images: IMGAUDIT_REAL_IMAGES=DIR (tests/real-images/build.sh DIR)"]
fn uv_rules_fire_on_their_dockerfile_lines_and_the_traps_stay_silent() {
    let (image, dockerfile) = fixture("python-tools");
    let (report, text) = sarif(&image, &dockerfile);
    assert!(
        !text.contains(SECRET),
        "the planted uv password was printed"
    );
    let mut found: Vec<(String, u64)> = report["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uri"], dockerfile.as_str());
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                location["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "UV001".to_owned(),
                line_of(&dockerfile, "ENV UV_SYSTEM_PYTHON=1")
            ),
            (
                "UV002".to_owned(),
                line_of(&dockerfile, "RUN mkdir -p /etc/uv")
            ),
            (
                "UV003".to_owned(),
                line_of(&dockerfile, "ENV UV_INDEX_URL=")
            ),
        ]
    );

    let (traps, traps_dockerfile) = fixture("python-tools-traps");
    let (report, _) = sarif(&traps, &traps_dockerfile);
    assert_eq!(
        report["runs"][0]["results"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
}
