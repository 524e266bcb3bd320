//! The filesystem a container sees.
//!
//! [`Filesystem::assemble`] applies layer indexes in order the way overlay storage does: each
//! layer's whiteouts and opaque markers first hide what lower layers wrote, then its entries are
//! added (a later entry for the same path wins, a directory replaced by a file loses its
//! children, hard links share their target's metadata and content). Every path remembers the
//! layer that last wrote it, and every removed path the layer that removed it. The root is a node
//! too: a directory that no layer wrote until one carries an entry for it (kaniko does), whose
//! mode, owner and times then apply to `/`.
//!
//! Paths are resolved inside the image root only: absolute symlink targets start at the image
//! root, `..` stops there, and loops or chains longer than Linux allows are errors. Nothing here
//! touches the host.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod resolve;

use std::collections::BTreeMap;
use std::sync::Arc;

use imgaudit_layer::{Change, Entry, EntryKind, ImagePath};

use resolve::Stopped;
pub use resolve::{MAX_SYMLINK_HOPS, ResolveError};

/// One path of the assembled tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The entry's metadata; a hard link carries its target's kind, mode, owner and content, and
    /// keeps the target's path in `hardlink_target`.
    pub entry: Entry,
    /// The index of the layer that last wrote this path.
    pub layer: usize,
    /// True for a directory that no layer wrote but that had to exist for a child to be added
    /// (some tools omit parent entries).
    pub implicit: bool,
}

impl Node {
    pub fn kind(&self) -> EntryKind {
        self.entry.kind
    }

    pub fn content(&self) -> Option<&[u8]> {
        self.entry.content.as_deref()
    }
}

/// Why a path that a lower layer wrote is absent from the final tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalCause {
    /// A `.wh.NAME` whiteout for the path or one of its ancestors.
    Whiteout,
    /// An opaque marker on one of its ancestor directories.
    OpaqueDirectory,
    /// An ancestor directory was replaced by a file or link.
    ReplacedParent,
}

/// A path that a lower layer wrote and a later layer removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The layer whose whiteout (or replacement) removed it.
    pub layer: usize,
    pub cause: RemovalCause,
    /// The layer that had last written it.
    pub written_by: usize,
    pub kind: EntryKind,
}

/// Why layers could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error(
        "layer {layer}: the hard link `{path}` points at `{target}`, which no earlier entry of this or a lower layer wrote"
    )]
    DanglingHardlink {
        layer: usize,
        path: ImagePath,
        target: ImagePath,
    },
    #[error("layer {layer}: the hard link `{path}` points at the directory `{target}`")]
    HardlinkToDirectory {
        layer: usize,
        path: ImagePath,
        target: ImagePath,
    },
    #[error("layer {layer}: the entry for the image root is a {kind:?}, not a directory")]
    RootNotDirectory { layer: usize, kind: EntryKind },
    #[error("layer {layer}: cannot place `{path}`: {source}")]
    Unresolvable {
        layer: usize,
        path: ImagePath,
        #[source]
        source: ResolveError,
    },
}

/// The assembled filesystem of an image.
#[derive(Debug, Clone)]
pub struct Filesystem {
    /// The root, kept apart from `nodes` so that iterating the tree never yields it and no
    /// removal can take it away.
    root: Node,
    /// Boxed: a B-tree node holds 11 slots and, filled in path order, keeps about 7 of them
    /// used, so unboxed nodes in the slots cost about 60% more than the nodes themselves.
    nodes: BTreeMap<ImagePath, Box<Node>>,
    removed: BTreeMap<ImagePath, Removal>,
    notes: Vec<String>,
}

impl Default for Filesystem {
    fn default() -> Self {
        Filesystem {
            root: implicit_dir(0),
            nodes: BTreeMap::new(),
            removed: BTreeMap::new(),
            notes: Vec::new(),
        }
    }
}

impl Filesystem {
    /// Applies the changes of each layer in order (index 0 is the base layer).
    pub fn assemble<'a, I>(layers: I) -> Result<Filesystem, AssembleError>
    where
        I: IntoIterator<Item = &'a [Change]>,
    {
        let mut fs = Filesystem::default();
        for (layer, changes) in layers.into_iter().enumerate() {
            fs.apply_layer(layer, changes)?;
        }
        Ok(fs)
    }

    /// A tree put back together from what [`Filesystem::root`], [`Filesystem::iter`],
    /// [`Filesystem::removed`] and [`Filesystem::notes`] gave (a cached tree). Refused, with
    /// the reason, unless it is a tree assembly could have made: the root a directory, no path
    /// given twice, every node's parent the root or a directory of the tree.
    pub fn from_parts(
        root: Node,
        nodes: Vec<(ImagePath, Node)>,
        removed: Vec<(ImagePath, Removal)>,
        notes: Vec<String>,
    ) -> Result<Filesystem, String> {
        if root.kind() != EntryKind::Dir {
            return Err(format!("the root is a {:?}", root.kind()));
        }
        let given = (nodes.len(), removed.len());
        let nodes: BTreeMap<ImagePath, Box<Node>> = nodes
            .into_iter()
            .map(|(path, node)| (path, Box::new(node)))
            .collect();
        let removed: BTreeMap<ImagePath, Removal> = removed.into_iter().collect();
        if (nodes.len(), removed.len()) != given {
            return Err("a path is given twice".to_owned());
        }
        if nodes.contains_key(&ImagePath::root()) || removed.contains_key(&ImagePath::root()) {
            return Err("the root is given as a path of the tree".to_owned());
        }
        // Siblings mostly follow each other: the last parent found is not looked up again.
        let mut last_parent: &[u8] = b"";
        for path in nodes.keys() {
            let bytes = path.as_bytes();
            let parent = bytes
                .iter()
                .rposition(|&b| b == b'/')
                .map_or(&b""[..], |slash| &bytes[..slash]);
            if parent.is_empty() || parent == last_parent {
                continue;
            }
            if !nodes
                .get(parent)
                .is_some_and(|node| node.kind() == EntryKind::Dir)
            {
                return Err(format!(
                    "the parent of `{path}` is not a directory of the tree"
                ));
            }
            last_parent = parent;
        }
        Ok(Filesystem {
            root,
            nodes,
            removed,
            notes,
        })
    }

    /// The node at `path`, without following a symlink in any component. The root is always
    /// there.
    pub fn get(&self, path: &ImagePath) -> Option<&Node> {
        if path.is_root() {
            return Some(&self.root);
        }
        self.nodes.get(path).map(Box::as_ref)
    }

    /// The root directory: implicit (mode 0755, owned by root, layer 0) until a layer carries an
    /// entry for it, and then that layer's latest entry.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// Every path of the final tree, in byte order (the root is not listed).
    pub fn iter(&self) -> impl Iterator<Item = (&ImagePath, &Node)> {
        self.nodes.iter().map(|(path, node)| (path, node.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Paths lower layers wrote that are gone from the final tree, with what removed them.
    pub fn removed(&self) -> impl Iterator<Item = (&ImagePath, &Removal)> {
        self.removed.iter()
    }

    /// What the removal record says about `path`, if it was removed.
    pub fn removal(&self, path: &ImagePath) -> Option<&Removal> {
        self.removed.get(path)
    }

    /// Things assembly tolerated that a reader may want to know (a file replaced to make room
    /// for a child, for instance).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The direct children of a directory.
    pub fn children<'a>(
        &'a self,
        dir: &'a ImagePath,
    ) -> impl Iterator<Item = (&'a ImagePath, &'a Node)> + 'a {
        self.descendants(dir)
            .filter(move |(path, _)| path.parent() == *dir)
    }

    /// Everything below a directory, at any depth.
    pub fn descendants<'a>(
        &'a self,
        dir: &'a ImagePath,
    ) -> impl Iterator<Item = (&'a ImagePath, &'a Node)> + 'a {
        if dir.is_root() {
            return Box::new(self.iter()) as Box<dyn Iterator<Item = _>>;
        }
        let (low, high) = dir.subtree_bounds();
        Box::new(
            self.nodes
                .range(low..high)
                .map(|(path, node)| (path, node.as_ref())),
        )
    }

    /// Resolves symlinks in every component (and in the last one when `follow_last`), inside the
    /// image root, and returns the node found there.
    pub fn lookup(
        &self,
        path: &ImagePath,
        follow_last: bool,
    ) -> Result<(ImagePath, Option<&Node>), ResolveError> {
        let resolved = self.resolve(path, follow_last)?;
        let node = self.get(&resolved);
        Ok((resolved, node))
    }

    /// Gives the regular file at `path` (no link followed) the content a later read of its
    /// layer found, when it has none yet and the bytes are as many as its entry says. Returns
    /// whether it did. The loader reads link targets that no capture rule matched this way.
    pub fn fill_content(&mut self, path: &ImagePath, content: Arc<[u8]>) -> bool {
        match self.nodes.get_mut(path) {
            Some(node)
                if node.kind() == EntryKind::File
                    && node.entry.content.is_none()
                    && node.entry.size == content.len() as u64 =>
            {
                node.entry.content = Some(content);
                true
            }
            _ => false,
        }
    }

    /// Applies the changes of the layer `layer` on top of the tree: the layers below it must be
    /// applied already (a tree remembered for them will do), in order.
    pub fn apply_layer(&mut self, layer: usize, changes: &[Change]) -> Result<(), AssembleError> {
        // Whiteouts only hide what lower layers wrote, wherever they stand in the tar stream.
        for change in changes {
            match change {
                Change::Whiteout { path } => {
                    let Ok(parent) = self.resolve(&path.parent(), true) else {
                        continue;
                    };
                    let target = parent.child(path.file_name());
                    self.remove_tree(&target, true, layer, RemovalCause::Whiteout);
                }
                Change::Opaque { dir } => {
                    let Ok(dir) = self.resolve(dir, true) else {
                        continue;
                    };
                    self.remove_tree(&dir, false, layer, RemovalCause::OpaqueDirectory);
                }
                Change::Add { .. } => {}
            }
        }
        for change in changes {
            if let Change::Add { path, entry } = change {
                self.add(layer, path, entry)?;
            }
        }
        Ok(())
    }

    fn add(&mut self, layer: usize, path: &ImagePath, entry: &Entry) -> Result<(), AssembleError> {
        if path.is_root() {
            return self.set_root(layer, entry);
        }
        let parent = self.make_parent_dirs(layer, &path.parent())?;
        let path = parent.child(path.file_name());
        let mut entry = entry.clone();
        if entry.kind == EntryKind::Hardlink {
            entry = self.link_target_entry(layer, &path, &entry)?;
        }
        let existing_dir = self
            .nodes
            .get(&path)
            .is_some_and(|n| n.kind() == EntryKind::Dir);
        if existing_dir && entry.kind != EntryKind::Dir {
            self.remove_tree(&path, false, layer, RemovalCause::ReplacedParent);
        }
        self.removed.remove(&path);
        self.nodes.insert(
            path,
            Box::new(Node {
                entry,
                layer,
                implicit: false,
            }),
        );
        Ok(())
    }

    /// An entry for the root changes its metadata only: what is below it stays.
    fn set_root(&mut self, layer: usize, entry: &Entry) -> Result<(), AssembleError> {
        if entry.kind != EntryKind::Dir {
            return Err(AssembleError::RootNotDirectory {
                layer,
                kind: entry.kind,
            });
        }
        self.root = Node {
            entry: entry.clone(),
            layer,
            implicit: false,
        };
        Ok(())
    }

    /// A hard link shares its target's inode: kind, mode, owner, size and content.
    fn link_target_entry(
        &self,
        layer: usize,
        path: &ImagePath,
        link: &Entry,
    ) -> Result<Entry, AssembleError> {
        let written = link.hardlink_target.clone().unwrap_or_else(ImagePath::root);
        let target = self
            .resolve(&written.parent(), true)
            .map(|parent| parent.child(written.file_name()))
            .unwrap_or(written);
        let Some(node) = self.get(&target) else {
            return Err(AssembleError::DanglingHardlink {
                layer,
                path: path.clone(),
                target,
            });
        };
        if node.kind() == EntryKind::Dir {
            return Err(AssembleError::HardlinkToDirectory {
                layer,
                path: path.clone(),
                target,
            });
        }
        let mut entry = node.entry.clone();
        entry.hardlink_target = Some(target);
        entry.content = node.entry.content.as_ref().map(Arc::clone);
        Ok(entry)
    }

    /// Resolves a parent directory for writing, creating directories that no entry declared and
    /// replacing a non-directory that stands in the way, as tar extraction does.
    fn make_parent_dirs(
        &mut self,
        layer: usize,
        dir: &ImagePath,
    ) -> Result<ImagePath, AssembleError> {
        // Each round creates at least one missing component, so the number of rounds is bounded.
        for _ in 0..=dir.components().count() + MAX_SYMLINK_HOPS {
            let (mut at, rest) = match self.walk(dir, true) {
                Ok(resolved) if resolved.is_root() => return Ok(resolved),
                Ok(resolved) => match self.nodes.get(&resolved) {
                    Some(node) if node.kind() == EntryKind::Dir => return Ok(resolved),
                    _ => (resolved, Vec::new()),
                },
                Err(Stopped {
                    error: ResolveError::NotFound { at } | ResolveError::NotADirectory { at },
                    rest,
                }) => (at, rest),
                Err(Stopped { error: source, .. }) => {
                    return Err(AssembleError::Unresolvable {
                        layer,
                        path: dir.clone(),
                        source,
                    });
                }
            };
            if let Some(existing) = self.nodes.get(&at) {
                self.notes.push(format!(
                    "layer {layer}: `{at}` (a {:?} from layer {}) was replaced by a directory to hold entries below it",
                    existing.kind(),
                    existing.layer
                ));
            }
            self.removed.remove(&at);
            self.nodes.insert(at.clone(), Box::new(implicit_dir(layer)));
            // Below a directory just made, nothing exists: plain names left to walk are made in
            // this round rather than one lookup from the top each (`..` from a link's target is
            // walked again instead).
            if rest
                .iter()
                .all(|c| !matches!(c.as_slice(), b"" | b"." | b".."))
            {
                for component in rest.iter().rev() {
                    at.push(component);
                    self.removed.remove(&at);
                    self.nodes.insert(at.clone(), Box::new(implicit_dir(layer)));
                }
                return Ok(at);
            }
        }
        Err(AssembleError::Unresolvable {
            layer,
            path: dir.clone(),
            source: ResolveError::TooManyLinks { path: dir.clone() },
        })
    }

    /// Removes everything below `path` (and `path` itself when `including_self`), recording
    /// each removed path.
    fn remove_tree(
        &mut self,
        path: &ImagePath,
        including_self: bool,
        layer: usize,
        cause: RemovalCause,
    ) {
        let below: Vec<ImagePath> = self.descendants(path).map(|(p, _)| p.clone()).collect();
        let mut doomed = below;
        if including_self && self.nodes.contains_key(path) {
            doomed.push(path.clone());
        }
        for p in doomed {
            if let Some(node) = self.nodes.remove(&p) {
                // Paths below a whiteout are removed because of it, like the path itself.
                let cause = if p == *path {
                    RemovalCause::Whiteout
                } else {
                    cause
                };
                self.removed.insert(
                    p,
                    Removal {
                        layer,
                        cause,
                        written_by: node.layer,
                        kind: node.kind(),
                    },
                );
            }
        }
    }
}

fn implicit_dir(layer: usize) -> Node {
    Node {
        entry: Entry {
            kind: EntryKind::Dir,
            mode: 0o755,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: 0,
            symlink_target: None,
            hardlink_target: None,
            device: None,
            content: None,
        },
        layer,
        implicit: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree's B-tree slots hold a path and a pointer: a node in the slot itself would make
    /// every unused slot cost a whole node (a tree of a million entries took 90 MB more).
    #[test]
    fn tree_slots_hold_a_path_and_a_pointer() {
        fn slot<V>(_: &BTreeMap<ImagePath, V>) -> usize {
            std::mem::size_of::<(ImagePath, V)>()
        }
        let fs = Filesystem::default();
        assert!(
            slot(&fs.nodes) <= std::mem::size_of::<ImagePath>() + std::mem::size_of::<usize>(),
            "{} bytes a slot",
            slot(&fs.nodes)
        );
    }
}
