//! `imgaudit inspect`: identity, config, layers with history, counts.

use std::collections::BTreeMap;
use std::fmt::Write;

use imgaudit_facts::redact::{redacted, redacted_args, redacted_assignment, redacted_value};
use imgaudit_layer::CaptureRules;
use imgaudit_loader::LoadedImage;
use serde::Serialize;

use crate::args::{Format, GlobalArgs, InspectArgs};
use crate::output::{SCHEMA_VERSION, to_json};
use crate::settings::Reading;
use imgaudit_finding::ImageIdentity;

#[derive(Debug, Serialize)]
struct Inspection<'a> {
    schema_version: u32,
    image: ImageIdentity,
    config: Config<'a>,
    layers: Vec<Layer<'a>>,
    history: Vec<Step<'a>>,
    totals: Totals,
    notes: Vec<String>,
}

/// Every string of the image is masked as it is copied here (`imgaudit_facts::redact`), before
/// any truncation or formatting could split a secret the printer's own masking would then miss.
#[derive(Debug, Serialize)]
struct Config<'a> {
    /// In the config's order: when a variable is set twice, pip and shells see the later one.
    env: Vec<String>,
    user: Option<String>,
    working_dir: Option<String>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    labels: BTreeMap<String, String>,
    created: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct Layer<'a> {
    index: usize,
    digest: String,
    diff_id: String,
    diff_id_verified: bool,
    media_type: Option<&'a str>,
    compression: &'static str,
    size: u64,
    uncompressed_size: u64,
    entries: usize,
    whiteouts: usize,
    history_step: Option<usize>,
    created_by: Option<String>,
}

#[derive(Debug, Serialize)]
struct Step<'a> {
    index: usize,
    created: Option<&'a str>,
    created_by: Option<String>,
    comment: Option<String>,
    empty_layer: bool,
    layer: Option<usize>,
}

#[derive(Debug, Serialize)]
struct Totals {
    layers: usize,
    size: u64,
    uncompressed_size: u64,
    /// Paths in the assembled filesystem.
    paths: usize,
    /// Paths lower layers wrote that later layers removed.
    removed: usize,
    whiteouts: usize,
}

pub(crate) fn run(global: &GlobalArgs, args: &InspectArgs) -> anyhow::Result<String> {
    let image = Reading::new(global).load(&args.image, CaptureRules::none())?;
    let inspection = build(&image);
    match args.format {
        Format::Json => to_json(&inspection),
        Format::Text => Ok(render(&inspection)),
    }
}

fn build(image: &LoadedImage) -> Inspection<'_> {
    let config = image.meta.config.config().as_ref();
    let history = &image.history;
    let layers = image
        .layers
        .iter()
        .enumerate()
        .map(|(index, layer)| Layer {
            index,
            digest: layer.blob_digest.to_string(),
            diff_id: layer.diff_id.to_string(),
            diff_id_verified: layer.diff_id_verified,
            media_type: layer.reference.media_type.as_deref(),
            compression: layer.compression.name(),
            size: layer.blob_size,
            uncompressed_size: layer.uncompressed_size,
            entries: layer.entries,
            whiteouts: layer.whiteouts,
            history_step: layer.history_step,
            created_by: layer
                .history_step
                .and_then(|s| history[s].created_by.as_deref())
                .map(redacted),
        })
        .collect::<Vec<_>>();
    Inspection {
        schema_version: SCHEMA_VERSION,
        image: image.meta.identity(),
        config: Config {
            env: config
                .and_then(|c| c.env().as_deref())
                .unwrap_or_default()
                .iter()
                .map(|entry| redacted_assignment(entry))
                .collect(),
            user: config.and_then(|c| c.user().as_deref()).map(redacted),
            working_dir: config
                .and_then(|c| c.working_dir().as_deref())
                .map(redacted),
            entrypoint: config
                .and_then(|c| c.entrypoint().as_deref())
                .map(redacted_args),
            cmd: config.and_then(|c| c.cmd().as_deref()).map(redacted_args),
            labels: config
                .and_then(|c| c.labels().as_ref())
                .map(|l| {
                    l.iter()
                        .map(|(k, v)| (redacted(k), redacted_value(k, v)))
                        .collect()
                })
                .unwrap_or_default(),
            created: image.meta.config.created().as_deref(),
        },
        totals: Totals {
            layers: layers.len(),
            size: layers.iter().map(|l| l.size).sum(),
            uncompressed_size: layers.iter().map(|l| l.uncompressed_size).sum(),
            paths: image.fs.len(),
            removed: image.fs.removed().count(),
            whiteouts: layers.iter().map(|l| l.whiteouts).sum(),
        },
        layers,
        history: history
            .iter()
            .enumerate()
            .map(|(index, step)| Step {
                index,
                created: step.created.as_deref(),
                created_by: step.created_by.as_deref().map(redacted),
                comment: step.comment.as_deref().map(redacted),
                empty_layer: step.empty_layer,
                layer: step.layer,
            })
            .collect(),
        notes: image.notes.iter().map(|n| redacted(n)).collect(),
    }
}

fn render(i: &Inspection<'_>) -> String {
    let mut out = String::new();
    let img = &i.image;
    let _ = writeln!(out, "Image      {}", img.source);
    if let Some(name) = &img.name {
        let _ = writeln!(out, "Name       {name}");
    }
    if let Some(digest) = &img.manifest_digest {
        let _ = writeln!(out, "Manifest   {digest}");
    }
    let _ = writeln!(out, "Config     {}", img.config_digest);
    let _ = writeln!(out, "Platform   {}", img.platform);
    let c = &i.config;
    let _ = writeln!(
        out,
        "User       {}",
        c.user
            .as_deref()
            .filter(|u| !u.is_empty())
            .unwrap_or("(root)")
    );
    if let Some(dir) = c.working_dir.as_deref().filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "WorkingDir {dir}");
    }
    if let Some(entrypoint) = &c.entrypoint {
        let _ = writeln!(out, "Entrypoint {entrypoint:?}");
    }
    if let Some(cmd) = &c.cmd {
        let _ = writeln!(out, "Cmd        {cmd:?}");
    }
    if !c.env.is_empty() {
        let _ = writeln!(out, "Env");
        for var in &c.env {
            let _ = writeln!(out, "  {var}");
        }
    }
    if !c.labels.is_empty() {
        let _ = writeln!(out, "Labels");
        for (k, v) in &c.labels {
            let _ = writeln!(out, "  {k}={v}");
        }
    }
    let _ = writeln!(out, "\nLayers");
    for l in &i.layers {
        let _ = writeln!(
            out,
            "  {:>2}  {}  {:>10}  {:>11} uncompressed  {:>6} entries  {:>4} whiteouts  {}",
            l.index,
            &l.digest[..19.min(l.digest.len())],
            human_bytes(l.size),
            human_bytes(l.uncompressed_size),
            l.entries,
            l.whiteouts,
            l.compression,
        );
        if let Some(by) = &l.created_by {
            let _ = writeln!(out, "      {}", one_line(by, 90));
        }
    }
    let t = &i.totals;
    let _ = writeln!(
        out,
        "\n{} layers, {} ({} uncompressed); {} paths in the final tree, {} removed by {} whiteouts",
        t.layers,
        human_bytes(t.size),
        human_bytes(t.uncompressed_size),
        t.paths,
        t.removed,
        t.whiteouts
    );
    for note in &i.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

fn one_line(text: &str, width: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        flat
    } else {
        let cut: String = flat.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[allow(clippy::cast_precision_loss)] // display only
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
