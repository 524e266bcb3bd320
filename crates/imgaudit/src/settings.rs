//! Raw flags plus `imgaudit.toml` turned into validated settings, once: how to read images
//! ([`Reading`]), the layer cache ([`CacheSettings`]), and what an audit does
//! ([`audit_settings`]), with the image list, colour and output choices of a scan.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use imgaudit_audit::{AuditSettings, DockerfileChoice, ReportFormat};
use imgaudit_cache::{DiskCache, LayerCache};
use imgaudit_config::{Config, Threshold};
use imgaudit_daemon::DaemonEnv;
use imgaudit_finding::Severity;
use imgaudit_image::{ImageSpec, Platform, SourceKind};
use imgaudit_layer::CaptureRules;
use imgaudit_loader::{LoadOptions, LoadedImage, Progress};
use imgaudit_registry::{AuthEnv, Credential, RegistryOptions};
use imgaudit_source::{DaemonOptions, Opening, RemoteOptions};

use crate::args::{CacheArgs, ColorChoice, GlobalArgs, ScanArgs, Source};
use crate::printer;

/// How images are read: the options every command that reads an image shares.
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    source: Option<SourceKind>,
    platform: Option<Platform>,
    max_uncompressed_bytes: u64,
    max_entries: u64,
    /// From the flags, then imgaudit.toml ([`Reading::with_config`]), then the defaults.
    max_expansion_ratio: Option<u64>,
    expansion_floor: Option<u64>,
    max_captured_bytes: u64,
    jobs: usize,
    verify_diff_ids: bool,
    username: Option<String>,
    registry: RegistryOptions,
    daemon: DaemonOptions,
    /// Draw a progress bar (not `--quiet`, and standard error is a terminal).
    progress: bool,
    pub(crate) cache: CacheSettings,
}

impl Reading {
    pub(crate) fn new(global: &GlobalArgs) -> Reading {
        let timeout = Duration::from_secs(global.timeout);
        Reading {
            source: global.source.map(|source| match source {
                Source::Daemon => SourceKind::Daemon,
                Source::Registry => SourceKind::Registry,
                Source::Archive => SourceKind::Archive,
                Source::Oci => SourceKind::Oci,
            }),
            platform: global.platform.clone(),
            max_uncompressed_bytes: global.max_uncompressed_bytes,
            max_entries: global.max_entries,
            max_expansion_ratio: global.max_expansion_ratio,
            expansion_floor: global.expansion_floor,
            max_captured_bytes: global.max_captured_bytes,
            jobs: global.jobs,
            verify_diff_ids: !global.skip_diff_id_check,
            username: global.username.clone(),
            registry: RegistryOptions {
                insecure_registries: global.insecure_registries.clone(),
                ca_certs: global.ca_certs.clone(),
                timeout,
                auth_env: AuthEnv::from_process(),
                ..RegistryOptions::default()
            },
            daemon: DaemonOptions {
                env: DaemonEnv::from_process(),
                timeout,
            },
            progress: !global.quiet && std::io::stderr().is_terminal(),
            cache: CacheSettings::new(&global.cache),
        }
    }

    /// Takes the reading settings of the configuration file that the flags leave unset.
    pub(crate) fn with_config(mut self, config: Option<&Config>) -> Reading {
        if let Some(config) = config {
            self.max_expansion_ratio = self.max_expansion_ratio.or(config.max_expansion_ratio);
            self.expansion_floor = self.expansion_floor.or(config.expansion_floor);
        }
        self
    }

    /// The same, without a progress bar: one bar cannot follow several images.
    pub(crate) fn without_progress(&self) -> Reading {
        Reading {
            progress: false,
            ..self.clone()
        }
    }

    /// Whether a progress bar is drawn while an image is read.
    pub(crate) fn shows_progress(&self) -> bool {
        self.progress
    }

    /// The image an argument names, read as `--source` says.
    pub(crate) fn image_spec(&self, image: &str) -> anyhow::Result<ImageSpec> {
        Ok(match self.source {
            None => ImageSpec::parse(image)?,
            Some(kind) => ImageSpec::parse_as(image, kind)?,
        })
    }

    /// Loads the image an argument names with `capture`, remembering layers in the cache.
    pub(crate) fn load(&self, image: &str, capture: CaptureRules) -> anyhow::Result<LoadedImage> {
        // The argument is checked before the cache is opened: its errors come first.
        let spec = self.image_spec(image)?;
        self.load_spec(&spec, capture, false, self.cache.layers()?)
    }

    /// Loads an image with what the facts need captured (`capture`: an auditor's, or every
    /// domain's), remembering its layers in `layers`.
    pub(crate) fn load_for_facts(
        &self,
        spec: &ImageSpec,
        capture: &CaptureRules,
        layers: Option<Arc<LayerCache>>,
    ) -> anyhow::Result<LoadedImage> {
        self.load_spec(spec, capture.clone(), true, layers)
    }

    fn load_spec(
        &self,
        spec: &ImageSpec,
        capture: CaptureRules,
        for_facts: bool,
        layers: Option<Arc<LayerCache>>,
    ) -> anyhow::Result<LoadedImage> {
        let options = self.load_options(capture, for_facts, layers);
        Ok(imgaudit_source::load(spec, &options, &self.remote(spec)?)?)
    }

    fn load_options(
        &self,
        capture: CaptureRules,
        for_facts: bool,
        layers: Option<Arc<LayerCache>>,
    ) -> LoadOptions {
        LoadOptions {
            platform: self.platform.clone(),
            capture,
            // The facts read the files the config names, and whatever their links lead to.
            capture_from_config: for_facts.then_some(imgaudit_facts::config_paths as _),
            wanted: for_facts.then_some(imgaudit_facts::wanted_files as _),
            max_uncompressed_bytes: self.max_uncompressed_bytes,
            max_entries: self.max_entries,
            max_expansion_ratio: self
                .max_expansion_ratio
                .unwrap_or(imgaudit_layer::DEFAULT_MAX_EXPANSION_RATIO),
            expansion_floor: self
                .expansion_floor
                .unwrap_or(imgaudit_layer::DEFAULT_EXPANSION_FLOOR),
            max_captured_bytes: self.max_captured_bytes,
            jobs: self.jobs,
            verify_diff_ids: self.verify_diff_ids,
            progress: self
                .progress
                .then(|| Arc::new(printer::Bar::default()) as Arc<dyn Progress>),
            layers,
        }
    }

    fn remote(&self, spec: &ImageSpec) -> anyhow::Result<RemoteOptions> {
        let credential = match &self.username {
            Some(username) => Some(Credential::basic(
                username.clone(),
                read_password(spec)?,
                "--username and --password-stdin".to_owned(),
            )),
            None => None,
        };
        Ok(RemoteOptions {
            registry: RegistryOptions {
                credential,
                ..self.registry.clone()
            },
            daemon: self.daemon.clone(),
        })
    }
}

/// Reads the images of a scan (one, or a batch) for the auditor, which may need none of their
/// layers when their facts are remembered.
impl imgaudit_audit::ImageLoader for Reading {
    fn open(&self, argument: &str) -> anyhow::Result<(ImageSpec, Opening)> {
        let spec = self.image_spec(argument)?;
        let options = self.load_options(CaptureRules::none(), true, None);
        let opening = imgaudit_source::open(&spec, &options, &self.remote(&spec)?)?;
        Ok((spec, opening))
    }

    fn load(
        &self,
        spec: &ImageSpec,
        opening: Opening,
        capture: &CaptureRules,
        layers: Option<Arc<LayerCache>>,
    ) -> anyhow::Result<LoadedImage> {
        let options = self.load_options(capture.clone(), true, layers);
        Ok(imgaudit_source::load_opening(
            opening,
            spec,
            &options,
            &self.remote(spec)?,
        )?)
    }

    fn load_fingerprint(&self) -> String {
        self.load_options(CaptureRules::none(), true, None)
            .fingerprint()
    }
}

/// Where layer indexes are remembered between runs.
#[derive(Debug, Clone)]
pub(crate) struct CacheSettings {
    /// `None` with `--no-cache`, or when there is no home to put the default in.
    dir: Option<PathBuf>,
    /// Named by `--cache-dir` (or its variable): then it must be usable.
    explicit: bool,
    pub(crate) max_size: u64,
}

impl CacheSettings {
    pub(crate) fn new(args: &CacheArgs) -> CacheSettings {
        let (dir, explicit) = if args.no_cache {
            (None, false)
        } else if let Some(dir) = &args.cache_dir {
            (Some(dir.clone()), true)
        } else {
            let env = |name| std::env::var(name).ok();
            let dir =
                DiskCache::default_dir(env("XDG_CACHE_HOME").as_deref(), env("HOME").as_deref());
            (dir, false)
        };
        CacheSettings {
            dir,
            explicit,
            max_size: args.cache_max_size,
        }
    }

    /// The cache directory; `None` with `--no-cache`. An empty `--cache-dir` is an error here,
    /// when the cache is first used, so that an image argument's errors come first.
    pub(crate) fn dir(&self) -> anyhow::Result<Option<&std::path::Path>> {
        match &self.dir {
            Some(dir) if dir.as_os_str().is_empty() => {
                anyhow::bail!("--cache-dir (or IMGAUDIT_CACHE_DIR) is empty")
            }
            dir => Ok(dir.as_deref()),
        }
    }

    /// The cache directory, opened; `None` with `--no-cache`, or when the default directory
    /// cannot be used (a warning: the audit goes on without a cache).
    pub(crate) fn disk(&self) -> anyhow::Result<Option<DiskCache>> {
        let Some(dir) = self.dir()? else {
            return Ok(None);
        };
        match DiskCache::open(dir, self.max_size) {
            Ok(cache) => Ok(Some(cache)),
            Err(error) if self.explicit => Err(error.into()),
            Err(error) => {
                printer::warning(&format!("{error}; going on without the layer cache"));
                Ok(None)
            }
        }
    }

    /// What one image's load remembers layers in.
    pub(crate) fn layers(&self) -> anyhow::Result<Option<Arc<LayerCache>>> {
        Ok(self
            .disk()?
            .map(|disk| Arc::new(LayerCache::new(Some(disk), 0))))
    }
}

/// The audit's settings: flags over the configuration file over defaults.
pub(crate) fn audit_settings(args: &ScanArgs) -> anyhow::Result<AuditSettings> {
    let config = if args.no_config {
        None
    } else if let Some(path) = &args.config {
        Some(Config::load(path)?)
    } else {
        let cwd = std::env::current_dir().context("cannot read the working directory")?;
        Config::discover(&cwd)
            .map(|path| Config::load(&path))
            .transpose()?
    };
    let file = config.as_ref();
    let mut policy_dirs: Vec<PathBuf> = file.map(|c| c.policies.clone()).unwrap_or_default();
    policy_dirs.extend(args.policies.policy_dirs.iter().cloned());
    // An explicit Dockerfile must be usable; a discovered one is used only if it is.
    let dockerfile = args
        .dockerfile
        .clone()
        .or_else(|| file.and_then(|c| c.dockerfile.clone()))
        .map(|path| DockerfileChoice { path, named: true })
        .or_else(|| {
            ["Dockerfile", "Containerfile"]
                .into_iter()
                .map(PathBuf::from)
                .find(|path| path.is_file())
                .map(|path| DockerfileChoice { path, named: false })
        });
    Ok(AuditSettings {
        fail_on: args
            .fail_on
            .or_else(|| file.and_then(|c| c.fail_on))
            .unwrap_or(Threshold::AtOrAbove(Severity::High)),
        min_severity: args
            .min_severity
            .or_else(|| file.and_then(|c| c.min_severity))
            .unwrap_or(Severity::Info),
        policy_dirs,
        select: args.policies.select.clone(),
        disable: args.policies.disable.clone(),
        dockerfile,
        image_name: args
            .image_name
            .clone()
            .or_else(|| file.and_then(|c| c.image_name.clone())),
        category: args
            .sarif_category
            .clone()
            .or_else(|| file.and_then(|c| c.sarif_category.clone())),
        config,
    })
}

/// Whether the text report on standard output has colour.
pub(crate) fn color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The report asked for on standard output with `--format`.
pub(crate) fn stdout_format(args: &ScanArgs) -> Option<ReportFormat> {
    args.format.map(Into::into)
}

/// The images a scan names: its arguments, then the lines of `--images-from`.
pub(crate) fn image_list(args: &ScanArgs) -> anyhow::Result<Vec<String>> {
    let mut images = args.images.clone();
    if let Some(path) = &args.images_from {
        let context = || format!("--images-from: cannot read {}", path.display());
        let text = if path.as_os_str() == "-" {
            imgaudit_config::read_capped(std::io::stdin().lock())
        } else {
            imgaudit_config::read_file_capped(path)
        }
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
        })
        .with_context(context)?;
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        images.extend(
            lines
                .iter()
                .map(|line| {
                    line.split_once('#')
                        .map_or(line.as_str(), |(l, _)| l)
                        .trim()
                })
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
        if images.is_empty() {
            anyhow::bail!("--images-from: {} lists no image", path.display());
        }
    }
    Ok(images)
}

/// The password `--password-stdin` reads: standard input up to the first line break, read
/// once however many images use it.
fn read_password(spec: &ImageSpec) -> anyhow::Result<String> {
    static PASSWORD: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
    if spec.reads_stdin() {
        anyhow::bail!(
            "--password-stdin and an image on standard input (`-`, `oci-archive:-`) cannot share standard input"
        );
    }
    let mut remembered = PASSWORD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(password) = remembered.as_ref() {
        return Ok(password.clone());
    }
    // Read as `docker login --password-stdin` does (to the end), but capped: `/dev/zero` on
    // standard input must not fill memory.
    let bytes = imgaudit_config::read_capped(std::io::stdin().lock())
        .context("--password-stdin: cannot read standard input")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("--password-stdin: standard input is not UTF-8 text"))?;
    let password = text.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        anyhow::bail!("--password-stdin: standard input holds no password");
    }
    *remembered = Some(password.clone());
    Ok(password)
}

/// Compiles the user's path globs; `Ok(None)` when there are none.
pub(crate) fn path_globs(globs: &[String]) -> anyhow::Result<Option<globset::GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = globset::GlobSetBuilder::new();
    for glob in globs {
        let glob = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .with_context(|| format!("`{glob}` is not a valid path glob"))?;
        builder.add(glob);
    }
    Ok(Some(builder.build()?))
}
