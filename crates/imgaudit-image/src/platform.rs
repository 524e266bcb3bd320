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

    /// Whether an image of platform `self` satisfies a request for `wanted`: see
    /// [`Platform::match_rank`].
    pub fn satisfies(&self, wanted: &Platform) -> bool {
        self.match_rank(wanted).is_some()
    }

    /// How well an image of platform `self` serves a request for `wanted`, as containerd's
    /// default matcher ranks it: `Some(0)` is the best match, larger is a fallback, `None` no
    /// match. A request without a variant accepts any variant, the architecture's default one
    /// first (as before variants were ranked: `linux/amd64`, the default, still finds an image
    /// built only for `amd64/v2`). A request with a variant accepts the older variants a CPU of that variant runs
    /// (`amd64/v3` runs `v2` and `v1`, `arm/v7` runs `v6` and `v5`), newest first; a missing
    /// variant means the architecture's default (`arm64` is `arm64/v8`).
    pub fn match_rank(&self, wanted: &Platform) -> Option<usize> {
        if self.os != wanted.os || self.architecture != wanted.architecture {
            return None;
        }
        let Some(wanted_variant) = wanted.variant.as_deref() else {
            return Some(usize::from(!self.has_default_variant()));
        };
        let ours = self.effective_variant()?;
        if ours == wanted_variant {
            return Some(0);
        }
        let floor = lowest_variant(&self.architecture)?;
        let (wanted_level, our_level) = (variant_level(wanted_variant)?, variant_level(ours)?);
        (floor..=wanted_level)
            .contains(&our_level)
            .then(|| usize::try_from(wanted_level - our_level).unwrap_or(usize::MAX))
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

/// The variant an image without one is built for.
fn default_variant(architecture: &str) -> Option<&'static str> {
    match architecture {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        "amd64" => Some("v1"),
        _ => None,
    }
}

/// The oldest variant a newer CPU of the architecture still runs; `None` where variants are
/// not ordered (any other architecture: only an exact variant matches).
fn lowest_variant(architecture: &str) -> Option<u32> {
    match architecture {
        "amd64" => Some(1),
        "arm" => Some(5),
        "arm64" => Some(8),
        _ => None,
    }
}

/// `v7` is level 7; variants that are not `vN` have no level.
fn variant_level(variant: &str) -> Option<u32> {
    variant.strip_prefix('v')?.parse().ok()
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

/// What an index entry points at, from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Manifest,
    Index,
    /// Neither: an artifact or something newer than imgaudit, never an image.
    Other,
}

impl EntryKind {
    pub(crate) fn of(media_type: &str) -> EntryKind {
        match media_type {
            "application/vnd.oci.image.manifest.v1+json"
            | "application/vnd.docker.distribution.manifest.v2+json" => EntryKind::Manifest,
            "application/vnd.oci.image.index.v1+json"
            | "application/vnd.docker.distribution.manifest.list.v2+json" => EntryKind::Index,
            _ => EntryKind::Other,
        }
    }
}

/// One entry of an image index, reduced to what selection needs.
#[derive(Debug, Clone)]
pub(crate) struct IndexEntry<'a> {
    /// The entry's platform; for an image manifest without one, its config's (filled in by
    /// the caller, which can read blobs), as containerd and skopeo decide such entries.
    pub(crate) platform: Option<Platform>,
    /// An attestation or other non-image entry (BuildKit marks them `unknown/unknown` and with
    /// a `vnd.docker.reference.type` annotation).
    pub(crate) is_attestation: bool,
    pub(crate) kind: EntryKind,
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
            kind: EntryKind::of(descriptor.media_type().as_ref()),
            descriptor,
        }
    }

    /// An image manifest whose platform only its config can tell.
    pub(crate) fn needs_config_platform(&self) -> bool {
        self.platform.is_none() && !self.is_attestation && self.kind == EntryKind::Manifest
    }

    /// Whether the entry could be what `wanted` asks for, whatever its media type.
    fn could_be(&self, wanted: &Platform) -> bool {
        !self.is_attestation && self.platform.as_ref().is_none_or(|p| p.satisfies(wanted))
    }
}

/// Why no entry was selected.
#[derive(Debug)]
pub(crate) enum NoEntry<'a> {
    /// The platforms present, for the error message.
    NoPlatform(Vec<String>),
    /// The entry that would have been chosen points at neither a manifest nor an index.
    NotAnImage(&'a oci_spec::image::Descriptor),
}

/// Picks the entry for `wanted`, as containerd's default matcher does: never an attestation;
/// the best ranked match ([`Platform::match_rank`]), the first of equals; an index without a
/// platform (its own entries decide) only when no image matches.
pub(crate) fn select<'a>(
    entries: &[IndexEntry<'a>],
    wanted: &Platform,
) -> Result<&'a oci_spec::image::Descriptor, NoEntry<'a>> {
    let usable = || {
        entries
            .iter()
            .filter(|e| !e.is_attestation && e.kind != EntryKind::Other)
    };
    let best = usable()
        .filter_map(|e| Some((e.platform.as_ref()?.match_rank(wanted)?, e)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, e)| e)
        .or_else(|| usable().find(|e| e.platform.is_none() && e.kind == EntryKind::Index));
    if let Some(entry) = best {
        return Ok(entry.descriptor);
    }
    if let Some(other) = entries
        .iter()
        .find(|e| e.kind == EntryKind::Other && e.could_be(wanted))
    {
        return Err(NoEntry::NotAnImage(other.descriptor));
    }
    Err(NoEntry::NoPlatform(
        entries
            .iter()
            .filter(|e| !e.is_attestation)
            .map(|e| {
                e.platform
                    .as_ref()
                    .map_or_else(|| "(no platform)".to_owned(), ToString::to_string)
            })
            .collect(),
    ))
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
