//! Which files' contents are kept while a layer streams past.

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::{ImagePath, Inspection};

/// The default cap on one captured file: facts need configuration files and package databases,
/// not binaries. The largest a real image holds is apk's `/lib/apk/db/installed` (every file of
/// every package: megabytes in an image with a compiler); a file over the cap is reported as not
/// judged (AUD001), so the cap must stay above what real images hold. The total captured over an
/// image has its own cap (`Budget`).
pub const DEFAULT_MAX_CAPTURE_SIZE: u64 = 16 * 1024 * 1024;

/// The registered interests of the facts and policies: path globs, matched against the path with
/// a leading `/` (`/etc/pip.conf`, `/usr/lib/python3*/EXTERNALLY-MANAGED`, `**/pyvenv.cfg`), and a
/// size cap. `*` does not cross `/`; `**` does.
#[derive(Debug, Clone)]
pub struct CaptureRules {
    patterns: Vec<String>,
    globs: GlobSet,
    max_size: u64,
    /// Whether (and how much) to look for secrets in every regular file as it streams past.
    inspection: Option<Inspection>,
}

/// A capture pattern that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("`{pattern}` is not a valid path pattern: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

/// A glob matching `path` alone. globset's own `escape` leaves a backslash as it is, which these
/// rules (built with backslash escapes) read as an escape: a path from an image's config ending
/// in a backslash made an invalid glob.
fn literal(path: &str) -> String {
    let mut glob = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '?' | '*' | '[' | ']' | '{' | '}' | '\\' | '!') {
            glob.push('\\');
        }
        glob.push(c);
    }
    glob
}

impl CaptureRules {
    /// Captures nothing: only metadata is kept.
    pub fn none() -> CaptureRules {
        CaptureRules {
            patterns: Vec::new(),
            globs: GlobSet::empty(),
            max_size: DEFAULT_MAX_CAPTURE_SIZE,
            inspection: None,
        }
    }

    pub fn new<S: AsRef<str>>(patterns: &[S], max_size: u64) -> Result<CaptureRules, PatternError> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| PatternError {
                    pattern: pattern.to_owned(),
                    reason: e.kind().to_string(),
                })?;
            builder.add(glob);
        }
        let globs = builder.build().map_err(|e| PatternError {
            pattern: patterns
                .iter()
                .map(|p| p.as_ref().to_owned())
                .collect::<Vec<_>>()
                .join(", "),
            reason: e.to_string(),
        })?;
        Ok(CaptureRules {
            patterns: patterns.iter().map(|p| p.as_ref().to_owned()).collect(),
            globs,
            max_size,
            inspection: None,
        })
    }

    /// These rules, also looking for secrets in every regular file (within the settings'
    /// caps) while the layer streams past: the secrets domain's content detectors.
    pub fn with_inspection(mut self, inspection: Inspection) -> CaptureRules {
        self.inspection = Some(inspection);
        self
    }

    /// Whether, and how, files are inspected for secrets.
    pub fn inspection(&self) -> Option<&Inspection> {
        self.inspection.as_ref()
    }

    /// These rules plus exact paths (absolute, as an image names them), whose glob characters
    /// are taken literally: for files an image's config points at, such as `$BASH_ENV`.
    pub fn with_paths<S: AsRef<str>>(&self, paths: &[S]) -> Result<CaptureRules, PatternError> {
        let mut patterns = self.patterns.clone();
        patterns.extend(paths.iter().map(|path| literal(path.as_ref())));
        let mut rules = CaptureRules::new(&patterns, self.max_size)?;
        rules.inspection = self.inspection;
        Ok(rules)
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    /// Identifies what these rules capture: the same patterns (in any order) and size cap give
    /// the same text. Caches of layer indexes key on it.
    pub fn fingerprint(&self) -> String {
        let mut patterns: Vec<&str> = self.patterns.iter().map(String::as_str).collect();
        patterns.sort_unstable();
        patterns.dedup();
        let mut text = format!("max-size {}\n", self.max_size);
        // Rules that inspect files give other indexes: they are remembered apart.
        if let Some(inspection) = &self.inspection {
            text.push_str("inspect ");
            text.push_str(&inspection.max_file_size.to_string());
            text.push(' ');
            text.push_str(&inspection.max_layer_bytes.to_string());
            text.push('\n');
        }
        for pattern in patterns {
            text.push_str(pattern);
            text.push('\n');
        }
        imgaudit_digest::Digest::of_bytes(imgaudit_digest::Algorithm::Sha256, text.as_bytes())
            .hex()
            .to_owned()
    }

    /// Whether a path is of interest, whatever its size.
    pub fn matches(&self, path: &ImagePath) -> bool {
        if self.globs.is_empty() {
            return false;
        }
        let mut rooted = Vec::with_capacity(path.as_bytes().len() + 1);
        rooted.push(b'/');
        rooted.extend_from_slice(path.as_bytes());
        self.globs
            .is_match_candidate(&Candidate::from_bytes(&rooted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> ImagePath {
        ImagePath::from_tar_name(s.as_bytes()).unwrap()
    }

    #[test]
    fn matches_rooted_globs() {
        let rules = CaptureRules::new(
            &[
                "/etc/pip.conf",
                "/usr/lib/python3*/EXTERNALLY-MANAGED",
                "**/pyvenv.cfg",
            ],
            10,
        )
        .unwrap();
        assert!(rules.matches(&path("etc/pip.conf")));
        assert!(rules.matches(&path("usr/lib/python3.11/EXTERNALLY-MANAGED")));
        assert!(!rules.matches(&path("usr/lib/python3.11/x/EXTERNALLY-MANAGED")));
        assert!(rules.matches(&path("opt/venv/pyvenv.cfg")));
        assert!(rules.matches(&path("pyvenv.cfg")));
        assert!(!rules.matches(&path("etc/pip.conf.bak")));
        assert!(!CaptureRules::none().matches(&path("etc/pip.conf")));
    }

    #[test]
    fn adds_exact_paths_literally() {
        let rules = CaptureRules::new(&["/etc/pip.conf"], 10)
            .unwrap()
            .with_paths(&["/opt/env[1]/bash_env"])
            .unwrap();
        assert!(rules.matches(&path("etc/pip.conf")));
        assert!(rules.matches(&path("opt/env[1]/bash_env")));
        assert!(!rules.matches(&path("opt/env1/bash_env")));
    }

    #[test]
    fn exact_paths_may_hold_any_glob_character() {
        // Found by fuzzing: `BASH_ENV=/etc/profile.d/fuzz.sh\` made an invalid glob, and the
        // loader panicked on it.
        let names = [
            "/etc/profile.d/fuzz.sh\\",
            "/opt/a\\b/c",
            "/opt/{x,y}/*?!/[z]",
        ];
        let rules = CaptureRules::none().with_paths(&names).unwrap();
        for name in names {
            assert!(rules.matches(&path(&name[1..])), "{name}");
        }
        assert!(!rules.matches(&path("etc/profile.d/fuzz.sh")));
        assert!(!rules.matches(&path("opt/ab/c")));
        assert!(!rules.matches(&path("opt/x/aa!/z")));
    }

    #[test]
    fn fingerprints_ignore_order_and_see_every_change() {
        let a = CaptureRules::new(&["/etc/pip.conf", "**/pyvenv.cfg"], 10).unwrap();
        let b = CaptureRules::new(&["**/pyvenv.cfg", "/etc/pip.conf"], 10).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        let bigger = CaptureRules::new(&["**/pyvenv.cfg", "/etc/pip.conf"], 11).unwrap();
        assert_ne!(a.fingerprint(), bigger.fingerprint());
        let more = a.with_paths(&["/etc/bash_env"]).unwrap();
        assert_ne!(a.fingerprint(), more.fingerprint());
        assert_ne!(a.fingerprint(), CaptureRules::none().fingerprint());
        let inspecting = a.clone().with_inspection(Inspection::default());
        assert_ne!(a.fingerprint(), inspecting.fingerprint());
        let smaller = a.clone().with_inspection(Inspection {
            max_file_size: 10,
            ..Inspection::default()
        });
        assert_ne!(inspecting.fingerprint(), smaller.fingerprint());
        let widened = inspecting.with_paths(&["/etc/bash_env"]).unwrap();
        assert_eq!(widened.inspection(), Some(&Inspection::default()));
    }

    #[test]
    fn rejects_invalid_patterns() {
        let err = CaptureRules::new(&["/etc/[pip"], 10).unwrap_err();
        assert_eq!(err.pattern, "/etc/[pip");
    }
}
