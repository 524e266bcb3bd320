//! PEM private keys inside a string (an `Env` value, a label, a command): the body between
//! `-----BEGIN … PRIVATE KEY-----` and its `-----END …-----` line is masked, the header and
//! footer stay to say what was there. Without a footer, the base64 that follows the header
//! (with real or escaped line breaks) is masked.

use crate::{Detector, Secret};

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
/// The label between `BEGIN ` and `-----`, at most (`ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE
/// KEY`, `PGP PRIVATE KEY BLOCK`…).
const MAX_LABEL: usize = 40;
/// A private key's body, at most: an 8192-bit RSA key is under 7 KiB of PEM.
const MAX_BODY: usize = 16 * 1024;

/// Every private key's body in `text`. Each byte is looked at a bounded number of times: the
/// next footer is found once and reused until it is passed.
pub(crate) fn find(text: &str) -> Vec<Secret> {
    let mut found = Vec::new();
    let mut search = 0;
    let mut next_end: Option<Option<usize>> = None;
    while let Some(at) = text[search..].find(BEGIN) {
        let label_start = search + at + BEGIN.len();
        search = label_start;
        let Some(label_len) = text[label_start..]
            .bytes()
            .take(MAX_LABEL + 5)
            .position(|b| b == b'-')
        else {
            continue;
        };
        let label = &text[label_start..label_start + label_len];
        if !text[label_start + label_len..].starts_with("-----")
            || !(label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK"))
            || !label
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
        {
            continue;
        }
        let body_start = label_start + label_len + 5;
        let footer = match next_end {
            Some(Some(end)) if end >= body_start => Some(end),
            Some(None) => None,
            _ => {
                let end = text[body_start..].find(END).map(|n| body_start + n);
                next_end = Some(end);
                end
            }
        };
        let body_end = match footer {
            Some(end) if end - body_start <= MAX_BODY => end,
            _ => body_start + base64_run(&text[body_start..]),
        };
        if body_end > body_start {
            found.push(Secret {
                range: body_start..body_end,
                detector: Detector::PrivateKey,
            });
        }
        search = body_end.max(search);
    }
    found
}

/// How long the run of base64 and line breaks (real, or escaped as `\n` and `\r`) at the start
/// of `text` is, up to [`MAX_BODY`].
fn base64_run(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len().min(MAX_BODY) {
        match bytes[at] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' | b'\n' | b'\r' => at += 1,
            b'\\' if matches!(bytes.get(at + 1), Some(b'n' | b'r')) => at += 2,
            _ => break,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        crate::mask(text).into_owned()
    }

    #[test]
    fn masks_the_body_of_each_kind_of_private_key() {
        for label in [
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ] {
            let text = format!(
                "KEY=-----BEGIN {label}-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END {label}----- tail"
            );
            assert_eq!(
                masked(&text),
                format!("KEY=-----BEGIN {label}-----****-----END {label}----- tail"),
                "{label}"
            );
            assert_eq!(find(&text)[0].detector, Detector::PrivateKey);
        }
    }

    #[test]
    fn masks_the_base64_after_a_header_without_footer() {
        assert_eq!(
            masked("-----BEGIN RSA PRIVATE KEY-----\nMIIEow+/IBAAKCAQ==\n\" next"),
            "-----BEGIN RSA PRIVATE KEY-----****\" next"
        );
    }

    #[test]
    fn leaves_public_material_alone() {
        for text in [
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----",
            "-----BEGIN private key-----abc",
            "-----BEGIN PRIVATE KEY",
        ] {
            assert_eq!(find(text), [], "{text}");
        }
    }

    #[test]
    fn many_headers_without_footers_stay_linear() {
        let text = "-----BEGIN RSA PRIVATE KEY----- x ".repeat(50_000);
        let started = std::time::Instant::now();
        assert_eq!(find(&text), []);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
