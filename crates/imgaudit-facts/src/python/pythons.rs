//! Python installations: every interpreter's stdlib and kind, its site-packages and the
//! distributions in them, its pip, its PEP 668 marker; and the user sites of every home.
//!
//! An interpreter is found by its stdlib (`<prefix>/lib[64]/pythonX.Y/os.py`) and a virtual
//! environment by its `pyvenv.cfg`: nothing in the image is run.

use std::collections::{BTreeMap, BTreeSet};

use imgaudit_layer::{EntryKind, ImagePath};

use crate::Location;
use crate::accounts::User;
use crate::context::{Context, display, image_path};
use crate::python::RuntimeView;
use crate::python::model::{
    Distribution, Marker, MarkerState, PipInstall, Python, PythonKind, Shadowing, SitePackages,
    UserSite, Venv,
};
use crate::python::packages::Ownership;

/// The capture patterns this module reads.
pub(crate) const CAPTURE: &[&str] = &[
    "**/EXTERNALLY-MANAGED",
    "**/pyvenv.cfg",
    "**/*.dist-info/INSTALLER",
];

/// What one pass over the tree found.
#[derive(Debug, Default)]
struct Found {
    /// Stdlib directories (those holding `os.py`).
    stdlibs: BTreeSet<String>,
    /// `pyvenv.cfg` files.
    venv_configs: BTreeSet<String>,
    /// Directory -> distributions in it.
    distributions: BTreeMap<String, Vec<Distribution>>,
}

pub(crate) struct Installations {
    pub(crate) interpreters: Vec<Python>,
    pub(crate) user_sites: Vec<UserSite>,
    pub(crate) shadowed: Vec<Shadowing>,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn collect(
    ctx: &Context<'_>,
    ownership: &Ownership,
    users: &[User],
    runtime: &RuntimeView<'_>,
) -> Installations {
    let found = scan(ctx, ownership);
    let mut notes = Vec::new();
    let mut pythons = Vec::new();
    for stdlib in &found.stdlibs {
        let Some((prefix, version)) = split_stdlib(stdlib) else {
            continue;
        };
        let kind = base_kind(ctx, ownership, stdlib, &prefix);
        if kind == PythonKind::Other && prefix == "/usr" && ownership.has_rpm {
            notes.push(format!(
                "{stdlib}: looks like an rpm-managed Python; the rpm database is not read yet, so it is reported as `other`"
            ));
        }
        let site_dirs = site_dirs(ctx, kind, &prefix, &version);
        let stdlib_path = image_path(stdlib).expect("found in the tree");
        let owner = ownership.owner(&format!("{stdlib}/os.py"));
        let marker = marker(ctx, ownership, stdlib);
        pythons.push(Python {
            id: 0,
            kind,
            prefix,
            stdlib: Some(stdlib.clone()),
            version,
            owner_package: owner.map(|(_, p)| p.to_owned()),
            package_manager: owner.map(|(m, _)| m),
            venv: None,
            sees_user_site: !runtime.python.user_site_disabled,
            site_packages: site_packages(ctx, &found, &site_dirs),
            pip: None,
            marker: Some(marker),
            decisions: Vec::new(),
            origin: ctx.file_origin(&stdlib_path),
        });
    }
    for config in &found.venv_configs {
        if let Some(venv) = venv(ctx, &found, config, &pythons, runtime) {
            pythons.push(venv);
        }
    }
    for (id, python) in pythons.iter_mut().enumerate() {
        python.id = id;
    }
    // pip is the first `pip` distribution on the interpreter's path; a venv without its own
    // and with system site packages sees its base's.
    for i in 0..pythons.len() {
        let own = find_pip(&pythons[i].site_packages);
        let pip = own.or_else(|| {
            let venv = pythons[i].venv.as_ref()?;
            if !venv.include_system_site_packages {
                return None;
            }
            let stdlib = pythons[i].stdlib.as_deref()?;
            pythons
                .iter()
                .find(|p| p.venv.is_none() && p.stdlib.as_deref() == Some(stdlib))
                .and_then(|base| find_pip(&base.site_packages))
        });
        pythons[i].pip = pip;
    }
    let user_sites = user_sites(ctx, &found, users, runtime);
    let shadowed = shadowing(&pythons, &user_sites);
    Installations {
        interpreters: pythons,
        user_sites,
        shadowed,
        notes,
    }
}

/// One pass over the tree for stdlibs, venv configs and distribution records.
fn scan(ctx: &Context<'_>, ownership: &Ownership) -> Found {
    let mut found = Found::default();
    for (path, node) in ctx.image.fs.iter() {
        let name = path.file_name();
        if name == b"os.py" {
            let dir = display(&path.parent());
            if split_stdlib(&dir).is_some() {
                found.stdlibs.insert(dir);
            }
        } else if name == b"pyvenv.cfg" && node.kind() == EntryKind::File {
            found.venv_configs.insert(display(path));
        } else if name.ends_with(b".dist-info") || name.ends_with(b".egg-info") {
            if let Some(dist) = distribution(ctx, ownership, path, node.layer) {
                found
                    .distributions
                    .entry(display(&path.parent()))
                    .or_default()
                    .push(dist);
            }
        }
    }
    found
}

/// `/usr/lib/python3.11` -> (`/usr`, `3.11`); `None` when the path is not `.../lib[64]/pythonX.Y`.
fn split_stdlib(dir: &str) -> Option<(String, String)> {
    let (parent, leaf) = dir.rsplit_once('/')?;
    let version = leaf.strip_prefix("python")?;
    let (major, minor) = version.split_once('.')?;
    if major.is_empty()
        || minor.is_empty()
        || !major.bytes().all(|b| b.is_ascii_digit())
        || !minor.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let prefix = parent
        .strip_suffix("/lib")
        .or_else(|| parent.strip_suffix("/lib64"))?;
    let prefix = if prefix.is_empty() { "/" } else { prefix };
    Some((prefix.to_owned(), version.to_owned()))
}

fn base_kind(ctx: &Context<'_>, ownership: &Ownership, stdlib: &str, prefix: &str) -> PythonKind {
    if image_path(&format!("{prefix}/conda-meta")).is_some_and(|p| ctx.is_dir(&p)) {
        PythonKind::Conda
    } else if prefix.contains("/.pyenv/versions/") {
        PythonKind::Pyenv
    } else if prefix.contains("/uv/python/") || in_uv_python_install_dir(ctx, prefix) {
        PythonKind::Uv
    } else if ownership.owner(&format!("{stdlib}/os.py")).is_some() {
        PythonKind::Distro
    } else if prefix == "/usr/local" {
        PythonKind::SourceBuilt
    } else {
        PythonKind::Other
    }
}

/// Whether `prefix` is an installation directly under `UV_PYTHON_INSTALL_DIR` (where uv puts
/// the Pythons it manages instead of `~/.local/share/uv/python`).
fn in_uv_python_install_dir(ctx: &Context<'_>, prefix: &str) -> bool {
    ctx.env_var("UV_PYTHON_INSTALL_DIR")
        .map(|dir| dir.trim_end_matches('/'))
        .filter(|dir| dir.starts_with('/') && dir.len() > 1)
        .and_then(|dir| prefix.strip_prefix(dir)?.strip_prefix('/'))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// The site directories of a non-venv interpreter, in `sys.path` order.
fn site_dirs(ctx: &Context<'_>, kind: PythonKind, prefix: &str, version: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    if kind == PythonKind::Distro && prefix == "/usr" {
        // Debian's layout: pip writes to /usr/local/.../dist-packages, apt to /usr/lib/python3.
        dirs.push(format!("/usr/local/lib/python{version}/dist-packages"));
        dirs.push("/usr/lib/python3/dist-packages".to_owned());
        dirs.push(format!("/usr/lib/python{version}/dist-packages"));
    }
    dirs.push(format!("{prefix}/lib/python{version}/site-packages"));
    dirs.push(format!("{prefix}/lib64/python{version}/site-packages"));
    dirs.retain(|d| image_path(d).is_some_and(|p| ctx.is_dir(&p)));
    dirs
}

/// The site directories as the tree holds them: links resolved inside the image (a venv's
/// `lib64 -> lib`), each directory once.
fn site_packages(ctx: &Context<'_>, found: &Found, dirs: &[String]) -> Vec<SitePackages> {
    let mut seen = BTreeSet::new();
    dirs.iter()
        .filter_map(|dir| {
            let resolved = ctx.image.fs.resolve(&image_path(dir)?, true).ok()?;
            let path = display(&resolved);
            seen.insert(path.clone()).then(|| SitePackages {
                distributions: found.distributions.get(&path).cloned().unwrap_or_default(),
                path,
            })
        })
        .collect()
}

fn find_pip(site_packages: &[SitePackages]) -> Option<PipInstall> {
    site_packages.iter().find_map(|site| {
        site.distributions
            .iter()
            .find(|d| d.normalized_name == "pip")
            .map(|d| PipInstall {
                version: d.version.clone(),
                path: site.path.clone(),
            })
    })
}

/// A `*.dist-info` or `*.egg-info` record: name and version from its name, `INSTALLER` beside.
fn distribution(
    ctx: &Context<'_>,
    ownership: &Ownership,
    path: &ImagePath,
    layer: usize,
) -> Option<Distribution> {
    let file_name = String::from_utf8_lossy(path.file_name()).into_owned();
    let (stem, is_dist_info) = match file_name.strip_suffix(".dist-info") {
        Some(stem) => (stem, true),
        None => (file_name.strip_suffix(".egg-info")?, false),
    };
    let (name, version) = split_name_version(stem)?;
    let installer = if is_dist_info {
        ctx.content(&path.child(b"INSTALLER"), "pythons")
            .map(|bytes| String::from_utf8_lossy(bytes).trim().to_owned())
            .filter(|s| !s.is_empty())
    } else {
        None
    };
    let shown = display(path);
    Some(Distribution {
        normalized_name: normalize_name(name),
        name: name.to_owned(),
        version: version.to_owned(),
        installer,
        owned_by_package: ownership.owner(&shown).map(|(_, p)| p.to_owned()),
        // The step's command is in `history`; repeating it for thousands of records would
        // only bloat the document.
        origin: Location {
            created_by: None,
            ..ctx.layer_origin(Some(shown.clone()), Some(layer))
        },
        path: shown,
    })
}

/// `Flask_Login-0.6.3` -> (`Flask_Login`, `0.6.3`); egg-info may add `-py3.11`. The name ends at
/// the first `-` followed by a digit (dist-info names escape `-` as `_`; versions start with one).
fn split_name_version(stem: &str) -> Option<(&str, &str)> {
    let at = stem
        .char_indices()
        .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        .map(|(i, _)| i)?;
    let name = &stem[..at];
    let mut version = &stem[at + 1..];
    if let Some(cut) = version.find("-py") {
        version = &version[..cut];
    }
    (!name.is_empty()).then_some((name, version))
}

/// PEP 503: lower case, runs of `-`, `_` and `.` become one `-`.
pub(crate) fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The marker of a non-venv interpreter (PIP-SEMANTICS.md §2.1–§2.2): a regular file, or a link
/// to one inside the image, blocks even when malformed; a directory or a dangling link does not.
fn marker(ctx: &Context<'_>, ownership: &Ownership, stdlib: &str) -> Marker {
    let shown = format!("{stdlib}/EXTERNALLY-MANAGED");
    let path = image_path(&shown).expect("under a found stdlib");
    let shipped_by = ownership.owner(&shown).map(|(_, p)| p.to_owned());
    let own = ctx.image.fs.get(&path);
    let present = || {
        (
            MarkerState::Present,
            ctx.content(&path, "pythons").map(well_formed_marker),
        )
    };
    let (state, well_formed) = match own.map(imgaudit_fs::Node::kind) {
        None => (MarkerState::Absent, None),
        Some(EntryKind::Dir) => (MarkerState::Directory, None),
        Some(EntryKind::Symlink) => match ctx.node(&path, true).map(imgaudit_fs::Node::kind) {
            Some(EntryKind::File) => present(),
            Some(EntryKind::Dir) => (MarkerState::Directory, None),
            None => (MarkerState::DanglingLink, None),
            Some(_) => (MarkerState::NotAFile, None),
        },
        Some(EntryKind::File) => present(),
        // A fifo or a device is not `os.path.isfile`: pip ignores it.
        Some(_) => (MarkerState::NotAFile, None),
    };
    let removed = if state == MarkerState::Absent {
        ctx.image
            .fs
            .removal(&path)
            .map(|removal| ctx.layer_origin(Some(shown.clone()), Some(removal.layer)))
    } else {
        None
    };
    Marker {
        origin: ctx.file_origin(&path),
        path: shown,
        state,
        well_formed,
        shipped_by,
        removed,
    }
}

/// Whether a marker has what pip looks for: an `[externally-managed]` section with an `Error`
/// key (`Error-<lang>` also counts). Anything else still blocks, with pip's generic message.
fn well_formed_marker(content: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(content) else {
        return false;
    };
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == "[externally-managed]";
        } else if in_section {
            let key = line.split(['=', ':']).next().unwrap_or_default().trim();
            if key.to_ascii_lowercase().starts_with("error") && line.contains(['=', ':']) {
                return true;
            }
        }
    }
    false
}

/// A virtual environment from its `pyvenv.cfg`.
fn venv(
    ctx: &Context<'_>,
    found: &Found,
    config: &str,
    bases: &[Python],
    runtime: &RuntimeView<'_>,
) -> Option<Python> {
    let config_path = image_path(config)?;
    let prefix = config.strip_suffix("/pyvenv.cfg")?;
    let prefix = if prefix.is_empty() { "/" } else { prefix };
    let text = ctx
        .content(&config_path, "pythons")
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let value = |key: &str| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        })
    };
    // CPython's reading (default true, case-insensitive, last line wins), which decides
    // whether the user site is on `sys.path`; pip's own reading decides its refusals.
    let include_system_site_packages = match imgaudit_pip::VenvKind::from_pyvenv_cfg(&text) {
        imgaudit_pip::VenvKind::SystemSitePackages => true,
        imgaudit_pip::VenvKind::Inconsistent {
            cpython_user_site, ..
        } => cpython_user_site,
        _ => false,
    };
    let home = value("home");
    // The venv's own lib/pythonX.Y tells its version; pyvenv.cfg's `version` is a fallback.
    let lib = image_path(&format!("{prefix}/lib"))?;
    let from_dir = ctx.image.fs.children(&lib).find_map(|(p, _)| {
        let leaf = String::from_utf8_lossy(p.file_name()).into_owned();
        let v = leaf.strip_prefix("python")?;
        split_stdlib(&format!("/lib/{leaf}")).map(|_| v.to_owned())
    });
    let version = from_dir.or_else(|| {
        let full = value("version_info").or_else(|| value("version"))?;
        let mut parts = full.split('.');
        Some(format!("{}.{}", parts.next()?, parts.next()?))
    })?;
    // Its base: the interpreter whose bin directory `home` names, else any of that version.
    let base = home
        .as_deref()
        .and_then(|h| {
            let h = h.trim_end_matches('/');
            bases.iter().find(|b| {
                b.version == version && format!("{}/bin", b.prefix.trim_end_matches('/')) == h
            })
        })
        .or_else(|| bases.iter().find(|b| b.version == version));
    let site_dirs: Vec<String> = [
        format!("{prefix}/lib/python{version}/site-packages"),
        format!("{prefix}/lib64/python{version}/site-packages"),
    ]
    .into_iter()
    .filter(|d| image_path(d).is_some_and(|p| ctx.is_dir(&p)))
    .collect();
    Some(Python {
        id: 0,
        kind: PythonKind::Venv,
        prefix: prefix.to_owned(),
        stdlib: base.and_then(|b| b.stdlib.clone()),
        version,
        owner_package: None,
        package_manager: None,
        venv: Some(Venv {
            config: config.to_owned(),
            include_system_site_packages,
            home,
        }),
        sees_user_site: include_system_site_packages && !runtime.python.user_site_disabled,
        site_packages: site_packages(ctx, found, &site_dirs),
        pip: None,
        marker: None,
        decisions: Vec::new(),
        origin: ctx.file_origin(&config_path),
    })
}

/// The user site of every home, and of `PYTHONUSERBASE`: `<base>/lib/pythonX.Y/site-packages`.
fn user_sites(
    ctx: &Context<'_>,
    found: &Found,
    users: &[User],
    runtime: &RuntimeView<'_>,
) -> Vec<UserSite> {
    let mut bases: BTreeMap<String, Option<String>> = BTreeMap::new();
    for user in users {
        if user.home.starts_with('/') {
            let home = user.home.trim_end_matches('/');
            bases
                .entry(format!("{home}/.local"))
                .or_insert_with(|| Some(user.name.clone()));
        }
    }
    bases
        .entry(runtime.python.user_base.clone())
        .or_insert_with(|| runtime.user.user_name.clone());
    let mut sites = Vec::new();
    for (base, user) in bases {
        let Some(lib) = image_path(&format!("{base}/lib")) else {
            continue;
        };
        // Resolve links in the base itself inside the image (`~/.local -> /data/local`).
        let Ok(lib) = ctx.image.fs.resolve(&lib, true) else {
            continue;
        };
        for (dir, _) in ctx.image.fs.children(&lib) {
            let leaf = String::from_utf8_lossy(dir.file_name()).into_owned();
            let Some(version) = leaf.strip_prefix("python") else {
                continue;
            };
            if split_stdlib(&format!("/lib/{leaf}")).is_none() {
                continue;
            }
            let site = dir.child(b"site-packages");
            if !ctx.is_dir(&site) {
                continue;
            }
            let shown = display(&site);
            let mut entries = 0;
            let mut pth_files = Vec::new();
            for (child, _) in ctx.image.fs.children(&site) {
                entries += 1;
                if child.file_name().ends_with(b".pth") {
                    pth_files.push(display(child));
                }
            }
            sites.push(UserSite {
                user_base: base.clone(),
                python_version: version.to_owned(),
                user: user.clone(),
                runtime: base == runtime.python.user_base,
                distributions: found.distributions.get(&shown).cloned().unwrap_or_default(),
                pth_files,
                entries,
                origin: ctx.file_origin(&site),
                path: shown,
            });
        }
    }
    sites
}

/// Distributions of the runtime user's user site that shadow another version of themselves in
/// an environment of the same Python version that puts the user site on its path
/// (PIP-SEMANTICS.md §3). A `--system-site-packages` venv imports its own site-packages first,
/// then the user site, then its base's: only the base's copies can be shadowed there.
fn shadowing(pythons: &[Python], user_sites: &[UserSite]) -> Vec<Shadowing> {
    let mut out = Vec::new();
    for site in user_sites.iter().filter(|s| s.runtime) {
        for python in pythons
            .iter()
            .filter(|p| p.sees_user_site && p.version == site.python_version)
        {
            let shadowable: &[SitePackages] = match &python.venv {
                None => &python.site_packages,
                Some(_) => pythons
                    .iter()
                    .find(|b| b.venv.is_none() && b.stdlib.is_some() && b.stdlib == python.stdlib)
                    .map_or(&[], |base| base.site_packages.as_slice()),
            };
            let own: BTreeSet<&str> = match &python.venv {
                None => BTreeSet::new(),
                Some(_) => python
                    .site_packages
                    .iter()
                    .flat_map(|s| s.distributions.iter().map(|d| d.normalized_name.as_str()))
                    .collect(),
            };
            // The first copy on the path is the one imported.
            let mut installed: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
            for s in shadowable {
                for d in &s.distributions {
                    installed
                        .entry(d.normalized_name.as_str())
                        .or_insert((d.version.as_str(), s.path.as_str()));
                }
            }
            for dist in &site.distributions {
                if own.contains(dist.normalized_name.as_str()) {
                    continue;
                }
                if let Some((version, path)) = installed.get(dist.normalized_name.as_str()) {
                    if *version != dist.version {
                        out.push(Shadowing {
                            name: dist.normalized_name.clone(),
                            user_site: site.path.clone(),
                            user_version: dist.version.clone(),
                            user_origin: dist.origin.clone(),
                            python: python.id,
                            environment_path: (*path).to_owned(),
                            environment_version: (*version).to_owned(),
                        });
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_stdlib_paths() {
        assert_eq!(
            split_stdlib("/usr/lib/python3.11"),
            Some(("/usr".into(), "3.11".into()))
        );
        assert_eq!(
            split_stdlib("/opt/conda/envs/a/lib64/python3.9"),
            Some(("/opt/conda/envs/a".into(), "3.9".into()))
        );
        assert_eq!(split_stdlib("/usr/lib/python3"), None);
        assert_eq!(split_stdlib("/usr/lib/python3.11/site-packages"), None);
        assert_eq!(split_stdlib("/usr/share/python3.11"), None);
    }

    #[test]
    fn splits_distribution_names() {
        for (stem, name, version) in [
            ("pip-23.0.1", "pip", "23.0.1"),
            ("Flask_Login-0.6.3", "Flask_Login", "0.6.3"),
            ("python_apt-2.6.0", "python_apt", "2.6.0"),
            ("zope.interface-5.5.2", "zope.interface", "5.5.2"),
            ("distro-info-1.5", "distro-info", "1.5"),
            ("chardet-5.1.0-py3.11", "chardet", "5.1.0"),
        ] {
            assert_eq!(split_name_version(stem), Some((name, version)), "{stem}");
        }
        assert_eq!(split_name_version("noversion"), None);
    }

    #[test]
    fn normalizes_names_per_pep_503() {
        assert_eq!(normalize_name("Flask_Login"), "flask-login");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("A__b-.C"), "a-b-c");
    }

    #[test]
    fn judges_marker_contents() {
        // PIP-SEMANTICS.md §2.2: these all still block; only the form differs.
        assert!(well_formed_marker(
            b"[externally-managed]\nError=To install Python packages system-wide, try apt install\n"
        ));
        assert!(well_formed_marker(
            b"[externally-managed]\nError-de_DE = x\n"
        ));
        assert!(!well_formed_marker(b""));
        assert!(!well_formed_marker(b"Error=no section\n"));
        assert!(!well_formed_marker(b"[other]\nError=x\n"));
        assert!(!well_formed_marker(b"[externally-managed]\nMessage=x\n"));
        assert!(!well_formed_marker(b"\xff\xfe"));
    }
}
