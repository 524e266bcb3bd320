//! The document types of the files domain.

use schemars::JsonSchema;
use serde::Serialize;

use crate::Location;

/// The files domain's part of the document.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct FilesFacts {
    /// Every setuid or setgid regular file, and every world-writable regular file or directory
    /// (sticky or not), of the final tree, in path order. The rest of the tree is not listed.
    pub special_files: Vec<SpecialFile>,
    /// Version-control directories and environment files left from the build context.
    pub leftovers: Vec<Leftover>,
    /// Package-manager caches holding files in the final tree.
    pub caches: Vec<Cache>,
    /// The package databases found and what was read of them.
    pub package_db: PackageDb,
}

/// The type of a path of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    File,
    Dir,
}

/// A package database format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Manager {
    /// `/var/lib/dpkg/info/*.list`.
    Dpkg,
    /// Distroless's `/var/lib/dpkg/status.d/<package>.md5sums`.
    DpkgStatusD,
    /// `/lib/apk/db/installed`.
    Apk,
    /// `/var/lib/rpm` (not read).
    Rpm,
}

/// A setuid, setgid or world-writable path with everything the tree knows of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SpecialFile {
    pub path: String,
    pub kind: PathKind,
    /// The permission bits as `ls` and `chmod` write them, four octal digits (`4755`).
    pub mode: String,
    /// The same bits as a number (`0o7777` at most).
    pub mode_bits: u32,
    pub setuid: bool,
    pub setgid: bool,
    pub sticky: bool,
    /// Writable by every user (`o+w`).
    pub world_writable: bool,
    pub uid: u64,
    pub gid: u64,
    /// Bytes of a regular file (0 for a directory).
    pub size: u64,
    /// The layer that last wrote the path (index into `layers`).
    pub layer: usize,
    pub history_step: Option<usize>,
    pub origin: Location,
    /// The package whose file list names the path, when a package database says so.
    pub package: Option<PackageOwner>,
    /// No database read names the path, but an rpm database (not read) was written by the same
    /// or a later layer: an rpm package may have installed it.
    pub ownership_unknown: bool,
    /// `dpkg-statoverride`'s registered owner and mode for the path, if any.
    pub statoverride: Option<StatOverride>,
    /// For a packaged path: whether the image changed it after the package installed it
    /// (`changed_how` says what shows it); `None` when no package owns it.
    pub changed_after_install: Option<bool>,
    pub changed_how: Option<String>,
}

/// The package that installed a path.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PackageOwner {
    pub manager: Manager,
    pub name: String,
    /// The layer that last wrote the package's record: dpkg's `.list` (rewritten when the
    /// package is installed or upgraded), distroless's `.md5sums`, apk's whole database
    /// (rewritten by every `apk` run).
    pub record_layer: Option<usize>,
    /// The mode the package database records for the path (apk's `a:`/`M:` lines; apk leaves
    /// out `0644` files and `0755` directories, which are written here). dpkg records no modes.
    pub recorded_mode: Option<String>,
}

/// A line of `/var/lib/dpkg/statoverride`: `owner group mode path`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StatOverride {
    pub path: String,
    pub owner: String,
    pub group: String,
    /// As written (octal).
    pub mode: String,
    pub origin: Location,
}

/// What a leftover of the build context is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeftoverKind {
    /// A `.git` directory, or the `.git` file of a worktree or submodule.
    Git,
    Subversion,
    Mercurial,
    Bazaar,
    /// A `.env` or `.env.NAME` file, other than the templates projects commit
    /// (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults`).
    Env,
    /// direnv's `.envrc`.
    Envrc,
}

/// A file or directory of the build context that an application image rarely needs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Leftover {
    pub path: String,
    pub kind: LeftoverKind,
    pub path_kind: PathKind,
    /// Regular files at or below the path, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// The last layer that wrote the path or anything below it.
    pub layer: usize,
    pub origin: Location,
    /// The dependency directory it sits in (`site-packages`, `dist-packages`, `node_modules`),
    /// where it came with a dependency rather than with the build context.
    pub inside_dependency: Option<String>,
    /// The package whose file list names it.
    pub package: Option<PackageOwner>,
}

/// Whose files a cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CacheKind {
    /// `/var/lib/apt/lists`: the package indexes `apt-get update` downloads.
    AptLists,
    /// `/var/cache/apt/archives/*.deb`: downloaded packages.
    AptArchives,
    /// `/var/cache/apt/*.bin`: apt's binary package caches.
    AptPkgcache,
    /// `/var/cache/apk`, `/etc/apk/cache`.
    Apk,
    /// `~/.cache/pip`, `$PIP_CACHE_DIR`.
    Pip,
    /// `~/.cache/uv`, `$UV_CACHE_DIR`.
    Uv,
    /// `~/.cache/pypoetry`.
    Poetry,
    /// `~/.npm/_cacache`, `$npm_config_cache/_cacache`.
    Npm,
}

/// A package-manager cache with files in the final tree.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Cache {
    pub kind: CacheKind,
    /// The directory, as the image's links resolve it.
    pub path: String,
    /// The regular files of the cache (indexes, packages, wheels...) and their bytes, as the
    /// tar headers give them.
    pub files: u64,
    pub bytes: u64,
    /// The last layer that added to it.
    pub layer: usize,
    pub origin: Location,
}

/// The package databases of the image.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct PackageDb {
    pub databases: Vec<PackageDatabase>,
    /// `/var/lib/dpkg/statoverride`: modes and owners registered with `dpkg-statoverride`.
    pub statoverrides: Vec<StatOverride>,
}

/// One package database.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PackageDatabase {
    pub manager: Manager,
    pub path: String,
    /// Packages whose file lists were read (`None` when the database is not read).
    pub packages: Option<usize>,
    /// False for a database whose format is not read (rpm): paths it installed count as owned
    /// by no package, and rules should say so.
    pub ownership_read: bool,
    pub origin: Location,
}
