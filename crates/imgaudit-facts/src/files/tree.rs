//! One walk of the final tree: the setuid, setgid and world-writable paths, and the leftovers
//! of the build context.

use std::collections::HashSet;

use imgaudit_fs::Node;
use imgaudit_layer::{EntryKind, ImagePath};

use crate::context::{Context, display};
use crate::files::model::{Leftover, LeftoverKind, PathKind, SpecialFile};
use crate::files::packages::{Ownership, changed_after_install};
use crate::redact::redacted;

/// The most special paths listed: a hostile image of a million world-writable files must not
/// make a document of gigabytes. The rest are counted in a note.
pub(crate) const MAX_SPECIAL_FILES: usize = 10_000;
/// The most leftovers listed, for the same reason.
pub(crate) const MAX_LEFTOVERS: usize = 1_000;

const SETUID: u32 = 0o4000;
const SETGID: u32 = 0o2000;
const STICKY: u32 = 0o1000;
const WORLD_WRITABLE: u32 = 0o002;

/// Templates of `.env` files that projects commit on purpose, with placeholders.
const ENV_TEMPLATES: &[&str] = &["example", "sample", "template", "dist", "defaults"];

/// Directories whose contents came with a dependency, not with the build context.
const DEPENDENCY_DIRS: &[&[u8]] = &[b"site-packages", b"dist-packages", b"node_modules"];

pub(crate) struct Candidate<'a> {
    path: &'a ImagePath,
    node: &'a Node,
}

pub(crate) struct LeftoverCandidate<'a> {
    path: &'a ImagePath,
    node: &'a Node,
    kind: LeftoverKind,
}

pub(crate) struct Found<'a> {
    pub(crate) special: Vec<Candidate<'a>>,
    pub(crate) leftovers: Vec<LeftoverCandidate<'a>>,
    pub(crate) notes: Vec<String>,
}

impl Found<'_> {
    /// The paths whose package the records need.
    pub(crate) fn wanted(&self) -> HashSet<ImagePath> {
        self.special
            .iter()
            .map(|c| c.path.clone())
            .chain(self.leftovers.iter().map(|c| c.path.clone()))
            .collect()
    }
}

/// The kind of a path for these facts: regular files and directories only.
fn path_kind(node: &Node) -> Option<PathKind> {
    match node.kind() {
        EntryKind::File | EntryKind::Hardlink => Some(PathKind::File),
        EntryKind::Dir => Some(PathKind::Dir),
        _ => None,
    }
}

/// Whether a path of this kind and mode is listed in `special_files`.
pub(crate) fn is_special(kind: PathKind, mode: u32) -> bool {
    match kind {
        PathKind::File => mode & (SETUID | SETGID | WORLD_WRITABLE) != 0,
        // A setgid directory (`/var/mail`) only passes its group on: not special.
        PathKind::Dir => mode & WORLD_WRITABLE != 0,
    }
}

/// What leftover of the build context a name is, for a path of that kind.
pub(crate) fn leftover_kind(name: &[u8], kind: PathKind) -> Option<LeftoverKind> {
    match (name, kind) {
        (b".git", _) => Some(LeftoverKind::Git),
        (b".svn", PathKind::Dir) => Some(LeftoverKind::Subversion),
        (b".hg", PathKind::Dir) => Some(LeftoverKind::Mercurial),
        (b".bzr", PathKind::Dir) => Some(LeftoverKind::Bazaar),
        // A directory named `.env` is a virtual environment.
        (b".env", PathKind::File) => Some(LeftoverKind::Env),
        (b".envrc", PathKind::File) => Some(LeftoverKind::Envrc),
        (name, PathKind::File) => {
            let suffix = name.strip_prefix(b".env.")?;
            let suffix = std::str::from_utf8(suffix).ok()?;
            (!suffix.is_empty() && !ENV_TEMPLATES.contains(&suffix.to_ascii_lowercase().as_str()))
                .then_some(LeftoverKind::Env)
        }
        _ => None,
    }
}

pub(crate) fn walk<'a>(ctx: &Context<'a>) -> Found<'a> {
    let mut special = Vec::new();
    let mut special_unlisted = 0u64;
    let mut leftovers = Vec::new();
    for (path, node) in ctx.image.fs.iter() {
        let Some(kind) = path_kind(node) else {
            continue;
        };
        if is_special(kind, node.entry.mode) {
            if special.len() < MAX_SPECIAL_FILES {
                special.push(Candidate { path, node });
            } else {
                special_unlisted += 1;
            }
        }
        if let Some(kind) = leftover_kind(path.file_name(), kind) {
            leftovers.push(LeftoverCandidate { path, node, kind });
        }
    }
    // What lies below another leftover (a `.env` inside a `.git`) is part of it. Every
    // ancestor in the tree is a directory, and every directory with a leftover's name is a
    // leftover: the names of the ancestors tell, in one look at the path.
    leftovers.retain(|c| {
        !ancestor_names(c.path).any(|name| leftover_kind(name, PathKind::Dir).is_some())
    });
    let mut notes = Vec::new();
    if special_unlisted > 0 {
        notes.push(format!(
            "{special_unlisted} more setuid, setgid or world-writable paths are not listed in special_files (at most {MAX_SPECIAL_FILES} are)"
        ));
    }
    if leftovers.len() > MAX_LEFTOVERS {
        notes.push(format!(
            "{} more leftovers of the build context are not listed (at most {MAX_LEFTOVERS} are)",
            leftovers.len() - MAX_LEFTOVERS
        ));
        leftovers.truncate(MAX_LEFTOVERS);
    }
    Found {
        special,
        leftovers,
        notes,
    }
}

/// The names of a path's proper ancestors, nearest first (the root not included): a look at
/// the path's bytes, where building each ancestor path made a tree thousands of directories
/// deep cost its depth cubed.
fn ancestor_names(path: &ImagePath) -> impl Iterator<Item = &[u8]> {
    path.components().rev().skip(1)
}

pub(crate) fn special_file(
    ctx: &Context<'_>,
    ownership: &Ownership,
    candidate: &Candidate<'_>,
) -> SpecialFile {
    let &Candidate { path, node } = candidate;
    let mode = node.entry.mode & 0o7777;
    let package = ownership.owner(path).cloned();
    let (changed_after_install, changed_how) = match &package {
        Some(owner) => {
            let (changed, how) = changed_after_install(owner, mode, node.layer);
            (Some(changed), Some(how))
        }
        None => (None, None),
    };
    let ownership_unknown = package.is_none()
        && ownership
            .rpm_layer
            .is_some_and(|rpm_layer| node.layer <= rpm_layer);
    let shown = redacted(&display(path));
    SpecialFile {
        kind: path_kind(node).unwrap_or(PathKind::File),
        mode: format!("{mode:04o}"),
        mode_bits: mode,
        setuid: mode & SETUID != 0,
        setgid: mode & SETGID != 0,
        sticky: mode & STICKY != 0,
        world_writable: mode & WORLD_WRITABLE != 0,
        uid: node.entry.uid,
        gid: node.entry.gid,
        size: node.entry.size,
        layer: node.layer,
        history_step: ctx.layer_step(node.layer),
        origin: ctx.layer_origin(Some(shown.clone()), Some(node.layer)),
        path: shown,
        package,
        ownership_unknown,
        statoverride: ownership.statoverride(path).cloned(),
        changed_after_install,
        changed_how,
    }
}

pub(crate) fn leftover(
    ctx: &Context<'_>,
    ownership: &Ownership,
    candidate: &LeftoverCandidate<'_>,
) -> Leftover {
    let &LeftoverCandidate { path, node, kind } = candidate;
    let path_kind = path_kind(node).unwrap_or(PathKind::File);
    let (mut files, mut bytes, mut layer) = (0u64, 0u64, node.layer);
    if path_kind == PathKind::File {
        (files, bytes) = (1, node.entry.size);
    } else {
        for (_, below) in ctx.image.fs.descendants(path) {
            layer = layer.max(below.layer);
            if path_kind_is_file(below) {
                files += 1;
                bytes = bytes.saturating_add(below.entry.size);
            }
        }
    }
    let inside_dependency = ancestor_names(path)
        .find(|name| DEPENDENCY_DIRS.contains(name))
        .map(|name| String::from_utf8_lossy(name).into_owned());
    let shown = redacted(&display(path));
    Leftover {
        kind,
        path_kind,
        files,
        bytes,
        layer,
        origin: ctx.layer_origin(Some(shown.clone()), Some(layer)),
        path: shown,
        inside_dependency,
        package: ownership.owner(path).cloned(),
    }
}

fn path_kind_is_file(node: &Node) -> bool {
    path_kind(node) == Some(PathKind::File)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setuid_setgid_and_world_writable_files_are_special() {
        assert!(is_special(PathKind::File, 0o4755));
        assert!(is_special(PathKind::File, 0o2755));
        assert!(is_special(PathKind::File, 0o666));
        assert!(!is_special(PathKind::File, 0o755));
        assert!(!is_special(PathKind::File, 0o1755));
        // A setgid directory is not; a world-writable one is, sticky or not (the rule decides).
        assert!(!is_special(PathKind::Dir, 0o2775));
        assert!(is_special(PathKind::Dir, 0o1777));
        assert!(is_special(PathKind::Dir, 0o777));
    }

    #[test]
    fn leftovers_by_name_and_kind() {
        use LeftoverKind::*;
        use PathKind::{Dir, File};
        for (name, kind, expected) in [
            (".git", Dir, Some(Git)),
            (".git", File, Some(Git)),
            (".svn", Dir, Some(Subversion)),
            (".hg", Dir, Some(Mercurial)),
            (".bzr", Dir, Some(Bazaar)),
            (".env", File, Some(Env)),
            (".env.production", File, Some(Env)),
            (".env.local", File, Some(Env)),
            (".envrc", File, Some(Envrc)),
            // A virtual environment named `.env`.
            (".env", Dir, None),
            (".env.example", File, None),
            (".env.Sample", File, None),
            (".env.template", File, None),
            (".env.dist", File, None),
            (".env.defaults", File, None),
            (".env.", File, None),
            (".svn", File, None),
            (".gitignore", File, None),
            (".github", Dir, None),
            ("env", File, None),
        ] {
            assert_eq!(
                leftover_kind(name.as_bytes(), kind),
                expected,
                "{name} {kind:?}"
            );
        }
    }
}
