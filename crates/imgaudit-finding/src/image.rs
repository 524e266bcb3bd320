//! Which image was audited.

use serde::Serialize;

/// An audited image as reports name it. `repository` is what fingerprints, suppressions and
/// SARIF categories use: it stays the same from one build (and tag) to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageIdentity {
    /// The source as the user named it (`oci:DIR:REF`, `docker-archive:FILE`, `-`).
    pub source: String,
    /// The transport, as skopeo names it.
    pub transport: &'static str,
    /// The name the source gives (a tag, a `repo:tag`), as it was.
    pub name: Option<String>,
    /// The repository name without tag or digest (`team/app`).
    pub repository: String,
    pub manifest_digest: Option<String>,
    pub config_digest: String,
    /// `os/arch[/variant]`.
    pub platform: String,
}
