//! The image argument: skopeo-style transports, or a path whose kind is detected.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::{ImageError, Reference};

/// Where an image comes from, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSpec {
    /// `oci:DIR[:REF]`: an OCI image layout directory; `REF` is a reference name or the digest
    /// of an `index.json` entry (`sha256:<hex>`). skopeo's `oci:DIR@sha256:<hex>` is not taken:
    /// split at the first colon as skopeo splits `oci:`, it names the directory `DIR@sha256`.
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
    /// `dir:DIR`: skopeo's directory layout (`manifest.json`, `version`, blobs named by their
    /// digest's hex).
    Dir { dir: PathBuf },
    /// `-`: a `docker save` stream on standard input.
    Stdin { selection: Selection },
    /// `oci-archive:-[:REF]`: an OCI archive on standard input, read as a stream.
    OciArchiveStdin { reference: Option<String> },
    /// `docker://REF`: an image in a registry.
    Registry { reference: Reference },
    /// `docker-daemon:NAME` or `podman:NAME`: an image in a local daemon, exported through its
    /// Docker-compatible API.
    Daemon { daemon: DaemonKind, name: String },
    /// A bare reference (`app:ci`, `registry.example.com/team/app:1.4`): the local daemon's
    /// image when a daemon answers and has it, else the registry's.
    Named { reference: Reference, text: String },
}

/// Which daemon a `Daemon` source asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonKind {
    Docker,
    Podman,
    /// `DOCKER_HOST`, else Docker's default sockets, then Podman's.
    Any,
}

/// The source `--source` pins, whatever the argument looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Daemon,
    Registry,
    /// A `docker save` tarball or an OCI archive.
    Archive,
    /// An OCI image layout directory.
    Oci,
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
            ImageSpec::Dir { dir } => write!(f, "dir:{}", dir.display()),
            ImageSpec::Stdin { selection } => write!(f, "-{selection}"),
            ImageSpec::OciArchiveStdin { reference } => {
                with_ref(f, "oci-archive", Path::new("-"), reference)
            }
            ImageSpec::Registry { reference } => write!(f, "docker://{reference}"),
            ImageSpec::Daemon { daemon, name } => match daemon {
                DaemonKind::Podman => write!(f, "podman:{name}"),
                DaemonKind::Docker | DaemonKind::Any => write!(f, "docker-daemon:{name}"),
            },
            ImageSpec::Named { text, .. } => f.write_str(text),
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
        if let Some(dir) = arg.strip_prefix("dir:") {
            // skopeo's `dir:` takes a path only: a colon belongs to it.
            return Ok(ImageSpec::Dir { dir: dir.into() });
        }
        if let Some(rest) = arg.strip_prefix("oci-archive:") {
            let (file, reference) = split_reference(rest);
            if file.as_os_str() == "-" {
                return Ok(ImageSpec::OciArchiveStdin { reference });
            }
            return Ok(ImageSpec::OciArchive { file, reference });
        }
        if let Some(rest) = arg.strip_prefix("docker-archive:") {
            let (file, selection) = split_selection(rest)?;
            if file.as_os_str() == "-" {
                return Ok(ImageSpec::Stdin { selection });
            }
            return Ok(ImageSpec::DockerArchive { file, selection });
        }
        if let Some(rest) = arg.strip_prefix("docker://") {
            return Ok(ImageSpec::Registry {
                reference: parse_reference(arg, rest)?,
            });
        }
        for (prefix, daemon) in [
            ("docker-daemon:", DaemonKind::Docker),
            ("podman:", DaemonKind::Podman),
        ] {
            if let Some(name) = arg.strip_prefix(prefix) {
                return daemon_spec(arg, name, daemon);
            }
        }
        if arg.starts_with("containers-storage:") {
            return Err(ImageError::UnsupportedTransport {
                input: arg.to_owned(),
                transport: "containers-storage".to_owned(),
            });
        }
        if std::fs::symlink_metadata(arg).is_ok() || looks_like_a_file(arg) {
            return detect(arg);
        }
        match Reference::parse(arg) {
            Ok(reference) => Ok(ImageSpec::Named {
                reference,
                text: arg.to_owned(),
            }),
            Err(error) => Err(ImageError::BadArgument {
                input: arg.to_owned(),
                reason: format!(
                    "no such file or directory, and not an image reference either: {error}"
                ),
            }),
        }
    }

    /// Parses an image argument for the source `--source` pins: a bare argument is read from
    /// there, and a transport prefix naming another source is an error.
    pub fn parse_as(arg: &str, source: SourceKind) -> Result<ImageSpec, ImageError> {
        let conflict = |spec: &ImageSpec| ImageError::BadArgument {
            input: arg.to_owned(),
            reason: format!(
                "--source {} contradicts the `{}` transport",
                source.name(),
                spec.transport()
            ),
        };
        let has_transport = [
            "oci:",
            "oci-archive:",
            "dir:",
            "docker-archive:",
            "docker://",
            "docker-daemon:",
            "podman:",
            "containers-storage:",
        ]
        .iter()
        .any(|t| arg.starts_with(t));
        if has_transport || arg == "-" {
            let spec = ImageSpec::parse(arg)?;
            let agrees = matches!(
                (&spec, source),
                (ImageSpec::Registry { .. }, SourceKind::Registry)
                    | (ImageSpec::Daemon { .. }, SourceKind::Daemon)
                    | (
                        ImageSpec::OciLayout { .. } | ImageSpec::Dir { .. },
                        SourceKind::Oci
                    )
                    | (
                        ImageSpec::OciArchive { .. }
                            | ImageSpec::DockerArchive { .. }
                            | ImageSpec::Stdin { .. }
                            | ImageSpec::OciArchiveStdin { .. },
                        SourceKind::Archive,
                    )
            );
            return if agrees {
                Ok(spec)
            } else {
                Err(conflict(&spec))
            };
        }
        match source {
            SourceKind::Registry => Ok(ImageSpec::Registry {
                reference: parse_reference(arg, arg)?,
            }),
            SourceKind::Daemon => daemon_spec(arg, arg, DaemonKind::Any),
            SourceKind::Oci => {
                let (dir, reference) = split_reference(arg);
                Ok(ImageSpec::OciLayout { dir, reference })
            }
            SourceKind::Archive => match detect(arg)? {
                ImageSpec::OciLayout { .. } => Err(ImageError::NotAnImage {
                    input: arg.to_owned(),
                    reason: "--source archive reads a tarball, and this is a directory (use --source oci for an OCI layout)".to_owned(),
                }),
                spec => Ok(spec),
            },
        }
    }

    /// The path the spec reads, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ImageSpec::OciLayout { dir, .. } | ImageSpec::Dir { dir } => Some(dir),
            ImageSpec::OciArchive { file, .. } | ImageSpec::DockerArchive { file, .. } => {
                Some(file)
            }
            ImageSpec::Stdin { .. }
            | ImageSpec::OciArchiveStdin { .. }
            | ImageSpec::Registry { .. }
            | ImageSpec::Daemon { .. }
            | ImageSpec::Named { .. } => None,
        }
    }

    /// Whether the image is read from standard input (with [`crate::read_docker_save_stream`]).
    pub fn reads_stdin(&self) -> bool {
        matches!(
            self,
            ImageSpec::Stdin { .. } | ImageSpec::OciArchiveStdin { .. }
        )
    }

    /// The transport name, as skopeo spells it.
    pub fn transport(&self) -> &'static str {
        match self {
            ImageSpec::OciLayout { .. } => "oci",
            ImageSpec::OciArchive { .. } => "oci-archive",
            ImageSpec::Dir { .. } => "dir",
            ImageSpec::DockerArchive { .. } => "docker-archive",
            ImageSpec::Stdin { .. } => "docker-archive-stream",
            ImageSpec::OciArchiveStdin { .. } => "oci-archive-stream",
            ImageSpec::Registry { .. } => "docker",
            ImageSpec::Daemon {
                daemon: DaemonKind::Podman,
                ..
            } => "podman",
            ImageSpec::Daemon { .. } => "docker-daemon",
            ImageSpec::Named { .. } => "reference",
        }
    }
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Daemon => "daemon",
            SourceKind::Registry => "registry",
            SourceKind::Archive => "archive",
            SourceKind::Oci => "oci",
        }
    }
}

fn parse_reference(arg: &str, text: &str) -> Result<Reference, ImageError> {
    Reference::parse(text).map_err(|error| ImageError::BadArgument {
        input: arg.to_owned(),
        reason: error.to_string(),
    })
}

fn daemon_spec(arg: &str, name: &str, daemon: DaemonKind) -> Result<ImageSpec, ImageError> {
    if name.is_empty() {
        return Err(ImageError::BadArgument {
            input: arg.to_owned(),
            reason: "no image name after the transport (docker-daemon:NAME[:TAG])".to_owned(),
        });
    }
    Ok(ImageSpec::Daemon {
        daemon,
        name: name.to_owned(),
    })
}

/// Arguments no one means as an image reference: paths, and names of tarballs.
fn looks_like_a_file(arg: &str) -> bool {
    arg.starts_with(['/', '.', '~'])
        || [".tar", ".tar.gz", ".tgz", ".tar.zst", ".oci"]
            .iter()
            .any(|ext| arg.ends_with(ext))
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
        if crate::dir::looks_like_dir_layout(&path) {
            return Ok(ImageSpec::Dir { dir: path });
        }
        return Err(ImageError::NotAnImage {
            input: arg.to_owned(),
            reason: "it is a directory without `oci-layout` or `index.json`, so not an OCI image layout, nor with `manifest.json` and `version`, as skopeo's `dir:` layout has".to_owned(),
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
        assert_eq!(
            ImageSpec::parse("oci-archive:-:v1").unwrap(),
            ImageSpec::OciArchiveStdin {
                reference: Some("v1".into())
            }
        );
        assert_eq!(
            ImageSpec::parse("dir:copies/a:x").unwrap(),
            ImageSpec::Dir {
                dir: "copies/a:x".into()
            }
        );
        assert_eq!(
            ImageSpec::parse("oci:lay:sha256:abc").unwrap(),
            ImageSpec::OciLayout {
                dir: "lay".into(),
                reference: Some("sha256:abc".into())
            }
        );
        assert!(matches!(
            ImageSpec::parse("docker-archive:img.tar:@x"),
            Err(ImageError::BadArgument { .. })
        ));
        assert!(matches!(
            ImageSpec::parse("docker://busybox"),
            Ok(ImageSpec::Registry { reference }) if reference.to_string() == "docker.io/library/busybox:latest"
        ));
        assert!(matches!(
            ImageSpec::parse("podman:app:ci"),
            Ok(ImageSpec::Daemon { daemon: DaemonKind::Podman, name }) if name == "app:ci"
        ));
        assert!(matches!(
            ImageSpec::parse("docker-daemon:"),
            Err(ImageError::BadArgument { .. })
        ));
        assert!(matches!(
            ImageSpec::parse("no/such/path-imgaudit"),
            Ok(ImageSpec::Named { .. })
        ));
        for path in [
            "./no-such-dir",
            "/no/such/file",
            "missing-image.tar",
            "x.tar.gz",
        ] {
            assert!(
                matches!(ImageSpec::parse(path), Err(ImageError::NoSuchImage { .. })),
                "{path}"
            );
        }
        let error = ImageSpec::parse("Not A Reference").unwrap_err().to_string();
        assert!(error.contains("not an image reference either"), "{error}");
    }

    #[test]
    fn a_pinned_source_reads_bare_arguments_from_there() {
        assert!(matches!(
            ImageSpec::parse_as("app:ci", SourceKind::Registry),
            Ok(ImageSpec::Registry { .. })
        ));
        assert!(matches!(
            ImageSpec::parse_as("app:ci", SourceKind::Daemon),
            Ok(ImageSpec::Daemon {
                daemon: DaemonKind::Any,
                ..
            })
        ));
        assert!(matches!(
            ImageSpec::parse_as("layout:v1", SourceKind::Oci),
            Ok(ImageSpec::OciLayout { reference: Some(r), .. }) if r == "v1"
        ));
        let error = ImageSpec::parse_as("docker://app", SourceKind::Daemon)
            .unwrap_err()
            .to_string();
        assert!(error.contains("--source daemon contradicts"), "{error}");
        assert!(ImageSpec::parse_as("docker-daemon:app", SourceKind::Daemon).is_ok());
    }

    #[test]
    fn displays_as_parsed() {
        for arg in [
            "oci:d:v1",
            "oci-archive:f.tar",
            "dir:d",
            "oci-archive:-",
            "oci-archive:-:v1",
            "docker-archive:f.tar:a:b",
            "-",
            "docker://docker.io/library/busybox:latest",
            "docker-daemon:app:ci",
            "podman:localhost/app:ci",
        ] {
            assert_eq!(ImageSpec::parse(arg).unwrap().to_string(), arg);
        }
    }
}
