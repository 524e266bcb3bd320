//! Secrets in files: what the layer reader runs on each regular file while a layer streams past.
//!
//! [`inspect`] takes a file's path (as the image names it) and bytes and returns a [`FileHit`]
//! per secret: the [`Detector`], a [`Category`], the 1-based line and the secret's
//! [`Fingerprint`], never the value. What it finds:
//!
//! - **Private keys** ([`Category::PrivateKey`]): PEM blocks whose label ends in `PRIVATE KEY`
//!   (RSA, EC, DSA, PKCS#8, `ENCRYPTED`, `OPENSSH`, and PGP's `PRIVATE KEY BLOCK`), also
//!   inside a one-line string with escaped line breaks (a cloud service-account JSON), but only
//!   with a real body: base64 lines (after optional `Proc-Type:`-style headers) of at least
//!   [`MIN_KEY_BODY`] characters and 16 distinct ones, then the `END` line of the same label.
//!   A document that quotes a header line, or a placeholder body (`...`, `<your key>`,
//!   `XXXX…`), is no hit. PuTTY keys (`PuTTY-User-Key-File-2/3` with their `Private-Lines`),
//!   and PKCS#12 key stores recognised by their DER structure (a PFX, version 3, holding
//!   PKCS#7 data), whatever the file is called.
//! - **Credential files** ([`Category::CredentialFile`]), by name and content: a Docker client
//!   config (`config.json` anywhere, which covers `$DOCKER_CONFIG`, and the legacy
//!   `.dockercfg`) with a non-empty `auth`, `identitytoken` or `registrytoken` (an empty
//!   `auths`, or only `credsStore`/`credHelpers`, is no hit); an `.npmrc` or `npmrc` with a
//!   literal `_authToken`, `_password` or `_auth` (not `${NPM_TOKEN}`); a `.pypirc` `password`;
//!   a `.netrc` `password`; a `.git-credentials` (or `git/credentials`) URL with a password or
//!   token; an `aws_secret_access_key` in `.aws/credentials` or `.aws/config`; a kubeconfig
//!   (`.kube/config`, `kubeconfig`, `*.kubeconfig`, `/etc/kubernetes/*.conf`) with a `token`,
//!   `client-key-data` or `password`.
//! - **Tokens** ([`Category::Token`]): the vendor formats of [`crate::tokens`] anywhere in a
//!   text file, except JSON Web Tokens (libraries and their documentation are full of sample
//!   ones; a kubeconfig's token is found as a credential) and values that say they are
//!   examples (`AKIAIOSFODNN7EXAMPLE`, which AWS's own SDKs ship in their documentation).
//!
//! Certificates, CA bundles and public keys (`BEGIN CERTIFICATE`, `BEGIN PUBLIC KEY`,
//! `ssh-rsa AAAA…`) are never hits. A file whose first [`BINARY_PROBE`] bytes hold a NUL is
//! binary: only the PKCS#12 check looks at it. A cheap literal prefilter ([`may_hold_secret`])
//! decides whether the patterns run at all, so a text file without a key marker or token prefix
//! costs one pass of a multi-literal search.
//!
//! [`is_fixture`] tells a package's own test fixtures by their path, so that rules can skip
//! them rather than the detector drop them.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use imgaudit_digest::{Algorithm, Digest};

use crate::{Detector, Fingerprint, tokens};

/// The default size above which a file is not inspected: keys and credential files are small.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;
/// The bytes looked at to tell a binary file (a NUL among them) from a text one.
pub const BINARY_PROBE: usize = 8192;
/// The fewest base64 characters a private key's body holds (the smallest real key, a P-256 EC
/// key, has about 160): fewer is a placeholder or an excerpt.
pub const MIN_KEY_BODY: usize = 100;
/// The most hits one file gives; a file with more is a hostile one or a dump, and the first are
/// enough to act on.
pub const MAX_HITS_PER_FILE: usize = 100;

/// What kind of secret a hit is. Ids are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// A private key (PEM, OpenSSH, PuTTY, PGP, PKCS#12).
    PrivateKey,
    /// A credential in a file made to hold credentials (`.npmrc`, `.netrc`, a Docker config…).
    CredentialFile,
    /// A token of a vendor's documented format, in any text file.
    Token,
}

impl Category {
    /// The stable id (`private-key`, `credential-file`, `token`).
    pub fn id(self) -> &'static str {
        match self {
            Category::PrivateKey => "private-key",
            Category::CredentialFile => "credential-file",
            Category::Token => "token",
        }
    }

    /// The category an id names.
    pub fn from_id(id: &str) -> Option<Category> {
        [
            Category::PrivateKey,
            Category::CredentialFile,
            Category::Token,
        ]
        .into_iter()
        .find(|c| c.id() == id)
    }
}

/// One secret found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHit {
    pub detector: Detector,
    pub category: Category,
    /// The 1-based line the secret starts on (1 for binary files).
    pub line: u32,
    /// How the secret is shown: for a key, its base64 body (or a binary key store's bytes).
    pub shown: Fingerprint,
}

/// Whether the first bytes of a file say it is binary (a NUL among the first [`BINARY_PROBE`]).
pub fn is_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(BINARY_PROBE)]).is_some()
}

/// Every secret in a file. `path` is the file's path in the image, with or without its leading
/// `/`; `content` its bytes (the caller skips files over its size cap).
pub fn inspect(path: &str, content: &[u8]) -> Vec<FileHit> {
    if is_binary(content) {
        return inspect_binary(content);
    }
    let named = Named::of(path);
    if named.is_none() && !may_hold_secret(content) {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(content);
    let mut hits = Vec::new();
    let keys = private_keys(&text, &mut hits);
    if let Some(named) = named {
        hits.extend(named.find(&text));
    }
    let taken: Vec<u32> = hits.iter().map(|h| h.line).collect();
    for hit in file_tokens(&text) {
        // A token inside a key's body, or on a credential's line, is that secret again.
        let inside_key = keys
            .iter()
            .any(|(from, to)| (*from..=*to).contains(&hit.line));
        if !inside_key && !taken.contains(&hit.line) {
            hits.push(hit);
        }
    }
    hits.sort_by_key(|h| h.line);
    hits.truncate(MAX_HITS_PER_FILE);
    hits
}

/// Secrets a binary file may be: a PKCS#12 key store. Only the first bytes are read, so the
/// caller may pass just the head of a large file.
pub fn inspect_binary(head: &[u8]) -> Vec<FileHit> {
    if !is_pkcs12(head) {
        return Vec::new();
    }
    vec![FileHit {
        detector: Detector::Pkcs12File,
        category: Category::PrivateKey,
        line: 1,
        shown: bytes_fingerprint(head),
    }]
}

/// A fingerprint of bytes that are not text: no prefix, the length in bytes, the short hash.
fn bytes_fingerprint(bytes: &[u8]) -> Fingerprint {
    Fingerprint {
        prefix: String::new(),
        length: bytes.len(),
        hash: Digest::of_bytes(Algorithm::Sha256, bytes).hex()[..8].to_owned(),
    }
}

/// The literals every text hit needs: key markers and the token formats' prefixes. Credential
/// files are recognised by name and need none.
const PREFILTER: &[&str] = &[
    "PRIVATE KEY",
    "PuTTY-User-Key-File-",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gloas-",
    "gldt-",
    "glrt-",
    "glcbt-",
    "glptt-",
    "glft-",
    "glimt-",
    "glagent-",
    "glsoat-",
    "glffct-",
    "glwt-",
    "xox",
    "xapp-",
    "hooks.slack.com/",
    "npm_",
    "pypi-AgE",
    "AKIA",
    "ASIA",
    "ABIA",
    "ACCA",
    "AIza",
    "sk_live_",
    "rk_live_",
    "sk-ant-",
    "T3BlbkFJ",
    "hf_",
    "dckr_pat_",
    "dop_v1_",
    "doo_v1_",
    "dor_v1_",
];

/// The prefilter's searcher: the SIMD multi-literal search (Teddy) where the CPU has it, which
/// scans text several times faster than an automaton (on the benchmark image the automaton was a
/// tenth of the whole scan's CPU); the automaton elsewhere.
enum Prefilter {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

static PREFILTER_SEARCH: LazyLock<Prefilter> = LazyLock::new(|| {
    let mut packed = aho_corasick::packed::Config::new().builder();
    match packed.extend(PREFILTER).build() {
        Some(searcher) => Prefilter::Packed(searcher),
        None => Prefilter::Automaton(
            AhoCorasick::new(PREFILTER).expect("the prefilter literals are valid"),
        ),
    }
});

/// Whether a text may hold a private key or a token: one multi-literal pass, after which the
/// patterns run only on the files that can match them.
pub fn may_hold_secret(content: &[u8]) -> bool {
    match &*PREFILTER_SEARCH {
        Prefilter::Packed(searcher) => searcher.find(content).is_some(),
        Prefilter::Automaton(automaton) => automaton.is_match(content),
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u32 {
    let newlines = memchr::memchr_iter(b'\n', &text.as_bytes()[..offset]).count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// Token-format hits in a text file.
fn file_tokens(text: &str) -> Vec<FileHit> {
    tokens::find(text)
        .into_iter()
        .filter(|secret| secret.detector != Detector::Jwt)
        .filter_map(|secret| {
            let value = &text[secret.range.clone()];
            (!value.to_ascii_lowercase().contains("example")).then(|| FileHit {
                detector: secret.detector,
                category: Category::Token,
                line: line_of(text, secret.range.start),
                shown: Fingerprint::of(value),
            })
        })
        .collect()
}

/// A line of text and where it starts, split further at escaped line breaks (`\n` written as
/// two characters) when it holds a key's header, as a JSON string does.
struct Line<'a> {
    number: u32,
    text: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    for (i, physical) in text.split('\n').enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if physical.contains("\\n") && physical.contains("PRIVATE KEY") {
            out.extend(physical.split("\\n").map(|text| Line { number, text }));
        } else {
            out.push(Line {
                number,
                text: physical,
            });
        }
    }
    out
}

/// The label of a `-----BEGIN <label>-----` that ends its (virtual) line, when it names a
/// private key.
fn begin_label(line: &str) -> Option<&str> {
    const BEGIN: &str = "-----BEGIN ";
    let at = line.find(BEGIN)?;
    let rest = &line[at + BEGIN.len()..];
    let label_len = rest.find("-----")?;
    let label = &rest[..label_len];
    let after = rest[label_len + 5..].trim();
    let is_key = (label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK"))
        && label.len() <= 40
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    (is_key && after.is_empty()).then_some(label)
}

fn is_base64_line(line: &str) -> bool {
    !line.is_empty()
        && line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// An RFC 1421 / RFC 4880 armor header (`Proc-Type: 4,ENCRYPTED`, `Version: GnuPG`).
fn is_armor_header(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// Whether a body is random enough to be a key rather than a placeholder (`AAAA…`, `XXXX…`).
fn looks_random(body: &str) -> bool {
    let mut seen = [false; 256];
    for b in body.bytes() {
        seen[usize::from(b)] = true;
    }
    body.len() >= MIN_KEY_BODY && seen.iter().filter(|s| **s).count() >= 16
}

/// PEM and PuTTY private keys; returns the line ranges of the keys found.
fn private_keys(text: &str, hits: &mut Vec<FileHit>) -> Vec<(u32, u32)> {
    let mut ranges = Vec::new();
    if !text.contains("PRIVATE KEY") && !text.contains("PuTTY-User-Key-File-") {
        return ranges;
    }
    let lines = lines(text);
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].text.trim();
        let found = if let Some(label) = begin_label(line) {
            pem_body(&lines[i + 1..], label).map(|found| (Detector::PrivateKeyFile, found))
        } else if line.starts_with("PuTTY-User-Key-File-2:")
            || line.starts_with("PuTTY-User-Key-File-3:")
        {
            putty_body(&lines[i + 1..]).map(|found| (Detector::PuttyPrivateKey, found))
        } else {
            None
        };
        let Some((detector, (body, end))) = found else {
            i += 1;
            continue;
        };
        hits.push(FileHit {
            detector,
            category: Category::PrivateKey,
            line: lines[i].number,
            shown: Fingerprint::of(&body),
        });
        ranges.push((lines[i].number, lines[i + 1 + end].number));
        i += 2 + end;
    }
    ranges
}

/// The base64 body of a PEM block whose header came just before `rest`, and the index in
/// `rest` of its `END` line; `None` unless a real body ends at the matching footer.
fn pem_body(rest: &[Line<'_>], label: &str) -> Option<(String, usize)> {
    let footer = format!("-----END {label}-----");
    let mut body = String::new();
    let mut in_headers = true;
    for (at, line) in rest.iter().enumerate() {
        let text = line.text.trim();
        if text.starts_with(&footer) {
            return looks_random(&body).then_some((body, at));
        }
        if in_headers && is_armor_header(text) {
            continue;
        }
        if text.is_empty() && in_headers {
            // The blank line that ends armor headers.
            continue;
        }
        in_headers = false;
        if !is_base64_line(text) || body.len() > 64 * 1024 {
            return None;
        }
        body.push_str(text);
    }
    None
}

/// The private lines of a PuTTY key whose first line came just before `rest`, and the index in
/// `rest` of its last private line.
fn putty_body(rest: &[Line<'_>]) -> Option<(String, usize)> {
    // A PPK file has a handful of header lines before its private part.
    for (at, line) in rest.iter().enumerate().take(200) {
        let Some(count) = line.text.trim().strip_prefix("Private-Lines:") else {
            continue;
        };
        let count: usize = count
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))?;
        let private = rest.get(at + 1..at + 1 + count)?;
        let mut body = String::new();
        for line in private {
            let text = line.text.trim();
            if !is_base64_line(text) {
                return None;
            }
            body.push_str(text);
        }
        return looks_random(&body).then_some((body, at + count));
    }
    None
}

/// Whether bytes start as a PKCS#12 PFX (RFC 7292): `SEQUENCE { INTEGER 3, SEQUENCE {
/// OBJECT IDENTIFIER pkcs7-data | pkcs7-signedData, …`, in DER (or BER's indefinite length).
fn is_pkcs12(bytes: &[u8]) -> bool {
    /// `06 09` and the OID 1.2.840.113549.1.7, without its last arc.
    const PKCS7: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];
    fn skip_header(bytes: &[u8], tag: u8) -> Option<&[u8]> {
        let (&first, rest) = bytes.split_first()?;
        if first != tag {
            return None;
        }
        let (&length, rest) = rest.split_first()?;
        match length {
            // Short form, or BER's indefinite length (0x80).
            0x00..=0x80 => Some(rest),
            0x81..=0x84 => rest.get(usize::from(length & 0x7f)..),
            _ => None,
        }
    }
    let Some(inner) = skip_header(bytes, 0x30) else {
        return false;
    };
    let Some(after_version) = inner.strip_prefix(&[0x02, 0x01, 0x03]) else {
        return false;
    };
    let Some(auth_safe) = skip_header(after_version, 0x30) else {
        return false;
    };
    auth_safe
        .strip_prefix(PKCS7)
        .and_then(<[u8]>::first)
        .is_some_and(|arc| matches!(arc, 0x01 | 0x02))
}

/// The credential files told by their name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    DockerConfig,
    LegacyDockerConfig,
    Npmrc,
    Pypirc,
    Netrc,
    GitCredentials,
    Aws,
    Kubeconfig,
}

impl Named {
    fn of(path: &str) -> Option<Named> {
        let mut components = path.trim_start_matches('/').rsplit('/');
        let name = components.next()?;
        let parent = components.next().unwrap_or("");
        let grandparent = components.next().unwrap_or("");
        Some(match name {
            "config.json" => Named::DockerConfig,
            ".dockercfg" => Named::LegacyDockerConfig,
            ".npmrc" | "npmrc" => Named::Npmrc,
            ".pypirc" => Named::Pypirc,
            ".netrc" | "_netrc" => Named::Netrc,
            ".git-credentials" => Named::GitCredentials,
            "credentials" if parent == "git" => Named::GitCredentials,
            "credentials" | "config" if parent == ".aws" => Named::Aws,
            "config" if parent == ".kube" => Named::Kubeconfig,
            "kubeconfig" => Named::Kubeconfig,
            _ if has_extension(name, "kubeconfig") => Named::Kubeconfig,
            _ if has_extension(name, "conf") && parent == "kubernetes" && grandparent == "etc" => {
                Named::Kubeconfig
            }
            _ => return None,
        })
    }

    fn find(self, text: &str) -> Vec<FileHit> {
        let (detector, found) = match self {
            Named::DockerConfig | Named::LegacyDockerConfig => (
                Detector::DockerConfigAuth,
                docker_config(text, self == Named::LegacyDockerConfig),
            ),
            Named::Npmrc => (Detector::NpmrcAuth, npmrc(text)),
            Named::Pypirc => (
                Detector::PypircPassword,
                ini_values(text, &["password"], &['=', ':']),
            ),
            Named::Netrc => (Detector::NetrcPassword, netrc(text)),
            Named::GitCredentials => (Detector::GitCredentials, git_credentials(text)),
            Named::Aws => (
                Detector::AwsCredentialsFile,
                ini_values(text, &["aws_secret_access_key"], &['=']),
            ),
            Named::Kubeconfig => (
                Detector::KubeconfigCredential,
                ini_values(text, &["token", "client-key-data", "password"], &[':']),
            ),
        };
        found
            .into_iter()
            .map(|(line, value)| FileHit {
                detector,
                category: Category::CredentialFile,
                line,
                shown: Fingerprint::of(&value),
            })
            .collect()
    }
}

/// Whether a file name ends in `.extension` (any case).
fn has_extension(name: &str, extension: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && ext.eq_ignore_ascii_case(extension))
}

/// Whether a value is a literal credential rather than a reference (`$VAR`, `${VAR}`), an
/// empty value or a placeholder (`<token>`, `****`, `xxxx`, `null`).
fn is_literal(value: &str) -> bool {
    let value = value.trim();
    let first = value.chars().next();
    let reference = value.contains("${") || first == Some('$');
    let placeholder = (value.starts_with('<') && value.ends_with('>'))
        || matches!(value, "null" | "~" | "\"\"" | "''")
        || value
            .chars()
            .all(|c| Some(c) == first && matches!(c, '*' | 'x' | 'X' | '.' | '-'));
    !value.is_empty() && !reference && !placeholder
}

/// A value with the quotes around it removed.
fn unquoted(value: &str) -> &str {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// `key = value` lines (INI, and YAML's `key: value` with `:`) whose key is one of `keys`
/// (case-insensitive; YAML list items `- key: value` too), with a literal value.
fn ini_values(text: &str, keys: &[&str], separators: &[char]) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed);
        if trimmed.starts_with(['#', ';']) {
            continue;
        }
        let Some(at) = trimmed.find(separators) else {
            continue;
        };
        let key = trimmed[..at].trim();
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            continue;
        }
        let value = unquoted(&trimmed[at + 1..]);
        if is_literal(value) {
            found.push((u32::try_from(i + 1).unwrap_or(u32::MAX), value.to_owned()));
        }
    }
    found
}

/// `.npmrc`: `//registry/:_authToken=…`, `_password`, `_auth` (and the unscoped forms).
fn npmrc(text: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with(['#', ';']) {
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let value = unquoted(value);
        if (key.ends_with("_authToken") || key.ends_with("_password") || key.ends_with("_auth"))
            && is_literal(value)
        {
            found.push((u32::try_from(i + 1).unwrap_or(u32::MAX), value.to_owned()));
        }
    }
    found
}

/// `.netrc`: the token after each `password`, whatever the line layout.
fn netrc(text: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    let mut expecting = false;
    for (i, line) in text.lines().enumerate() {
        for word in line.split_whitespace() {
            if expecting {
                if is_literal(word) {
                    found.push((u32::try_from(i + 1).unwrap_or(u32::MAX), word.to_owned()));
                }
                expecting = false;
            } else if word == "password" {
                expecting = true;
            }
        }
    }
    found
}

/// `.git-credentials`: one URL a line, `https://user:password@host`.
fn git_credentials(text: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for secret in crate::url::userinfo(line) {
            let value = &line[secret.range];
            if is_literal(value) {
                found.push((u32::try_from(i + 1).unwrap_or(u32::MAX), value.to_owned()));
            }
        }
    }
    found
}

/// A Docker client config: `auths.<registry>.auth`, `identitytoken`, `registrytoken`; the
/// legacy `.dockercfg` has the registries at the top.
fn docker_config(text: &str, legacy: bool) -> Vec<(u32, String)> {
    if !legacy && !text.contains("\"auths\"") {
        return Vec::new();
    }
    let Ok(serde_json::Value::Object(top)) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let registries = if legacy {
        Some(&top)
    } else {
        top.get("auths").and_then(serde_json::Value::as_object)
    };
    let mut found = Vec::new();
    for entry in registries.into_iter().flat_map(|r| r.values()) {
        for field in ["auth", "identitytoken", "registrytoken"] {
            let Some(value) = entry.get(field).and_then(serde_json::Value::as_str) else {
                continue;
            };
            if is_literal(value) {
                found.push((json_line(text, field, value), value.to_owned()));
            }
        }
    }
    found
}

/// The line of a JSON string value (the first place it appears after its key), else 1.
fn json_line(text: &str, key: &str, value: &str) -> u32 {
    let quoted_key = format!("\"{key}\"");
    let mut search = 0;
    while let Some(at) = text[search..].find(&quoted_key) {
        let after = search + at + quoted_key.len();
        if let Some(value_at) = text[after..].find(value)
            && text[after..after + value_at]
                .bytes()
                .all(|b| matches!(b, b':' | b'"' | b' ' | b'\t' | b'\r' | b'\n'))
        {
            return line_of(text, after + value_at);
        }
        search = after;
    }
    1
}

/// Package directories whose `test`-like subdirectories hold the package's own test fixtures.
const PACKAGE_ROOTS: &[&str] = &["site-packages", "dist-packages", "node_modules", "gems"];
/// Directory names of test fixtures inside a package.
const TEST_DIRS: &[&str] = &["test", "tests", "testdata", "test_data", "fixtures"];

/// Whether a path is a package's own test fixture, as far as the path can tell: below a
/// `test`, `tests`, `testdata`, `test_data` or `fixtures` directory inside an installed package
/// (`site-packages`, `dist-packages`, `node_modules`, Ruby `gems`), inside a Python standard
/// library (`/usr/lib/python3.*/test/`, `/usr/local/lib/python3.*/…`), or inside Go's
/// (`/usr/local/go/src/…/testdata/`). A key an image's own build put in such a directory is
/// marked the same: the mark says "the path looks like a fixture", and the hit stays in the facts.
pub fn is_fixture(path: &str) -> bool {
    let components: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let Some(last) = components.len().checked_sub(1) else {
        return false;
    };
    let package_root = components.iter().enumerate().position(|(i, c)| {
        PACKAGE_ROOTS.contains(c)
            || (i > 0
                && components[i - 1] == "lib"
                && (c.starts_with("python3") || c.starts_with("python2")))
            || (*c == "src" && i > 0 && components[i - 1].starts_with("go"))
    });
    package_root.is_some_and(|root| {
        components[root + 1..last]
            .iter()
            .any(|c| TEST_DIRS.contains(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic key body: base64 of varied characters, made up here.
    fn body(lines: usize) -> String {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        (0..lines)
            .map(|i| {
                alphabet
                    .chars()
                    .cycle()
                    .skip(i * 7)
                    .take(64)
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    }

    fn pem(label: &str) -> String {
        format!(
            "-----BEGIN {label}-----\n{}-----END {label}-----\n",
            body(6)
        )
    }

    fn detectors(path: &str, text: &str) -> Vec<(Detector, u32)> {
        inspect(path, text.as_bytes())
            .into_iter()
            .map(|h| (h.detector, h.line))
            .collect()
    }

    #[test]
    fn finds_pem_private_keys_of_every_kind() {
        for label in [
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "DSA PRIVATE KEY",
            "PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
        ] {
            let text = format!("# a key\n{}", pem(label));
            let hits = inspect("/root/.ssh/id", text.as_bytes());
            assert_eq!(hits.len(), 1, "{label}");
            assert_eq!(hits[0].detector, Detector::PrivateKeyFile);
            assert_eq!(hits[0].category, Category::PrivateKey);
            assert_eq!(hits[0].line, 2);
            assert_eq!(hits[0].shown.length, 6 * 64);
        }
    }

    #[test]
    fn finds_legacy_encrypted_and_pgp_keys_with_armor_headers() {
        let legacy = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123\n\n{}-----END RSA PRIVATE KEY-----\n",
            body(5)
        );
        assert_eq!(
            detectors("/k.pem", &legacy),
            [(Detector::PrivateKeyFile, 1)]
        );
        let pgp = format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n{}=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n",
            body(5)
        );
        assert_eq!(detectors("/k.asc", &pgp), [(Detector::PrivateKeyFile, 1)]);
    }

    #[test]
    fn finds_a_key_in_a_json_string_with_escaped_line_breaks() {
        let key = pem("PRIVATE KEY").replace('\n', "\\n");
        let text =
            format!("{{\n  \"type\": \"service_account\",\n  \"private_key\": \"{key}\"\n}}\n");
        assert_eq!(
            detectors("/app/sa.json", &text),
            [(Detector::PrivateKeyFile, 3)]
        );
    }

    #[test]
    fn quoted_headers_and_placeholders_are_not_keys() {
        for text in [
            // Documentation and code that name the header.
            "if line == '-----BEGIN RSA PRIVATE KEY-----':\n    return True\n".to_owned(),
            "Paste your key:\n-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----\n".to_owned(),
            "-----BEGIN PRIVATE KEY-----\n<your private key here>\n-----END PRIVATE KEY-----\n".to_owned(),
            format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", "X".repeat(200)),
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n".to_owned(),
            // A body without its footer, or with another label's.
            format!("-----BEGIN RSA PRIVATE KEY-----\n{}", body(6)),
            format!("-----BEGIN RSA PRIVATE KEY-----\n{}-----END EC PRIVATE KEY-----\n", body(6)),
        ] {
            assert_eq!(detectors("/usr/share/doc/x.md", &text), [], "{text}");
        }
    }

    #[test]
    fn certificates_and_public_keys_are_never_hits() {
        for label in [
            "CERTIFICATE",
            "PUBLIC KEY",
            "RSA PUBLIC KEY",
            "X509 CRL",
            "CERTIFICATE REQUEST",
        ] {
            let text = pem(label);
            assert_eq!(detectors("/etc/ssl/certs/ca.pem", &text), [], "{label}");
        }
        let bundle = pem("CERTIFICATE").repeat(50);
        assert_eq!(detectors("/etc/ssl/certs/ca-certificates.crt", &bundle), []);
        let public = format!(
            "ssh-rsa AAAAB3NzaC1yc2E{} user@host\n",
            body(4).replace('\n', "")
        );
        assert_eq!(detectors("/root/.ssh/id_rsa.pub", &public), []);
        assert_eq!(detectors("/root/.ssh/authorized_keys", &public), []);
    }

    #[test]
    fn finds_putty_keys() {
        let text = format!(
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 1\nAAAAC3NzaC1lZDI1NTE5AAAAI\nPrivate-Lines: 3\n{}Private-MAC: 0123\n",
            body(3)
        );
        assert_eq!(
            detectors("/home/u/k.ppk", &text),
            [(Detector::PuttyPrivateKey, 1)]
        );
        let v2 = text.replace("File-3", "File-2");
        assert_eq!(
            detectors("/home/u/k.ppk", &v2),
            [(Detector::PuttyPrivateKey, 1)]
        );
        let placeholder = "PuTTY-User-Key-File-2: ssh-rsa\nPrivate-Lines: 1\n...\n";
        assert_eq!(detectors("/doc.txt", placeholder), []);
    }

    #[test]
    fn finds_pkcs12_by_structure_not_name() {
        let mut pfx = vec![
            0x30, 0x82, 0x0a, 0x00, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0xc0,
        ];
        pfx.extend_from_slice(&[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
        ]);
        pfx.extend_from_slice(&[0xa0, 0x00, 0x00, 0x11]);
        let hits = inspect("/opt/app/store.bin", &pfx);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].detector, Detector::Pkcs12File);
        assert_eq!(hits[0].category, Category::PrivateKey);
        assert_eq!(hits[0].shown.prefix, "");
        // A certificate in DER (version 2 in a context tag) is not one, nor is a `.p12` name.
        let der_cert = [
            0x30, 0x82, 0x03, 0x00, 0x30, 0x82, 0x02, 0x00, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x00,
        ];
        assert_eq!(inspect("/etc/ssl/store.p12", &der_cert), []);
        assert_eq!(inspect("/x.p12", b"\0not a key store"), []);
    }

    #[test]
    fn docker_configs_with_credentials_only() {
        let with_auth = "{\n  \"auths\": {\n    \"registry.example\": {\n      \"auth\": \"dXNlcjpzM2NyM3QtcGFzcw==\"\n    }\n  }\n}\n";
        let hits = inspect("/root/.docker/config.json", with_auth.as_bytes());
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].detector, Detector::DockerConfigAuth);
        assert_eq!(hits[0].category, Category::CredentialFile);
        assert_eq!(hits[0].line, 4);
        assert_eq!(hits[0].shown, Fingerprint::of("dXNlcjpzM2NyM3QtcGFzcw=="));
        let identity = "{\"auths\":{\"r\":{\"identitytoken\":\"eyJhbGciOi-opaque-token\"}}}";
        assert_eq!(
            detectors("/etc/docker-cfg/config.json", identity),
            [(Detector::DockerConfigAuth, 1)]
        );
        for empty in [
            "{\"auths\": {}}",
            "{\"auths\": {\"r\": {}}, \"credsStore\": \"desktop\"}",
            "{\"auths\": {\"r\": {\"auth\": \"\"}}}",
            "{\"credHelpers\": {\"gcr.io\": \"gcloud\"}}",
            "{\"auths\": not json",
        ] {
            assert_eq!(detectors("/root/.docker/config.json", empty), [], "{empty}");
        }
        let legacy = "{\"https://index.docker.io/v1/\": {\"auth\": \"dXNlcjpwYXNzd29yZA==\", \"email\": \"a@b\"}}";
        assert_eq!(
            detectors("/root/.dockercfg", legacy),
            [(Detector::DockerConfigAuth, 1)]
        );
    }

    #[test]
    fn npmrc_literals_not_references() {
        let text = "registry=https://registry.example/\n//registry.example/:_authToken=s3cr3t-token-value\n//other/:_authToken=${NPM_TOKEN}\n_auth = \"dXNlcjpwYXNz\"\n//x/:_password=$PASS\nalways-auth=true\n";
        assert_eq!(
            detectors("/root/.npmrc", text),
            [(Detector::NpmrcAuth, 2), (Detector::NpmrcAuth, 4)]
        );
        // An npm token on a credential line is one hit, the credential's.
        let token = format!(
            "//r/:_authToken=npm_{}\n",
            "a1B2c3D4e5".repeat(4)[..36].to_owned()
        );
        assert_eq!(
            detectors("/home/u/.npmrc", &token),
            [(Detector::NpmrcAuth, 1)]
        );
        // The same line in a file of another name is a token in a file.
        assert_eq!(
            detectors("/home/u/notes.txt", &token),
            [(Detector::NpmToken, 1)]
        );
    }

    #[test]
    fn pypirc_netrc_git_credentials_aws_and_kubeconfig() {
        let pypirc = "[distutils]\nindex-servers = pypi\n[pypi]\nusername = __token__\npassword = pypi-not-a-real-token\n";
        assert_eq!(
            detectors("/root/.pypirc", pypirc),
            [(Detector::PypircPassword, 5)]
        );
        assert_eq!(
            detectors("/root/.pypirc", "[pypi]\nusername = u\npassword =\n"),
            []
        );
        let netrc = "machine example.com\n  login alice\n  password hunter22\nmachine b login bob password  ${X}\n";
        assert_eq!(
            detectors("/root/.netrc", netrc),
            [(Detector::NetrcPassword, 3)]
        );
        let git = "https://alice:s3cret-pass@git.example\nhttps://git.example\n";
        assert_eq!(
            detectors("/root/.git-credentials", git),
            [(Detector::GitCredentials, 1)]
        );
        assert_eq!(
            detectors("/root/.config/git/credentials", git),
            [(Detector::GitCredentials, 1)]
        );
        let aws = "[default]\naws_access_key_id = AKIAZZZZZZZZZZZZZZZZ\naws_secret_access_key = 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\n";
        let hits = detectors("/root/.aws/credentials", aws);
        assert!(
            hits.contains(&(Detector::AwsCredentialsFile, 3)),
            "{hits:?}"
        );
        assert!(hits.contains(&(Detector::AwsAccessKeyId, 2)), "{hits:?}");
        assert_eq!(
            detectors("/root/.aws/config", "[default]\nregion = eu-west-1\n"),
            []
        );
        let kube = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTg==\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk=\n- name: bot\n  user:\n    token: \"abc.def-ghi\"\n- name: empty\n  user:\n    token: \"\"\n";
        assert_eq!(
            detectors("/root/.kube/config", kube),
            [
                (Detector::KubeconfigCredential, 7),
                (Detector::KubeconfigCredential, 10)
            ]
        );
        assert_eq!(detectors("/etc/kubernetes/admin.conf", kube).len(), 2);
        // The same words in a file of another name are nothing.
        assert_eq!(detectors("/app/settings.yaml", kube), []);
        assert_eq!(detectors("/app/README", pypirc), []);
    }

    #[test]
    fn tokens_anywhere_in_text_but_not_examples_or_jwts() {
        let token = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0".repeat(2)[..36].to_owned());
        let text = format!("line one\nexport GH={token}\n");
        let hits = inspect("/app/deploy.sh", text.as_bytes());
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].detector, hits[0].category, hits[0].line),
            (Detector::GithubToken, Category::Token, 2)
        );
        assert_eq!(hits[0].shown, Fingerprint::of(&token));
        for text in [
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
            "token = eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlX2J5dGVz\n",
        ] {
            assert_eq!(
                detectors("/usr/lib/python3/dist-packages/botocore/doc.py", text),
                [],
                "{text}"
            );
        }
    }

    #[test]
    fn binary_files_are_skipped_by_content() {
        let mut bytes = pem("RSA PRIVATE KEY").into_bytes();
        bytes.insert(10, 0);
        assert_eq!(inspect("/root/key.pem", &bytes), []);
        assert!(is_binary(b"\x7fELF\0\0"));
        assert!(!is_binary(b"text only"));
    }

    #[test]
    fn the_prefilter_lets_every_format_through() {
        let samples = [
            format!("ghp_{}", "a".repeat(36)),
            format!("github_pat_{}", "a".repeat(82)),
            format!("glpat-{}", "a".repeat(20)),
            "xoxb-1-aaaaaaaaaa".to_owned(),
            "https://hooks.slack.com/services/T0/B0/XXXXXXXXXXXXXXXX".to_owned(),
            format!("npm_{}", "a".repeat(36)),
            format!("pypi-AgE{}", "a".repeat(60)),
            "AKIAZZZZZZZZZZZZZZZZ".to_owned(),
            format!("AIza{}", "a".repeat(35)),
            format!("sk_live_{}", "a".repeat(24)),
            format!("sk-ant-api03-{}", "a".repeat(90)),
            format!("sk-{}T3BlbkFJ{}", "a".repeat(20), "a".repeat(20)),
            format!("hf_{}", "a".repeat(34)),
            format!("dckr_pat_{}", "a".repeat(27)),
            format!("dop_v1_{}", "a".repeat(64)),
        ];
        for sample in samples {
            assert!(may_hold_secret(sample.as_bytes()), "{sample}");
            assert!(!tokens::find(&sample).is_empty(), "{sample}");
        }
        assert!(!may_hold_secret(b"import os\nprint('hello')\n"));
    }

    #[test]
    fn the_automaton_prefilter_agrees_with_the_packed_one() {
        // CPUs without the SIMD search take the automaton: it must pass exactly the same texts.
        let automaton = AhoCorasick::new(PREFILTER).unwrap();
        let filler = "x = compute(value)\n".repeat(200);
        for literal in PREFILTER {
            for text in [
                format!("{filler}{literal}"),
                format!("{literal}{filler}"),
                format!("{filler}{literal}{filler}"),
            ] {
                assert!(automaton.is_match(&text), "{literal}");
                assert!(may_hold_secret(text.as_bytes()), "{literal}");
            }
        }
        for clean in [filler.as_str(), "", "PRIVATE KE", "gh_p", "xo x"] {
            assert!(!automaton.is_match(clean), "{clean}");
            assert!(!may_hold_secret(clean.as_bytes()), "{clean}");
        }
    }

    #[test]
    fn fixtures_are_told_by_their_path() {
        for path in [
            "/usr/lib/python3/dist-packages/cryptography/tests/keys/rsa.pem",
            "/usr/local/lib/python3.12/site-packages/pkg/tests/data/key.pem",
            "/usr/lib/python3.11/test/keycert.pem",
            "/usr/local/lib/python3.12/test/certdata/key.pem",
            "/app/node_modules/ssh2/test/fixtures/id_rsa",
            "/usr/local/go/src/crypto/tls/testdata/key.pem",
        ] {
            assert!(is_fixture(path), "{path}");
        }
        for path in [
            "/root/.ssh/id_rsa",
            "/app/tests/key.pem",
            "/usr/local/lib/python3.12/site-packages/pkg/key.pem",
            "/usr/local/lib/python3.12/site-packages/tests",
            "/etc/ssl/private/server.key",
        ] {
            assert!(!is_fixture(path), "{path}");
        }
    }

    #[test]
    fn many_headers_stay_linear() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n".repeat(50_000);
        let started = std::time::Instant::now();
        assert_eq!(inspect("/x", text.as_bytes()), []);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn categories_round_trip() {
        for category in [
            Category::PrivateKey,
            Category::CredentialFile,
            Category::Token,
        ] {
            assert_eq!(Category::from_id(category.id()), Some(category));
        }
    }
}
