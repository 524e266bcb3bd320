//! What a finding is about, and the fingerprint that keeps a finding's identity from one build
//! to the next.
//!
//! Code scanning matches alerts across uploads by `partialFingerprints`; the upload action can
//! only compute them for files in the checkout, never for paths inside an image. So imgaudit
//! computes its own from what stays the same when the image is rebuilt: the rule, the image's
//! repository (no tag, no digest), the platform, and the path or variable the finding is about.
//! Layer digests, history steps and messages change on every build and are left out.

use imgaudit_digest::{Algorithm, Digest};
use imgaudit_policy::Finding;
use serde::Serialize;

/// The key of imgaudit's fingerprint in SARIF's `partialFingerprints`; a new version of the
/// computation gets a new key, so dashboards never compare fingerprints of two kinds.
pub const FINGERPRINT_KEY: &str = "imgaudit/v1";

/// The path and the variable a finding is about: its evidence's `path` (else its first
/// location's `path`) and its evidence's `variable`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Subject {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    /// Whether the variable is one of the image config's `Env` (evidence `source: env`), not
    /// of a file.
    #[serde(skip)]
    pub from_env: bool,
}

impl Subject {
    pub fn of(finding: &Finding) -> Subject {
        let path = finding
            .evidence_text("path")
            .or_else(|| finding.location().and_then(|l| l.path.as_deref()));
        Subject {
            path: path.map(str::to_owned),
            variable: finding.evidence_text("variable").map(str::to_owned),
            from_env: finding.evidence_text("source") == Some("env"),
        }
    }

    /// The texts a suppression's `target` glob is matched against.
    pub fn targets(&self) -> Vec<&str> {
        self.path
            .iter()
            .chain(&self.variable)
            .map(String::as_str)
            .collect()
    }
}

/// The fingerprint of a finding of `rule_id` about `subject` in `repository` for `platform`:
/// a SHA-256 in hex.
pub fn fingerprint(rule_id: &str, repository: &str, platform: &str, subject: &Subject) -> String {
    // NUL never occurs in any of the parts, so distinct tuples never give the same text.
    let text = [
        FINGERPRINT_KEY,
        rule_id,
        repository,
        platform,
        subject.path.as_deref().unwrap_or(""),
        subject.variable.as_deref().unwrap_or(""),
    ]
    .join("\0");
    Digest::of_bytes(Algorithm::Sha256, text.as_bytes())
        .hex()
        .to_owned()
}

/// Gives findings that would share a fingerprint (one rule, one path and variable: the same key
/// in two sections of one pip.conf) distinct ones, so that dashboards keep them apart: the
/// first, by line then message, keeps its fingerprint, the others get it hashed with their rank.
pub fn disambiguate(findings: &mut [crate::Reported]) {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| {
            let f = &findings[i];
            (&f.fingerprint, f.in_image.line, &f.finding.message)
        };
        key(a).cmp(&key(b))
    });
    let original: Vec<String> = findings.iter().map(|f| f.fingerprint.clone()).collect();
    let mut rank = 0;
    for pair in 1..order.len() {
        let current = order[pair];
        if original[current] != original[order[pair - 1]] {
            rank = 0;
            continue;
        }
        rank += 1;
        let text = format!("{}\0{rank}", original[current]);
        Digest::of_bytes(Algorithm::Sha256, text.as_bytes())
            .hex()
            .clone_into(&mut findings[current].fingerprint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value as Json, json};

    fn finding(evidence: Json, locations: Vec<Json>) -> Finding {
        Finding {
            rule_id: "PIP001".into(),
            rule_name: "user-install-forced".into(),
            severity: imgaudit_finding::Severity::High,
            precision: imgaudit_finding::Precision::High,
            message: "m".into(),
            evidence,
            locations: locations
                .into_iter()
                .map(|l| serde_json::from_value(l).unwrap())
                .collect(),
            extra: serde_json::Map::new(),
        }
    }

    #[test]
    fn subject_prefers_the_evidence_path() {
        let f = finding(
            json!({"path": "/usr/lib/python3.11/EXTERNALLY-MANAGED"}),
            vec![json!({"path": "/elsewhere"})],
        );
        assert_eq!(
            Subject::of(&f).path.as_deref(),
            Some("/usr/lib/python3.11/EXTERNALLY-MANAGED")
        );
        let f = finding(
            json!({"variable": "PIP_USER"}),
            vec![json!({"path": "/etc/profile.d/pip.sh", "line": 2})],
        );
        let subject = Subject::of(&f);
        assert_eq!(subject.targets(), ["/etc/profile.d/pip.sh", "PIP_USER"]);
    }

    #[test]
    fn findings_with_one_subject_get_distinct_fingerprints() {
        let reported = |line: u32| crate::Reported {
            finding: finding(json!({"variable": "index-url"}), vec![]),
            subject: Subject::default(),
            fingerprint: "same".into(),
            in_image: crate::InImage {
                line: Some(line),
                ..crate::InImage::default()
            },
            dockerfile: None,
            suppressed: None,
        };
        let mut findings = vec![reported(9), reported(2), reported(5)];
        disambiguate(&mut findings);
        assert_eq!(findings[1].fingerprint, "same");
        let mut all: Vec<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 3);
        // The same findings in another order get the same fingerprints.
        let mut again = vec![reported(5), reported(2), reported(9)];
        disambiguate(&mut again);
        assert_eq!(again[1].fingerprint, "same");
        assert_eq!(again[0].fingerprint, findings[2].fingerprint);
        assert_eq!(again[2].fingerprint, findings[0].fingerprint);
    }

    #[test]
    fn fingerprints_depend_on_what_stays_and_only_on_it() {
        let subject = Subject {
            path: None,
            variable: Some("PIP_NO_USER".into()),
            from_env: true,
        };
        let base = fingerprint("PIP001", "team/app", "linux/amd64", &subject);
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            fingerprint("PIP001", "team/app", "linux/amd64", &subject)
        );
        let other_variable = Subject {
            variable: Some("PIP_USER".into()),
            ..subject.clone()
        };
        for changed in [
            fingerprint("PIP002", "team/app", "linux/amd64", &subject),
            fingerprint("PIP001", "team/other", "linux/amd64", &subject),
            fingerprint("PIP001", "team/app", "linux/arm64", &subject),
            fingerprint("PIP001", "team/app", "linux/amd64", &other_variable),
        ] {
            assert_ne!(base, changed);
        }
        // A path and a variable with the same text are different subjects.
        let as_path = Subject {
            path: Some("PIP_NO_USER".into()),
            variable: None,
            from_env: false,
        };
        assert_ne!(
            base,
            fingerprint("PIP001", "team/app", "linux/amd64", &as_path)
        );
    }
}
