//! Many images in one run (`imgaudit scan IMAGE IMAGE…`, `--images-from`).
//!
//! Images are audited a few at a time by worker threads that share one [`LayerCache`], so a
//! layer several images share is read once (whoever needs it second waits for the first read).
//! A worker starts its next image only while the process's resident memory is under three
//! quarters of the memory budget (or when nothing else runs). Each image gets its own reports,
//! written as soon as it is done; a failed image is reported and the others go on. The exit
//! status is the worst of all: 2 when an image could not be audited, else 1 when one fails the
//! gate, else 0. What happens is told to a [`BatchReporter`]; nothing here prints.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use imgaudit_cache::{LayerCache, LayerOrigin};
use imgaudit_facts::redact::redact;
use imgaudit_finding::Severity;

use crate::render::{OutputTarget, ReportFormat, for_file, render_one, write_all_or_none};
use crate::{Audited, Auditor, ImageLoader};

/// What `{image}` in an output path is replaced by.
pub const IMAGE_PLACEHOLDER: &str = "{image}";
/// How long a worker waits before looking at the memory again.
const ADMISSION_POLL: Duration = Duration::from_millis(20);

/// Told as each image of a batch finishes (from the worker threads).
pub trait BatchReporter: Sync {
    /// `done` is the `count`th image of `total` to finish.
    fn finished(&self, done: &Done, count: usize, total: usize);
}

/// How a batch runs and what it writes.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Images audited at once.
    pub parallel: usize,
    /// No further image starts while the process uses more than three quarters of this.
    pub memory_budget: u64,
    /// Report files, each path holding [`IMAGE_PLACEHOLDER`].
    pub outputs: Vec<OutputTarget>,
    /// The report each image puts on standard output (text, or JSON Lines), if any.
    pub stdout_format: Option<ReportFormat>,
    /// Colour in text reports on standard output.
    pub color: bool,
}

/// What one image of the batch came to.
#[derive(Debug)]
pub struct Outcome {
    /// Its report on standard output (JSON on one line, or text), when one goes there.
    pub stdout: Option<String>,
    pub failing: usize,
    /// Unsuppressed findings in the reports, by severity (critical first).
    pub counts: [usize; 5],
    pub layers: Vec<LayerOrigin>,
    /// Whether the image's facts came from the cache directory (then no layer was read).
    pub facts_remembered: bool,
}

/// One finished image: its argument, how long it took, and its outcome or error.
#[derive(Debug)]
pub struct Done {
    pub image: String,
    pub elapsed: Duration,
    pub outcome: Result<Outcome, String>,
}

/// Refuses, before any image is read, what a batch cannot write: a SARIF or Code Quality
/// report on standard output (one per image), a file path without [`IMAGE_PLACEHOLDER`], an
/// image on standard input.
pub fn check_outputs(
    images: &[String],
    outputs: &[OutputTarget],
    stdout_format: Option<ReportFormat>,
) -> anyhow::Result<()> {
    if let Some(format @ (ReportFormat::Sarif | ReportFormat::Codequality)) = stdout_format {
        anyhow::bail!(
            "a batch writes one {} report per image: give them files with --output {}=DIR/{IMAGE_PLACEHOLDER}.{}",
            format.name(),
            format.name(),
            match format {
                ReportFormat::Sarif => "sarif",
                _ => "json",
            }
        );
    }
    for target in outputs {
        if let Some(path) = &target.path
            && !path.to_string_lossy().contains(IMAGE_PLACEHOLDER)
        {
            anyhow::bail!(
                "--output {}={}: a batch writes a report per image, so the path must hold {IMAGE_PLACEHOLDER} (reports/{IMAGE_PLACEHOLDER}.{})",
                target.format.name(),
                path.display(),
                target.format.name()
            );
        }
    }
    if images.iter().any(|i| i == "-") {
        anyhow::bail!("`-` (an image on standard input) cannot be part of a batch");
    }
    Ok(())
}

/// Refuses settings that name one image (an image name, a SARIF category) for a batch of
/// `count` images.
pub fn check_names(auditor: &Auditor, count: usize) -> anyhow::Result<()> {
    if let Some(what) = auditor.names_the_image() {
        anyhow::bail!(
            "{what} names one image; a batch of {count} images names each by its own repository"
        );
    }
    Ok(())
}

/// Audits `images` with `auditor`, reading them through `loader` with `layers` shared, and
/// returns every image's outcome in the order given.
pub fn run(
    auditor: &Auditor,
    images: &[String],
    loader: &dyn ImageLoader,
    layers: &Arc<LayerCache>,
    options: &BatchOptions,
    reporter: &dyn BatchReporter,
) -> Vec<Done> {
    let file_names = file_names(images);
    let next = AtomicUsize::new(0);
    let running = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Done>>> = Mutex::new((0..images.len()).map(|_| None).collect());
    let workers = options.parallel.clamp(1, images.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= images.len() {
                        break;
                    }
                    while running.load(Ordering::SeqCst) > 0
                        && resident_bytes().is_some_and(|rss| rss > options.memory_budget / 4 * 3)
                    {
                        std::thread::sleep(ADMISSION_POLL);
                    }
                    running.fetch_add(1, Ordering::SeqCst);
                    let begun = Instant::now();
                    let outcome = audit_one(
                        auditor,
                        loader,
                        &images[index],
                        &file_names[index],
                        options,
                        layers,
                    )
                    .map_err(|error| format!("{error:#}"));
                    running.fetch_sub(1, Ordering::SeqCst);
                    let done = Done {
                        image: images[index].clone(),
                        elapsed: begun.elapsed(),
                        outcome,
                    };
                    let count = finished.fetch_add(1, Ordering::SeqCst) + 1;
                    reporter.finished(&done, count, images.len());
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)[index] = Some(done);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .map(|d| d.expect("every image was audited"))
        .collect()
}

/// The exit status of a batch: 2 when an image could not be audited, else 1 when one fails
/// the gate, else 0.
pub fn status(done: &[Done]) -> u8 {
    if done.iter().any(|d| d.outcome.is_err()) {
        2
    } else {
        u8::from(
            done.iter()
                .any(|d| d.outcome.as_ref().is_ok_and(|o| o.failing > 0)),
        )
    }
}

/// Audits one image and writes its report files.
fn audit_one(
    auditor: &Auditor,
    loader: &dyn ImageLoader,
    image: &str,
    file_name: &str,
    options: &BatchOptions,
    layers: &Arc<LayerCache>,
) -> anyhow::Result<Outcome> {
    let (
        _,
        Audited {
            audit,
            failing,
            layers: origins,
            facts_remembered,
        },
    ) = auditor.audit_image(
        loader,
        image,
        Some(Arc::clone(layers)),
        // Two tags of one repository are two analyses in a fleet: code scanning refuses an
        // upload in which two runs share a category, and the names are unique in the batch.
        Some(format!("imgaudit/{file_name}/")),
    )?;
    let files: Vec<(PathBuf, String)> = options
        .outputs
        .iter()
        .filter_map(|target| {
            let path = expand(target.path.as_ref()?, file_name);
            let text = render_one(&audit, target.format, false);
            Some((path, for_file(target.format, &text)))
        })
        .collect();
    write_all_or_none(&files)?;
    let stdout = options.stdout_format.map(|format| match format {
        // One image per line: a stream any JSON Lines reader takes.
        ReportFormat::Json => {
            let report = render_one(&audit, format, false);
            let value: serde_json::Value =
                serde_json::from_str(&report).expect("the JSON report is JSON");
            let mut line = value.to_string();
            line.push('\n');
            line
        }
        _ => format!(
            "== {image}\n{}\n",
            render_one(&audit, format, options.color)
        ),
    });
    let mut counts = [0; 5];
    for reported in audit.findings.iter().filter(|r| r.suppressed.is_none()) {
        counts[severity_column(reported.finding.severity)] += 1;
    }
    Ok(Outcome {
        stdout,
        failing,
        counts,
        layers: origins,
        facts_remembered,
    })
}

fn severity_column(severity: Severity) -> usize {
    match severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
    }
}

/// An output path with `{image}` replaced by the image's file name.
pub fn expand(path: &Path, file_name: &str) -> PathBuf {
    PathBuf::from(path.to_string_lossy().replace(IMAGE_PLACEHOLDER, file_name))
}

/// File names for `{image}`: the argument with everything but letters, digits, `.`, `_` and `-`
/// made `_`, at most 100 characters (the end kept: it holds the tag), unique in the batch.
pub fn file_names(images: &[String]) -> Vec<String> {
    let mut taken = BTreeSet::new();
    images
        .iter()
        .map(|image| {
            let mut name = String::with_capacity(image.len());
            for c in image.chars() {
                let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                };
                if !(c == '_' && name.ends_with('_')) {
                    name.push(c);
                }
            }
            let mut name = name.trim_matches(|c| c == '_' || c == '.').to_owned();
            if name.len() > 100 {
                name = name[name.len() - 100..]
                    .trim_start_matches(['_', '.'])
                    .to_owned();
            }
            if name.is_empty() {
                "image".clone_into(&mut name);
            }
            let mut unique = name.clone();
            let mut n = 2;
            while !taken.insert(unique.clone()) {
                unique = format!("{name}-{n}");
                n += 1;
            }
            unique
        })
        .collect()
}

/// The summary table: a row per image, then the totals.
pub fn summary(done: &[Done], elapsed: Duration, fail_on: &str) -> String {
    let width = done
        .iter()
        .map(|d| d.image.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 60);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:width$}  {:7}  {:>4} {:>4} {:>4} {:>4} {:>4}  {:>6} {:>6} {:>6}  {:>6}",
        "IMAGE", "RESULT", "CRIT", "HIGH", "MED", "LOW", "INFO", "READ", "SHARED", "CACHED", "TIME"
    );
    let (mut read, mut shared, mut cached) = (0, 0, 0);
    let (mut passed, mut failing, mut errors) = (0, 0, 0);
    let mut remembered = 0;
    for d in done {
        let image = shorten(&d.image, width);
        match &d.outcome {
            Ok(o) => {
                let count = |origin| o.layers.iter().filter(|l| **l == origin).count();
                let (r, s, c) = (
                    count(LayerOrigin::Read),
                    count(LayerOrigin::Memory),
                    count(LayerOrigin::Disk),
                );
                read += r;
                shared += s;
                cached += c;
                remembered += usize::from(o.facts_remembered);
                let result = if o.failing > 0 {
                    failing += 1;
                    "failing"
                } else {
                    passed += 1;
                    "passed"
                };
                let [crit, high, med, low, info] = o.counts;
                let _ = writeln!(
                    out,
                    "{image:width$}  {result:7}  {crit:>4} {high:>4} {med:>4} {low:>4} {info:>4}  {r:>6} {s:>6} {c:>6}  {:>5.1}s",
                    d.elapsed.as_secs_f64()
                );
            }
            Err(error) => {
                errors += 1;
                let first = error.lines().next().unwrap_or_default();
                let _ = writeln!(out, "{image:width$}  error    {}", redact(first));
            }
        }
    }
    let _ = writeln!(
        out,
        "{} image{} in {:.1}s: {passed} passed, {failing} failing (at or above {fail_on}), {errors} not audited; layers: {read} read, {shared} shared in this run, {cached} from the cache; facts: {remembered} remembered",
        done.len(),
        if done.len() == 1 { "" } else { "s" },
        elapsed.as_secs_f64()
    );
    out
}

fn shorten(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(count - (width - 1)).collect();
    format!("…{tail}")
}

/// The process's resident memory, from /proc (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_unique() {
        let images = [
            "registry.example.com:5000/team/app:1.4",
            "registry.example.com:5000/team/app:1.4",
            "oci:/srv/images/app:v2",
            "../../etc/passwd",
            "///",
        ]
        .map(str::to_owned);
        assert_eq!(
            file_names(&images),
            [
                "registry.example.com_5000_team_app_1.4",
                "registry.example.com_5000_team_app_1.4-2",
                "oci_srv_images_app_v2",
                "etc_passwd",
                "image",
            ]
        );
        let long = "x".repeat(150) + ":tag";
        let name = &file_names(&[long])[0];
        assert_eq!(name.len(), 100);
        assert!(name.ends_with("_tag"));
    }
}
