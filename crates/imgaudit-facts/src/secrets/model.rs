//! How the secrets domain shows a secret.

use schemars::JsonSchema;
use serde::Serialize;

/// A found secret as the document shows it ([`imgaudit_secrets::Fingerprint`]): its first
/// characters (at most 4, at most a quarter of it), its length in characters and the first 8
/// hex digits of its SHA-256. Never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SecretShown {
    pub prefix: String,
    pub length: usize,
    pub hash: String,
}

impl SecretShown {
    /// How `value` is shown.
    pub fn of(value: &str) -> SecretShown {
        SecretShown::from(imgaudit_secrets::Fingerprint::of(value))
    }
}

impl From<imgaudit_secrets::Fingerprint> for SecretShown {
    fn from(f: imgaudit_secrets::Fingerprint) -> SecretShown {
        SecretShown {
            prefix: f.prefix,
            length: f.length,
            hash: f.hash,
        }
    }
}
