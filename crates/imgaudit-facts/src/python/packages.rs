//! Which distribution package owns a file, read from the package databases without their tools:
//! dpkg's `/var/lib/dpkg/info/<pkg>[:<arch>].list` and apk's `/lib/apk/db/installed`.
//!
//! Only the lists of Python packages are captured (`*python*`), which is what ownership of a
//! stdlib, a marker or a dist-packages entry needs. rpm keeps its database in SQLite or
//! BerkeleyDB (`/var/lib/rpm`), which is not read yet; rpm-based distributions ship no PEP 668
//! marker, so a Fedora interpreter is reported as `other` with a note.

use std::collections::HashMap;

use imgaudit_layer::EntryKind;

use crate::context::{Context, image_path};
use crate::python::model::PackageManager;

/// The capture patterns this module reads.
pub(crate) const CAPTURE: &[&str] = &["/var/lib/dpkg/info/*python*.list", "/lib/apk/db/installed"];

#[derive(Debug, Default)]
pub(crate) struct Ownership {
    /// Absolute path -> (manager, package).
    owners: HashMap<String, (PackageManager, String)>,
    /// An rpm database is present (its contents are not read yet).
    pub(crate) has_rpm: bool,
}

impl Ownership {
    pub(crate) fn owner(&self, path: &str) -> Option<(PackageManager, &str)> {
        self.owners
            .get(path)
            .map(|(manager, package)| (*manager, package.as_str()))
    }

    /// Adds the paths of one dpkg `.list` file.
    pub(crate) fn add_dpkg_list(&mut self, file_name: &str, text: &str) {
        let stem = file_name.strip_suffix(".list").unwrap_or(file_name);
        let package = stem.split(':').next().unwrap_or(stem).to_owned();
        for line in text.lines() {
            if line.starts_with('/') && line.len() > 1 {
                self.owners
                    .entry(line.to_owned())
                    .or_insert((PackageManager::Dpkg, package.clone()));
            }
        }
    }

    /// Adds apk's installed database: records separated by blank lines, `P:` the package,
    /// `F:` a directory (relative) and `R:` each file in the directory before it.
    pub(crate) fn add_apk_installed(&mut self, text: &str) {
        let mut package = String::new();
        let mut dir = String::new();
        for line in text.lines() {
            if line.is_empty() {
                package.clear();
                dir.clear();
            } else if let Some(name) = line.strip_prefix("P:") {
                name.clone_into(&mut package);
            } else if let Some(d) = line.strip_prefix("F:") {
                d.clone_into(&mut dir);
                self.owners
                    .entry(format!("/{dir}"))
                    .or_insert((PackageManager::Apk, package.clone()));
            } else if let Some(file) = line.strip_prefix("R:") {
                let path = if dir.is_empty() {
                    format!("/{file}")
                } else {
                    format!("/{dir}/{file}")
                };
                self.owners
                    .entry(path)
                    .or_insert((PackageManager::Apk, package.clone()));
            }
        }
    }
}

pub(crate) fn collect(ctx: &Context<'_>) -> Ownership {
    let mut ownership = Ownership::default();
    let info = image_path("/var/lib/dpkg/info").expect("a valid path");
    for (path, node) in ctx.image.fs.children(&info) {
        if node.kind() != EntryKind::File {
            continue;
        }
        let name = String::from_utf8_lossy(path.file_name()).into_owned();
        if std::path::Path::new(&name)
            .extension()
            .is_some_and(|ext| ext == "list")
        {
            if let Some(content) = node.content() {
                ownership.add_dpkg_list(&name, &String::from_utf8_lossy(content));
            }
        }
    }
    let apk = image_path("/lib/apk/db/installed").expect("a valid path");
    if let Some(content) = ctx.content(&apk, "pythons") {
        ownership.add_apk_installed(&String::from_utf8_lossy(content));
    }
    let rpm = image_path("/var/lib/rpm").expect("a valid path");
    ownership.has_rpm = ctx.is_dir(&rpm) && ctx.image.fs.children(&rpm).next().is_some();
    ownership
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dpkg_lists() {
        // PIP-SEMANTICS.md §2.6: os.py is in libpython3.11-minimal, the marker in -stdlib.
        let mut o = Ownership::default();
        o.add_dpkg_list(
            "libpython3.11-minimal:amd64.list",
            "/.\n/usr\n/usr/lib/python3.11\n/usr/lib/python3.11/os.py\n",
        );
        o.add_dpkg_list(
            "libpython3.11-stdlib:amd64.list",
            "/usr/lib/python3.11/EXTERNALLY-MANAGED\n",
        );
        assert_eq!(
            o.owner("/usr/lib/python3.11/os.py"),
            Some((PackageManager::Dpkg, "libpython3.11-minimal"))
        );
        assert_eq!(
            o.owner("/usr/lib/python3.11/EXTERNALLY-MANAGED"),
            Some((PackageManager::Dpkg, "libpython3.11-stdlib"))
        );
        assert_eq!(o.owner("/usr/local/lib/python3.11/os.py"), None);
    }

    #[test]
    fn reads_apk_installed() {
        // PIP-SEMANTICS.md §2.6: F: directory lines, then R: files in it.
        let mut o = Ownership::default();
        o.add_apk_installed(
            "C:Q1abc=\nP:musl\nV:1.2\nF:lib\nR:ld-musl-x86_64.so.1\n\n\
             P:python3\nV:3.12.3-r1\nF:usr/lib/python3.12\nR:os.py\nZ:Q1xyz=\nR:EXTERNALLY-MANAGED\n",
        );
        assert_eq!(
            o.owner("/usr/lib/python3.12/os.py"),
            Some((PackageManager::Apk, "python3"))
        );
        assert_eq!(
            o.owner("/usr/lib/python3.12/EXTERNALLY-MANAGED"),
            Some((PackageManager::Apk, "python3"))
        );
        assert_eq!(
            o.owner("/lib/ld-musl-x86_64.so.1"),
            Some((PackageManager::Apk, "musl"))
        );
    }
}
