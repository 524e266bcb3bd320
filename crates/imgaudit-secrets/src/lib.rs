//! Finds secrets in text that came from an image, and masks them, so that none reaches an
//! output: every string imgaudit quotes from an image (its config, history, files' text) and
//! every report it writes goes through [`mask`].
//!
//! [`find`] returns where each secret is and which [`Detector`] saw it; [`mask`] replaces each
//! with [`MASK`], keeping the context readable (`curl -u admin:**** https://…`). The detectors:
//!
//! - **Token formats** ([`tokens`]): tokens whose vendor gives them a fixed, documented shape,
//!   mostly a prefix that says what they are (`ghp_`, `glpat-`, `xoxb-`, `npm_`, `pypi-`, `AKIA`,
//!   `AIza`, `sk_live_`, `dckr_pat_`…), JSON Web Tokens, and PEM private keys in a one-line
//!   string. Each pattern is written here from the vendor's documentation of the format; the
//!   list of what to cover was compared against gitleaks' rule set (`config/gitleaks.toml` of
//!   gitleaks v8.30), read, not copied. [`Detector::source`] names the documentation of each.
//! - **Command-line credentials** ([`command`]): `-u user:pass` and `--user user:pass` of
//!   curl and wget, `--password X`, `--password=X`, `--token X` and their kin for any command,
//!   `-pX` for the MySQL and MariaDB clients only, `docker login -p X`, and the values of
//!   `Authorization: Basic|Bearer …`, `PRIVATE-TOKEN:` and `X-API-Key:` headers.
//! - **URL userinfo** ([`url`]): the password of `scheme://user:password@host`, or a lone
//!   userinfo, taken to be a token.
//! - **Secret-named assignments** ([`assign`]): the value of `NAME=value` when the name says it
//!   holds a secret ([`is_secret_name`]: `GITHUB_TOKEN`, `DB_PASSWORD`, `PGPASSWORD`…).
//!
//! A secret found is shown as a [`Fingerprint`] (first characters, length, short hash), never
//! as its value.
//!
//! False positives cost readability, so every detector is narrow: digests (`sha256:…`), UUIDs,
//! base64 layer ids, `--password-stdin`, `-u 1000`, `-u root`, `USER 1000:1000` and `$VAR`
//! references are left alone (each is a test). The cost is linear in the text: the token
//! patterns run on the `regex` crate (finite automata, no backtracking, with size limits), the
//! other detectors are single-pass scanners whose look-back and look-ahead are bounded.
//!
//! Files are inspected by [`content`]: private keys (PEM, OpenSSH, PuTTY, PGP, PKCS#12),
//! credential files (Docker configs, `.npmrc`, `.pypirc`, `.netrc`, `.git-credentials`, AWS
//! credentials, kubeconfigs) and the token formats above, each hit a [`Detector`] of its own
//! with a [`content::Category`] and a line.

pub mod assign;
pub mod command;
pub mod content;
mod fingerprint;
mod pem;
pub mod tokens;
pub mod url;

use std::borrow::Cow;
use std::ops::Range;

pub use assign::is_secret_name;
pub use fingerprint::{Fingerprint, SHOWN_PREFIX};

/// What a masked secret reads as.
pub const MASK: &str = "****";

/// A secret in a text: its byte range and what recognised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// The secret's bytes in the text searched (always on character boundaries).
    pub range: Range<usize>,
    pub detector: Detector,
}

/// What recognised a secret. Ids are stable: reports and tests name detectors by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Detector {
    GithubToken,
    GithubFineGrainedToken,
    GitlabToken,
    SlackToken,
    SlackWebhook,
    NpmToken,
    PypiToken,
    AwsAccessKeyId,
    GoogleApiKey,
    StripeLiveKey,
    OpenaiApiKey,
    AnthropicApiKey,
    HuggingfaceToken,
    DockerHubToken,
    DigitaloceanToken,
    Jwt,
    PrivateKey,
    UrlPassword,
    UrlToken,
    CommandLineUser,
    CommandLinePassword,
    AuthorizationHeader,
    SecretAssignment,
    PrivateKeyFile,
    PuttyPrivateKey,
    Pkcs12File,
    DockerConfigAuth,
    NpmrcAuth,
    PypircPassword,
    NetrcPassword,
    GitCredentials,
    AwsCredentialsFile,
    KubeconfigCredential,
}

impl Detector {
    /// Every detector.
    pub const ALL: &'static [Detector] = &[
        Self::GithubToken,
        Self::GithubFineGrainedToken,
        Self::GitlabToken,
        Self::SlackToken,
        Self::SlackWebhook,
        Self::NpmToken,
        Self::PypiToken,
        Self::AwsAccessKeyId,
        Self::GoogleApiKey,
        Self::StripeLiveKey,
        Self::OpenaiApiKey,
        Self::AnthropicApiKey,
        Self::HuggingfaceToken,
        Self::DockerHubToken,
        Self::DigitaloceanToken,
        Self::Jwt,
        Self::PrivateKey,
        Self::UrlPassword,
        Self::UrlToken,
        Self::CommandLineUser,
        Self::CommandLinePassword,
        Self::AuthorizationHeader,
        Self::SecretAssignment,
        Self::PrivateKeyFile,
        Self::PuttyPrivateKey,
        Self::Pkcs12File,
        Self::DockerConfigAuth,
        Self::NpmrcAuth,
        Self::PypircPassword,
        Self::NetrcPassword,
        Self::GitCredentials,
        Self::AwsCredentialsFile,
        Self::KubeconfigCredential,
    ];

    /// The detector an id names.
    pub fn from_id(id: &str) -> Option<Detector> {
        Self::ALL.iter().copied().find(|d| d.id() == id)
    }

    /// The detector's stable id (`github-token`).
    pub fn id(self) -> &'static str {
        self.about().0
    }

    /// What the detector finds, for a reader.
    pub fn description(self) -> &'static str {
        self.about().1
    }

    /// Where the format the detector follows is documented.
    pub fn source(self) -> &'static str {
        self.about().2
    }

    fn about(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::GithubToken => (
                "github-token",
                "GitHub personal access, OAuth, app or refresh token (ghp_, gho_, ghu_, ghs_, ghr_)",
                "GitHub docs, About authentication to GitHub: GitHub's token formats",
            ),
            Self::GithubFineGrainedToken => (
                "github-fine-grained-token",
                "GitHub fine-grained personal access token (github_pat_)",
                "GitHub docs, Managing your personal access tokens",
            ),
            Self::GitlabToken => (
                "gitlab-token",
                "GitLab token (glpat-, gldt-, glrt-, glptt-, gloas-…)",
                "GitLab docs, GitLab token overview: token prefixes",
            ),
            Self::SlackToken => (
                "slack-token",
                "Slack bot, user, app-level or refresh token (xoxb-, xoxp-, xapp-…)",
                "Slack API docs, Tokens: token types",
            ),
            Self::SlackWebhook => (
                "slack-webhook",
                "Slack incoming-webhook or workflow URL path",
                "Slack API docs, Sending messages using incoming webhooks",
            ),
            Self::NpmToken => (
                "npm-token",
                "npm access token (npm_)",
                "npm docs, About access tokens; GitHub blog, npm's new token format (2021)",
            ),
            Self::PypiToken => (
                "pypi-token",
                "PyPI API token (pypi-AgE…, a macaroon)",
                "PyPI help, API tokens",
            ),
            Self::AwsAccessKeyId => (
                "aws-access-key-id",
                "AWS access key id (AKIA, ASIA, ABIA, ACCA)",
                "AWS IAM User Guide, IAM identifiers: unique id prefixes",
            ),
            Self::GoogleApiKey => (
                "google-api-key",
                "Google API key (AIza…)",
                "Google Cloud docs, Manage API keys",
            ),
            Self::StripeLiveKey => (
                "stripe-live-key",
                "Stripe live secret or restricted key (sk_live_, rk_live_)",
                "Stripe docs, API keys",
            ),
            Self::OpenaiApiKey => (
                "openai-api-key",
                "OpenAI API key (sk-…T3BlbkFJ…)",
                "OpenAI platform docs, API keys (the T3BlbkFJ marker is base64 of \"OpenAI\")",
            ),
            Self::AnthropicApiKey => (
                "anthropic-api-key",
                "Anthropic API key (sk-ant-api03-…)",
                "Anthropic docs, API keys",
            ),
            Self::HuggingfaceToken => (
                "huggingface-token",
                "Hugging Face user access token (hf_)",
                "Hugging Face docs, User access tokens",
            ),
            Self::DockerHubToken => (
                "docker-hub-token",
                "Docker Hub personal access token (dckr_pat_)",
                "Docker docs, Personal access tokens",
            ),
            Self::DigitaloceanToken => (
                "digitalocean-token",
                "DigitalOcean personal access, OAuth or refresh token (dop_v1_, doo_v1_, dor_v1_)",
                "DigitalOcean docs, API tokens",
            ),
            Self::Jwt => (
                "jwt",
                "JSON Web Token (three base64url parts, the first two JSON objects)",
                "RFC 7519 (JWT) and RFC 7515 (JWS compact serialization)",
            ),
            Self::PrivateKey => (
                "private-key",
                "PEM private key (-----BEGIN … PRIVATE KEY-----) in a string",
                "RFC 7468 (textual encodings), OpenSSH PROTOCOL.key",
            ),
            Self::UrlPassword => (
                "url-password",
                "password in a URL's userinfo (scheme://user:password@host)",
                "RFC 3986, section 3.2.1",
            ),
            Self::UrlToken => (
                "url-token",
                "lone userinfo in a URL, taken to be a token (scheme://token@host)",
                "RFC 3986, section 3.2.1",
            ),
            Self::CommandLineUser => (
                "command-line-user",
                "user:password given to curl or wget with -u or --user",
                "curl(1) --user, wget(1) --user",
            ),
            Self::CommandLinePassword => (
                "command-line-password",
                "value of --password, --token and kin, of mysql's -pX, of docker login -p",
                "mysql(1) --password, docker-login(1)",
            ),
            Self::AuthorizationHeader => (
                "authorization-header",
                "credentials of an Authorization, PRIVATE-TOKEN or X-API-Key header",
                "RFC 9110, section 11.6.2",
            ),
            Self::SecretAssignment => (
                "secret-assignment",
                "value of NAME=value where the name says it is a secret",
                "imgaudit's own naming rule (is_secret_name)",
            ),
            Self::PrivateKeyFile => (
                "private-key-file",
                "PEM private key block (RSA, EC, DSA, PKCS#8, encrypted, OpenSSH, PGP) with a key body, in a file",
                "RFC 7468 (textual encodings), OpenSSH PROTOCOL.key, RFC 4880 section 6.2 (armor)",
            ),
            Self::PuttyPrivateKey => (
                "putty-private-key",
                "PuTTY private key file (PuTTY-User-Key-File-2 or -3, with its Private-Lines)",
                "PuTTY user manual, appendix C: the PPK file format",
            ),
            Self::Pkcs12File => (
                "pkcs12-file",
                "PKCS#12 key store, recognised by its DER structure whatever its name",
                "RFC 7292, section 4 (PFX PDU syntax)",
            ),
            Self::DockerConfigAuth => (
                "docker-config-auth",
                "registry credential in a Docker client config (auths.*.auth, identitytoken, registrytoken)",
                "Docker docs, docker login and the CLI config.json",
            ),
            Self::NpmrcAuth => (
                "npmrc-auth",
                "literal _authToken, _password or _auth in an .npmrc",
                "npm docs, npmrc: auth-related configuration",
            ),
            Self::PypircPassword => (
                "pypirc-password",
                "password in a .pypirc",
                "PyPA specifications, The .pypirc file",
            ),
            Self::NetrcPassword => (
                "netrc-password",
                "password in a .netrc",
                "GNU Inetutils manual, The .netrc file",
            ),
            Self::GitCredentials => (
                "git-credentials",
                "URL with a password or token in git's credential store",
                "git-credential-store(1)",
            ),
            Self::AwsCredentialsFile => (
                "aws-credentials-file",
                "aws_secret_access_key in an AWS shared credentials or config file",
                "AWS SDKs and Tools Reference Guide, the shared config and credentials files",
            ),
            Self::KubeconfigCredential => (
                "kubeconfig-credential",
                "token, client-key-data or password of a kubeconfig user",
                "Kubernetes docs, Organizing cluster access using kubeconfig files",
            ),
        }
    }
}

/// Every secret in `text`, in order, not overlapping (overlapping detections are merged into
/// the first one's detector), and none that is already [`MASK`].
pub fn find(text: &str) -> Vec<Secret> {
    let mut found = Vec::new();
    found.extend(tokens::find(text));
    found.extend(pem::find(text));
    found.extend(url::userinfo(text));
    found.extend(command::find(text));
    found.extend(assign::find(text));
    merge(text, found)
}

fn merge(text: &str, mut found: Vec<Secret>) -> Vec<Secret> {
    found.retain(|s| !s.range.is_empty() && &text[s.range.clone()] != MASK);
    found.sort_by_key(|s| (s.range.start, std::cmp::Reverse(s.range.end)));
    let mut merged: Vec<Secret> = Vec::with_capacity(found.len());
    for secret in found {
        match merged.last_mut() {
            Some(last) if secret.range.start < last.range.end => {
                last.range.end = last.range.end.max(secret.range.end);
            }
            _ => merged.push(secret),
        }
    }
    merged
}

/// `text` with every secret [`find`] sees replaced by [`MASK`]. Masking is idempotent.
pub fn mask(text: &str) -> Cow<'_, str> {
    let found = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(replace(text, found.iter().map(|s| s.range.clone())))
}

fn replace(text: &str, ranges: impl Iterator<Item = Range<usize>>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for range in ranges {
        out.push_str(&text[done..range.start]);
        out.push_str(MASK);
        done = range.end;
    }
    out.push_str(&text[done..]);
    out
}

/// The arguments of one command (a config's `Cmd` or `Entrypoint`), masked as the command line
/// they make: `["curl", "-u", "admin:s3cret"]` masks the third, which alone says nothing.
pub fn mask_args<S: AsRef<str>>(args: &[S]) -> Vec<String> {
    let mut line = String::new();
    let mut starts = Vec::with_capacity(args.len());
    for arg in args {
        if !line.is_empty() {
            line.push(' ');
        }
        starts.push(line.len());
        line.push_str(arg.as_ref());
    }
    let found = find(&line);
    args.iter()
        .zip(starts)
        .map(|(arg, start)| {
            let arg = arg.as_ref();
            let end = start + arg.len();
            let inside = found
                .iter()
                .filter(|s| s.range.start < end && s.range.end > start)
                .map(|s| s.range.start.max(start) - start..s.range.end.min(end) - start);
            let masked = replace(arg, inside);
            // Whatever the joined line held, each argument is also masked on its own.
            mask(&masked).into_owned()
        })
        .collect()
}

/// A variable's value masked: whole when its name says it is a secret (a password may hold
/// blanks), else whatever [`mask`] finds in it.
pub fn mask_value<'a>(name: &str, value: &'a str) -> Cow<'a, str> {
    if is_secret_name(name) && !value.is_empty() && !is_reference(value) {
        Cow::Borrowed(MASK)
    } else {
        mask(value)
    }
}

/// `NAME=value` (an `Env` entry) with its value masked as [`mask_value`] does.
pub fn mask_assignment(entry: &str) -> Cow<'_, str> {
    match entry.split_once('=') {
        Some((name, value)) => match mask_value(name, value) {
            Cow::Borrowed(v) if std::ptr::eq(v, value) => mask(entry),
            masked => Cow::Owned(format!("{}={masked}", mask(name))),
        },
        None => mask(entry),
    }
}

/// A shell variable reference (`$TOKEN`, `${TOKEN}`) rather than a literal.
fn is_reference(value: &str) -> bool {
    value.starts_with('$')
}

/// Whether a byte ends a word of a command line as the command-line and assignment detectors
/// read it: blanks, quotes, and the punctuation of JSON arrays and shell lists.
fn ends_word(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b'`' | b',' | b'[' | b']' | b'(' | b')' | b';' | b'&' | b'|' | b'\\'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detector_ids_are_unique_and_round_trip() {
        let mut ids: Vec<&str> = Detector::ALL.iter().map(|d| d.id()).collect();
        for detector in Detector::ALL {
            assert_eq!(Detector::from_id(detector.id()), Some(*detector));
            assert!(!detector.description().is_empty() && !detector.source().is_empty());
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Detector::ALL.len());
    }

    #[test]
    fn masks_keep_the_context_readable() {
        assert_eq!(
            mask("RUN curl -u admin:s3cret https://x/ && GITHUB_TOKEN=ghp_x make"),
            "RUN curl -u admin:**** https://x/ && GITHUB_TOKEN=**** make"
        );
    }

    #[test]
    fn masking_is_idempotent() {
        for text in [
            "curl -u admin:s3cret https://a:b@c/ -H 'Authorization: Bearer abc' --password=x",
            "mysql -ps3cret; TOKEN=abc; ghp_0123456789abcdefghij0123456789abcdef",
        ] {
            let once = mask(text).into_owned();
            assert_ne!(once, text);
            assert_eq!(mask(&once), once, "{text}");
            assert!(find(&once).is_empty(), "{once}");
        }
    }

    #[test]
    fn overlapping_detections_merge() {
        // The token detector and the assignment detector both see the token.
        let text = "GITHUB_TOKEN=ghp_0123456789abcdefghij0123456789abcdef tail";
        let found = find(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].range.clone()], &text[13..53]);
        assert_eq!(mask(text), "GITHUB_TOKEN=**** tail");
    }

    #[test]
    fn arguments_are_masked_as_one_command_line() {
        assert_eq!(
            mask_args(&["curl", "-u", "admin:s3cret", "https://x/"]),
            ["curl", "-u", "admin:****", "https://x/"]
        );
        assert_eq!(
            mask_args(&["mysql", "--password", "s3cret"]),
            ["mysql", "--password", "****"]
        );
        assert_eq!(
            mask_args(&["sh", "-c", "mysql -ps3cret db"]),
            ["sh", "-c", "mysql -p**** db"]
        );
        assert_eq!(mask_args(&["id", "-u", "1000"]), ["id", "-u", "1000"]);
        assert_eq!(mask_args::<&str>(&[]), Vec::<String>::new());
    }

    #[test]
    fn values_of_secret_names_are_masked_whole() {
        assert_eq!(mask_value("DB_PASSWORD", "two words"), MASK);
        assert_eq!(
            mask_value("DB_PASSWORD", "$FROM_ELSEWHERE"),
            "$FROM_ELSEWHERE"
        );
        assert_eq!(mask_value("DB_PASSWORD", ""), "");
        assert_eq!(
            mask_value("NOTE", "see https://u:p@h/"),
            "see https://u:****@h/"
        );
        assert_eq!(mask_assignment("API_TOKEN=a b c"), "API_TOKEN=****");
        assert_eq!(mask_assignment("PATH=/usr/bin"), "PATH=/usr/bin");
        assert_eq!(mask_assignment("novalue"), "novalue");
        assert!(matches!(mask_assignment("PATH=/usr/bin"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_detector_has_an_id_description_and_source() {
        let all = [
            Detector::GithubToken,
            Detector::GithubFineGrainedToken,
            Detector::GitlabToken,
            Detector::SlackToken,
            Detector::SlackWebhook,
            Detector::NpmToken,
            Detector::PypiToken,
            Detector::AwsAccessKeyId,
            Detector::GoogleApiKey,
            Detector::StripeLiveKey,
            Detector::OpenaiApiKey,
            Detector::AnthropicApiKey,
            Detector::HuggingfaceToken,
            Detector::DockerHubToken,
            Detector::DigitaloceanToken,
            Detector::Jwt,
            Detector::PrivateKey,
            Detector::UrlPassword,
            Detector::UrlToken,
            Detector::CommandLineUser,
            Detector::CommandLinePassword,
            Detector::AuthorizationHeader,
            Detector::SecretAssignment,
        ];
        let mut ids: Vec<&str> = all.iter().map(|d| d.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for d in all {
            assert!(
                !d.description().is_empty() && !d.source().is_empty(),
                "{d:?}"
            );
        }
    }

    #[test]
    fn cost_is_linear_in_the_text() {
        // Many near-misses of every detector: each must be rejected in bounded time.
        let unit = "ghp_ glpat- xoxb- AKIA eyJa.eyJb. -----BEGIN RSA PRIVATE KEY----- https://a@ \
                    curl -u --password Authorization: Bearer DB_PASSWORD= mysql -p ";
        let small = unit.repeat(200);
        let large = unit.repeat(3200);
        let time = |text: &str| {
            let started = std::time::Instant::now();
            let found = find(text);
            (started.elapsed(), found.len())
        };
        let (t_small, n_small) = time(&small);
        let (t_large, n_large) = time(&large);
        assert_eq!(n_large, n_small * 16);
        // 16 times the text: well under 16 * 8 times the time (quadratic would be 256 times).
        assert!(
            t_large < t_small * 128 + std::time::Duration::from_millis(200),
            "{t_small:?} for {} bytes, {t_large:?} for {} bytes",
            small.len(),
            large.len()
        );
    }
}
