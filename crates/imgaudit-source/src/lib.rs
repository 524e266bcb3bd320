//! Where an image comes from: a file or directory, standard input, a registry, a local daemon,
//! or for a bare name the daemon when it has the image and the registry otherwise. [`load`]
//! resolves an [`ImageSpec`] and hands what it opened to `imgaudit-loader`, so that the loader
//! and everything that only reads images (facts, policies) stay free of network code.
//!
//! Never a silent fallback: the loaded image's notes say which source was read and why, and when
//! neither can give the image, both reasons are in the error.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::time::Duration;

use imgaudit_daemon::{Daemon, DaemonEnv, DaemonError, Flavor};
use imgaudit_image::{DaemonKind, ImageSpec, OpenOptions, OpenedImage, Reference};
pub use imgaudit_loader::Opening;
use imgaudit_loader::{LoadError, LoadOptions, LoadedImage, load_opened, load_stream};
use imgaudit_registry::{RegistryError, RegistryOptions};

/// Why an image could not be had or read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Boxed: a load error carries both digests of a mismatch, and results stay small.
    #[error(transparent)]
    Load(Box<LoadError>),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    #[error(
        "{input}: a bare name is read from the local daemon first, and the daemon could not be asked: {source} (pass --source registry to read the registry's image instead)"
    )]
    DaemonFirst { input: String, source: DaemonError },
    #[error("{}", nowhere(input, daemon, registry))]
    NowhereToBeFound {
        input: String,
        daemon: String,
        registry: Box<RegistryError>,
    },
}

impl From<LoadError> for SourceError {
    fn from(error: LoadError) -> Self {
        SourceError::Load(Box::new(error))
    }
}

/// Loads the image `spec` names: a file or directory, standard input (`-`, a `docker save`
/// stream; `oci-archive:-`, an OCI archive), a registry's or a daemon's image.
pub fn load(
    spec: &ImageSpec,
    options: &LoadOptions,
    remote: &RemoteOptions,
) -> Result<LoadedImage, SourceError> {
    load_opening(open(spec, options, remote)?, spec, options, remote)
}

/// Opens the image `spec` names without reading a layer (see [`Opening`]).
pub fn open(
    spec: &ImageSpec,
    options: &LoadOptions,
    remote: &RemoteOptions,
) -> Result<Opening, SourceError> {
    match spec {
        ImageSpec::Registry { reference } => Ok(Opening::Opened {
            image: Box::new(open_registry(reference, options, remote)?),
            note: None,
        }),
        ImageSpec::Named { reference, text } => open_named(reference, text, options, remote),
        ImageSpec::Daemon { .. } | ImageSpec::Stdin { .. } | ImageSpec::OciArchiveStdin { .. } => {
            Ok(Opening::Stream)
        }
        _ => {
            let open_options = OpenOptions {
                platform: options.platform.clone(),
            };
            let image = imgaudit_image::open(spec, &open_options).map_err(LoadError::from)?;
            Ok(Opening::Opened {
                image: Box::new(image),
                note: None,
            })
        }
    }
}

/// Reads the layers of what [`open`] gave for `spec` (or, for a stream, the whole image).
pub fn load_opening(
    opening: Opening,
    spec: &ImageSpec,
    options: &LoadOptions,
    remote: &RemoteOptions,
) -> Result<LoadedImage, SourceError> {
    match opening {
        Opening::Opened { image, note } => {
            let mut loaded = load_opened(*image, options)?;
            if let Some(note) = note {
                loaded.notes.insert(0, note);
            }
            Ok(loaded)
        }
        Opening::Stream => match spec {
            ImageSpec::Daemon { daemon, name } => load_daemon(*daemon, name, options, remote),
            ImageSpec::Named { text, .. } => {
                // `open` found the image in a daemon.
                let daemon = connect(DaemonKind::Any, remote)?;
                export(&daemon, DaemonKind::Any, text, options, remote)
            }
            _ => Ok(load_stream(std::io::stdin().lock(), spec, options)?),
        },
    }
}

/// How to reach daemons.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    pub env: DaemonEnv,
    /// A daemon silent for this long fails.
    pub timeout: Duration,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        DaemonOptions {
            env: DaemonEnv::default(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// How to reach remote sources.
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {
    pub registry: RegistryOptions,
    pub daemon: DaemonOptions,
}

fn open_registry(
    reference: &Reference,
    options: &LoadOptions,
    remote: &RemoteOptions,
) -> Result<OpenedImage, SourceError> {
    let registry = RegistryOptions {
        platform: options.platform.clone(),
        ..remote.registry.clone()
    };
    Ok(imgaudit_registry::open(reference, &registry)?)
}

fn flavor(kind: DaemonKind) -> Option<Flavor> {
    match kind {
        DaemonKind::Docker => Some(Flavor::Docker),
        DaemonKind::Podman => Some(Flavor::Podman),
        DaemonKind::Any => None,
    }
}

fn connect(kind: DaemonKind, remote: &RemoteOptions) -> Result<Daemon, DaemonError> {
    let daemon = &remote.daemon;
    let endpoints = imgaudit_daemon::endpoints(flavor(kind), &daemon.env)?;
    Daemon::connect(&endpoints, daemon.timeout)
}

/// Podman writes a whole export to a temporary file before its first byte: a big image needs
/// minutes, so the first byte may take at least this long whatever `--timeout` says.
const EXPORT_FIRST_BYTE: Duration = Duration::from_secs(600);

/// The name to export: an untagged name means its `latest` tag, as for `docker pull`, since
/// Docker exports every tag of a repository named without one. Image ids stay as they are.
fn export_name(name: &str) -> String {
    match Reference::parse(name) {
        Ok(reference) if reference.tag().is_none() && reference.digest().is_none() => {
            format!("{name}:latest")
        }
        _ => name.to_owned(),
    }
}

/// Exports `name` from the daemon and reads the `docker save` stream as it arrives.
fn export(
    daemon: &Daemon,
    kind: DaemonKind,
    name: &str,
    options: &LoadOptions,
    remote: &RemoteOptions,
) -> Result<LoadedImage, SourceError> {
    let spec = ImageSpec::Daemon {
        daemon: kind,
        name: name.to_owned(),
    };
    let stream = daemon
        .with_io_timeout(remote.daemon.timeout.max(EXPORT_FIRST_BYTE))
        .export(&export_name(name))?;
    let mut image = load_stream(stream, &spec, options)?;
    image.notes.insert(
        0,
        format!(
            "`{name}` was read from the {} daemon at {}",
            daemon_name(daemon),
            daemon.endpoint()
        ),
    );
    Ok(image)
}

fn daemon_name(daemon: &Daemon) -> &'static str {
    if daemon.is_podman() {
        "Podman"
    } else {
        "Docker"
    }
}

fn load_daemon(
    kind: DaemonKind,
    name: &str,
    options: &LoadOptions,
    remote: &RemoteOptions,
) -> Result<LoadedImage, SourceError> {
    let daemon = connect(kind, remote)?;
    export(&daemon, kind, name, options, remote)
}

/// A bare name: the daemon's image when a daemon answers and has it, else the registry's.
fn open_named(
    reference: &Reference,
    text: &str,
    options: &LoadOptions,
    remote: &RemoteOptions,
) -> Result<Opening, SourceError> {
    let daemon_reason = match connect(DaemonKind::Any, remote) {
        Ok(daemon) => match daemon.inspect(&export_name(text)) {
            Ok(Some(_)) => return Ok(Opening::Stream),
            Ok(None) => format!(
                "the {} daemon at {} has no image `{text}`",
                daemon_name(&daemon),
                daemon.endpoint()
            ),
            Err(e) => return Err(daemon_refused(text, e)),
        },
        Err(e) if e.is_absent() => e.to_string(),
        Err(e) => return Err(daemon_refused(text, e)),
    };
    match open_registry(reference, options, remote) {
        Ok(image) => Ok(Opening::Opened {
            image: Box::new(image),
            note: Some(format!(
                "`{text}` was read from the registry {} — not from a daemon: {daemon_reason}",
                reference.registry()
            )),
        }),
        Err(SourceError::Registry(registry)) => Err(SourceError::NowhereToBeFound {
            input: text.to_owned(),
            daemon: daemon_reason,
            registry: Box::new(registry),
        }),
        Err(other) => Err(other),
    }
}

/// A daemon that is configured or present but failed: not a reason to read the registry's
/// image instead, which may be another one.
fn daemon_refused(text: &str, error: DaemonError) -> SourceError {
    SourceError::DaemonFirst {
        input: text.to_owned(),
        source: error,
    }
}

/// Both reasons, when neither source could give the image.
fn nowhere(input: &str, daemon: &str, registry: &RegistryError) -> String {
    format!(
        "{input}: neither a daemon nor the registry gave the image\n  daemon: {daemon}\n  registry: {registry}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_names_export_their_latest_tag() {
        assert_eq!(export_name("app"), "app:latest");
        assert_eq!(
            export_name("localhost/team/app"),
            "localhost/team/app:latest"
        );
        assert_eq!(export_name("app:ci"), "app:ci");
        let digest = format!("app@sha256:{}", "a".repeat(64));
        assert_eq!(export_name(&digest), digest);
        // An image id is not a repository.
        let id = "b".repeat(64);
        assert_eq!(export_name(&id), id);
    }
}
