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

/// Writes every report to a temporary file beside its destination, then renames them all into
/// place: a reader never sees half a report, and when one cannot be written none is replaced.
pub fn write_all_or_none(files: &[(PathBuf, String)]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut staged = Vec::with_capacity(files.len());
    for (path, text) in files {
        let context = || format!("cannot write the report {}", path.display());
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
        // Reports are for whoever reads the CI's artifacts: keep a replaced file's mode, else
        // the usual 0644 (a temporary file starts as 0600).
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        let mut temp = tempfile::Builder::new()
            .prefix(".imgaudit-")
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(dir)
            .with_context(context)?;
        std::io::Write::write_all(&mut temp, text.as_bytes()).with_context(context)?;
        staged.push((temp, path));
    }
    for (temp, path) in staged {
        temp.persist(path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    Ok(())
}
