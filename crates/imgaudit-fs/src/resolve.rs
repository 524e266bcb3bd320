//! Symlink resolution confined to the image root.
//!
//! Resolution costs about the path's length times the logarithm of its depth, whatever the
//! depth: it leans on the tree's invariant that every node's ancestors are directories in the
//! tree (assembly creates missing parents and removes a replaced directory's subtree), so that
//! whether `a/b/c` exists answers for `a` and `a/b` too. A run of plain names is looked up
//! deepest first, then by bisection, instead of one component (and one copy of the path) at a
//! time, which made a tree thousands of directories deep quadratic per entry.

use imgaudit_layer::{EntryKind, ImagePath};

use crate::{Filesystem, Node};

/// Linux gives up after 40 symlinks in one lookup (`MAXSYMLINKS`); so does imgaudit.
pub const MAX_SYMLINK_HOPS: usize = 40;

/// Why a path does not resolve inside the image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("`{at}` does not exist")]
    NotFound { at: ImagePath },
    #[error("`{at}` is not a directory")]
    NotADirectory { at: ImagePath },
    #[error(
        "resolving `{path}` takes more than {MAX_SYMLINK_HOPS} symlinks (a loop or an overlong chain)"
    )]
    TooManyLinks { path: ImagePath },
}

/// A resolution that stopped early: why, and the components it had still to walk after the
/// one it stopped at (last one first), for assembly to create missing directories in one go.
pub(crate) struct Stopped {
    pub(crate) error: ResolveError,
    pub(crate) rest: Vec<Vec<u8>>,
}

impl Filesystem {
    /// Resolves `path` the way the kernel would inside a container whose root is the image root:
    /// every symlink in a directory position is followed (and the last one when `follow_last`),
    /// absolute targets restart at the image root, and `..` never climbs above it.
    pub fn resolve(&self, path: &ImagePath, follow_last: bool) -> Result<ImagePath, ResolveError> {
        self.walk(path, follow_last)
            .map_err(|stopped| stopped.error)
    }

    pub(crate) fn walk(&self, path: &ImagePath, follow_last: bool) -> Result<ImagePath, Stopped> {
        // A node in the tree has only directories above it, so it is its own resolution unless
        // it is a symlink to follow: most lookups while assembling end here.
        match self.get(path) {
            Some(node) if !(follow_last && node.kind() == EntryKind::Symlink) => {
                return Ok(path.clone());
            }
            _ => {}
        }
        // Components still to walk, last one on top.
        let mut pending: Vec<Vec<u8>> = path.components().rev().map(<[u8]>::to_vec).collect();
        // Always a directory of the tree (or the root).
        let mut current = ImagePath::root();
        let mut hops = 0;
        loop {
            match pending.last().map(Vec::as_slice) {
                None => return Ok(current),
                Some(b"" | b".") => {
                    pending.pop();
                    continue;
                }
                Some(b"..") => {
                    // The root's parent is the root, in a container as here: a symlink whose
                    // target climbs above the root lands on the image's `/`, never the host's.
                    pending.pop();
                    current.pop();
                    continue;
                }
                Some(_) => {}
            }
            // The run of plain names on top of the stack, joined below `current`, with where
            // each component ends.
            let run = pending
                .iter()
                .rev()
                .take_while(|c| !matches!(c.as_slice(), b"" | b"." | b".."))
                .count();
            let mut joined = current.clone();
            let mut ends = Vec::with_capacity(run);
            for component in pending.iter().rev().take(run) {
                joined.push(component);
                ends.push(joined.as_bytes().len());
            }
            let prefix = |k: usize| &joined.as_bytes()[..ends[k - 1]];
            let node_at = |k: usize| self.nodes.get(prefix(k)).map(Box::as_ref);
            // The deepest of the run's prefixes in the tree: existence is monotone along a
            // path, so bisection finds it.
            let (depth, node): (usize, Option<&Node>) = if let Some(node) = node_at(run) {
                (run, Some(node))
            } else {
                let (mut found, mut missing) = (0, run);
                let mut found_node = None;
                while missing - found > 1 {
                    let middle = found + (missing - found) / 2;
                    match node_at(middle) {
                        Some(node) => (found, found_node) = (middle, Some(node)),
                        None => missing = middle,
                    }
                }
                (found, found_node)
            };
            let waiting = pending.len();
            let is_last = |k: usize| k == run && waiting == run;
            if let Some(node) = node {
                let last = is_last(depth);
                if node.kind() == EntryKind::Symlink && (!last || follow_last) {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(Stopped {
                            error: ResolveError::TooManyLinks { path: path.clone() },
                            rest: Vec::new(),
                        });
                    }
                    let target = node.entry.symlink_target.as_deref().unwrap_or_default();
                    // The link's directory, from which a relative target starts.
                    descend(&mut current, &mut pending, depth - 1);
                    pending.pop();
                    if target.first() == Some(&b'/') {
                        current = ImagePath::root();
                    }
                    pending.extend(
                        target
                            .split(|&b| b == b'/')
                            .filter(|c| !c.is_empty())
                            .rev()
                            .map(<[u8]>::to_vec),
                    );
                    continue;
                }
                if !last && node.kind() != EntryKind::Dir {
                    descend(&mut current, &mut pending, depth);
                    return Err(Stopped {
                        error: ResolveError::NotADirectory { at: current },
                        rest: pending,
                    });
                }
            }
            if depth == run {
                descend(&mut current, &mut pending, depth);
                continue;
            }
            // The component after the deepest prefix is missing: fine only as the last one.
            let last = is_last(depth + 1);
            descend(&mut current, &mut pending, depth + 1);
            if last {
                return Ok(current);
            }
            return Err(Stopped {
                error: ResolveError::NotFound { at: current },
                rest: pending,
            });
        }
    }
}

/// Moves `count` components from the top of `pending` onto `current`.
fn descend(current: &mut ImagePath, pending: &mut Vec<Vec<u8>>, count: usize) {
    for _ in 0..count {
        let component = pending.pop().expect("the run is on the stack");
        current.push(&component);
    }
}
