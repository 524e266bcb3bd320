//! skopeo's `dir:` layout: the manifest as `manifest.json`, a `version` file, and every blob
//! named by its digest's hex (`<algorithm>-<hex>` for algorithms other than sha256). A copy of
//! several platforms (`skopeo copy --all`) keeps the index as `manifest.json` and each image's
//! manifest as `<hex>.manifest.json`.

use imgaudit_digest::{Algorithm, Digest};

use crate::archive::{DirFiles, Files, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, read_verified};
use crate::oci::{Documents, LayoutBlobs, resolve};
use crate::{ImageError, ImageSpec, OpenOptions, OpenedImage};

/// What skopeo writes to `version`, before the version number.
const VERSION_PREFIX: &str = "Directory Transport Version: ";

/// Where a blob lives in a `dir:` layout.
pub(crate) fn blob_name(digest: &Digest) -> String {
    match digest.algorithm() {
        Algorithm::Sha256 => digest.hex().to_owned(),
        other @ Algorithm::Sha512 => format!("{}-{}", other.name(), digest.hex()),
    }
}

struct DirDocuments<'a> {
    files: &'a dyn Files,
    /// The digest of `manifest.json`, the one manifest not stored under its digest.
    top: Digest,
}

impl Documents for DirDocuments<'_> {
    fn input(&self) -> &str {
        self.files.input()
    }

    fn manifest(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        let name = if *digest == self.top {
            "manifest.json".to_owned()
        } else {
            format!("{}.manifest.json", blob_name(digest))
        };
        read_verified(
            self.files,
            &name,
            "manifest",
            MAX_MANIFEST_SIZE,
            Some((digest, size)),
        )
    }

    fn config(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        read_verified(
            self.files,
            &blob_name(digest),
            "image config",
            MAX_CONFIG_SIZE,
            Some((digest, size)),
        )
    }

    fn layer_location(&self, digest: &Digest) -> String {
        blob_name(digest)
    }

    fn has_blob(&self, digest: &Digest) -> bool {
        self.files.exists(&blob_name(digest))
    }
}

/// Whether a directory looks like skopeo's `dir:` layout, to detect a bare path.
pub(crate) fn looks_like_dir_layout(path: &std::path::Path) -> bool {
    path.join("manifest.json").is_file() && path.join("version").is_file()
}

pub(crate) fn open(
    files: DirFiles,
    spec: &ImageSpec,
    options: &OpenOptions,
) -> Result<OpenedImage, ImageError> {
    let input = files.input().to_owned();
    check_version(&files)?;
    if !files.exists("manifest.json") {
        return Err(ImageError::NotAnImage {
            input,
            reason: "there is no `manifest.json`, so this is not a `dir:` layout".to_owned(),
        });
    }
    let bytes = read_verified(&files, "manifest.json", "manifest", MAX_MANIFEST_SIZE, None)?;
    // skopeo stores the manifest as the source served it, so its digest is the image's.
    let top = Digest::of_bytes(Algorithm::Sha256, &bytes);
    let documents = DirDocuments {
        files: &files,
        top: top.clone(),
    };
    let resolved = resolve(&documents, top, &bytes, options)?;
    Ok(OpenedImage {
        meta: resolved.into_meta(spec.to_string(), spec.transport(), None),
        blobs: Box::new(LayoutBlobs {
            files: Box::new(files),
        }),
    })
}

/// The `version` file says the layout is skopeo's, and which revision.
fn check_version(files: &DirFiles) -> Result<(), ImageError> {
    let not_dir = |reason: String| ImageError::NotAnImage {
        input: files.input().to_owned(),
        reason,
    };
    if !files.exists("version") {
        return Err(not_dir(
            "there is no `version` file, so this is not a `dir:` layout".to_owned(),
        ));
    }
    let bytes = read_verified(files, "version", "version file", MAX_MANIFEST_SIZE, None)?;
    let text = String::from_utf8_lossy(&bytes);
    match text.trim().strip_prefix(VERSION_PREFIX) {
        Some(version) if version.starts_with("1.") => Ok(()),
        Some(version) => Err(not_dir(format!(
            "the `dir:` layout is version {version}, and imgaudit reads version 1.x"
        ))),
        None => Err(not_dir(format!(
            "`version` says `{}`, not `{VERSION_PREFIX}...`, so this is not a `dir:` layout",
            text.trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_named_like_skopeo_names_them() {
        let hex = "a".repeat(64);
        let digest: Digest = format!("sha256:{hex}").parse().unwrap();
        assert_eq!(blob_name(&digest), hex);
    }
}
