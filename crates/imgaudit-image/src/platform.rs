//! Platforms (`os/arch[/variant]`) and the choice of one manifest from an index.

use std::fmt;
use std::str::FromStr;

/// A platform as users write it for `--platform`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            os: os.to_owned(),
            architecture: normalize_arch(architecture).to_owned(),
            variant: variant.filter(|v| !v.is_empty()).map(str::to_owned),
        }
    }

    /// Whether an image of platform `self` satisfies a request for `wanted`. A request without a
    /// variant accepts any variant; `arm64` without a variant means `v8`.
    pub fn satisfies(&self, wanted: &Platform) -> bool {
        if self.os != wanted.os || self.architecture != wanted.architecture {
            return false;
        }
        match &wanted.variant {
            None => true,
            Some(v) => self.effective_variant() == Some(v.as_str()),
        }
    }

    /// Whether the variant is the architecture's default one (or none).
    fn has_default_variant(&self) -> bool {
        self.variant.is_none() || self.variant.as_deref() == default_variant(&self.architecture)
    }

    fn effective_variant(&self) -> Option<&str> {
        self.variant
            .as_deref()
            .or_else(|| default_variant(&self.architecture))
    }
}

fn default_variant(architecture: &str) -> Option<&'static str> {
    match architecture {
        "arm64" => Some("v8"),
        _ => None,
    }
}

fn normalize_arch(architecture: &str) -> &str {
    match architecture {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" | "i686" => "386",
        other => other,
    }
}

impl Default for Platform {
    fn default() -> Self {
        Platform::new("linux", "amd64", None)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// A `--platform` value that is not `os/arch[/variant]`.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a platform: expected OS/ARCH[/VARIANT], such as linux/amd64 or linux/arm64/v8"
)]
pub struct PlatformError(String);

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let valid = |p: &&str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        match parts.as_slice() {
            [os, arch] if valid(os) && valid(arch) => Ok(Platform::new(os, arch, None)),
            [os, arch, variant] if valid(os) && valid(arch) && valid(variant) => {
                Ok(Platform::new(os, arch, Some(variant)))
            }
            _ => Err(PlatformError(s.to_owned())),
        }
    }
}

/// One entry of an image index, reduced to what selection needs.
#[derive(Debug, Clone)]
pub(crate) struct IndexEntry<'a> {
    pub(crate) platform: Option<Platform>,
    /// An attestation or other non-image entry (BuildKit marks them `unknown/unknown` and with
    /// a `vnd.docker.reference.type` annotation).
    pub(crate) is_attestation: bool,
    pub(crate) descriptor: &'a oci_spec::image::Descriptor,
}

impl<'a> IndexEntry<'a> {
    pub(crate) fn new(descriptor: &'a oci_spec::image::Descriptor) -> IndexEntry<'a> {
        let platform = descriptor.platform().as_ref().map(|p| {
            Platform::new(
                &p.os().to_string(),
                &p.architecture().to_string(),
                p.variant().as_deref(),
            )
        });
        let annotated = descriptor
            .annotations()
            .as_ref()
            .is_some_and(|a| a.contains_key("vnd.docker.reference.type"));
        let unknown = platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
        IndexEntry {
            platform,
            is_attestation: annotated || unknown,
            descriptor,
        }
    }
}

/// Picks the entry for `wanted`: never an attestation; among matches, one with the default
/// variant first. `Err` lists the platforms present.
pub(crate) fn select<'a>(
    entries: &[IndexEntry<'a>],
    wanted: &Platform,
) -> Result<&'a oci_spec::image::Descriptor, Vec<String>> {
    let candidates: Vec<&IndexEntry<'a>> = entries
        .iter()
        .filter(|e| !e.is_attestation)
        .filter(|e| e.platform.as_ref().is_some_and(|p| p.satisfies(wanted)))
        .collect();
    let preferred = candidates
        .iter()
        .find(|e| {
            e.platform
                .as_ref()
                .is_some_and(Platform::has_default_variant)
        })
        .or(candidates.first());
    match preferred {
        Some(entry) => Ok(entry.descriptor),
        None => Err(entries
            .iter()
            .filter(|e| !e.is_attestation)
            .map(|e| {
                e.platform
                    .as_ref()
                    .map_or_else(|| "(no platform)".to_owned(), ToString::to_string)
            })
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalizes() {
        let p: Platform = "linux/aarch64".parse().unwrap();
        assert_eq!(p.to_string(), "linux/arm64");
        assert_eq!(
            "linux/arm/v7"
                .parse::<Platform>()
                .unwrap()
                .variant
                .as_deref(),
            Some("v7")
        );
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux/amd64/v2/x".parse::<Platform>().is_err());
        assert!("linux//v2".parse::<Platform>().is_err());
    }

    #[test]
    fn variants_match_with_defaults() {
        let arm64 = Platform::new("linux", "arm64", None);
        let arm64_v8 = Platform::new("linux", "arm64", Some("v8"));
        assert!(arm64.satisfies(&arm64_v8));
        assert!(arm64_v8.satisfies(&arm64));
        let armv7 = Platform::new("linux", "arm", Some("v7"));
        assert!(!armv7.satisfies(&Platform::new("linux", "arm", Some("v6"))));
        assert!(armv7.satisfies(&Platform::new("linux", "arm", None)));
        assert!(!arm64.satisfies(&Platform::default()));
    }
}
