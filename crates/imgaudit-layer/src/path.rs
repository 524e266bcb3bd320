//! Paths inside an image, kept as bytes.

use std::borrow::Borrow;
use std::fmt::{self, Write as _};

/// A normalized path inside the image root: no leading `/`, no `.` or `..` components, no empty
/// components. The root itself is the empty path. Names are bytes because layers may carry names
/// that are not UTF-8, and a container sees them as they are.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ImagePath(Vec<u8>);

/// Why a name in a layer cannot be a path inside the image root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// The name starts with `/`.
    Absolute,
    /// A `..` component climbs above the image root.
    ClimbsAboveRoot,
    /// The name holds a NUL byte.
    Nul,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Absolute => "it is absolute",
            PathProblem::ClimbsAboveRoot => "its `..` components climb above the image root",
            PathProblem::Nul => "it contains a NUL byte",
        })
    }
}

impl ImagePath {
    /// The image root.
    pub fn root() -> ImagePath {
        ImagePath(Vec::new())
    }

    /// Normalizes a relative name as written in a tar header (`./usr/bin/`, `usr//lib/../bin`).
    /// An absolute name is an error here: the layer reader decides that a leading `/` means the
    /// image root, as container runtimes do, and strips it before calling this.
    pub fn from_tar_name(name: &[u8]) -> Result<ImagePath, PathProblem> {
        if name.first() == Some(&b'/') {
            return Err(PathProblem::Absolute);
        }
        Self::join_lexically(&ImagePath::root(), name)
    }

    /// The path `bytes` spell when they are already normalized (what [`ImagePath::as_bytes`]
    /// gives: no leading or trailing `/`, no empty, `.` or `..` component, no NUL); `None`
    /// otherwise. One pass and one copy: for paths read back from a cache of this crate's own.
    pub fn from_normalized(bytes: &[u8]) -> Option<ImagePath> {
        let normalized = bytes.is_empty()
            || (!bytes.contains(&0)
                && bytes
                    .split(|&b| b == b'/')
                    .all(|component| !matches!(component, b"" | b"." | b"..")));
        normalized.then(|| ImagePath(bytes.to_vec()))
    }

    /// Joins `relative` to `self` and resolves `.` and `..` lexically, refusing to climb above
    /// the root. An absolute `relative` is an error: callers decide what `/` means.
    pub fn join_lexically(&self, relative: &[u8]) -> Result<ImagePath, PathProblem> {
        if relative.contains(&0) {
            return Err(PathProblem::Nul);
        }
        let mut out = self.0.clone();
        for component in relative.split(|&b| b == b'/') {
            match component {
                b"" | b"." => {}
                b".." => {
                    if out.is_empty() {
                        return Err(PathProblem::ClimbsAboveRoot);
                    }
                    let cut = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                    out.truncate(cut);
                }
                name => {
                    if !out.is_empty() {
                        out.push(b'/');
                    }
                    out.extend_from_slice(name);
                }
            }
        }
        Ok(ImagePath(out))
    }

    /// Appends one file name (which must not contain `/`).
    pub fn child(&self, name: &[u8]) -> ImagePath {
        debug_assert!(!name.contains(&b'/'));
        let mut out = Vec::with_capacity(self.0.len() + 1 + name.len());
        out.extend_from_slice(&self.0);
        if !out.is_empty() {
            out.push(b'/');
        }
        out.extend_from_slice(name);
        ImagePath(out)
    }

    /// Appends one file name (which must not contain `/`) in place: walking down a path this
    /// way costs its length once, where [`ImagePath::child`] copies the path at every step.
    pub fn push(&mut self, name: &[u8]) {
        debug_assert!(!name.contains(&b'/') && !name.is_empty());
        if !self.0.is_empty() {
            self.0.push(b'/');
        }
        self.0.extend_from_slice(name);
    }

    /// Goes to the parent directory in place (the root stays the root).
    pub fn pop(&mut self) {
        let cut = self.0.iter().rposition(|&b| b == b'/').unwrap_or(0);
        self.0.truncate(cut);
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path's bytes without the leading `/`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The parent directory; the root's parent is the root.
    pub fn parent(&self) -> ImagePath {
        match self.0.iter().rposition(|&b| b == b'/') {
            Some(cut) => ImagePath(self.0[..cut].to_vec()),
            None => ImagePath::root(),
        }
    }

    /// The last component; empty for the root.
    pub fn file_name(&self) -> &[u8] {
        match self.0.iter().rposition(|&b| b == b'/') {
            Some(cut) => &self.0[cut + 1..],
            None => &self.0,
        }
    }

    /// The components from the root down.
    pub fn components(&self) -> impl DoubleEndedIterator<Item = &[u8]> {
        self.0.split(|&b| b == b'/').filter(|c| !c.is_empty())
    }

    /// Bounds that enclose exactly the paths below `self` in byte order: `self/` inclusive to
    /// `self0` exclusive (`0` follows `/`). Sibling names such as `doc-base` sort between `doc`
    /// and `doc/`, so a range starting at `self` itself would stop too early. For ordered maps
    /// only: the bounds are not normalized paths.
    pub fn subtree_bounds(&self) -> (ImagePath, ImagePath) {
        let mut low = self.0.clone();
        low.push(b'/');
        let mut high = self.0.clone();
        high.push(b'/' + 1);
        (ImagePath(low), ImagePath(high))
    }

    /// Whether `self` is `ancestor` or lies below it.
    pub fn starts_with(&self, ancestor: &ImagePath) -> bool {
        ancestor.is_root()
            || (self.0.starts_with(&ancestor.0)
                && (self.0.len() == ancestor.0.len() || self.0[ancestor.0.len()] == b'/'))
    }

    /// The path as a string with a leading `/`, valid UTF-8 kept as is and other bytes written
    /// as `\xNN` (and a literal backslash as `\\`), so that every name prints unambiguously.
    pub fn display(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 1);
        out.push('/');
        push_escaped(&mut out, &self.0);
        out
    }
}

/// Writes bytes as text: valid UTF-8 as is, other bytes as `\xNN`, and `\` as `\\`.
pub fn push_escaped(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            if ch == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(ch);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// Bytes as text, escaped as [`push_escaped`] does.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    push_escaped(&mut out, bytes);
    out
}

impl fmt::Debug for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.display())
    }
}

impl fmt::Display for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// Ordered maps keyed by paths can be searched with a path's bytes, without building a path.
/// The order, equality and hash are those of the bytes.
impl Borrow<[u8]> for ImagePath {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl serde::Serialize for ImagePath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(name: &str) -> Result<String, PathProblem> {
        ImagePath::from_tar_name(name.as_bytes()).map(|p| p.display())
    }

    #[test]
    fn normalizes_tar_names() {
        assert_eq!(norm("./usr/bin/").unwrap(), "/usr/bin");
        assert_eq!(norm("usr//lib/./x/../bin").unwrap(), "/usr/lib/bin");
        assert_eq!(norm("./").unwrap(), "/");
        assert_eq!(norm("a/..").unwrap(), "/");
    }

    #[test]
    fn takes_back_exactly_the_normalized_paths() {
        for name in [
            "",
            "etc",
            "usr/lib/python3",
            "a/.hidden",
            "a/..b",
            "\u{e9}t\u{e9}",
        ] {
            let path = ImagePath::from_normalized(name.as_bytes()).unwrap();
            assert_eq!(path, ImagePath::from_tar_name(name.as_bytes()).unwrap());
        }
        for name in ["/etc", "etc/", "a//b", "./a", "a/.", "a/../b", "..", "a\0b"] {
            assert_eq!(
                ImagePath::from_normalized(name.as_bytes()),
                None,
                "{name:?}"
            );
        }
    }

    #[test]
    fn refuses_names_that_leave_the_root() {
        assert_eq!(norm("/etc/passwd"), Err(PathProblem::Absolute));
        assert_eq!(norm("../etc/passwd"), Err(PathProblem::ClimbsAboveRoot));
        assert_eq!(norm("a/../../b"), Err(PathProblem::ClimbsAboveRoot));
        assert_eq!(norm("a\0b"), Err(PathProblem::Nul));
    }

    #[test]
    fn relations_between_paths() {
        let p = ImagePath::from_tar_name(b"usr/lib/python3.11/os.py").unwrap();
        assert_eq!(p.parent().display(), "/usr/lib/python3.11");
        assert_eq!(p.file_name(), b"os.py");
        assert!(p.starts_with(&ImagePath::from_tar_name(b"usr/lib").unwrap()));
        assert!(!p.starts_with(&ImagePath::from_tar_name(b"usr/li").unwrap()));
        assert!(p.starts_with(&ImagePath::root()));
        assert_eq!(p.components().count(), 4);
        let mut walked = ImagePath::root();
        for component in p.components() {
            walked.push(component);
        }
        assert_eq!(walked, p);
        walked.pop();
        assert_eq!(walked, p.parent());
        let mut top = ImagePath::from_tar_name(b"usr").unwrap();
        top.pop();
        assert!(top.is_root());
        top.pop();
        assert!(top.is_root());
    }

    #[test]
    fn displays_non_utf8_names_unambiguously() {
        let p = ImagePath::from_tar_name(b"tmp/caf\xe9\\x").unwrap();
        assert_eq!(p.display(), "/tmp/caf\\xe9\\\\x");
    }
}
