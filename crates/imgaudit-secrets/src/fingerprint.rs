//! How a found secret is shown: enough for a user to find it and to tell two apart, never the
//! value. A [`Fingerprint`] keeps the first characters (at most [`SHOWN_PREFIX`], and never more
//! than a quarter of the value), the length in characters, and the first 8 hex digits of the
//! value's SHA-256.
//!
//! The prefix is what a reader recognises (`ghp_`, `AKIA`, `-----BEGIN`); the short hash lets a
//! team match a finding against the credential it rotated without the report holding it. Eight
//! hex digits identify; they do not let anyone recover a random token (a guessable password is
//! another matter, which is why the findings say to rotate it).

use std::fmt;

use imgaudit_digest::{Algorithm, Digest};

/// The most characters of a secret a fingerprint shows.
pub const SHOWN_PREFIX: usize = 4;

/// A masked view of one secret value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The first characters of the value (at most [`SHOWN_PREFIX`], and at most a quarter of it:
    /// a 6-character password shows one).
    pub prefix: String,
    /// The value's length in characters.
    pub length: usize,
    /// The first 8 hex digits of the SHA-256 of the value's bytes.
    pub hash: String,
}

impl Fingerprint {
    /// The fingerprint of `value`.
    pub fn of(value: &str) -> Fingerprint {
        let length = value.chars().count();
        let shown = SHOWN_PREFIX.min(length / 4);
        let digest = Digest::of_bytes(Algorithm::Sha256, value.as_bytes());
        Fingerprint {
            prefix: value.chars().take(shown).collect(),
            length,
            hash: digest.hex()[..8].to_owned(),
        }
    }
}

/// `ghp_… (40 chars, sha256 1a2b3c4d)`.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}… ({} chars, sha256 {})",
            self.prefix, self.length, self.hash
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_a_prefix_the_length_and_a_short_hash_never_the_value() {
        let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
        let shown = Fingerprint::of(token);
        assert_eq!(shown.prefix, "ghp_");
        assert_eq!(shown.length, 40);
        assert_eq!(shown.hash.len(), 8);
        assert!(shown.hash.chars().all(|c| c.is_ascii_hexdigit()));
        let text = shown.to_string();
        assert!(text.starts_with("ghp_… (40 chars, sha256 "), "{text}");
        assert!(!text.contains("0123"));
    }

    #[test]
    fn a_short_value_shows_at_most_a_quarter_of_itself() {
        assert_eq!(Fingerprint::of("hunter").prefix, "h");
        assert_eq!(Fingerprint::of("abc").prefix, "");
        assert_eq!(Fingerprint::of("").length, 0);
        // Characters, not bytes: a multibyte value is never cut inside a character.
        assert_eq!(Fingerprint::of("пароль-секрет").prefix, "пар");
    }

    #[test]
    fn equal_values_match_and_different_ones_differ() {
        assert_eq!(Fingerprint::of("s3cr3t-one"), Fingerprint::of("s3cr3t-one"));
        assert_ne!(
            Fingerprint::of("s3cr3t-one").hash,
            Fingerprint::of("s3cr3t-two").hash
        );
    }
}
