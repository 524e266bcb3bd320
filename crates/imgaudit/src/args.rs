//! Command-line arguments, parsed once and turned into validated load options.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read};
use std::sync::Arc;
use std::time::Duration;

use imgaudit_daemon::DaemonEnv;
use imgaudit_image::{ImageSpec, Platform, SourceKind};
use imgaudit_layer::CaptureRules;
use imgaudit_loader::{DaemonOptions, LoadOptions, LoadedImage, Progress, RemoteOptions};
use imgaudit_registry::{AuthEnv, Credential, RegistryOptions};

/// Audit container images at build time.
///
/// `imgaudit IMAGE` is `imgaudit scan IMAGE`.
#[derive(Debug, Parser)]
#[command(
    name = "imgaudit",
    version,
    about,
    max_term_width = 100,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Audit an image: extract its facts, evaluate the policies, print the findings.
    Scan(ScanArgs),
    /// Print the facts document the policies receive as `input` (JSON).
    Facts(FactsArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Print one rule's documentation.
    Rule(RuleArgs),
    /// Work with policy directories.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Show an image's identity, config, layers with their history steps, and counts.
    Inspect(InspectArgs),
    /// List the entries of the assembled filesystem, or what whiteouts removed.
    Files(FilesArgs),
}

/// Options every command that reads an image takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Reading the image")]
pub(crate) struct GlobalArgs {
    /// Platform to select from a multi-platform image: OS/ARCH[/VARIANT] [default: linux/amd64]
    #[arg(long, global = true, value_name = "PLATFORM")]
    pub(crate) platform: Option<Platform>,
    /// Refuse images that expand to more uncompressed bytes than this (a decompression bomb guard).
    #[arg(long, global = true, value_name = "BYTES", default_value_t = imgaudit_layer::DEFAULT_MAX_UNCOMPRESSED_BYTES)]
    pub(crate) max_uncompressed_bytes: u64,
    /// Refuse images with more tar entries than this, over all layers.
    #[arg(long, global = true, value_name = "COUNT", default_value_t = imgaudit_layer::DEFAULT_MAX_ENTRIES)]
    pub(crate) max_entries: u64,
    /// Layers to decompress at once [default: one per core]
    #[arg(
        long,
        global = true,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub(crate) jobs: usize,
    /// Do not hash the uncompressed stream of compressed layers to check it against the
    /// config's rootfs.diff_ids: their blob digests, which the manifest pins, are still
    /// verified. Faster on CPUs without SHA extensions.
    #[arg(long, global = true)]
    pub(crate) skip_diff_id_check: bool,
    /// Where to read the image from, whatever the argument looks like: daemon, registry,
    /// archive (a `docker save` or OCI tarball) or oci (a layout directory) [default: from the
    /// argument; a bare name is looked up in the local daemon first, then in its registry]
    #[arg(long, global = true, value_enum, value_name = "SOURCE")]
    pub(crate) source: Option<Source>,
    /// The user name for the image's registry, for this run only (with --password-stdin)
    /// [default: the credentials `docker login` or `podman login` stored]
    #[arg(long, global = true, value_name = "USER", requires = "password_stdin")]
    pub(crate) username: Option<String>,
    /// Read the registry password or token from standard input (with --username).
    #[arg(long, global = true, requires = "username")]
    pub(crate) password_stdin: bool,
    /// Reach this registry (HOST[:PORT]) over plain HTTP, or TLS without certificate
    /// verification. Repeatable; no other registry is affected.
    #[arg(long = "insecure-registry", global = true, value_name = "HOST")]
    pub(crate) insecure_registries: Vec<String>,
    /// Also trust the certificate authorities in this PEM file for registries. Repeatable.
    #[arg(long = "ca-cert", global = true, value_name = "FILE")]
    pub(crate) ca_certs: Vec<std::path::PathBuf>,
    /// Give up on a registry or daemon connection that makes no progress for this many seconds
    /// (failed requests are retried with backoff first).
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout: u64,
    /// No progress display (it is shown only on a terminal anyway).
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
}

/// `--source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Source {
    Daemon,
    Registry,
    Archive,
    Oci,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The image: a registry reference (`registry.example.com/team/app:1.4`, `app@sha256:…`,
    /// `docker://…`), a local daemon's image (`docker-daemon:NAME[:TAG]`, `podman:NAME[:TAG]`),
    /// oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG], a path, or - for a
    /// `docker save` stream on stdin. A bare name is the local daemon's image when it has one.
    pub(crate) image: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// The image (as for `inspect`).
    #[arg(required = true)]
    pub(crate) image: Option<String>,
    /// The report printed on standard output [default: text, or nothing when --output is given]
    #[arg(long, value_enum)]
    pub(crate) format: Option<ReportFormat>,
    /// Also write a report to a file: FORMAT=PATH, `-` for standard output (`--output
    /// sarif=imgaudit.sarif --output text=-`). Repeatable.
    #[arg(long = "output", short = 'o', value_name = "FORMAT=PATH", value_parser = parse_output)]
    pub(crate) outputs: Vec<OutputTarget>,
    /// The Dockerfile that built the image: findings are mapped to its lines through the
    /// image's history [default: ./Dockerfile or ./Containerfile when present]
    #[arg(long, value_name = "PATH")]
    pub(crate) dockerfile: Option<std::path::PathBuf>,
    /// The name reports, fingerprints and suppressions use for the image [default: its
    /// repository, without tag or digest]
    #[arg(long, value_name = "NAME")]
    pub(crate) image_name: Option<String>,
    /// SARIF's automationDetails.id [default: imgaudit/<image name>/]
    #[arg(long, value_name = "CATEGORY", value_parser = non_empty)]
    pub(crate) sarif_category: Option<String>,
    /// The configuration file [default: ./imgaudit.toml when present]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub(crate) config: Option<std::path::PathBuf>,
    /// Ignore ./imgaudit.toml.
    #[arg(long)]
    pub(crate) no_config: bool,
    /// Colour in the text report on standard output: auto (a terminal, and NO_COLOR unset),
    /// always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,
    #[command(flatten)]
    pub(crate) policies: PolicyArgs,
    /// Exit with 1 when an unsuppressed finding is at or above this severity: critical, high,
    /// medium, low, info, or none (never). Independent of --min-severity [default: high]
    #[arg(long, value_name = "SEVERITY", value_parser = parse_threshold)]
    pub(crate) fail_on: Option<Threshold>,
    /// Leave findings below this severity out of the report (they still count for --fail-on)
    /// [default: info]
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub(crate) min_severity: Option<imgaudit_policy::Severity>,
}

/// The formats of a scan report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// For people: grouped by rule, with evidence and fixes.
    Text,
    /// The documented JSON report (docs/json.md).
    Json,
    /// SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, …).
    Sarif,
    /// GitLab's Code Quality report.
    Codequality,
}

/// `--output FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutputTarget {
    pub(crate) format: ReportFormat,
    /// `None` for standard output.
    pub(crate) path: Option<std::path::PathBuf>,
}

fn parse_output(text: &str) -> Result<OutputTarget, String> {
    let Some((format, path)) = text.split_once('=') else {
        return Err(format!(
            "`{text}` is not FORMAT=PATH (e.g. sarif=imgaudit.sarif, text=-)"
        ));
    };
    let format = ReportFormat::from_str(format, true).map_err(|_| {
        format!("`{format}` is not a report format: use text, json, sarif or codequality")
    })?;
    let path = match path {
        "" => {
            return Err(format!(
                "`{text}` names no file (use `-` for standard output)"
            ));
        }
        "-" => None,
        path => Some(std::path::PathBuf::from(path)),
    };
    Ok(OutputTarget { format, path })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub(crate) use imgaudit_config::Threshold;

fn non_empty(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("an empty value is not allowed".to_owned()),
        text => Ok(text.to_owned()),
    }
}

fn parse_severity(text: &str) -> Result<imgaudit_policy::Severity, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a severity: use critical, high, medium, low or info"))
}

fn parse_threshold(text: &str) -> Result<Threshold, String> {
    text.parse().map_err(|_| {
        format!("`{text}` is not a severity: use critical, high, medium, low, info or none")
    })
}

/// Which policies to evaluate.
#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// Also evaluate the policies in this directory (`.rego` with `# METADATA`, see `imgaudit
    /// rule` and docs/policy-input.md). Repeatable.
    #[arg(long = "policy", value_name = "DIR")]
    pub(crate) policy_dirs: Vec<std::path::PathBuf>,
    /// Do not evaluate this rule (id or name, any case). Repeatable.
    #[arg(long, value_name = "ID")]
    pub(crate) disable: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct FactsArgs {
    /// The image (as for `inspect`).
    pub(crate) image: String,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Include the rules of this policy directory. Repeatable.
    #[arg(long = "policy", value_name = "DIR")]
    pub(crate) policy_dirs: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RuleArgs {
    /// The rule's id (`PIP001`) or name (`user-install-forced`), any case.
    pub(crate) id: String,
    /// Look in this policy directory too. Repeatable.
    #[arg(long = "policy", value_name = "DIR")]
    pub(crate) policy_dirs: Vec<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Run the `test_*` rules of a policy directory's `_test.rego` files, as `opa test` does.
    Test(PolicyTestArgs),
    /// Print the JSON schema of the facts document policies receive as `input`.
    Schema,
}

#[derive(Debug, Args)]
pub(crate) struct PolicyTestArgs {
    /// The policy directory (the built-in policies when omitted).
    pub(crate) dir: Option<std::path::PathBuf>,
    /// Only tests whose `package.name` contains this text.
    #[arg(long = "run", value_name = "TEXT")]
    pub(crate) filter: Option<String>,
    /// Print every test, not only failures.
    #[arg(long, short)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FilesArgs {
    /// The image (as for `inspect`).
    pub(crate) image: String,
    /// Only paths matching these globs (`/etc/**`, `**/EXTERNALLY-MANAGED`); `*` stays within one directory.
    pub(crate) globs: Vec<String>,
    /// List what whiteouts removed, and by which layer, instead of the final tree.
    #[arg(long)]
    pub(crate) removed: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

impl GlobalArgs {
    fn load_options(&self, capture: CaptureRules, spec: &ImageSpec) -> anyhow::Result<LoadOptions> {
        let timeout = Duration::from_secs(self.timeout);
        let credential = match &self.username {
            Some(username) => Some(Credential::basic(
                username.clone(),
                read_password(spec)?,
                "--username and --password-stdin".to_owned(),
            )),
            None => None,
        };
        Ok(LoadOptions {
            platform: self.platform.clone(),
            capture,
            capture_from_config: None,
            max_uncompressed_bytes: self.max_uncompressed_bytes,
            max_entries: self.max_entries,
            jobs: self.jobs,
            verify_diff_ids: !self.skip_diff_id_check,
            remote: RemoteOptions {
                registry: RegistryOptions {
                    insecure_registries: self.insecure_registries.clone(),
                    ca_certs: self.ca_certs.clone(),
                    timeout,
                    credential,
                    auth_env: AuthEnv::from_process(),
                    ..RegistryOptions::default()
                },
                daemon: DaemonOptions {
                    env: DaemonEnv::from_process(),
                    timeout,
                },
            },
            progress: (!self.quiet && std::io::stderr().is_terminal())
                .then(|| Arc::new(crate::progress::Bar::default()) as Arc<dyn Progress>),
        })
    }

    /// The image an argument names, read as `--source` says.
    pub(crate) fn image_spec(&self, image: &str) -> anyhow::Result<ImageSpec> {
        Ok(match self.source {
            None => ImageSpec::parse(image)?,
            Some(source) => ImageSpec::parse_as(
                image,
                match source {
                    Source::Daemon => SourceKind::Daemon,
                    Source::Registry => SourceKind::Registry,
                    Source::Archive => SourceKind::Archive,
                    Source::Oci => SourceKind::Oci,
                },
            )?,
        })
    }

    /// Loads the image an argument names, from a path, standard input, a registry or a daemon.
    pub(crate) fn load(&self, image: &str, capture: CaptureRules) -> anyhow::Result<LoadedImage> {
        self.load_with(&self.image_spec(image)?, capture, None)
    }

    /// As [`GlobalArgs::load`], also capturing the files the config points at.
    pub(crate) fn load_with(
        &self,
        spec: &ImageSpec,
        capture: CaptureRules,
        capture_from_config: Option<fn(&imgaudit_image::ImageMeta) -> Vec<String>>,
    ) -> anyhow::Result<LoadedImage> {
        let options = LoadOptions {
            capture_from_config,
            ..self.load_options(capture, spec)?
        };
        let loaded = match spec {
            ImageSpec::Stdin { .. } => {
                imgaudit_loader::load_stream(std::io::stdin().lock(), spec, &options)?
            }
            _ => imgaudit_loader::load(spec, &options)?,
        };
        Ok(loaded)
    }
}

/// The password `--password-stdin` reads: standard input up to the first line break.
fn read_password(spec: &ImageSpec) -> anyhow::Result<String> {
    if matches!(spec, ImageSpec::Stdin { .. }) {
        anyhow::bail!(
            "--password-stdin and an image on standard input (`-`) cannot share standard input"
        );
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("--password-stdin: cannot read standard input")?;
    let password = text.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        anyhow::bail!("--password-stdin: standard input holds no password");
    }
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
