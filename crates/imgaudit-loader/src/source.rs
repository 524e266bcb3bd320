//! Where an image comes from when the argument names one: a registry, a local daemon, or for a
//! bare name the daemon when it has the image and the registry otherwise. Never a silent
//! fallback: the loaded image's notes say which source was read and why, and when neither can
//! give the image, both reasons are in the error.

use std::time::Duration;

use imgaudit_daemon::{Daemon, DaemonEnv, DaemonError, Flavor};
use imgaudit_image::{DaemonKind, ImageSpec, Reference};
use imgaudit_registry::{RegistryError, RegistryOptions};

use crate::{LoadError, LoadOptions, LoadedImage, load_opened, load_stream};

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

pub(crate) fn load_registry(
    reference: &Reference,
    options: &LoadOptions,
) -> Result<LoadedImage, LoadError> {
    let registry = RegistryOptions {
        platform: options.platform.clone(),
        ..options.remote.registry.clone()
    };
    let opened = imgaudit_registry::open(reference, &registry)?;
    load_opened(opened, options)
}

fn flavor(kind: DaemonKind) -> Option<Flavor> {
    match kind {
        DaemonKind::Docker => Some(Flavor::Docker),
        DaemonKind::Podman => Some(Flavor::Podman),
        DaemonKind::Any => None,
    }
}

fn connect(kind: DaemonKind, options: &LoadOptions) -> Result<Daemon, DaemonError> {
    let daemon = &options.remote.daemon;
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
) -> Result<LoadedImage, LoadError> {
    let spec = ImageSpec::Daemon {
        daemon: kind,
        name: name.to_owned(),
    };
    let stream = daemon
        .with_io_timeout(options.remote.daemon.timeout.max(EXPORT_FIRST_BYTE))
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

pub(crate) fn load_daemon(
    kind: DaemonKind,
    name: &str,
    options: &LoadOptions,
) -> Result<LoadedImage, LoadError> {
    let daemon = connect(kind, options)?;
    export(&daemon, kind, name, options)
}

/// A bare name: the daemon's image when a daemon answers and has it, else the registry's.
pub(crate) fn load_named(
    reference: &Reference,
    text: &str,
    options: &LoadOptions,
) -> Result<LoadedImage, LoadError> {
    let daemon_reason = match connect(DaemonKind::Any, options) {
        Ok(daemon) => match daemon.inspect(&export_name(text)) {
            Ok(Some(_)) => return export(&daemon, DaemonKind::Any, text, options),
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
    match load_registry(reference, options) {
        Ok(mut image) => {
            image.notes.insert(
                0,
                format!(
                    "`{text}` was read from the registry {} — not from a daemon: {daemon_reason}",
                    reference.registry()
                ),
            );
            Ok(image)
        }
        Err(LoadError::Registry(registry)) => Err(LoadError::NowhereToBeFound {
            input: text.to_owned(),
            daemon: daemon_reason,
            registry: Box::new(registry),
        }),
        Err(other) => Err(other),
    }
}

/// A daemon that is configured or present but failed: not a reason to read the registry's
/// image instead, which may be another one.
fn daemon_refused(text: &str, error: DaemonError) -> LoadError {
    LoadError::DaemonFirst {
        input: text.to_owned(),
        source: error,
    }
}

/// Both reasons, when neither source could give the image.
pub(crate) fn nowhere(input: &str, daemon: &str, registry: &RegistryError) -> String {
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
