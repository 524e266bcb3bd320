//! `docker save` tarballs: the legacy layout (`manifest.json`, `<id>/layer.tar`) and Docker 25's
//! (an OCI layout plus `manifest.json`). Both are read through `manifest.json`.

use imgaudit_digest::{Algorithm, Digest};

use crate::archive::{
    Files, MAX_ARCHIVE_INDEX_SIZE, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, read_verified,
};
use crate::oci::{LayoutBlobs, blob_path};
use crate::{
    ImageError, ImageMeta, ImageSpec, LayerRef, OpenOptions, OpenedImage, Selection,
    check_platform, config_platform, diff_ids, parse_config,
};

/// One image of `manifest.json`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ManifestEntry {
    pub(crate) config: String,
    #[serde(default)]
    pub(crate) repo_tags: Option<Vec<String>>,
    pub(crate) layers: Vec<String>,
    /// Foreign layers (Windows base layers), by diff id: Docker leaves their blobs out and
    /// says here where they come from.
    #[serde(default)]
    pub(crate) layer_sources: Option<std::collections::HashMap<String, serde_json::Value>>,
}

pub(crate) fn parse_manifest(input: &str, bytes: &[u8]) -> Result<Vec<ManifestEntry>, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::Malformed {
        input: input.to_owned(),
        what: "manifest.json".to_owned(),
        reason: e.to_string(),
    })
}

/// `docker.io/library/app:1` and `app:1` name the same image; a tag defaults to `latest`.
fn normalize_tag(tag: &str) -> String {
    let short = tag
        .strip_prefix("docker.io/library/")
        .or_else(|| tag.strip_prefix("docker.io/"))
        .unwrap_or(tag);
    let last = short.rsplit('/').next().unwrap_or(short);
    if last.contains(':') || last.contains('@') {
        short.to_owned()
    } else {
        format!("{short}:latest")
    }
}

fn tags(entry: &ManifestEntry) -> &[String] {
    entry.repo_tags.as_deref().unwrap_or_default()
}

pub(crate) fn select_entry<'a>(
    input: &str,
    entries: &'a [ManifestEntry],
    selection: &Selection,
) -> Result<&'a ManifestEntry, ImageError> {
    let describe = |(i, e): (usize, &ManifestEntry)| match tags(e) {
        [] => format!("@{i} (untagged)"),
        tags => tags.join(" "),
    };
    let available = || entries.iter().enumerate().map(describe).collect::<Vec<_>>();
    match selection {
        Selection::Only => match entries {
            [only] => Ok(only),
            [] => Err(ImageError::NotAnImage {
                input: input.to_owned(),
                reason: "manifest.json lists no image".to_owned(),
            }),
            _ => Err(ImageError::Ambiguous {
                input: input.to_owned(),
                hint: "docker-archive:FILE:NAME:TAG (or :@INDEX)".to_owned(),
                available: available(),
            }),
        },
        Selection::Tag(wanted) => {
            let wanted_norm = normalize_tag(wanted);
            entries
                .iter()
                .find(|e| tags(e).iter().any(|t| normalize_tag(t) == wanted_norm))
                .ok_or_else(|| ImageError::NoSuchReference {
                    input: input.to_owned(),
                    wanted: wanted.clone(),
                    available: available(),
                })
        }
        Selection::Index(i) => entries.get(*i).ok_or_else(|| ImageError::NoSuchReference {
            input: input.to_owned(),
            wanted: format!("@{i}"),
            available: available(),
        }),
    }
}

/// The digest a member's name promises: `blobs/sha256/<hex>` (Docker 25), `<hex>.json` (a legacy
/// config, named by the image id) or `sha256:<hex>` (a go-containerregistry tarball's config).
fn digest_in_name(name: &str) -> Option<Digest> {
    if name.starts_with("sha256:") {
        return name.parse().ok();
    }
    if let Some(rest) = name.strip_prefix("blobs/") {
        let (algorithm, hex) = rest.split_once('/')?;
        return format!("{algorithm}:{hex}").parse().ok();
    }
    let hex = name.strip_suffix(".json")?;
    format!("sha256:{hex}").parse().ok()
}

/// Builds the metadata of the selected image from its `manifest.json` entry and config bytes.
pub(crate) fn build_meta(
    input: &str,
    spec: &ImageSpec,
    entry: &ManifestEntry,
    config_bytes: &[u8],
) -> Result<ImageMeta, ImageError> {
    // The image id is the config's sha256, unless its name promises another algorithm's digest:
    // that promise is checked too, never skipped.
    let named = digest_in_name(&entry.config);
    let algorithm = named.as_ref().map_or(Algorithm::Sha256, Digest::algorithm);
    let config_digest = Digest::of_bytes(algorithm, config_bytes);
    if let Some(named) = named
        && named != config_digest
    {
        return Err(ImageError::DigestMismatch {
            input: input.to_owned(),
            what: format!("image config `{}`", entry.config),
            expected: named.to_string(),
            actual: config_digest.to_string(),
        });
    }
    let config = parse_config(input, config_bytes)?;
    let diff_ids = diff_ids(input, &config)?;
    if diff_ids.len() != entry.layers.len() {
        return Err(ImageError::Malformed {
            input: input.to_owned(),
            what: "image".to_owned(),
            reason: format!(
                "manifest.json lists {} layers but the config's rootfs.diff_ids has {}",
                entry.layers.len(),
                diff_ids.len()
            ),
        });
    }
    let layers = entry
        .layers
        .iter()
        .zip(diff_ids)
        .map(|(location, diff_id)| LayerRef {
            digest: location
                .starts_with("blobs/")
                .then(|| digest_in_name(location))
                .flatten(),
            diff_id,
            media_type: None,
            size: None,
            location: location.clone(),
        })
        .collect();
    Ok(ImageMeta {
        source: spec.to_string(),
        transport: spec.transport(),
        name: tags(entry).first().cloned(),
        manifest_digest: None,
        platform: config_platform(&config),
        config_digest,
        config,
        layers,
        notes: Vec::new(),
    })
}

/// The error for a layer the archive does not hold, when `manifest.json` says it is foreign.
pub(crate) fn foreign_layer_missing(
    input: &str,
    entry: &ManifestEntry,
    layer: &LayerRef,
) -> Option<ImageError> {
    let source = entry
        .layer_sources
        .as_ref()?
        .get(&layer.diff_id.to_string())?;
    let media_type = source["mediaType"].as_str().unwrap_or_default();
    if !crate::oci::is_foreign(media_type) {
        return None;
    }
    let urls: Vec<&str> = source["urls"]
        .as_array()
        .map(|u| u.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    Some(ImageError::NotAnImage {
        input: input.to_owned(),
        reason: format!(
            "its layer {} is a foreign (non-distributable) layer (`{media_type}`) that the archive does not hold; it is fetched from {}",
            layer.diff_id,
            if urls.is_empty() {
                "(no URL given)".to_owned()
            } else {
                urls.join(", ")
            }
        ),
    })
}

pub(crate) fn open(
    files: Box<dyn Files>,
    spec: &ImageSpec,
    selection: &Selection,
    options: &OpenOptions,
) -> Result<OpenedImage, ImageError> {
    let input = files.input().to_owned();
    let manifest_bytes = read_verified(
        files.as_ref(),
        "manifest.json",
        "manifest.json",
        MAX_ARCHIVE_INDEX_SIZE,
        None,
    )?;
    let entries = parse_manifest(&input, &manifest_bytes)?;
    let entry = select_entry(&input, &entries, selection)?;
    let config_bytes = read_verified(
        files.as_ref(),
        &entry.config,
        "image config",
        MAX_CONFIG_SIZE,
        None,
    )?;
    let mut meta = build_meta(&input, spec, entry, &config_bytes)?;
    check_platform(&input, &meta.platform, options)?;
    for layer in meta.layers.iter().filter(|l| !files.exists(&l.location)) {
        if let Some(error) = foreign_layer_missing(&input, entry, layer) {
            return Err(error);
        }
    }
    if files.exists("index.json") {
        meta.manifest_digest = find_manifest_digest_in(files.as_ref(), &meta.config_digest);
    }
    Ok(OpenedImage {
        meta,
        blobs: Box::new(LayoutBlobs { files }),
    })
}

/// Docker 25+ tarballs also hold the OCI manifest: find the one whose config is ours, so the
/// report can name the manifest digest. Best effort: the tarball is valid without it.
pub(crate) fn find_manifest_digest_in(files: &dyn Files, config_digest: &Digest) -> Option<Digest> {
    let index = read_verified(
        files,
        "index.json",
        "index.json",
        MAX_ARCHIVE_INDEX_SIZE,
        None,
    )
    .ok()?;
    let index: serde_json::Value = serde_json::from_slice(&index).ok()?;
    let mut pending: Vec<Digest> = descriptor_digests(&index);
    let mut visited = 0;
    while let Some(digest) = pending.pop() {
        visited += 1;
        if visited > 64 {
            return None;
        }
        let Ok(bytes) = read_verified(
            files,
            &blob_path(&digest),
            "manifest",
            MAX_MANIFEST_SIZE,
            Some((&digest, None)),
        ) else {
            continue;
        };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        if value.get("manifests").is_some() {
            pending.extend(descriptor_digests(&value));
        } else if value["config"]["digest"].as_str() == Some(&config_digest.to_string()) {
            return Some(digest);
        }
    }
    None
}

fn descriptor_digests(index: &serde_json::Value) -> Vec<Digest> {
    index["manifests"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|d| d["digest"].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_with_docker_defaults() {
        assert_eq!(normalize_tag("docker.io/library/app:1"), "app:1");
        assert_eq!(normalize_tag("app"), "app:latest");
        assert_eq!(
            normalize_tag("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
        assert_eq!(normalize_tag("docker.io/team/app:2"), "team/app:2");
    }

    #[test]
    fn a_sha512_config_name_is_checked_not_skipped() {
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let spec = ImageSpec::parse("docker-archive:app.tar").unwrap();
        let entry = |hex: &str| ManifestEntry {
            config: format!("blobs/sha512/{hex}"),
            repo_tags: None,
            layers: Vec::new(),
            layer_sources: None,
        };
        let right = Digest::of_bytes(Algorithm::Sha512, config);
        let meta = build_meta("app.tar", &spec, &entry(right.hex()), config).unwrap();
        assert_eq!(meta.config_digest, right);
        let lying = entry(&"0".repeat(128));
        let error = build_meta("app.tar", &spec, &lying, config).unwrap_err();
        assert!(
            matches!(error, ImageError::DigestMismatch { .. }),
            "{error}"
        );
    }

    #[test]
    fn names_promise_digests() {
        let hex = "a".repeat(64);
        assert!(digest_in_name(&format!("blobs/sha256/{hex}")).is_some());
        assert!(digest_in_name(&format!("{hex}.json")).is_some());
        assert!(digest_in_name(&format!("sha256:{hex}")).is_some());
        assert!(digest_in_name("config.json").is_none());
    }
}
