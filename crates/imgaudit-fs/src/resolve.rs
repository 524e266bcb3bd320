//! Symlink resolution confined to the image root.

use imgaudit_layer::{EntryKind, ImagePath};

use crate::Filesystem;

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

impl Filesystem {
    /// Resolves `path` the way the kernel would inside a container whose root is the image root:
    /// every symlink in a directory position is followed (and the last one when `follow_last`),
    /// absolute targets restart at the image root, and `..` never climbs above it.
    pub fn resolve(&self, path: &ImagePath, follow_last: bool) -> Result<ImagePath, ResolveError> {
        // Components still to walk, last one on top.
        let mut pending: Vec<Vec<u8>> = path.components().rev().map(<[u8]>::to_vec).collect();
        let mut current = ImagePath::root();
        let mut hops = 0;
        while let Some(component) = pending.pop() {
            match component.as_slice() {
                b"" | b"." => continue,
                b".." => {
                    // The root's parent is the root, in a container as here: a symlink whose
                    // target climbs above the root lands on the image's `/`, never the host's.
                    current = current.parent();
                    continue;
                }
                _ => {}
            }
            let next = current.child(&component);
            let is_last = pending.is_empty();
            match self.get(&next) {
                Some(node) if node.kind() == EntryKind::Symlink && (!is_last || follow_last) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(ResolveError::TooManyLinks { path: path.clone() });
                    }
                    let target = node.entry.symlink_target.as_deref().unwrap_or_default();
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
                }
                Some(node) if !is_last && node.kind() != EntryKind::Dir => {
                    return Err(ResolveError::NotADirectory { at: next });
                }
                None if !is_last => return Err(ResolveError::NotFound { at: next }),
                _ => current = next,
            }
        }
        Ok(current)
    }
}
