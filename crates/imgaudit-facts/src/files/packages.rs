//! Which package installed a path, read from the package databases without their tools, and
//! whether the image changed the path after that.
//!
//! - dpkg: `/var/lib/dpkg/info/<package>[:<arch>].list`, one path per line, rewritten whenever
//!   the package is installed or upgraded; distroless images have no lists but
//!   `/var/lib/dpkg/status.d/<package>.md5sums` (`<md5>  <relative path>`, regular files only).
//!   dpkg records no modes, so "the image changed it" is told from layers: the path's last
//!   writer is a later layer than the one that last wrote its package's list. A chmod or an
//!   edit in the same `RUN` as the install, or a package reinstalled after the change, cannot be
//!   told this way.
//! - apk: `/lib/apk/db/installed`: `P:` the package, `F:` a directory (with `M:uid:gid:mode`),
//!   `R:` a file of it (with `a:uid:gid:mode`). apk writes `a:`/`M:` only for modes other than
//!   `0644` files and `0755` directories. apk rewrites the whole database at every run, so
//!   a path written by a layer after it was written last was changed by the image too.
//! - `/var/lib/dpkg/statoverride` (`owner group mode path`): modes and owners registered with
//!   `dpkg-statoverride`, by a package's scripts or by the image.
//! - rpm: its database (`/var/lib/rpm`, SQLite or BerkeleyDB) is not read. Every rpm transaction
//!   rewrites it, so a path no other database names and that a layer wrote after the database's
//!   last write was not installed by rpm; one written before or with it may have been
//!   (`ownership_unknown`).
//!
//! Only the paths the other facts need are looked up (`wanted`): each listed path whose name
//! matches one of them is resolved through the image's linked directories (`/bin/su` of a
//! merged-`/usr` system is `/usr/bin/su` in the tree) and compared.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use imgaudit_layer::{EntryKind, ImagePath};

use crate::context::{Context, display, image_path};
use crate::files::model::{Manager, PackageDatabase, PackageDb, PackageOwner, StatOverride};

/// The files this module reads.
pub(crate) const CAPTURE: &[&str] = &[
    "/var/lib/dpkg/info/*.list",
    "/var/lib/dpkg/status.d/*.md5sums",
    "/var/lib/dpkg/statoverride",
    "/lib/apk/db/installed",
    "/usr/lib/apk/db/installed",
];

/// The paths listed in a dpkg `.list` file (`/.` is the root, not a path).
pub(crate) fn dpkg_list_paths(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| line.starts_with('/') && *line != "/." && line.len() > 1)
}

/// The paths listed in a `.md5sums` file: `<md5>  <path relative to the root>`.
pub(crate) fn md5sums_paths(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines().filter_map(|line| {
        let (sum, path) = line.split_once(' ')?;
        let path = path.trim_start_matches([' ', '*']);
        (sum.len() == 32 && !path.is_empty()).then(|| format!("/{}", path.trim_start_matches('/')))
    })
}

/// The package name of a dpkg database file name (`libc6:amd64.list` -> `libc6`).
pub(crate) fn dpkg_package(file_name: &str, suffix: &str) -> String {
    let stem = file_name.strip_suffix(suffix).unwrap_or(file_name);
    stem.split(':').next().unwrap_or(stem).to_owned()
}

/// One path of apk's installed database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApkPath {
    pub(crate) package: String,
    pub(crate) path: String,
    pub(crate) dir: bool,
    /// The recorded permission bits (`0o7777`), the default when apk wrote none.
    pub(crate) mode: u32,
}

const APK_DEFAULT_FILE_MODE: u32 = 0o644;
const APK_DEFAULT_DIR_MODE: u32 = 0o755;

/// Parses apk's installed database: records separated by blank lines; `P:` the package, `F:` a
/// directory relative to the root, `R:` a file of the last `F:` directory; `M:` (after `F:`)
/// and `a:` (after `R:`) are `uid:gid:mode`, the mode in octal. Returns the packages and paths.
pub(crate) fn parse_apk_installed(text: &str) -> (usize, Vec<ApkPath>) {
    let mut packages = 0;
    let mut package = String::new();
    let mut dir = String::new();
    let mut paths: Vec<ApkPath> = Vec::new();
    // The index of the path the next `M:`/`a:` line describes.
    let mut last: Option<usize> = None;
    for line in text.lines() {
        if line.is_empty() {
            package.clear();
            dir.clear();
            last = None;
        } else if let Some(name) = line.strip_prefix("P:") {
            name.clone_into(&mut package);
            packages += 1;
        } else if let Some(d) = line.strip_prefix("F:") {
            d.trim_matches('/').clone_into(&mut dir);
            paths.push(ApkPath {
                package: package.clone(),
                path: format!("/{dir}"),
                dir: true,
                mode: APK_DEFAULT_DIR_MODE,
            });
            last = Some(paths.len() - 1);
        } else if let Some(file) = line.strip_prefix("R:") {
            let path = if dir.is_empty() {
                format!("/{file}")
            } else {
                format!("/{dir}/{file}")
            };
            paths.push(ApkPath {
                package: package.clone(),
                path,
                dir: false,
                mode: APK_DEFAULT_FILE_MODE,
            });
            last = Some(paths.len() - 1);
        } else if let Some(acl) = line.strip_prefix("M:").or_else(|| line.strip_prefix("a:")) {
            // `uid:gid:mode`, then the hash of the extended attributes when there are some.
            let mode = acl
                .split(':')
                .nth(2)
                .and_then(|m| u32::from_str_radix(m, 8).ok());
            if let (Some(i), Some(mode)) = (last, mode) {
                // `M:` belongs to a directory, `a:` to a file.
                if paths[i].dir == line.starts_with("M:") {
                    paths[i].mode = mode & 0o7777;
                }
            }
        }
    }
    (packages, paths)
}

/// One line of `/var/lib/dpkg/statoverride`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OverrideLine {
    pub(crate) owner: String,
    pub(crate) group: String,
    pub(crate) mode: String,
    pub(crate) path: String,
    pub(crate) line: u32,
}

/// Parses `owner group mode path` lines, skipping malformed ones.
pub(crate) fn parse_statoverride(text: &str) -> Vec<OverrideLine> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let mut words = line.split_whitespace();
            let (owner, group, mode, path) =
                (words.next()?, words.next()?, words.next()?, words.next()?);
            if words.next().is_some()
                || !path.starts_with('/')
                || u32::from_str_radix(mode, 8).is_err()
            {
                return None;
            }
            Some(OverrideLine {
                owner: owner.to_owned(),
                group: group.to_owned(),
                mode: mode.to_owned(),
                path: path.to_owned(),
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// The owners of the wanted paths, and the databases read.
#[derive(Debug, Default)]
pub(crate) struct Ownership {
    owners: HashMap<ImagePath, PackageOwner>,
    /// Statoverrides by the path they name, as the tree resolves it.
    overrides: HashMap<ImagePath, StatOverride>,
    pub(crate) db: PackageDb,
    /// The last layer that wrote the rpm database, when the image has one (it is not read).
    pub(crate) rpm_layer: Option<usize>,
}

impl Ownership {
    pub(crate) fn owner(&self, path: &ImagePath) -> Option<&PackageOwner> {
        self.owners.get(path)
    }

    pub(crate) fn statoverride(&self, path: &ImagePath) -> Option<&StatOverride> {
        self.overrides.get(path)
    }
}

/// Matches listed paths against the wanted ones, by name first (cheap), then through the
/// image's links.
struct Matcher<'c, 'a> {
    ctx: &'c Context<'a>,
    wanted: &'c HashSet<ImagePath>,
    names: HashSet<&'c [u8]>,
    /// Directories already resolved through the image's links: a list names thousands of files
    /// in a few directories.
    resolved_dirs: RefCell<HashMap<ImagePath, Option<ImagePath>>>,
}

impl<'c, 'a> Matcher<'c, 'a> {
    fn new(ctx: &'c Context<'a>, wanted: &'c HashSet<ImagePath>) -> Self {
        let names = wanted.iter().map(ImagePath::file_name).collect();
        Matcher {
            ctx,
            wanted,
            names,
            resolved_dirs: RefCell::new(HashMap::new()),
        }
    }

    /// The wanted path a listed path names, if any.
    fn find(&self, listed: &str) -> Option<ImagePath> {
        let name = listed.trim_end_matches('/').rsplit('/').next()?;
        if !self.names.contains(name.as_bytes()) {
            return None;
        }
        let path = image_path(listed)?;
        if self.wanted.contains(&path) {
            return Some(path);
        }
        let parent = path.parent();
        let resolved_parent = self
            .resolved_dirs
            .borrow_mut()
            .entry(parent)
            .or_insert_with_key(|parent| self.ctx.image.fs.resolve(parent, true).ok())
            .clone()?;
        let resolved = resolved_parent.child(path.file_name());
        self.wanted.contains(&resolved).then_some(resolved)
    }
}

/// Reads the package databases and finds the owners of `wanted` (paths of the tree).
pub(crate) fn collect(ctx: &Context<'_>, wanted: &HashSet<ImagePath>) -> Ownership {
    let mut ownership = Ownership::default();
    let matcher = Matcher::new(ctx, wanted);
    read_dpkg_dir(
        ctx,
        &matcher,
        &mut ownership,
        "/var/lib/dpkg/info",
        ".list",
        Manager::Dpkg,
    );
    read_dpkg_dir(
        ctx,
        &matcher,
        &mut ownership,
        "/var/lib/dpkg/status.d",
        ".md5sums",
        Manager::DpkgStatusD,
    );
    read_apk(ctx, &matcher, &mut ownership);
    read_statoverride(ctx, &mut ownership);
    let rpm = image_path("/var/lib/rpm").expect("a valid path");
    if ctx.is_dir(&rpm) && ctx.image.fs.children(&rpm).next().is_some() {
        let layer = ctx
            .image
            .fs
            .descendants(&rpm)
            .map(|(_, node)| node.layer)
            .max();
        ownership.rpm_layer = layer;
        ownership.db.databases.push(PackageDatabase {
            manager: Manager::Rpm,
            path: display(&rpm),
            packages: None,
            ownership_read: false,
            origin: ctx.layer_origin(Some(display(&rpm)), layer),
        });
    }
    ownership
}

fn read_dpkg_dir(
    ctx: &Context<'_>,
    matcher: &Matcher<'_, '_>,
    ownership: &mut Ownership,
    dir: &str,
    suffix: &str,
    manager: Manager,
) {
    let dir = image_path(dir).expect("a valid path");
    let mut packages = 0;
    let mut last_layer = None;
    for (path, node) in ctx.image.fs.children(&dir) {
        let name = String::from_utf8_lossy(path.file_name());
        if node.kind() != EntryKind::File || !name.ends_with(suffix) {
            continue;
        }
        packages += 1;
        last_layer = last_layer.max(Some(node.layer));
        let Some(content) = ctx.content(path, "special_files") else {
            continue;
        };
        let text = String::from_utf8_lossy(content);
        let package = dpkg_package(&name, suffix);
        let mut add = |listed: &str| {
            if let Some(found) = matcher.find(listed) {
                ownership.owners.entry(found).or_insert(PackageOwner {
                    manager,
                    name: package.clone(),
                    record_layer: Some(node.layer),
                    recorded_mode: None,
                });
            }
        };
        if manager == Manager::Dpkg {
            dpkg_list_paths(&text).for_each(&mut add);
        } else {
            md5sums_paths(&text).for_each(|p| add(&p));
        }
    }
    if packages > 0 {
        ownership.db.databases.push(PackageDatabase {
            manager,
            path: display(&dir),
            packages: Some(packages),
            ownership_read: true,
            origin: ctx.layer_origin(Some(display(&dir)), last_layer),
        });
    }
}

fn read_apk(ctx: &Context<'_>, matcher: &Matcher<'_, '_>, ownership: &mut Ownership) {
    for db in ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"] {
        let path = image_path(db).expect("a valid path");
        let Some(content) = ctx.content(&path, "special_files") else {
            continue;
        };
        let layer = ctx
            .image
            .fs
            .lookup(&path, true)
            .ok()
            .and_then(|(_, n)| n)
            .map(|n| n.layer);
        let (packages, paths) = parse_apk_installed(&String::from_utf8_lossy(content));
        for listed in paths {
            if let Some(found) = matcher.find(&listed.path) {
                ownership.owners.entry(found).or_insert(PackageOwner {
                    manager: Manager::Apk,
                    name: listed.package,
                    record_layer: layer,
                    recorded_mode: Some(format!("{:04o}", listed.mode)),
                });
            }
        }
        ownership.db.databases.push(PackageDatabase {
            manager: Manager::Apk,
            path: display(&path),
            packages: Some(packages),
            ownership_read: true,
            origin: ctx.layer_origin(Some(display(&path)), layer),
        });
        // `/lib/apk` is a link to `/usr/lib/apk` on newer Alpine: one database, read once.
        return;
    }
}

fn read_statoverride(ctx: &Context<'_>, ownership: &mut Ownership) {
    let path = image_path("/var/lib/dpkg/statoverride").expect("a valid path");
    let Some(content) = ctx.content(&path, "package_db") else {
        return;
    };
    let origin = ctx.file_origin(&path);
    for line in parse_statoverride(&String::from_utf8_lossy(content)) {
        let record = StatOverride {
            path: line.path.clone(),
            owner: line.owner,
            group: line.group,
            mode: line.mode,
            origin: crate::Location {
                line: Some(line.line),
                ..origin.clone()
            },
        };
        if let Some(listed) = image_path(&line.path) {
            let resolved = ctx
                .image
                .fs
                .resolve(&listed.parent(), true)
                .map_or(listed.clone(), |parent| parent.child(listed.file_name()));
            ownership.overrides.insert(resolved, record.clone());
        }
        ownership.db.statoverrides.push(record);
    }
}

/// Whether the image changed a packaged path after its package installed it, and what shows it.
pub(crate) fn changed_after_install(
    owner: &PackageOwner,
    mode: u32,
    layer: usize,
) -> (bool, String) {
    let mode = mode & 0o7777;
    if let Some(recorded) = owner
        .recorded_mode
        .as_deref()
        .and_then(|m| u32::from_str_radix(m, 8).ok())
    {
        if recorded != mode {
            return (
                true,
                format!(
                    "its mode is {mode:04o} and {} records {recorded:04o} for {}",
                    manager_name(owner.manager),
                    owner.name
                ),
            );
        }
    }
    match owner.record_layer {
        Some(record) if layer > record => (
            true,
            format!(
                "layer {layer} wrote it after layer {record} last wrote the {} record of {}",
                manager_name(owner.manager),
                owner.name
            ),
        ),
        Some(record) => (
            false,
            format!(
                "last written by layer {layer}, no later than the {} record of {} (layer {record})",
                manager_name(owner.manager),
                owner.name
            ),
        ),
        None => (false, String::new()),
    }
}

fn manager_name(manager: Manager) -> &'static str {
    match manager {
        Manager::Dpkg | Manager::DpkgStatusD => "dpkg",
        Manager::Apk => "apk",
        Manager::Rpm => "rpm",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dpkg_lists_without_the_root_entry() {
        let paths: Vec<_> =
            dpkg_list_paths("/.\n/bin\n/bin/su\n\n/usr/share/doc/login\n").collect();
        assert_eq!(paths, ["/bin", "/bin/su", "/usr/share/doc/login"]);
        assert_eq!(dpkg_package("login:amd64.list", ".list"), "login");
        assert_eq!(dpkg_package("base-files.list", ".list"), "base-files");
    }

    #[test]
    fn reads_distroless_md5sums() {
        let text = "d41d8cd98f00b204e9800998ecf8427e  usr/bin/passwd\n\
                    0123456789abcdef0123456789abcdef *usr/lib/os-release\n\
                    short  usr/bin/nothing\n";
        let paths: Vec<_> = md5sums_paths(text).collect();
        assert_eq!(paths, ["/usr/bin/passwd", "/usr/lib/os-release"]);
        assert_eq!(dpkg_package("libc6.md5sums", ".md5sums"), "libc6");
    }

    #[test]
    fn reads_apk_installed_with_modes() {
        let text = "C:Q1abc=\nP:busybox\nV:1.36.1-r29\nF:bin\nM:0:0:755\nR:busybox\na:0:0:755\nZ:Q1x=\n\
                    R:bbsuid\na:0:0:4111\nR:ping\na:0:0:755:Q1xattrhash=\nF:etc\nR:motd\n\n\
                    P:tzdata\nF:var/spool/cron\nM:0:0:1777\nR:crontab\n";
        let (packages, paths) = parse_apk_installed(text);
        assert_eq!(packages, 2);
        let find = |p: &str| paths.iter().find(|x| x.path == p).unwrap();
        assert_eq!(find("/bin/bbsuid").mode, 0o4111);
        assert_eq!(find("/bin/bbsuid").package, "busybox");
        assert_eq!(find("/bin/busybox").mode, 0o755);
        // With extended attributes (a capability), their hash follows the mode.
        assert_eq!(find("/bin/ping").mode, 0o755);
        // No `a:` line: apk's default for files.
        assert_eq!(find("/etc/motd").mode, 0o644);
        assert!(find("/etc").dir);
        assert_eq!(find("/etc").mode, 0o755);
        assert_eq!(find("/var/spool/cron").mode, 0o1777);
        assert_eq!(find("/var/spool/cron/crontab").package, "tzdata");
        assert_eq!(find("/var/spool/cron/crontab").mode, 0o644);
    }

    #[test]
    fn reads_statoverride_and_skips_malformed_lines() {
        let lines = parse_statoverride(
            "root crontab 2755 /usr/bin/crontab\nbroken\nroot root 9999 /x\nroot root 4755 relative\n\
             root messagebus 4754 /usr/lib/dbus-1.0/dbus-daemon-launch-helper\n",
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].path, "/usr/bin/crontab");
        assert_eq!(lines[0].group, "crontab");
        assert_eq!(lines[0].mode, "2755");
        assert_eq!(lines[1].line, 5);
    }

    #[test]
    fn a_change_shows_in_the_mode_apk_records_or_in_the_layers() {
        let apk = |mode: &str| PackageOwner {
            manager: Manager::Apk,
            name: "busybox".into(),
            record_layer: Some(1),
            recorded_mode: Some(mode.into()),
        };
        assert!(!changed_after_install(&apk("4111"), 0o4111, 1).0);
        let (changed, how) = changed_after_install(&apk("0755"), 0o4755, 1);
        assert!(changed);
        assert!(how.contains("4755") && how.contains("0755"), "{how}");
        assert!(changed_after_install(&apk("4111"), 0o4111, 2).0);
        let dpkg = PackageOwner {
            manager: Manager::Dpkg,
            name: "login".into(),
            record_layer: Some(0),
            recorded_mode: None,
        };
        assert!(!changed_after_install(&dpkg, 0o4755, 0).0);
        let (changed, how) = changed_after_install(&dpkg, 0o4755, 3);
        assert!(changed);
        assert!(how.contains("layer 3") && how.contains("login"), "{how}");
    }
}
