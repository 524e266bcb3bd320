//! The files domain: the paths of the final tree that matter to the hygiene rules, with their
//! type, mode, owner, size, layer, history step and the package that installed them; the
//! leftovers of the build context; package-manager caches; the package databases.
//!
//! # What is listed, and why not every path
//!
//! The merged tree knows every path's metadata, but an image of 100,000 files would make a
//! document of tens of megabytes that every rule's evaluation walks: seconds of Rego for nothing.
//! The document holds, each with the full record ([`SpecialFile`]):
//! - every setuid or setgid regular file, the distribution's own included (a rule tells them
//!   apart by [`SpecialFile::package`] and [`SpecialFile::changed_after_install`]);
//! - every world-writable regular file or directory, sticky ones (`/tmp`) included, so that a
//!   rule sees why it does not flag them. Symbolic links (always `0777`) and device nodes are
//!   not listed: their mode grants nothing.
//!
//! The other keys summarize: [`Leftover`]s (version-control directories and `.env` files, with
//! their files and bytes), [`Cache`]s (the bytes a package manager's cache holds), the package
//! databases ([`PackageDb`]). A rule that needs another kind of path (a file owned by an
//! unknown uid, say) needs a new key here: that is where the tree is walked, once, in Rust.
//!
//! # Leftovers
//!
//! `.git` (a directory, or a worktree's `.git` file), `.svn`, `.hg` and `.bzr` directories,
//! `.env` and `.env.NAME` files and direnv's `.envrc`, as regular files. Not leftovers: a
//! directory named `.env` (a virtual environment, as `python -m venv .env` makes), the
//! templates projects commit on purpose (`.env.example`, `.env.sample`, `.env.template`,
//! `.env.dist`, `.env.defaults`), and whatever sits below another leftover. Leftovers inside a
//! dependency directory (`site-packages`, `dist-packages`, `node_modules`) came with a
//! dependency, not with the build context: they are listed with
//! [`Leftover::inside_dependency`] set, and so are those a package installed
//! ([`Leftover::package`]).
//!
//! # Caches
//!
//! apt's lists (`/var/lib/apt/lists`, without `lock`, `partial/` and `auxfiles/`), downloaded
//! `.deb`s (`/var/cache/apt/archives/*.deb`) and binary caches (`/var/cache/apt/*.bin`); apk's
//! (`/var/cache/apk`, `/etc/apk/cache`); and, in every home of `/etc/passwd`, `/root` and the
//! directories the config's `Env` names, pip's (`~/.cache/pip`, `PIP_CACHE_DIR`), uv's
//! (`~/.cache/uv`, `UV_CACHE_DIR`), poetry's (`~/.cache/pypoetry`) and npm's (`~/.npm/_cacache`,
//! `$npm_config_cache/_cacache`). Sizes come from the tar headers: no content is read. A cache
//! directory without files (an emptied apt lists directory) is not listed.

mod caches;
mod model;
mod packages;
mod tree;

pub use model::*;

use crate::accounts::User;
use crate::context::Context;

/// The files the files domain reads.
pub(crate) const CAPTURE: &[&str] = packages::CAPTURE;

/// What the files domain found.
pub(crate) struct Collected {
    pub(crate) facts: FilesFacts,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn collect(ctx: &Context<'_>, users: &[User]) -> Collected {
    let found = tree::walk(ctx);
    let ownership = packages::collect(ctx, &found.wanted());
    let special_files = found
        .special
        .iter()
        .map(|candidate| tree::special_file(ctx, &ownership, candidate))
        .collect();
    let leftovers = found
        .leftovers
        .iter()
        .map(|candidate| tree::leftover(ctx, &ownership, candidate))
        .collect();
    let mut notes = found.notes;
    if ownership.db.databases.iter().any(|db| !db.ownership_read) {
        notes.push(
            "the image has an rpm database, which is not read: setuid and setgid files written no later than it may belong to an rpm package (ownership_unknown)"
                .to_owned(),
        );
    }
    Collected {
        facts: FilesFacts {
            special_files,
            leftovers,
            caches: caches::collect(ctx, users),
            package_db: ownership.db,
        },
        notes,
    }
}
