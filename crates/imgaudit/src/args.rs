//! Command-line arguments: the clap types, and nothing else. `settings` turns them into
//! validated settings.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::time::Duration;

use imgaudit_audit::OutputTarget;
use imgaudit_image::Platform;

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

// Parsed once per run: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
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
    /// Look after the layer cache: what it holds, and pruning it.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// List the entries of the assembled filesystem, or what whiteouts removed.
    Files(FilesArgs),
}

/// Options every command that reads an image takes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Reading the image")]
pub(crate) struct GlobalArgs {
    /// Platform to select from a multi-platform image: OS/ARCH[/VARIANT] [default: linux/amd64]
    #[arg(long, global = true, value_name = "PLATFORM")]
    pub(crate) platform: Option<Platform>,
    /// Refuse images that expand to more uncompressed bytes than this (a decompression bomb guard).
    #[arg(long, global = true, value_name = "BYTES", default_value_t = imgaudit_layer::DEFAULT_MAX_UNCOMPRESSED_BYTES)]
    pub(crate) max_uncompressed_bytes: u64,
    /// Refuse a compressed layer that expands to more than this many times its compressed size
    /// once it holds more than --expansion-floor bytes (a zstd bomb guard: gzip cannot pass
    /// about 1032) [default: 2048, or `max-expansion-ratio` in imgaudit.toml]
    #[arg(long, global = true, value_name = "RATIO", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_expansion_ratio: Option<u64>,
    /// The uncompressed bytes a layer may reach whatever its expansion ratio (500M, 2G, …)
    /// [default: 2G, or `expansion-floor` in imgaudit.toml]
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) expansion_floor: Option<u64>,
    /// Refuse images with more tar entries than this, over all layers.
    #[arg(long, global = true, value_name = "COUNT", default_value_t = imgaudit_layer::DEFAULT_MAX_ENTRIES)]
    pub(crate) max_entries: u64,
    /// Refuse images whose captured files (the configuration files and metadata the audit
    /// reads) come to more than this many bytes, over all layers.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = imgaudit_layer::DEFAULT_MAX_CAPTURED_BYTES)]
    pub(crate) max_captured_bytes: u64,
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
    #[command(flatten)]
    pub(crate) cache: CacheArgs,
}

/// Where layer indexes are remembered between runs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Layer cache")]
pub(crate) struct CacheArgs {
    /// The layer cache directory [default: $XDG_CACHE_HOME/imgaudit, else ~/.cache/imgaudit]
    #[arg(long, global = true, value_name = "DIR", env = "IMGAUDIT_CACHE_DIR")]
    pub(crate) cache_dir: Option<std::path::PathBuf>,
    /// Neither read nor write the layer cache: read every layer (whatever --cache-dir says).
    #[arg(long, global = true)]
    pub(crate) no_cache: bool,
    /// Evict the least recently used layers beyond this size (500M, 2G, …).
    #[arg(long, global = true, value_name = "SIZE", env = "IMGAUDIT_CACHE_MAX_SIZE", default_value = "2G", value_parser = parse_size)]
    pub(crate) cache_max_size: u64,
}

fn parse_size(text: &str) -> Result<u64, String> {
    imgaudit_cache::parse_size(text).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub(crate) enum CacheCommand {
    /// Where the cache is, how much it holds, how recently it was used.
    Info(CacheInfoArgs),
    /// Remove damaged entries, leftovers of interrupted writes, and least recently used
    /// entries beyond the cap (or what the flags say).
    Prune(CachePruneArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CacheInfoArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct CachePruneArgs {
    /// Remove every entry.
    #[arg(long, conflicts_with_all = ["max_size", "unused_for"])]
    pub(crate) all: bool,
    /// Keep at most this much, least recently used removed first [default: --cache-max-size]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(crate) max_size: Option<u64>,
    /// Remove entries not used for this long: 30m, 12h, 7d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) unused_for: Option<Duration>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let error = || format!("`{text}` is not a duration: use a number with s, m, h or d (12h, 7d)");
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(error)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| error())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(error()),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(error)
}

/// `imgaudit rules --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RulesFormat {
    Text,
    Json,
    Markdown,
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
// The headings of the options flattened before these (the layer cache's) must not run on.
#[command(next_help_heading = "Audit")]
pub(crate) struct ScanArgs {
    /// The image (as for `inspect`). Several images (or --images-from) are audited in one
    /// batch: layers they share are read once, a report per image.
    #[arg(required_unless_present = "images_from", value_name = "IMAGE")]
    pub(crate) images: Vec<String>,
    /// Also audit the images listed in this file, one per line (`#` starts a comment; `-` reads
    /// the list from standard input).
    #[arg(long, value_name = "FILE")]
    pub(crate) images_from: Option<std::path::PathBuf>,
    /// Batch: images audited at once, within --memory-budget.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub(crate) parallel_images: u64,
    /// Batch: no further image is started while the process uses more than three quarters of
    /// this, and layers shared between images are kept in memory up to a quarter of it.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub(crate) memory_budget: u64,
    /// The report printed on standard output [default: text, or nothing when --output is given]
    #[arg(long, value_enum)]
    pub(crate) format: Option<ReportFormat>,
    /// Also write a report to a file: FORMAT=PATH, `-` for standard output (`--output
    /// sarif=imgaudit.sarif --output text=-`). Repeatable. In a batch, PATH holds `{image}`,
    /// replaced by a file name made from each image's argument (`reports/{image}.sarif`).
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
    pub(crate) min_severity: Option<imgaudit_finding::Severity>,
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
    Ok(OutputTarget {
        format: format.into(),
        path,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub(crate) use imgaudit_config::Threshold;

impl From<ReportFormat> for imgaudit_audit::ReportFormat {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Text => imgaudit_audit::ReportFormat::Text,
            ReportFormat::Json => imgaudit_audit::ReportFormat::Json,
            ReportFormat::Sarif => imgaudit_audit::ReportFormat::Sarif,
            ReportFormat::Codequality => imgaudit_audit::ReportFormat::Codequality,
        }
    }
}

fn non_empty(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("an empty value is not allowed".to_owned()),
        text => Ok(text.to_owned()),
    }
}

fn parse_severity(text: &str) -> Result<imgaudit_finding::Severity, String> {
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
    /// Evaluate only these rules: an id, name or alias (any case), a pack (`hygiene`, `secrets`,
    /// `python`: the rules of `policies/<pack>/`), or an id prefix (`PIP`, `PY`). Repeatable.
    #[arg(long, value_name = "ID")]
    pub(crate) select: Vec<String>,
    /// Do not evaluate these rules: an id, name or alias (any case), a pack, or an id prefix.
    /// Repeatable.
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
    /// text, json, or markdown (the README's rule table).
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub(crate) format: RulesFormat,
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
