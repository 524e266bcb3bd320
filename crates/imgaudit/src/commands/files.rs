//! `imgaudit files`: the assembled tree, or what whiteouts removed.

use std::fmt::Write;

use globset::{Candidate, GlobSet};
use imgaudit_finding::ImageIdentity;
use imgaudit_fs::{Node, RemovalCause};
use imgaudit_layer::{CaptureRules, ImagePath};
use serde::Serialize;

use crate::args::{FilesArgs, Format, GlobalArgs};
use crate::output::{SCHEMA_VERSION, kind_name, link_text, mode_string, path_text, to_json};
use crate::settings::{Reading, path_globs};

#[derive(Debug, Serialize)]
struct Listing {
    schema_version: u32,
    image: ImageIdentity,
    #[serde(skip_serializing_if = "Option::is_none")]
    entries: Option<Vec<FileEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    removed: Option<Vec<RemovedEntry>>,
}

#[derive(Debug, Serialize)]
struct FileEntry {
    path: String,
    #[serde(rename = "type")]
    kind: &'static str,
    mode: String,
    uid: u64,
    gid: u64,
    size: u64,
    mtime: u64,
    link_target: Option<String>,
    hardlink_to: Option<String>,
    layer: usize,
    /// A directory no layer declared but a child needed.
    implicit: bool,
    #[serde(skip)]
    ls_mode: String,
}

#[derive(Debug, Serialize)]
struct RemovedEntry {
    path: String,
    #[serde(rename = "type")]
    kind: &'static str,
    removed_by_layer: usize,
    cause: RemovalCause,
    written_by_layer: usize,
}

pub(crate) fn run(global: &GlobalArgs, args: &FilesArgs) -> anyhow::Result<String> {
    let globs = path_globs(&args.globs)?;
    let image = Reading::new(global).load(&args.image, CaptureRules::none())?;
    let selected = |path: &ImagePath| matches(globs.as_ref(), path);
    let listing = Listing {
        schema_version: SCHEMA_VERSION,
        image: image.meta.identity(),
        entries: (!args.removed).then(|| {
            tree_order(image.fs.iter().filter(|(path, _)| selected(path)))
                .into_iter()
                .map(|(path, node)| file_entry(path, node))
                .collect()
        }),
        removed: args.removed.then(|| {
            tree_order(image.fs.removed().filter(|(path, _)| selected(path)))
                .into_iter()
                .map(|(path, r)| RemovedEntry {
                    path: path_text(path),
                    kind: kind_name(r.kind),
                    removed_by_layer: r.layer,
                    cause: r.cause,
                    written_by_layer: r.written_by,
                })
                .collect()
        }),
    };
    match args.format {
        Format::Json => to_json(&listing),
        Format::Text => Ok(render(&listing)),
    }
}

/// Directory by directory (`/usr/lib/python3/x` before `/usr/lib/python3.11`), as `find` and
/// `tar -t` list a tree, rather than by raw bytes.
fn tree_order<'a, T>(items: impl Iterator<Item = (&'a ImagePath, T)>) -> Vec<(&'a ImagePath, T)> {
    let mut items: Vec<_> = items.collect();
    items.sort_by(|(a, _), (b, _)| a.components().cmp(b.components()));
    items
}

fn matches(globs: Option<&GlobSet>, path: &ImagePath) -> bool {
    let Some(globs) = globs else { return true };
    let mut rooted = Vec::with_capacity(path.as_bytes().len() + 1);
    rooted.push(b'/');
    rooted.extend_from_slice(path.as_bytes());
    globs.is_match_candidate(&Candidate::from_bytes(&rooted))
}

fn file_entry(path: &ImagePath, node: &Node) -> FileEntry {
    let entry = &node.entry;
    FileEntry {
        path: path_text(path),
        kind: kind_name(entry.kind),
        mode: format!("{:04o}", entry.mode),
        uid: entry.uid,
        gid: entry.gid,
        size: entry.size,
        mtime: entry.mtime,
        link_target: link_text(entry.symlink_target.as_deref()),
        hardlink_to: entry.hardlink_target.as_ref().map(path_text),
        layer: node.layer,
        implicit: node.implicit,
        ls_mode: mode_string(entry.kind, entry.mode),
    }
}

fn render(listing: &Listing) -> String {
    let mut out = String::new();
    for e in listing.entries.iter().flatten() {
        let _ = write!(
            out,
            "{} {:>5}/{:<5} {:>10}  L{:<2} {}",
            e.ls_mode, e.uid, e.gid, e.size, e.layer, e.path
        );
        if let Some(target) = &e.link_target {
            let _ = write!(out, " -> {target}");
        }
        if let Some(target) = &e.hardlink_to {
            let _ = write!(out, " (hard link to {target})");
        }
        out.push('\n');
    }
    for r in listing.removed.iter().flatten() {
        let cause = match r.cause {
            RemovalCause::Whiteout => "whiteout",
            RemovalCause::OpaqueDirectory => "opaque directory",
            RemovalCause::ReplacedParent => "parent replaced",
        };
        let _ = writeln!(
            out,
            "{}  removed by layer {} ({cause}), written by layer {}",
            r.path, r.removed_by_layer, r.written_by_layer
        );
    }
    out
}
