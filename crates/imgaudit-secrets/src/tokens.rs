//! Tokens whose vendor documents a fixed shape, mostly a prefix that says what they are.
//!
//! Each pattern is written from the vendor's description of its format ([`Detector::source`]);
//! the set of vendors was compared with gitleaks' rules (v8.30), whose patterns were read but
//! not copied. Patterns start at an ASCII word boundary, so a prefix inside a longer word (a
//! base64 blob that happens to contain `AKIA`) is not a token, and most end at one too.
//! Lengths are the documented ones, with room above where the vendor says lengths may grow.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use crate::{Detector, Secret};

/// One format: the detector and its pattern. Where the pattern has a capture group, the secret
/// is that group (a webhook's path, not its host).
struct Format {
    detector: Detector,
    pattern: &'static str,
}

const FORMATS: &[Format] = &[
    Format {
        detector: Detector::GithubToken,
        // Prefix, then 36 base62 characters today (GitHub says the length may grow to 255).
        pattern: r"\bgh[pousr]_[A-Za-z0-9]{36,251}\b",
    },
    Format {
        detector: Detector::GithubFineGrainedToken,
        // `github_pat_`, a 22-character id, `_`, a 59-character secret (82 in all).
        pattern: r"\bgithub_pat_[A-Za-z0-9_]{82,244}\b",
    },
    Format {
        detector: Detector::GitlabToken,
        // GitLab's documented prefixes; a 20-character body, or the longer routable form with a
        // `.`-separated suffix.
        pattern: r"\bgl(?:pat|oas|dt|rt|cbt|ptt|ft|imt|agent|soat|ffct|wt)-[A-Za-z0-9_-]{20,300}(?:\.[A-Za-z0-9_-]{2,64})?",
    },
    Format {
        detector: Detector::SlackToken,
        // `xox` and the token type (b bot, p user, a/o/s legacy, r refresh, e rotating, with
        // `xoxe.xoxp-` for rotated user tokens), or `xapp-` app-level tokens; then
        // dash-separated numbers and a secret.
        pattern: r"\b(?:xox[abeoprs](?:\.xox[abeoprs])?|xapp)-[0-9]+-[A-Za-z0-9-]{8,250}",
    },
    Format {
        detector: Detector::SlackWebhook,
        pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/+-]{16,200})",
    },
    Format {
        detector: Detector::NpmToken,
        pattern: r"\bnpm_[A-Za-z0-9]{36}\b",
    },
    Format {
        detector: Detector::PypiToken,
        // A macaroon, base64url: every PyPI token's serialization starts `AgE` (version byte
        // and the location field), `AgEIcHlwaS5vcmc` for the public index itself.
        pattern: r"\bpypi-AgE[A-Za-z0-9_-]{50,1000}",
    },
    Format {
        detector: Detector::AwsAccessKeyId,
        // AKIA long-term, ASIA temporary (STS), ABIA STS bearer, ACCA context-specific.
        pattern: r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
    },
    Format {
        detector: Detector::GoogleApiKey,
        pattern: r"\bAIza[A-Za-z0-9_-]{35}",
    },
    Format {
        detector: Detector::StripeLiveKey,
        pattern: r"\b(?:sk|rk)_live_[A-Za-z0-9]{24,247}\b",
    },
    Format {
        detector: Detector::AnthropicApiKey,
        pattern: r"\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,200}",
    },
    Format {
        detector: Detector::OpenaiApiKey,
        // Legacy `sk-` keys and project, service-account and admin keys all carry the marker
        // `T3BlbkFJ` (base64 of "OpenAI") between two random parts.
        pattern: r"\bsk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{16,200}T3BlbkFJ[A-Za-z0-9_-]{16,200}",
    },
    Format {
        detector: Detector::HuggingfaceToken,
        pattern: r"\bhf_[A-Za-z]{34}\b",
    },
    Format {
        detector: Detector::DockerHubToken,
        pattern: r"\bdckr_pat_[A-Za-z0-9_-]{27,100}",
    },
    Format {
        detector: Detector::DigitaloceanToken,
        pattern: r"\bdo[por]_v1_[a-f0-9]{64}\b",
    },
    Format {
        detector: Detector::Jwt,
        // Header and payload are base64url JSON objects, so both start `eyJ` (`{"`); the
        // signature may be empty (`alg: none`).
        pattern: r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
    },
];

/// The compiled patterns; ASCII word boundaries (`\b` without Unicode), which the fast
/// automata support.
static PATTERNS: LazyLock<Vec<(Detector, Regex)>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .map(|format| {
            let regex = RegexBuilder::new(format.pattern)
                .unicode(false)
                .size_limit(1 << 20)
                .dfa_size_limit(1 << 20)
                .build()
                .expect("the token patterns are valid and small");
            (format.detector, regex)
        })
        .collect()
});

/// Every token of a known format in `text`.
pub fn find(text: &str) -> Vec<Secret> {
    let mut found = Vec::new();
    for (detector, regex) in PATTERNS.iter() {
        if regex.captures_len() > 1 {
            for captures in regex.captures_iter(text) {
                if let Some(group) = captures.get(1) {
                    found.push(Secret {
                        range: group.range(),
                        detector: *detector,
                    });
                }
            }
        } else {
            found.extend(regex.find_iter(text).map(|m| Secret {
                range: m.range(),
                detector: *detector,
            }));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic tokens of each format (made up here, not anybody's).
    fn alnum(n: usize) -> String {
        "a1B2c3D4e5F6g7H8i9J0".chars().cycle().take(n).collect()
    }

    fn detectors(text: &str) -> Vec<Detector> {
        find(text).into_iter().map(|s| s.detector).collect()
    }

    #[test]
    fn finds_each_format() {
        let cases = [
            (format!("ghp_{}", alnum(36)), Detector::GithubToken),
            (format!("gho_{}", alnum(36)), Detector::GithubToken),
            (format!("ghs_{}", alnum(36)), Detector::GithubToken),
            (
                format!("github_pat_{}_{}", alnum(22), alnum(59)),
                Detector::GithubFineGrainedToken,
            ),
            (format!("glpat-{}", alnum(20)), Detector::GitlabToken),
            (format!("glrt-{}", alnum(20)), Detector::GitlabToken),
            (
                format!("glpat-{}.01a1b2c3d", alnum(27)),
                Detector::GitlabToken,
            ),
            (
                format!("xoxb-1234567890-1234567890123-{}", alnum(24)),
                Detector::SlackToken,
            ),
            (
                format!("xoxp-1234567890-1234567890-1234567890123-{}", alnum(32)),
                Detector::SlackToken,
            ),
            (
                format!("xapp-1-A0123456789-1234567890123-{}", alnum(64)),
                Detector::SlackToken,
            ),
            (format!("npm_{}", alnum(36)), Detector::NpmToken),
            (
                format!("pypi-AgEIcHlwaS5vcmc{}", alnum(60)),
                Detector::PypiToken,
            ),
            ("AKIAIOSFODNN7EXAMPLE".to_owned(), Detector::AwsAccessKeyId),
            ("ASIAY34FZKBOKMUTVV7A".to_owned(), Detector::AwsAccessKeyId),
            (format!("AIza{}", alnum(35)), Detector::GoogleApiKey),
            (format!("sk_live_{}", alnum(24)), Detector::StripeLiveKey),
            (format!("rk_live_{}", alnum(99)), Detector::StripeLiveKey),
            (
                format!("sk-{}T3BlbkFJ{}", alnum(20), alnum(20)),
                Detector::OpenaiApiKey,
            ),
            (
                format!("sk-proj-{}T3BlbkFJ{}", alnum(74), alnum(74)),
                Detector::OpenaiApiKey,
            ),
            (
                format!("sk-ant-api03-{}AA", alnum(93)),
                Detector::AnthropicApiKey,
            ),
            (
                format!("hf_{}", "abcdefghijABCDEFGHIJabcdefghijABCD"),
                Detector::HuggingfaceToken,
            ),
            (format!("dckr_pat_{}", alnum(27)), Detector::DockerHubToken),
            (
                format!("dop_v1_{}", "0a".repeat(32)),
                Detector::DigitaloceanToken,
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlX2J5dGVz".to_owned(),
                Detector::Jwt,
            ),
        ];
        for (token, detector) in cases {
            for text in [
                token.clone(),
                format!("X={token} y"),
                format!("\"{token}\""),
                format!("https://h/?key={token}&x=1"),
            ] {
                let found = find(&text);
                assert_eq!(found.len(), 1, "{text}");
                assert_eq!(found[0].detector, detector, "{text}");
                assert_eq!(&text[found[0].range.clone()], token, "{text}");
            }
        }
    }

    #[test]
    fn slack_webhooks_mask_the_path_not_the_host() {
        let text = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";
        let found = find(text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            &text[found[0].range.clone()],
            "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
        );
    }

    #[test]
    fn leaves_look_alikes_alone() {
        for text in [
            // Digests, ids and checksums.
            "sha256:6f6bb9b3b8a8c4d7c1e4e3f9a1e0b6c5d4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9",
            "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
            "123e4567-e89b-12d3-a456-426614174000",
            "H4sIAAAAAAAA/+xYbW/aSBD+nl8x8qdWwmAbQwhSdeKSVEVN0giI1FN1Qou9wF7tXWt3nRf1+t9v1mteEgIJSa/tnUqkGHtn5pl5Zj1jDwmbsiRPCL2wI8ZFVGpLL/TcPAm2p3p+3QwNmVrbz",
            // Prefixes inside longer words, or too short.
            "xAKIAIOSFODNN7EXAMPLE",
            "AKIAIOSFODNN7EXAMPL",
            "ghp_short",
            "my-ghp_token-name",
            "npm_config_cache=/tmp/npm",
            "sk_test_0123456789abcdefghijklmn",
            "sk-ant-notakey",
            "eyJhbGciOiJIUzI1NiJ9 alone",
            "pypi-simple",
            "glpat-short",
            "xoxb-notnumbers",
            "AIzaShort",
            "/usr/lib/python3/dist-packages/sklearn",
        ] {
            assert_eq!(detectors(text), [], "{text}");
        }
    }
}
