//! Reads images from OCI distribution registries (Docker Hub, GHCR, a `docker-registry` on
//! loopback, …) into the same [`OpenedImage`] the file sources give: verified metadata and a
//! [`BlobStore`] whose layers stream from the network straight into the layer reader.
//!
//! Built on `oci-client` (the ORAS project's client, on reqwest with rustls and ring). Around
//! it: the platform choice (variant-aware, attestations skipped, shared with OCI layouts through
//! [`imgaudit_image::resolve`]), an `Accept` header that lists every manifest type we read (a
//! registry down-converts or 404s otherwise), our own digest and size checks of every document,
//! credentials found as Docker and Podman find them ([`auth`]), retries with backoff on
//! transient failures, and blob downloads that resume with a range request after a dropped
//! connection. `oci-client` does not expose response headers, so a 429's `Retry-After` is not
//! read: the backoff doubles from half a second instead.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod auth;
mod blobs;
mod error;
mod retry;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use imgaudit_digest::{Algorithm, Digest};
use imgaudit_image::{
    Documents, ImageError, ImageMeta, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, OpenOptions, OpenedImage,
    Platform, Reference, too_large, verify_bytes,
};
use oci_client::Client;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;

pub use auth::{AuthEnv, AuthError, Credential, Secret};
pub use error::{Answer, RegistryError, Step};
pub use retry::RetryPolicy;

use crate::blobs::RegistryBlobs;

/// Every manifest type we read, so the registry neither 404s an OCI manifest nor down-converts
/// a Docker schema 2 one to schema 1.
const ACCEPTED_MANIFESTS: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// Layers downloaded at once unless the caller says otherwise: network-bound, so more than the
/// cores.
pub const DEFAULT_PARALLEL_DOWNLOADS: usize = 4;

/// How to reach a registry.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    pub platform: Option<Platform>,
    /// Registries (`host[:port]`) that may be reached over plain HTTP or TLS without
    /// certificate verification. Only the image's own registry is affected.
    pub insecure_registries: Vec<String>,
    /// PEM files of extra certificate authorities to trust.
    pub ca_certs: Vec<PathBuf>,
    /// Directories holding `HOST[:PORT]/*.crt` authorities, as Docker and Podman read them.
    pub cert_dirs: Vec<PathBuf>,
    /// A connection that makes no progress for this long fails (and may be retried).
    pub timeout: Duration,
    /// Credentials for this run only (`--username`/`--password-stdin`); otherwise they are
    /// looked up in `auth_env`.
    pub credential: Option<Credential>,
    pub auth_env: AuthEnv,
    pub retry: RetryPolicy,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            platform: None,
            insecure_registries: Vec::new(),
            ca_certs: Vec::new(),
            cert_dirs: vec![
                PathBuf::from("/etc/containers/certs.d"),
                PathBuf::from("/etc/docker/certs.d"),
            ],
            timeout: Duration::from_secs(30),
            credential: None,
            auth_env: AuthEnv::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// One registry repository, reached with one client, one set of credentials and one runtime.
pub(crate) struct Session {
    /// The runtime the requests run on; owned by the caller of `open`, then by the blob store,
    /// never by a task (a runtime must not be dropped on its own worker thread).
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) client: Client,
    /// The repository, as the client addresses it (tag or digest are set per request).
    pub(crate) registry: String,
    pub(crate) repository: String,
    pub(crate) retry: RetryPolicy,
    /// Where the credentials came from, for error hints; `None` when anonymous.
    pub(crate) credential_source: Option<String>,
    /// `docker://…`, as errors and reports name the image.
    pub(crate) input: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("input", &self.input)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn reference(&self, digest: &Digest) -> oci_client::Reference {
        oci_client::Reference::with_digest(
            self.registry.clone(),
            self.repository.clone(),
            digest.to_string(),
        )
    }

    pub(crate) fn failure(
        &self,
        step: Step,
        reference: &oci_client::Reference,
        error: &OciDistributionError,
    ) -> RegistryError {
        let answer = Answer::from_client(error);
        let hint = match (&answer, &self.credential_source) {
            (Answer::Unauthorized | Answer::TokenRefused(_), Some(source)) => {
                format!("; the registry refused the credentials from {source}")
            }
            (Answer::Unauthorized, None) => format!(
                "; no credentials were found for {}: log in (`docker login`, `podman login`) or pass --username and --password-stdin",
                self.registry
            ),
            (Answer::Transport(text), _) if looks_like_plain_http(text) => format!(
                "; the registry seems to speak plain HTTP: pass --insecure-registry {} to allow that",
                self.registry
            ),
            (Answer::Transport(text), _) if looks_like_tls(text) => format!(
                "; to trust a private certificate authority pass --ca-cert FILE, or, for a registry without valid TLS, --insecure-registry {}",
                self.registry
            ),
            _ => String::new(),
        };
        let target = match (reference.digest(), reference.tag()) {
            (Some(digest), _) => format!("{}@{digest}", self.repository),
            (None, Some(tag)) => format!("{}:{tag}", self.repository),
            (None, None) => self.repository.clone(),
        };
        RegistryError::Request {
            registry: self.registry.clone(),
            target,
            step,
            answer,
            hint,
        }
    }

    /// Runs `request` until it succeeds, fails for good, or the attempts are used up.
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        mut request: F,
    ) -> Result<T, OciDistributionError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, OciDistributionError>>,
    {
        let mut attempt = 1;
        loop {
            match contain_panic(request()).await {
                Err(e) if attempt < self.retry.attempts && retry::is_transient(&e) => {
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Negotiates access first (basic, or a bearer token, anonymous or with the credentials), so
    /// that a token server's refusal is reported as such, not as a missing credential later.
    fn authenticate(
        &self,
        reference: &oci_client::Reference,
        auth: &RegistryAuth,
    ) -> Result<(), RegistryError> {
        self.runtime
            .block_on(self.with_retries(|| {
                self.client
                    .auth(reference, auth, oci_client::RegistryOperation::Pull)
            }))
            .map(|_| ())
            .map_err(|e| self.failure(Step::Authenticate, reference, &e))
    }

    /// A manifest or index, verified against the digest it was asked by.
    fn manifest_by(
        &self,
        reference: &oci_client::Reference,
        auth: &RegistryAuth,
    ) -> Result<Vec<u8>, RegistryError> {
        let (bytes, _) = self
            .runtime
            .block_on(self.with_retries(|| {
                self.client
                    .pull_manifest_raw(reference, auth, ACCEPTED_MANIFESTS)
            }))
            .map_err(|e| self.failure(Step::Manifest, reference, &e))?;
        if bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(too_large(&self.input, "manifest", MAX_MANIFEST_SIZE).into());
        }
        Ok(bytes.to_vec())
    }

    /// A small blob read whole, never more than its declared size (plus one byte, to tell a
    /// lying size).
    async fn small_blob(
        &self,
        digest: &Digest,
        size: u64,
    ) -> Result<Vec<u8>, OciDistributionError> {
        let limit = size.min(MAX_CONFIG_SIZE) + 1;
        let reference = self.reference(digest);
        let digest_text = digest.to_string();
        let mut stream = self
            .client
            .pull_blob_stream(&reference, digest_text.as_str())
            .await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk?);
            if bytes.len() as u64 >= limit {
                break;
            }
        }
        Ok(bytes)
    }
}

/// A TLS client talking to a plain-HTTP server reads an HTTP answer as a corrupt record.
fn looks_like_plain_http(text: &str) -> bool {
    text.contains("InvalidContentType") || text.contains("corrupt message")
}

/// A panic inside the HTTP client (oci-client unwraps a token it could not parse as a header)
/// becomes an error like any other, instead of ending the process.
pub(crate) async fn contain_panic<T>(
    future: impl Future<Output = Result<T, OciDistributionError>>,
) -> Result<T, OciDistributionError> {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(OciDistributionError::GenericError(Some(format!(
                "the registry client failed on the server's answer: {message}"
            ))))
        }
    }
}

fn looks_like_tls(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "certificate",
        "tls",
        "handshake",
        "unknownissuer",
        "invalid peer",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// The registry's documents, fetched by digest and verified.
struct RegistryDocuments<'a> {
    session: &'a Session,
    auth: &'a RegistryAuth,
}

impl Documents for RegistryDocuments<'_> {
    fn input(&self) -> &str {
        &self.session.input
    }

    fn manifest(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        let bytes = self
            .session
            .manifest_by(&self.session.reference(digest), self.auth)
            .map_err(registry_to_image)?;
        verify_bytes(&self.session.input, "manifest", &bytes, digest, size)?;
        Ok(bytes)
    }

    fn config(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        let session = self.session;
        let declared = size.unwrap_or(MAX_CONFIG_SIZE);
        if declared > MAX_CONFIG_SIZE {
            return Err(too_large(&session.input, "image config", MAX_CONFIG_SIZE));
        }
        let bytes = session
            .runtime
            .block_on(session.with_retries(|| session.small_blob(digest, declared)))
            .map_err(|e| {
                registry_to_image(session.failure(Step::Config, &session.reference(digest), &e))
            })?;
        if bytes.len() as u64 > MAX_CONFIG_SIZE {
            return Err(too_large(&session.input, "image config", MAX_CONFIG_SIZE));
        }
        verify_bytes(&session.input, "image config", &bytes, digest, size)?;
        Ok(bytes)
    }

    fn layer_location(&self, digest: &Digest) -> String {
        digest.to_string()
    }
}

/// `Documents` speaks `ImageError`; a registry failure travels inside one, whole.
fn registry_to_image(error: RegistryError) -> ImageError {
    match error {
        RegistryError::Image(e) => e,
        other => ImageError::Remote(Box::new(other)),
    }
}

/// The registry failure an `ImageError` carries, unwrapped again.
fn image_to_registry(error: ImageError) -> RegistryError {
    match error {
        ImageError::Remote(inner) => match inner.downcast::<RegistryError>() {
            Ok(registry) => *registry,
            Err(other) => RegistryError::Image(ImageError::Remote(other)),
        },
        other => RegistryError::Image(other),
    }
}

/// Opens the image `reference` names: its manifest (through an index to the platform asked
/// for), its config, and a blob store that streams its layers.
pub fn open(
    reference: &Reference,
    options: &RegistryOptions,
) -> Result<OpenedImage, RegistryError> {
    let registry = reference.registry().to_owned();
    let repository = reference.repository().to_owned();
    let input = format!("docker://{reference}");
    let credential = match &options.credential {
        Some(credential) => Some(credential.clone()),
        None => auth::lookup(&options.auth_env, &registry, &repository).map_err(|source| {
            RegistryError::Credentials {
                registry: registry.clone(),
                source,
            }
        })?,
    };
    let auth = match &credential {
        None => RegistryAuth::Anonymous,
        Some(credential) => match &credential.secret {
            Secret::Password(password) => {
                RegistryAuth::Basic(credential.username.clone(), password.clone())
            }
            Secret::IdentityToken(_) => {
                return Err(RegistryError::Setup(format!(
                    "{registry}: the credentials from {} are an identity token, which needs the OAuth2 refresh-token flow imgaudit does not support yet: use a username and password (or --username and --password-stdin)",
                    credential.source
                )));
            }
        },
    };
    let insecure = options
        .insecure_registries
        .iter()
        .any(|host| insecure_host(host) == auth::normalize_host(&registry));
    // An insecure registry is tried over TLS without verification first, then over plain HTTP,
    // as Docker does.
    let protocols: &[Protocol] = if insecure {
        &[Protocol::UnverifiedTls, Protocol::Http]
    } else {
        &[Protocol::Tls]
    };
    let tag = reference.tag_or_latest().map(str::to_owned);
    let top = match (reference.digest(), tag) {
        (Some(digest), _) => oci_client::Reference::with_digest(
            registry.clone(),
            repository.clone(),
            digest.to_string(),
        ),
        (None, Some(tag)) => {
            oci_client::Reference::with_tag(registry.clone(), repository.clone(), tag)
        }
        (None, None) => unreachable!("a reference without a digest has a tag or `latest`"),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("imgaudit-registry")
        .enable_all()
        .build()
        .map_err(|e| RegistryError::Setup(format!("cannot start the network runtime: {e}")))?;
    let mut last_error = None;
    for (position, protocol) in protocols.iter().enumerate() {
        let last = position + 1 == protocols.len();
        let session = Session {
            runtime: runtime.handle().clone(),
            client: client(&registry, *protocol, options)?,
            registry: registry.clone(),
            repository: repository.clone(),
            retry: if last {
                options.retry.clone()
            } else {
                // Only a first try: a refused TLS handshake will not change its mind.
                RetryPolicy {
                    attempts: 1,
                    ..options.retry.clone()
                }
            },
            credential_source: credential.as_ref().map(|c| c.source.clone()),
            input: input.clone(),
        };
        match session
            .authenticate(&top, &auth)
            .and_then(|()| session.manifest_by(&top, &auth))
        {
            Ok(bytes) => {
                let mut session = session;
                session.retry = options.retry.clone();
                return finish(
                    runtime, session, reference, &auth, &bytes, *protocol, options,
                );
            }
            Err(RegistryError::Request {
                answer: Answer::Transport(_),
                ..
            }) if !last => {}
            Err(e) => {
                last_error = Some(e);
                break;
            }
        }
    }
    Err(last_error.expect("the last protocol's error is kept"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Tls,
    UnverifiedTls,
    Http,
}

fn finish(
    runtime: tokio::runtime::Runtime,
    session: Session,
    reference: &Reference,
    auth: &RegistryAuth,
    top_bytes: &[u8],
    protocol: Protocol,
    options: &RegistryOptions,
) -> Result<OpenedImage, RegistryError> {
    let top_digest = match reference.digest() {
        Some(digest) => {
            verify_bytes(&session.input, "manifest", top_bytes, digest, None)?;
            digest.clone()
        }
        None => Digest::of_bytes(Algorithm::Sha256, top_bytes),
    };
    let documents = RegistryDocuments {
        session: &session,
        auth,
    };
    let resolved = imgaudit_image::resolve(
        &documents,
        top_digest.clone(),
        top_bytes,
        &OpenOptions {
            platform: options.platform.clone(),
        },
    )
    .map_err(image_to_registry)?;
    let mut notes = Vec::new();
    if resolved.manifest_digest != top_digest {
        notes.push(format!(
            "`{}` is an image index ({top_digest}); its {} manifest {} was read",
            reference.familiar(),
            resolved.platform,
            resolved.manifest_digest
        ));
    }
    match protocol {
        Protocol::Tls => {}
        Protocol::UnverifiedTls => notes.push(format!(
            "{} was reached over TLS without verifying its certificate (--insecure-registry)",
            session.registry
        )),
        Protocol::Http => notes.push(format!(
            "{} was reached over plain HTTP (--insecure-registry)",
            session.registry
        )),
    }
    let meta = ImageMeta {
        notes,
        ..resolved.into_meta(session.input.clone(), "docker", Some(reference.to_string()))
    };
    Ok(OpenedImage {
        meta,
        blobs: Box::new(RegistryBlobs::new(runtime, Arc::new(session))),
    })
}

/// `https://host:port/` → `host:port`, as `--insecure-registry` may be written.
fn insecure_host(host: &str) -> String {
    auth::normalize_host(
        host.trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/'),
    )
}

fn client(
    registry: &str,
    protocol: Protocol,
    options: &RegistryOptions,
) -> Result<Client, RegistryError> {
    // rustls needs one process-wide crypto provider; a second install is a harmless no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = Vec::new();
    for file in &options.ca_certs {
        roots.push(certificate(file)?);
    }
    for dir in &options.cert_dirs {
        roots.extend(host_certificates(&dir.join(registry))?);
    }
    let config = ClientConfig {
        protocol: match protocol {
            Protocol::Http => ClientProtocol::HttpsExcept(vec![registry.to_owned()]),
            Protocol::Tls | Protocol::UnverifiedTls => ClientProtocol::Https,
        },
        accept_invalid_certificates: protocol == Protocol::UnverifiedTls,
        extra_root_certificates: roots,
        platform_resolver: None,
        read_timeout: Some(options.timeout),
        connect_timeout: Some(options.timeout),
        user_agent: concat!("imgaudit/", env!("CARGO_PKG_VERSION")),
        ..ClientConfig::default()
    };
    // `Client::new` would fall back to defaults (HTTPS, no extra roots) on a bad config.
    Client::try_from(config).map_err(|e| {
        RegistryError::Setup(format!(
            "{registry}: cannot set up the HTTP client: {}",
            error::chain(&e)
        ))
    })
}

fn certificate(file: &Path) -> Result<Certificate, RegistryError> {
    let data = std::fs::read(file).map_err(|e| {
        RegistryError::Setup(format!("--ca-cert {}: cannot read it: {e}", file.display()))
    })?;
    if !data.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(RegistryError::Setup(format!(
            "--ca-cert {}: not a PEM certificate file",
            file.display()
        )));
    }
    Ok(Certificate {
        encoding: CertificateEncoding::Pem,
        data,
    })
}

/// `DIR/*.crt`, as Docker's and Podman's `certs.d/HOST` directories hold them; a missing
/// directory holds none.
fn host_certificates(dir: &Path) -> Result<Vec<Certificate>, RegistryError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "crt"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let data = std::fs::read(file).map_err(|e| {
                RegistryError::Setup(format!("{}: cannot read it: {e}", file.display()))
            })?;
            Ok(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_hosts_compare_normalized() {
        assert_eq!(insecure_host("https://127.0.0.1:5000/"), "127.0.0.1:5000");
        assert_eq!(insecure_host("index.docker.io"), "docker.io");
        assert_eq!(insecure_host(" Registry.local "), "registry.local");
    }

    #[test]
    fn tls_failures_get_a_hint() {
        assert!(looks_like_tls(
            "error sending request: invalid peer certificate: UnknownIssuer"
        ));
        assert!(!looks_like_tls("connection refused"));
    }

    #[test]
    fn a_ca_file_must_be_pem() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ca.der");
        std::fs::write(&file, [0x30, 0x82, 0x01]).unwrap();
        let error = certificate(&file).unwrap_err().to_string();
        assert!(error.contains("not a PEM certificate"), "{error}");
        let error = certificate(&dir.path().join("missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("cannot read it"), "{error}");
    }
}
