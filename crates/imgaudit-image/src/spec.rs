//! The image argument: skopeo-style transports, or a path whose kind is detected.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::ImageError;

/// Where an image comes from, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSpec {
    /// `oci:DIR[:REF]`: an OCI image layout directory.
    OciLayout {
        dir: PathBuf,
        reference: Option<String>,
    },
    /// `oci-archive:FILE[:REF]`: an OCI image layout packed in a tar.
    OciArchive {
        file: PathBuf,
        reference: Option<String>,
    },
    /// `docker-archive:FILE[:NAME:TAG|:@INDEX]`: a `docker save` tarball.
    DockerArchive { file: PathBuf, selection: Selection },
    /// `-`: a `docker save` stream on standard input.
    Stdin { selection: Selection },
}

/// Which image of a multi-image `docker save` tarball.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selection {
    /// The only image; an error when there are several.
    #[default]
    Only,
    /// The image tagged `NAME:TAG`.
    Tag(String),
    /// The image at this position of `manifest.json` (skopeo's `@N`).
    Index(usize),
}

impl fmt::Display for ImageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_ref = |f: &mut fmt::Formatter<'_>, t: &str, p: &Path, r: &Option<String>| {
            write!(f, "{t}:{}", p.display())?;
            match r {
                Some(r) => write!(f, ":{r}"),
                None => Ok(()),
            }
        };
        match self {
            ImageSpec::OciLayout { dir, reference } => with_ref(f, "oci", dir, reference),
            ImageSpec::OciArchive { file, reference } => {
                with_ref(f, "oci-archive", file, reference)
            }
            ImageSpec::DockerArchive { file, selection } => {
                write!(f, "docker-archive:{}{selection}", file.display())
            }
            ImageSpec::Stdin { selection } => write!(f, "-{selection}"),
        }
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selection::Only => Ok(()),
            Selection::Tag(tag) => write!(f, ":{tag}"),
            Selection::Index(i) => write!(f, ":@{i}"),
        }
    }
}

impl ImageSpec {
    /// Parses an image argument. A transport prefix forces the source; without one, an existing
    /// path is inspected to tell an OCI layout directory from an OCI or `docker save` tarball.
    pub fn parse(arg: &str) -> Result<ImageSpec, ImageError> {
        if arg == "-" {
            return Ok(ImageSpec::Stdin {
                selection: Selection::Only,
            });
        }
        if let Some(rest) = arg.strip_prefix("oci:") {
            let (dir, reference) = split_reference(rest);
            return Ok(ImageSpec::OciLayout { dir, reference });
        }
        if let Some(rest) = arg.strip_prefix("oci-archive:") {
            let (file, reference) = split_reference(rest);
            return Ok(ImageSpec::OciArchive { file, reference });
        }
        if let Some(rest) = arg.strip_prefix("docker-archive:") {
            let (file, selection) = split_selection(rest)?;
            if file.as_os_str() == "-" {
                return Ok(ImageSpec::Stdin { selection });
            }
            return Ok(ImageSpec::DockerArchive { file, selection });
        }
        for transport in [
            "docker://",
            "docker-daemon:",
            "podman:",
            "containers-storage:",
        ] {
            if arg.starts_with(transport) {
                return Err(ImageError::UnsupportedTransport {
                    input: arg.to_owned(),
                    transport: transport.trim_end_matches([':', '/']).to_owned(),
                });
            }
        }
        detect(arg)
    }

    /// The path the spec reads, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ImageSpec::OciLayout { dir, .. } => Some(dir),
            ImageSpec::OciArchive { file, .. } | ImageSpec::DockerArchive { file, .. } => {
                Some(file)
            }
            ImageSpec::Stdin { .. } => None,
        }
    }

    /// The transport name, as skopeo spells it.
    pub fn transport(&self) -> &'static str {
        match self {
            ImageSpec::OciLayout { .. } => "oci",
            ImageSpec::OciArchive { .. } => "oci-archive",
            ImageSpec::DockerArchive { .. } => "docker-archive",
            ImageSpec::Stdin { .. } => "docker-archive-stream",
        }
    }
}

/// `PATH[:REF]`, split at the first colon as skopeo does.
fn split_reference(rest: &str) -> (PathBuf, Option<String>) {
    match rest.split_once(':') {
        Some((path, reference)) if !reference.is_empty() => {
            (PathBuf::from(path), Some(reference.to_owned()))
        }
        Some((path, _)) => (PathBuf::from(path), None),
        None => (PathBuf::from(rest), None),
    }
}

fn split_selection(rest: &str) -> Result<(PathBuf, Selection), ImageError> {
    let (path, reference) = split_reference(rest);
    let selection = match reference {
        None => Selection::Only,
        Some(r) => match r.strip_prefix('@') {
            Some(n) => Selection::Index(n.parse().map_err(|_| ImageError::BadArgument {
                input: rest.to_owned(),
                reason: format!("`@{n}` is not an image index (expected @0, @1, ...)"),
            })?),
            None => Selection::Tag(r),
        },
    };
    Ok((path, selection))
}

fn detect(arg: &str) -> Result<ImageSpec, ImageError> {
    let path = PathBuf::from(arg);
    let metadata = std::fs::metadata(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ImageError::NoSuchImage {
                input: arg.to_owned(),
            }
        } else {
            ImageError::Io {
                input: arg.to_owned(),
                source: e,
            }
        }
    })?;
    if metadata.is_dir() {
        if path.join("oci-layout").is_file() || path.join("index.json").is_file() {
            return Ok(ImageSpec::OciLayout {
                dir: path,
                reference: None,
            });
        }
        return Err(ImageError::NotAnImage {
            input: arg.to_owned(),
            reason:
                "it is a directory without `oci-layout` or `index.json`, so not an OCI image layout"
                    .to_owned(),
        });
    }
    let names = crate::archive::top_level_names(&path, arg)?;
    if names.iter().any(|n| n == "manifest.json") {
        Ok(ImageSpec::DockerArchive {
            file: path,
            selection: Selection::Only,
        })
    } else if names.iter().any(|n| n == "index.json") {
        Ok(ImageSpec::OciArchive {
            file: path,
            reference: None,
        })
    } else {
        Err(ImageError::NotAnImage {
            input: arg.to_owned(),
            reason: "the tar archive has neither `manifest.json` (docker save) nor `index.json` (OCI archive)".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_transports_like_skopeo() {
        assert_eq!(
            ImageSpec::parse("oci:/tmp/lay:v1").unwrap(),
            ImageSpec::OciLayout {
                dir: "/tmp/lay".into(),
                reference: Some("v1".into())
            }
        );
        assert_eq!(
            ImageSpec::parse("oci-archive:img.tar").unwrap(),
            ImageSpec::OciArchive {
                file: "img.tar".into(),
                reference: None
            }
        );
        assert_eq!(
            ImageSpec::parse("docker-archive:img.tar:app:1.0").unwrap(),
            ImageSpec::DockerArchive {
                file: "img.tar".into(),
                selection: Selection::Tag("app:1.0".into())
            }
        );
        assert_eq!(
            ImageSpec::parse("docker-archive:img.tar:@1").unwrap(),
            ImageSpec::DockerArchive {
                file: "img.tar".into(),
                selection: Selection::Index(1)
            }
        );
        assert_eq!(
            ImageSpec::parse("-").unwrap(),
            ImageSpec::Stdin {
                selection: Selection::Only
            }
        );
        assert!(matches!(
            ImageSpec::parse("docker-archive:img.tar:@x"),
            Err(ImageError::BadArgument { .. })
        ));
        assert!(matches!(
            ImageSpec::parse("docker://busybox"),
            Err(ImageError::UnsupportedTransport { .. })
        ));
        assert!(matches!(
            ImageSpec::parse("no/such/path-imgaudit"),
            Err(ImageError::NoSuchImage { .. })
        ));
    }

    #[test]
    fn displays_as_parsed() {
        for arg in [
            "oci:d:v1",
            "oci-archive:f.tar",
            "docker-archive:f.tar:a:b",
            "-",
        ] {
            assert_eq!(ImageSpec::parse(arg).unwrap().to_string(), arg);
        }
    }
}
