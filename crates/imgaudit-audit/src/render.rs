//! Reports: which to write where, rendering, and writing them all or none.

use std::path::{Path, PathBuf};

use anyhow::Context;
use imgaudit_report::Audit;

/// The formats of a scan report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// For people: grouped by rule, with evidence and fixes.
    Text,
    /// The documented JSON report (`docs/json.md`).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitLab's Code Quality report.
    Codequality,
}

impl ReportFormat {
    /// The name `--output` takes (`sarif`).
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Text => "text",
            ReportFormat::Json => "json",
            ReportFormat::Sarif => "sarif",
            ReportFormat::Codequality => "codequality",
        }
    }
}

/// One report to write: a format, and a file (`None` for standard output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputTarget {
    pub format: ReportFormat,
    pub path: Option<PathBuf>,
}

/// The reports to write: `outputs`, plus `stdout_format` (or text) on standard output when no
/// output goes there. At most one report goes to standard output, and no file is named twice.
pub fn outputs(
    mut outputs: Vec<OutputTarget>,
    stdout_format: Option<ReportFormat>,
) -> anyhow::Result<Vec<OutputTarget>> {
    if let Some(format) = stdout_format {
        outputs.push(OutputTarget { format, path: None });
    } else if outputs.is_empty() {
        outputs.push(OutputTarget {
            format: ReportFormat::Text,
            path: None,
        });
    }
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        anyhow::bail!(
            "only one report can go to standard output: give the others a file with --output FORMAT=PATH"
        );
    }
    let mut seen: Vec<&Path> = Vec::new();
    for path in outputs.iter().filter_map(|o| o.path.as_deref()) {
        if seen.contains(&path) {
            anyhow::bail!("--output names {} twice", path.display());
        }
        seen.push(path);
    }
    Ok(outputs)
}

/// One report, rendered whole. `color` is for the text report on a terminal.
pub fn render_one(audit: &Audit, format: ReportFormat, color: bool) -> String {
    match format {
        ReportFormat::Text => imgaudit_report::text::render(audit, color),
        ReportFormat::Json => imgaudit_report::json::render(audit),
        ReportFormat::Sarif => imgaudit_report::sarif::render(audit),
        ReportFormat::Codequality => imgaudit_report::codequality::render(audit),
    }
}

/// Renders the reports `outputs` ask for: the one for standard output (with colour when
/// `color`), and the files, made ready to write ([`for_file`]). Standard output is returned as
/// rendered: the caller masks it and makes it inert as it prints it (the `imgaudit` binary's
/// printer does, with `imgaudit_facts::redact` and `imgaudit_report::inert`). Everything is
/// rendered before anything is written, so that a failure leaves no half report.
pub fn render(
    audit: &Audit,
    outputs: &[OutputTarget],
    color: bool,
) -> (String, Vec<(PathBuf, String)>) {
    let mut stdout = String::new();
    let mut files = Vec::new();
    for target in outputs {
        let to_stdout = target.path.is_none();
        let text = render_one(audit, target.format, color && to_stdout);
        match &target.path {
            None => stdout = text,
            Some(path) => files.push((path.clone(), for_file(target.format, &text))),
        }
    }
    (stdout, files)
}

/// A report as a file holds it: credentials masked, and a text report (which CI jobs print)
/// made inert like the terminal's. The JSON formats escape control characters themselves.
pub fn for_file(format: ReportFormat, text: &str) -> String {
    let redacted = imgaudit_facts::redact::redact(text);
    match format {
        ReportFormat::Text => imgaudit_report::inert::for_terminal(&redacted, false).into_owned(),
        _ => redacted.into_owned(),
    }
}

/// Links followed to find where a report goes, at most (the kernel's own limit is 40).
const MAX_LINKS: usize = 40;

/// Where a report is written, once links are followed.
#[derive(Debug)]
enum Destination {
    /// A regular file, or none yet: written beside it and renamed into place. A link to it
    /// stays a link.
    File(PathBuf),
    /// A device, a FIFO, a socket, or an open descriptor's name (`/dev/stdout`,
    /// `/proc/self/fd/N`): written through, since renaming a file over it would replace the
    /// device or link with a regular file, or leave the descriptor's holder writing to a
    /// deleted one.
    Through(PathBuf),
}

fn destination(path: &Path) -> anyhow::Result<Destination> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        let metadata = match std::fs::symlink_metadata(&current) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Destination::File(current));
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot write the report {}", path.display()));
            }
        };
        let kind = metadata.file_type();
        if kind.is_symlink() {
            // The links of /proc name open descriptors (a pipe, a terminal, a file the shell
            // redirected to), not paths that can be replaced.
            if current.starts_with("/proc") {
                return Ok(Destination::Through(path.to_owned()));
            }
            let target = std::fs::read_link(&current)
                .with_context(|| format!("cannot write the report {}", path.display()))?;
            current = match current.parent() {
                Some(dir) => dir.join(target),
                None => target,
            };
            continue;
        }
        if kind.is_dir() {
            anyhow::bail!(
                "cannot write the report {}: it is a directory",
                path.display()
            );
        }
        return Ok(if kind.is_file() {
            Destination::File(current)
        } else {
            Destination::Through(path.to_owned())
        });
    }
    anyhow::bail!(
        "cannot write the report {}: it is a chain of more than {MAX_LINKS} links",
        path.display()
    )
}

/// Writes every report to a temporary file beside its destination, then renames them all into
/// place: a reader never sees half a report, and when one cannot be written none is replaced.
/// A link is followed to the file it names, which is replaced (the link stays a link); a device,
/// FIFO or descriptor (`/dev/stdout`) is written to directly, after every file was staged.
pub fn write_all_or_none(files: &[(PathBuf, String)]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut staged = Vec::with_capacity(files.len());
    let mut through = Vec::new();
    for (named, text) in files {
        let context = || format!("cannot write the report {}", named.display());
        let path = match destination(named)? {
            Destination::File(path) => path,
            Destination::Through(path) => {
                through.push((path, text));
                continue;
            }
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
        // Reports are for whoever reads the CI's artifacts: keep a replaced file's mode, else
        // the usual 0644 (a temporary file starts as 0600).
        let mode = std::fs::metadata(&path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        let mut temp = tempfile::Builder::new()
            .prefix(".imgaudit-")
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(dir)
            .with_context(context)?;
        std::io::Write::write_all(&mut temp, text.as_bytes()).with_context(context)?;
        staged.push((temp, path, named));
    }
    for (path, text) in through {
        let context = || format!("cannot write the report {}", path.display());
        // Appending writes where a descriptor's holder would, and is harmless on a device.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(context)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).with_context(context)?;
    }
    for (temp, path, named) in staged {
        temp.persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write the report {}", named.display()))?;
    }
    Ok(())
}
