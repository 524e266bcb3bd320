//! Embeds the built-in policies: walks `../../policies` (relative to this crate) and writes a
//! list of `(relative path, include_str!(absolute path))` for every `*.rego` and `*.md` file to
//! `$OUT_DIR/builtin_policies.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn main() -> io::Result<()> {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("../../policies");
    println!("cargo:rerun-if-changed={}", root.display());

    let mut files = Vec::new();
    if root.is_dir() {
        let root = root.canonicalize()?;
        walk(&root, &root, &mut files)?;
    }
    files.sort();

    let mut out = String::from(
        "/// Built-in policy files: path relative to `policies/` (`/`-separated) and contents.\n\
         pub(crate) static BUILTIN_FILES: &[(&str, &str)] = &[\n",
    );
    for (relative, absolute) in &files {
        let absolute = absolute.to_str().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("non-UTF-8 path {}", absolute.display()),
            )
        })?;
        writeln!(out, "    ({relative:?}, include_str!({absolute:?})),").expect("write to String");
    }
    out.push_str("];\n");

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    fs::write(out_dir.join("builtin_policies.rs"), out)
}

/// Collects `*.rego` and `*.md` files under `dir` as (relative path, absolute path), emitting a
/// `rerun-if-changed` line for every directory and file seen.
fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries = fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let kind = fs::metadata(&path)?;
        if kind.is_dir() {
            walk(root, &path, files)?;
        } else if kind.is_file()
            && Path::new(name)
                .extension()
                .is_some_and(|ext| ext == "rego" || ext == "md")
        {
            println!("cargo:rerun-if-changed={}", path.display());
            let relative = path
                .strip_prefix(root)
                .expect("walked path lies under the root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((relative, path));
        }
    }
    Ok(())
}
