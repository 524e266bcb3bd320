//! Image references (`busybox`, `localhost:5000/team/app:1.4`, `repo@sha256:…`), parsed and
//! normalized by the rules Docker applies, and the repository part of a reference: what stays the
//! same from one build to the next.
//!
//! A reference is `[REGISTRY/]PATH[:TAG][@DIGEST]`. The first path component names a registry
//! only when it cannot be a Docker Hub namespace (it holds `.` or `:`, is `localhost`, or has an
//! uppercase letter); everything else lives on Docker Hub, where a single-component name is an
//! official image under `library/`.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use imgaudit_digest::{Digest, DigestError};

use crate::{ImageMeta, ImageSpec};

/// The registry Docker Hub images are normalized to.
const DOCKER_HUB: &str = "docker.io";
/// The name Docker Hub had as "the index"; still accepted and normalized to [`DOCKER_HUB`].
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
/// The namespace of Docker Hub's official images.
const OFFICIAL_NAMESPACE: &str = "library/";
const DEFAULT_TAG: &str = "latest";
/// Docker's limit on `registry/repository`.
const MAX_NAME_LENGTH: usize = 255;
const MAX_TAG_LENGTH: usize = 128;

/// An image reference in a registry, parsed and normalized as Docker does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not an image reference.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    #[error("invalid image reference `{input}`: it is empty")]
    Empty { input: String },
    #[error(
        "invalid image reference `{input}`: it starts with `{first}` like a file path; name a \
         local image with an `oci:`, `oci-archive:` or `docker-archive:` prefix"
    )]
    LooksLikePath { input: String, first: char },
    #[error(
        "invalid image reference `{input}`: 64 hexadecimal digits are an image ID, which cannot \
         be used as a repository name"
    )]
    ImageId { input: String },
    #[error("invalid image reference `{input}`: the character {character:?} is not allowed")]
    InvalidCharacter { input: String, character: char },
    #[error(
        "invalid image reference `{input}`: there is no repository name before the tag or digest"
    )]
    MissingName { input: String },
    #[error(
        "invalid image reference `{input}`: `{registry}` is not a valid registry host: {reason}"
    )]
    InvalidRegistry {
        input: String,
        registry: String,
        reason: &'static str,
    },
    #[error(
        "invalid image reference `{input}`: the repository path has an empty component (a doubled \
         or trailing `/`)"
    )]
    EmptyComponent { input: String },
    #[error(
        "invalid image reference `{input}`: repository names must be lowercase (`{repository}`)"
    )]
    Uppercase { input: String, repository: String },
    #[error(
        "invalid image reference `{input}`: `{component}` is not a valid repository path \
         component: it must be lowercase letters and digits, joined by a single `.`, one or two \
         `_`, or dashes"
    )]
    InvalidComponent { input: String, component: String },
    #[error("invalid image reference `{input}`: the tag after `:` is empty")]
    EmptyTag { input: String },
    #[error("invalid image reference `{input}`: `{tag}` is not a valid tag: {reason}")]
    InvalidTag {
        input: String,
        tag: String,
        reason: &'static str,
    },
    #[error("invalid image reference `{input}`: the digest after `@` is empty")]
    EmptyDigest { input: String },
    #[error("invalid image reference `{input}`: {source}")]
    InvalidDigest {
        input: String,
        #[source]
        source: DigestError,
    },
    #[error(
        "invalid image reference `{input}`: the name `{name}` is {length} characters long, and at \
         most 255 are allowed"
    )]
    TooLong {
        input: String,
        name: String,
        length: usize,
    },
}

impl Reference {
    /// Parses `[REGISTRY/]PATH[:TAG][@DIGEST]`, normalizing Docker Hub names to
    /// `docker.io/library/NAME` or `docker.io/NAMESPACE/NAME`.
    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        let input = || text.to_owned();
        let Some(first) = text.chars().next() else {
            return Err(ReferenceError::Empty { input: input() });
        };
        if matches!(first, '/' | '.') {
            return Err(ReferenceError::LooksLikePath {
                input: input(),
                first,
            });
        }
        // Docker refuses these so that an image ID is never mistaken for a repository.
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ReferenceError::ImageId { input: input() });
        }

        let (name_and_tag, digest_text) = match text.split_once('@') {
            Some((name_and_tag, digest)) => (name_and_tag, Some(digest)),
            None => (text, None),
        };
        if let Some(character) = name_and_tag
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || "._-/:[]".contains(c)))
        {
            return Err(ReferenceError::InvalidCharacter {
                input: input(),
                character,
            });
        }

        // A tag follows a `:` in the last segment; a `:` before a `/` is a registry's port.
        let last_segment = name_and_tag.rfind('/').map_or(0, |slash| slash + 1);
        let (name, tag) = match name_and_tag[last_segment..].find(':') {
            Some(colon) => {
                let colon = last_segment + colon;
                (&name_and_tag[..colon], Some(&name_and_tag[colon + 1..]))
            }
            None => (name_and_tag, None),
        };
        if name.is_empty() {
            return Err(ReferenceError::MissingName { input: input() });
        }

        let (registry, path) = match name.split_once('/') {
            Some((first, rest)) if names_registry(first) => {
                check_registry(first).map_err(|reason| ReferenceError::InvalidRegistry {
                    input: input(),
                    registry: first.to_owned(),
                    reason,
                })?;
                let registry = if first == LEGACY_DOCKER_HUB {
                    DOCKER_HUB
                } else {
                    first
                };
                (registry, rest)
            }
            _ => (DOCKER_HUB, name),
        };
        if path.split('/').any(str::is_empty) {
            return Err(ReferenceError::EmptyComponent { input: input() });
        }
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase {
                input: input(),
                repository: path.to_owned(),
            });
        }
        if let Some(component) = path.split('/').find(|c| !is_path_component(c)) {
            return Err(ReferenceError::InvalidComponent {
                input: input(),
                component: component.to_owned(),
            });
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("{OFFICIAL_NAMESPACE}{path}")
        } else {
            path.to_owned()
        };

        if let Some(tag) = tag {
            if tag.is_empty() {
                return Err(ReferenceError::EmptyTag { input: input() });
            }
            if let Some(reason) = tag_problem(tag) {
                return Err(ReferenceError::InvalidTag {
                    input: input(),
                    tag: tag.to_owned(),
                    reason,
                });
            }
        }

        let length = registry.len() + 1 + repository.len();
        if length > MAX_NAME_LENGTH {
            return Err(ReferenceError::TooLong {
                input: input(),
                name: format!("{registry}/{repository}"),
                length,
            });
        }

        let digest =
            match digest_text {
                None => None,
                Some("") => return Err(ReferenceError::EmptyDigest { input: input() }),
                Some(digest) => Some(digest.parse::<Digest>().map_err(|source| {
                    ReferenceError::InvalidDigest {
                        input: input(),
                        source,
                    }
                })?),
            };

        Ok(Reference {
            registry: registry.to_owned(),
            repository,
            tag: tag.map(str::to_owned),
            digest,
        })
    }

    /// `docker.io` for Docker Hub (also when written `index.docker.io` or omitted), else the host
    /// as written, with its port (`127.0.0.1:5000`, `[::1]:5000`, `localhost`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// `library/busybox` for an official Hub image; `team/app`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The tag to pull when neither tag nor digest is given: `latest`; `None` when only a digest
    /// is given.
    pub fn tag_or_latest(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(tag), _) => Some(tag),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TAG),
        }
    }

    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }

    /// `registry/repository` (`docker.io/library/busybox`).
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The short form `docker` prints: `busybox:latest`, `team/app:1.4`,
    /// `localhost:5000/app@sha256:…` (Hub's `docker.io/` and `library/` dropped).
    pub fn familiar(&self) -> String {
        self.with_tag_and_digest(self.familiar_name())
    }

    /// The name without tag or digest in the short form: `busybox`, `team/app`,
    /// `localhost:5000/app`.
    fn familiar_name(&self) -> String {
        if !self.is_docker_hub() {
            return self.name();
        }
        let path = self
            .repository
            .strip_prefix(OFFICIAL_NAMESPACE)
            .filter(|rest| !rest.contains('/'))
            .unwrap_or(&self.repository);
        // A Hub namespace such as `foo.bar` or `localhost` would read back as a registry.
        match path.split_once('/') {
            Some((namespace, _)) if names_registry(namespace) => format!("{DOCKER_HUB}/{path}"),
            _ => path.to_owned(),
        }
    }

    fn with_tag_and_digest(&self, mut name: String) -> String {
        if let Some(tag) = self.tag_or_latest() {
            name.push(':');
            name.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            // Writing to a String cannot fail.
            let _ = write!(name, "@{digest}");
        }
        name
    }
}

impl fmt::Display for Reference {
    /// The canonical full form: `docker.io/library/busybox:latest`, with `latest` added when
    /// neither tag nor digest is given, and `registry/repository:tag@digest` when both are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_tag_and_digest(self.name()))
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Reference::parse(text)
    }
}

/// Whether the first component of a name is a registry host rather than a Docker Hub
/// namespace. Hub namespaces are lowercase, so Docker reads an uppercase one as a host.
fn names_registry(first_component: &str) -> bool {
    first_component.contains(['.', ':'])
        || first_component == "localhost"
        || first_component.bytes().any(|b| b.is_ascii_uppercase())
}

/// Checks a registry host (`host`, `host:port`, `[ipv6]`, `[ipv6]:port`); the error says what is
/// wrong.
fn check_registry(registry: &str) -> Result<(), &'static str> {
    let port = if let Some(bracketed) = registry.strip_prefix('[') {
        let Some((address, after)) = bracketed.split_once(']') else {
            return Err("the IPv6 address has no closing `]`");
        };
        if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err("an IPv6 address in brackets holds only hexadecimal digits and `:`");
        }
        if after.is_empty() {
            None
        } else {
            Some(
                after
                    .strip_prefix(':')
                    .ok_or("only a `:port` may follow the `]` of an IPv6 address")?,
            )
        }
    } else {
        let (host, port) = match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        };
        if host.is_empty() {
            return Err("the host name is empty");
        }
        for label in host.split('.') {
            if label.is_empty() {
                return Err("the host name has an empty label between dots");
            }
            let inner_dash_only = label.starts_with(|c: char| c.is_ascii_alphanumeric())
                && label.ends_with(|c: char| c.is_ascii_alphanumeric())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !inner_dash_only {
                return Err(
                    "host name labels hold letters, digits and dashes, and start and end with a \
                     letter or digit",
                );
            }
        }
        port
    };
    match port {
        Some(port) if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) => {
            Err("the port after `:` must be one or more digits")
        }
        _ => Ok(()),
    }
}

/// Whether `component` is lowercase letters and digits joined by `.`, `_`, `__` or a run of
/// dashes, starting and ending with a letter or digit.
fn is_path_component(component: &str) -> bool {
    let is_alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    component.starts_with(is_alphanumeric)
        && component.ends_with(is_alphanumeric)
        && component
            .split(is_alphanumeric)
            .filter(|separator| !separator.is_empty())
            .all(|separator| {
                matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-')
            })
}

/// What is wrong with a non-empty tag, if anything.
fn tag_problem(tag: &str) -> Option<&'static str> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if tag.len() > MAX_TAG_LENGTH {
        Some("a tag has at most 128 characters")
    } else if !tag.starts_with(is_word) {
        Some("a tag starts with a letter, a digit or `_`")
    } else if !tag.chars().all(|c| is_word(c) || matches!(c, '.' | '-')) {
        Some("a tag holds only letters, digits, `_`, `.` and `-`")
    } else {
        None
    }
}

/// The repository of `reference` without its tag or digest, in the short form `docker` prints
/// (`docker.io/library/python:3.12` → `python`, `localhost:5000/team/app:1.4` →
/// `localhost:5000/team/app`). `None` when nothing is left.
pub fn repository(reference: &str) -> Option<String> {
    match Reference::parse(reference) {
        Ok(parsed) => Some(parsed.familiar_name()),
        // Names read from images are not always valid references (a truncated digest, an
        // `io.containerd.image.name` written by hand): take what a reader would.
        Err(_) => loose_repository(reference),
    }
}

/// [`repository`] by string surgery alone, for names that do not parse.
fn loose_repository(reference: &str) -> Option<String> {
    let without_digest = reference
        .split_once('@')
        .map_or(reference, |(name, _)| name);
    // A tag follows the last `:` of the last segment; a `:` before a `/` is a registry's port.
    let last_segment = without_digest.rfind('/').map_or(0, |slash| slash + 1);
    let name = match without_digest[last_segment..].rfind(':') {
        Some(colon) => &without_digest[..last_segment + colon],
        None => without_digest,
    };
    let name = [
        "docker.io/library/",
        "index.docker.io/library/",
        "docker.io/",
        "index.docker.io/",
    ]
    .iter()
    .find_map(|prefix| name.strip_prefix(prefix))
    .unwrap_or(name);
    let name = name.trim_matches('/');
    (!name.is_empty()).then(|| name.to_owned())
}

/// The repository an image is known by: from its tag (`RepoTags`, `io.containerd.image.name`,
/// a full reference in the OCI ref name) or, when the source gives only a tag or nothing, from
/// the name of the layout directory or archive file, which `notes` then says.
pub fn image_repository(meta: &ImageMeta, spec: &ImageSpec, notes: &mut Vec<String>) -> String {
    let tag_only = matches!(
        spec,
        ImageSpec::OciLayout { .. } | ImageSpec::OciArchive { .. }
    ) && meta
        .name
        .as_deref()
        .is_some_and(|name| !name.contains('/') && !name.contains(':'));
    if let Some(repository) = meta
        .name
        .as_deref()
        .filter(|_| !tag_only)
        .and_then(repository)
    {
        return repository;
    }
    let path = spec.path();
    let name = path
        .and_then(|p| p.canonicalize().ok().or_else(|| Some(p.to_path_buf())))
        .and_then(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()))
        .map(|name| {
            // `app.tar`, `app.tar.gz`, `app.oci.tar` → `app`
            let cut = [".tar", ".tgz"]
                .iter()
                .filter_map(|ext| name.find(ext))
                .min()
                .unwrap_or(name.len());
            name[..cut].to_owned()
        })
        .filter(|name| !name.is_empty() && name != "." && name != "..")
        .unwrap_or_else(|| "image".to_owned());
    notes.push(format!(
        "the image has no repository name, so reports call it `{name}`: set --image-name to keep \
         its fingerprints and SARIF category stable wherever it is read from"
    ));
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_lose_tags_digests_and_docker_defaults() {
        for (reference, expected) in [
            ("app:ci", "app"),
            ("app", "app"),
            ("docker.io/library/python:3.12-slim", "python"),
            (
                "docker.io/imgaudit-test/hygiene:test",
                "imgaudit-test/hygiene",
            ),
            (
                "localhost/imgaudit-test/base:test",
                "localhost/imgaudit-test/base",
            ),
            ("localhost:5000/team/app:1.4", "localhost:5000/team/app"),
            ("localhost:5000/team/app", "localhost:5000/team/app"),
            (
                "registry.example.com/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "registry.example.com/team/app",
            ),
            ("team/app:1.4@sha256:00", "team/app"),
        ] {
            assert_eq!(
                repository(reference).as_deref(),
                Some(expected),
                "{reference}"
            );
        }
        assert_eq!(repository(":tag"), None);
        assert_eq!(repository(""), None);
    }

    /// Recognizes the error a case expects.
    type IsExpected = fn(&ReferenceError) -> bool;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// A reference as parsed: registry, repository, tag, digest, and its full and familiar forms.
    struct Expected {
        input: String,
        registry: &'static str,
        repository: &'static str,
        tag: Option<&'static str>,
        digest: bool,
        display: String,
        familiar: String,
    }

    fn expected(
        input: &str,
        (registry, repository): (&'static str, &'static str),
        tag: Option<&'static str>,
        digest: bool,
        display: &str,
        familiar: &str,
    ) -> Expected {
        let with_hex = |text: &str| text.replace("<hex>", HEX);
        Expected {
            input: with_hex(input),
            registry,
            repository,
            tag,
            digest,
            display: with_hex(display),
            familiar: with_hex(familiar),
        }
    }

    fn valid_references() -> Vec<Expected> {
        let hub = "docker.io";
        vec![
            expected(
                "busybox",
                (hub, "library/busybox"),
                None,
                false,
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            expected(
                "busybox:1.36",
                (hub, "library/busybox"),
                Some("1.36"),
                false,
                "docker.io/library/busybox:1.36",
                "busybox:1.36",
            ),
            expected(
                "library/busybox",
                (hub, "library/busybox"),
                None,
                false,
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            expected(
                "docker.io/busybox",
                (hub, "library/busybox"),
                None,
                false,
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            expected(
                "index.docker.io/library/busybox",
                (hub, "library/busybox"),
                None,
                false,
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            expected(
                "index.docker.io/busybox:musl",
                (hub, "library/busybox"),
                Some("musl"),
                false,
                "docker.io/library/busybox:musl",
                "busybox:musl",
            ),
            expected(
                "team/app",
                (hub, "team/app"),
                None,
                false,
                "docker.io/team/app:latest",
                "team/app:latest",
            ),
            expected(
                "docker.io/library/a/b",
                (hub, "library/a/b"),
                None,
                false,
                "docker.io/library/a/b:latest",
                "library/a/b:latest",
            ),
            // Hub namespaces that look like hosts keep `docker.io/` in the short form, or they
            // would read back as registries.
            expected(
                "docker.io/foo.bar/app:1",
                (hub, "foo.bar/app"),
                Some("1"),
                false,
                "docker.io/foo.bar/app:1",
                "docker.io/foo.bar/app:1",
            ),
            expected(
                "docker.io/localhost/app",
                (hub, "localhost/app"),
                None,
                false,
                "docker.io/localhost/app:latest",
                "docker.io/localhost/app:latest",
            ),
            expected(
                "localhost/app",
                ("localhost", "app"),
                None,
                false,
                "localhost/app:latest",
                "localhost/app:latest",
            ),
            expected(
                "localhost:5000/team/app:1.4",
                ("localhost:5000", "team/app"),
                Some("1.4"),
                false,
                "localhost:5000/team/app:1.4",
                "localhost:5000/team/app:1.4",
            ),
            expected(
                "127.0.0.1:5000/x@sha256:<hex>",
                ("127.0.0.1:5000", "x"),
                None,
                true,
                "127.0.0.1:5000/x@sha256:<hex>",
                "127.0.0.1:5000/x@sha256:<hex>",
            ),
            expected(
                "[::1]:5000/app:v1",
                ("[::1]:5000", "app"),
                Some("v1"),
                false,
                "[::1]:5000/app:v1",
                "[::1]:5000/app:v1",
            ),
            expected(
                "[2001:DB8::1]/team/app",
                ("[2001:DB8::1]", "team/app"),
                None,
                false,
                "[2001:DB8::1]/team/app:latest",
                "[2001:DB8::1]/team/app:latest",
            ),
            expected(
                "registry.example.com/a/b/c:tag@sha256:<hex>",
                ("registry.example.com", "a/b/c"),
                Some("tag"),
                true,
                "registry.example.com/a/b/c:tag@sha256:<hex>",
                "registry.example.com/a/b/c:tag@sha256:<hex>",
            ),
            expected(
                "busybox@sha256:<hex>",
                (hub, "library/busybox"),
                None,
                true,
                "docker.io/library/busybox@sha256:<hex>",
                "busybox@sha256:<hex>",
            ),
            expected(
                "my-registry.io:443/ns/app_x.y__z--w:V1_2-3.4",
                ("my-registry.io:443", "ns/app_x.y__z--w"),
                Some("V1_2-3.4"),
                false,
                "my-registry.io:443/ns/app_x.y__z--w:V1_2-3.4",
                "my-registry.io:443/ns/app_x.y__z--w:V1_2-3.4",
            ),
            // Docker reads an uppercase first component as a host: Hub namespaces are lowercase.
            expected(
                "UPPER/case",
                ("UPPER", "case"),
                None,
                false,
                "UPPER/case:latest",
                "UPPER/case:latest",
            ),
            // Without a `/` there is no registry: `localhost:5000` is Hub's `localhost`, tag 5000.
            expected(
                "localhost:5000",
                (hub, "library/localhost"),
                Some("5000"),
                false,
                "docker.io/library/localhost:5000",
                "localhost:5000",
            ),
        ]
    }

    #[test]
    fn references_parse_and_normalize_as_docker_does() {
        for case in valid_references() {
            let input = case.input.as_str();
            let parsed = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.registry(), case.registry, "{input}");
            assert_eq!(parsed.repository(), case.repository, "{input}");
            assert_eq!(parsed.tag(), case.tag, "{input}");
            assert_eq!(parsed.digest().is_some(), case.digest, "{input}");
            if let Some(digest) = parsed.digest() {
                assert_eq!(digest.hex(), HEX, "{input}");
            }
            assert_eq!(
                parsed.is_docker_hub(),
                case.registry == "docker.io",
                "{input}"
            );
            assert_eq!(
                parsed.name(),
                format!("{}/{}", case.registry, case.repository),
                "{input}"
            );
            assert_eq!(parsed.to_string(), case.display, "{input}");
            assert_eq!(parsed.familiar(), case.familiar, "{input}");
            assert_eq!(input.parse::<Reference>().as_ref(), Ok(&parsed), "{input}");
        }
    }

    #[test]
    fn full_and_familiar_forms_read_back_as_the_same_reference() {
        for case in valid_references() {
            let parsed = Reference::parse(&case.input).unwrap();
            let from_display = Reference::parse(&parsed.to_string()).unwrap();
            let from_familiar = Reference::parse(&parsed.familiar()).unwrap();
            assert_eq!(from_familiar, from_display, "{}", case.input);
            assert_eq!(
                from_display.to_string(),
                parsed.to_string(),
                "{}",
                case.input
            );
            assert_eq!(
                from_familiar.familiar(),
                parsed.familiar(),
                "{}",
                case.input
            );
            // Both forms spell out the default tag, so only a bare name reads back with a tag.
            if parsed.tag().is_some() || parsed.digest().is_some() {
                assert_eq!(from_display, parsed, "{}", case.input);
            } else {
                assert_eq!(from_display.tag(), Some("latest"), "{}", case.input);
            }
        }
    }

    #[test]
    fn the_default_tag_applies_only_without_tag_and_digest() {
        let tag_or_latest = |text: &str| {
            Reference::parse(&text.replace("<hex>", HEX))
                .unwrap()
                .tag_or_latest()
                .map(str::to_owned)
        };
        assert_eq!(tag_or_latest("busybox").as_deref(), Some("latest"));
        assert_eq!(tag_or_latest("busybox:1.36").as_deref(), Some("1.36"));
        assert_eq!(tag_or_latest("busybox@sha256:<hex>"), None);
        assert_eq!(
            tag_or_latest("busybox:1@sha256:<hex>").as_deref(),
            Some("1")
        );
    }

    #[test]
    fn invalid_references_say_what_is_wrong() {
        use ReferenceError as E;
        let long_path = "a".repeat(MAX_NAME_LENGTH - "docker.io/library/".len() + 1);
        let long_tag = format!("app:{}", "t".repeat(MAX_TAG_LENGTH + 1));
        let image_id = HEX.to_owned();
        let sha512 = format!("app@sha512:{HEX}");
        let cases: Vec<(&str, IsExpected)> = vec![
            ("", |e| matches!(e, E::Empty { .. })),
            ("/tmp/app", |e| {
                matches!(e, E::LooksLikePath { first: '/', .. })
            }),
            ("./app", |e| {
                matches!(e, E::LooksLikePath { first: '.', .. })
            }),
            ("../images/app.tar", |e| {
                matches!(e, E::LooksLikePath { .. })
            }),
            (&image_id, |e| matches!(e, E::ImageId { .. })),
            ("app name", |e| {
                matches!(e, E::InvalidCharacter { character: ' ', .. })
            }),
            ("app!", |e| {
                matches!(e, E::InvalidCharacter { character: '!', .. })
            }),
            ("café", |e| {
                matches!(
                    e,
                    E::InvalidCharacter {
                        character: 'é', ..
                    }
                )
            }),
            (":tag", |e| matches!(e, E::MissingName { .. })),
            ("@sha256:00", |e| matches!(e, E::MissingName { .. })),
            ("app:", |e| matches!(e, E::EmptyTag { .. })),
            ("app:-x", |e| matches!(e, E::InvalidTag { .. })),
            ("app:.x", |e| matches!(e, E::InvalidTag { .. })),
            (
                "app:1:2",
                |e| matches!(e, E::InvalidTag { tag, .. } if tag == "1:2"),
            ),
            ("app:v[1]", |e| matches!(e, E::InvalidTag { .. })),
            (&long_tag, |e| matches!(e, E::InvalidTag { .. })),
            ("a//b", |e| matches!(e, E::EmptyComponent { .. })),
            ("app/", |e| matches!(e, E::EmptyComponent { .. })),
            ("localhost/", |e| matches!(e, E::EmptyComponent { .. })),
            ("localhost//app", |e| matches!(e, E::EmptyComponent { .. })),
            (
                "Busybox",
                |e| matches!(e, E::Uppercase { repository, .. } if repository == "Busybox"),
            ),
            (
                "team/App:1",
                |e| matches!(e, E::Uppercase { repository, .. } if repository == "team/App"),
            ),
            ("localhost:5000/Team/app", |e| {
                matches!(e, E::Uppercase { .. })
            }),
            ("-app", |e| matches!(e, E::InvalidComponent { .. })),
            ("app-", |e| matches!(e, E::InvalidComponent { .. })),
            ("a..b", |e| matches!(e, E::InvalidComponent { .. })),
            ("a___b", |e| matches!(e, E::InvalidComponent { .. })),
            ("a_.b", |e| matches!(e, E::InvalidComponent { .. })),
            (
                "_:_",
                |e| matches!(e, E::InvalidComponent { component, .. } if component == "_"),
            ),
            ("team/[x]", |e| matches!(e, E::InvalidComponent { .. })),
            ("localhost:/app", |e| matches!(e, E::InvalidRegistry { .. })),
            ("localhost:50x0/app", |e| {
                matches!(e, E::InvalidRegistry { .. })
            }),
            (":5000/app", |e| matches!(e, E::InvalidRegistry { .. })),
            ("a..example.com/app", |e| {
                matches!(e, E::InvalidRegistry { .. })
            }),
            ("-bad.example.com/app", |e| {
                matches!(e, E::InvalidRegistry { .. })
            }),
            ("bad-.example.com/app", |e| {
                matches!(e, E::InvalidRegistry { .. })
            }),
            ("ex_ample.com/app", |e| {
                matches!(e, E::InvalidRegistry { .. })
            }),
            ("[::1/app", |e| matches!(e, E::InvalidRegistry { .. })),
            ("[::g]:5000/app", |e| matches!(e, E::InvalidRegistry { .. })),
            ("[]:5000/app", |e| matches!(e, E::InvalidRegistry { .. })),
            ("[::1]5000/app", |e| matches!(e, E::InvalidRegistry { .. })),
            (&long_path, |e| matches!(e, E::TooLong { length: 256, .. })),
            ("app@", |e| matches!(e, E::EmptyDigest { .. })),
            ("app@sha256:zz", |e| matches!(e, E::InvalidDigest { .. })),
            ("app@md5:00", |e| matches!(e, E::InvalidDigest { .. })),
            ("app@latest", |e| matches!(e, E::InvalidDigest { .. })),
            ("app@sha256:00@sha256:00", |e| {
                matches!(e, E::InvalidDigest { .. })
            }),
            (&sha512, |e| matches!(e, E::InvalidDigest { .. })),
        ];
        for (input, is_expected) in cases {
            let error = Reference::parse(input).expect_err(input);
            assert!(is_expected(&error), "{input}: {error:?}");
            let message = error.to_string();
            assert!(
                message.contains(&format!("`{input}`")),
                "{input}: {message}"
            );
        }
    }

    #[test]
    fn names_are_limited_to_255_characters_with_registry() {
        let longest = "a".repeat(MAX_NAME_LENGTH - "docker.io/library/".len());
        assert_eq!(Reference::parse(&longest).unwrap().name().len(), 255);
        let tag = format!("app:{}", "t".repeat(MAX_TAG_LENGTH));
        assert!(Reference::parse(&tag).is_ok());
    }

    #[test]
    fn messages_explain_the_problem() {
        let message = |text: &str| Reference::parse(text).unwrap_err().to_string();
        assert_eq!(
            message("Busybox"),
            "invalid image reference `Busybox`: repository names must be lowercase (`Busybox`)"
        );
        assert!(message("./app").contains("like a file path"));
        assert!(message("app@sha256:zz").contains("64 lowercase hexadecimal"));
        assert!(message("localhost:x/app").contains("`localhost:x` is not a valid registry host"));
    }

    #[test]
    fn repositories_of_valid_references_come_from_the_parser() {
        assert_eq!(
            repository("docker.io/library/a/b:1").as_deref(),
            Some("library/a/b")
        );
        assert_eq!(
            repository("docker.io/foo.bar/app").as_deref(),
            Some("docker.io/foo.bar/app")
        );
        assert_eq!(
            repository("[::1]:5000/app:v1").as_deref(),
            Some("[::1]:5000/app")
        );
    }
}
