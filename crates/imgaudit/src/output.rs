//! The documented JSON shapes (see `docs/json.md`) and their text renderings' helpers.
//!
//! The JSON is versioned by `schema_version`: fields may be added within a version, never
//! renamed or removed.

use imgaudit_layer::{EntryKind, ImagePath, escape_bytes};
use serde::Serialize;

pub(crate) const SCHEMA_VERSION: u32 = 1;

/// `drwxr-xr-x`, with setuid, setgid and sticky bits as `ls -l` shows them.
pub(crate) fn mode_string(kind: EntryKind, mode: u32) -> String {
    let mut out = String::with_capacity(10);
    out.push(kind.letter());
    let bit = |mask: u32, c: char| if mode & mask != 0 { c } else { '-' };
    let special = |exec: bool, set: bool, on: char, off: char| match (exec, set) {
        (true, true) => on,
        (false, true) => off,
        (true, false) => 'x',
        (false, false) => '-',
    };
    for (shift, special_mask, on, off) in [
        (6, 0o4000, 's', 'S'),
        (3, 0o2000, 's', 'S'),
        (0, 0o1000, 't', 'T'),
    ] {
        out.push(bit(0o4 << shift, 'r'));
        out.push(bit(0o2 << shift, 'w'));
        out.push(special(
            mode & (0o1 << shift) != 0,
            mode & special_mask != 0,
            on,
            off,
        ));
    }
    out
}

pub(crate) fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::File | EntryKind::Hardlink => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink => "symlink",
        EntryKind::CharDevice => "char-device",
        EntryKind::BlockDevice => "block-device",
        EntryKind::Fifo => "fifo",
    }
}

/// A symlink target as text, escaped like paths when it is not UTF-8.
pub(crate) fn link_text(target: Option<&[u8]>) -> Option<String> {
    target.map(escape_bytes)
}

pub(crate) fn path_text(path: &ImagePath) -> String {
    path.display()
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(mode_string(EntryKind::Dir, 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(EntryKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string(EntryKind::File, 0o2644), "-rw-r-Sr--");
        assert_eq!(mode_string(EntryKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(EntryKind::Symlink, 0o777), "lrwxrwxrwx");
    }
}
