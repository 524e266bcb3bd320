//! The repository part of an image reference: what stays the same from one build to the next.

use crate::{ImageMeta, ImageSpec};

/// The repository of `reference` without its tag or digest, in the short form `docker` prints
/// (`docker.io/library/python:3.12` → `python`, `localhost:5000/team/app:1.4` →
/// `localhost:5000/team/app`). `None` when nothing is left.
pub fn repository(reference: &str) -> Option<String> {
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
    let path = match spec {
        ImageSpec::OciLayout { dir, .. } => Some(dir.as_path()),
        ImageSpec::OciArchive { file, .. } | ImageSpec::DockerArchive { file, .. } => {
            Some(file.as_path())
        }
        ImageSpec::Stdin { .. } => None,
    };
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
}
