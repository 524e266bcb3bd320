//! Which image was audited.

use serde::Serialize;

/// Which image was read: what `inspect`, `files` and every report say of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageIdentity {
    /// The source as the user named it (`oci:DIR:REF`, `docker-archive:FILE`, `-`).
    pub source: String,
    /// The transport, as skopeo names it (`memory` for an image built in memory).
    pub transport: &'static str,
    /// The name the source gives (a tag, a `repo:tag`), as it was.
    pub name: Option<String>,
    /// The manifest's digest, when the source has a manifest.
    pub manifest_digest: Option<String>,
    /// The config's digest: the image id.
    pub config_digest: String,
    /// `os/arch[/variant]`.
    pub platform: String,
}
