//! The document types of the secrets domain.

use schemars::JsonSchema;
use serde::Serialize;

use crate::Location;

/// The secrets domain's part of the document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretFacts {
    /// Every secret found in a file of any layer, in layer order, whether or not a later layer
    /// removed the file.
    pub secret_files: Vec<SecretFile>,
    /// Secrets in the config's `Env`.
    pub secret_env: Vec<crate::secrets::SecretEnv>,
    /// Secrets recorded in the history's `created_by`.
    pub secret_history: Vec<crate::secrets::SecretHistory>,
}

/// How a found secret is shown: enough to find it and to match it against a rotated
/// credential, never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SecretShown {
    /// The first characters (at most 4, and at most a quarter of the value; none for binary
    /// key stores).
    pub prefix: String,
    /// The value's length in characters (bytes for a binary key store).
    pub length: usize,
    /// The first 8 hex digits of the SHA-256 of the value.
    pub hash: String,
}

impl SecretShown {
    /// How `value` is shown.
    pub fn of(value: &str) -> SecretShown {
        SecretShown::from(&imgaudit_secrets::Fingerprint::of(value))
    }
}

impl From<&imgaudit_secrets::Fingerprint> for SecretShown {
    fn from(shown: &imgaudit_secrets::Fingerprint) -> Self {
        SecretShown {
            prefix: shown.prefix.clone(),
            length: shown.length,
            hash: shown.hash.clone(),
        }
    }
}

/// One secret in one file of one layer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretFile {
    /// The file, absolute.
    pub path: String,
    /// The detector's stable id (`private-key-file`, `npmrc-auth`, `github-token`…).
    pub detector: String,
    /// `private-key`, `credential-file` or `token`.
    pub category: String,
    /// What the detector finds, in words.
    pub description: String,
    /// The 1-based line the secret starts on.
    pub line: u32,
    pub shown: SecretShown,
    /// The path looks like a package's own test fixture: below a `test`, `tests`, `testdata`,
    /// `test_data` or `fixtures` directory inside an installed package (`site-packages`,
    /// `dist-packages`, `node_modules`, Ruby `gems`), a Python standard library
    /// (`/usr/lib/python3.*/test/`) or Go's (`/usr/local/go/src/…/testdata/`). Only the path
    /// tells: a key the image's build put there is marked the same.
    pub fixture: bool,
    /// The layer whose file holds the secret, and its history step and command (masked).
    pub layer: usize,
    pub history_step: Option<usize>,
    pub created_by: Option<String>,
    /// Path, line, layer and step together, as findings cite them.
    pub origin: Location,
    /// Whether the file is in the final tree: the node at its path is the one this layer wrote.
    pub in_final_tree: bool,
    /// The later layer (and step) that removed or replaced the file; `None` when none did.
    pub removed_by: Option<Location>,
}
