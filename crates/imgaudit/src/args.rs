//! Command-line arguments, parsed once and turned into validated load options.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use imgaudit_image::{ImageSpec, Platform};
use imgaudit_layer::CaptureRules;
use imgaudit_loader::{LoadOptions, LoadedImage};

/// Audit container images at build time.
#[derive(Debug, Parser)]
#[command(name = "imgaudit", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show an image's identity, config, layers with their history steps, and counts.
    Inspect(InspectArgs),
    /// List the entries of the assembled filesystem, or what whiteouts removed.
    Files(FilesArgs),
}

/// Options every command that reads an image takes.
#[derive(Debug, Args)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The image: oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG], a path, or - for a `docker save` stream on stdin.
    pub(crate) image: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
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
    pub(crate) fn load_options(&self, capture: CaptureRules) -> LoadOptions {
        LoadOptions {
            platform: self.platform.clone(),
            capture,
            max_uncompressed_bytes: self.max_uncompressed_bytes,
            max_entries: self.max_entries,
            jobs: self.jobs,
            verify_diff_ids: !self.skip_diff_id_check,
        }
    }

    /// Loads the image an argument names, from a path or from standard input.
    pub(crate) fn load(&self, image: &str, capture: CaptureRules) -> anyhow::Result<LoadedImage> {
        let spec = ImageSpec::parse(image)?;
        let options = self.load_options(capture);
        let loaded = match &spec {
            ImageSpec::Stdin { .. } => {
                imgaudit_loader::load_stream(std::io::stdin().lock(), &spec, &options)?
            }
            _ => imgaudit_loader::load(&spec, &options)?,
        };
        Ok(loaded)
    }
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
