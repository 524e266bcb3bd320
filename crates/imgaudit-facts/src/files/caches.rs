//! Package-manager caches in the final tree, measured from the tar headers.

use std::collections::BTreeSet;

use imgaudit_layer::{EntryKind, ImagePath};

use crate::accounts::User;
use crate::context::{Context, display, image_path};
use crate::files::model::{Cache, CacheKind};
use crate::redact::redacted;

/// Which files of a cache directory count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    /// Every regular file below it.
    All,
    /// apt's lists: not the `lock` file, not `partial/` (downloads in progress) nor
    /// `auxfiles/` (files apt keeps for itself).
    AptLists,
    /// Regular files directly in the directory whose name ends so.
    Suffix(&'static str),
}

impl Select {
    fn counts(self, relative: &[u8], node_kind: EntryKind) -> bool {
        if !matches!(node_kind, EntryKind::File | EntryKind::Hardlink) {
            return false;
        }
        match self {
            Select::All => true,
            Select::AptLists => {
                relative != b"lock"
                    && !relative.starts_with(b"partial/")
                    && !relative.starts_with(b"auxfiles/")
            }
            Select::Suffix(suffix) => {
                !relative.contains(&b'/') && relative.ends_with(suffix.as_bytes())
            }
        }
    }
}

/// The places a cache may be, in the order they are reported.
fn places(ctx: &Context<'_>, users: &[User]) -> Vec<(CacheKind, String, Select)> {
    let mut places = vec![
        (
            CacheKind::AptLists,
            "/var/lib/apt/lists".to_owned(),
            Select::AptLists,
        ),
        (
            CacheKind::AptArchives,
            "/var/cache/apt/archives".to_owned(),
            Select::Suffix(".deb"),
        ),
        (
            CacheKind::AptPkgcache,
            "/var/cache/apt".to_owned(),
            Select::Suffix(".bin"),
        ),
        (CacheKind::Apk, "/var/cache/apk".to_owned(), Select::All),
        (CacheKind::Apk, "/etc/apk/cache".to_owned(), Select::All),
    ];
    let homes: BTreeSet<String> = users
        .iter()
        .map(|u| u.home.clone())
        .chain(["/root".to_owned()])
        .filter(|home| home.starts_with('/'))
        .collect();
    let env = |name: &str| {
        ctx.env_var(name)
            .filter(|v| v.starts_with('/'))
            .map(str::to_owned)
    };
    let mut cache_homes: Vec<String> = homes
        .iter()
        .map(|home| format!("{}/.cache", home.trim_end_matches('/')))
        .collect();
    cache_homes.extend(env("XDG_CACHE_HOME"));
    for cache_home in &cache_homes {
        places.push((CacheKind::Pip, format!("{cache_home}/pip"), Select::All));
        places.push((CacheKind::Uv, format!("{cache_home}/uv"), Select::All));
        places.push((
            CacheKind::Poetry,
            format!("{cache_home}/pypoetry"),
            Select::All,
        ));
    }
    places.extend(env("PIP_CACHE_DIR").map(|dir| (CacheKind::Pip, dir, Select::All)));
    places.extend(env("UV_CACHE_DIR").map(|dir| (CacheKind::Uv, dir, Select::All)));
    for home in &homes {
        let npm = format!("{}/.npm/_cacache", home.trim_end_matches('/'));
        places.push((CacheKind::Npm, npm, Select::All));
    }
    // npm reads its settings from the environment whatever their case.
    for name in ["npm_config_cache", "NPM_CONFIG_CACHE"] {
        places.extend(env(name).map(|dir| {
            let dir = format!("{}/_cacache", dir.trim_end_matches('/'));
            (CacheKind::Npm, dir, Select::All)
        }));
    }
    places
}

pub(crate) fn collect(ctx: &Context<'_>, users: &[User]) -> Vec<Cache> {
    let mut seen: BTreeSet<ImagePath> = BTreeSet::new();
    let mut caches = Vec::new();
    for (kind, place, select) in places(ctx, users) {
        let Some(path) = image_path(&place) else {
            continue;
        };
        // Links resolved as the package manager would follow them (`/etc/apk/cache` is often a
        // link to `/var/cache/apk`); each directory is measured once.
        let Ok((dir, Some(node))) = ctx.image.fs.lookup(&path, true) else {
            continue;
        };
        if node.kind() != EntryKind::Dir || !seen.insert(dir.clone()) {
            continue;
        }
        let prefix_len = if dir.is_root() {
            0
        } else {
            dir.as_bytes().len() + 1
        };
        let (mut files, mut bytes, mut layer) = (0u64, 0u64, None);
        for (below, node) in ctx.image.fs.descendants(&dir) {
            if select.counts(&below.as_bytes()[prefix_len..], node.kind()) {
                files += 1;
                bytes = bytes.saturating_add(node.entry.size);
                layer = layer.max(Some(node.layer));
            }
        }
        let Some(layer) = layer else {
            continue;
        };
        let shown = redacted(&display(&dir));
        caches.push(Cache {
            kind,
            origin: ctx.layer_origin(Some(shown.clone()), Some(layer)),
            path: shown,
            files,
            bytes,
            layer,
        });
    }
    caches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_lists_count_neither_the_lock_nor_partial_downloads() {
        let file = EntryKind::File;
        assert!(Select::AptLists.counts(b"mirror.example_debian_dists_bookworm_InRelease", file));
        assert!(!Select::AptLists.counts(b"lock", file));
        assert!(!Select::AptLists.counts(b"partial/x_Packages.xz", file));
        assert!(!Select::AptLists.counts(b"auxfiles/x", file));
        assert!(!Select::AptLists.counts(b"partial", EntryKind::Dir));
    }

    #[test]
    fn apt_archives_count_debs_only() {
        let debs = Select::Suffix(".deb");
        assert!(debs.counts(b"curl_7.88.1-10_amd64.deb", EntryKind::File));
        assert!(!debs.counts(b"lock", EntryKind::File));
        assert!(!debs.counts(b"partial/curl_7.88.1-10_amd64.deb", EntryKind::File));
        assert!(!debs.counts(b"x.deb", EntryKind::Symlink));
    }
}
