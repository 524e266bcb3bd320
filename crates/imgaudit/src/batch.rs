//! `imgaudit scan IMAGE IMAGE…` and `--images-from`: many images in one run.
//!
//! Images are audited a few at a time by worker threads that share one [`LayerCache`], so a
//! layer several images share is read once (whoever needs it second waits for the first read).
//! A worker starts its next image only while the process's resident memory is under three
//! quarters of `--memory-budget` (or when nothing else runs). Each image gets its own reports,
//! written as soon as it is done; a failed image is reported and the others go on. The exit
//! status is the worst of all: 2 when an image could not be audited, else 1 when one fails the
//! gate, else 0.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use imgaudit_cache::LayerCache;
use imgaudit_facts::redact::redact;
use imgaudit_loader::Origin;
use imgaudit_policy::Severity;

use crate::Report;
use crate::args::{GlobalArgs, OutputTarget, ReportFormat, ScanArgs};
use crate::scan::{self, Audited, Prepared};

/// What `{image}` in an output path is replaced by.
const IMAGE_PLACEHOLDER: &str = "{image}";
/// How long a worker waits before looking at the memory again.
const ADMISSION_POLL: Duration = Duration::from_millis(20);

/// The images a scan names: its arguments, then the lines of `--images-from`.
pub(crate) fn image_list(args: &ScanArgs) -> anyhow::Result<Vec<String>> {
    let mut images = args.images.clone();
    if let Some(path) = &args.images_from {
        let context = || format!("--images-from: cannot read {}", path.display());
        let lines: Vec<String> = if path.as_os_str() == "-" {
            std::io::stdin()
                .lock()
                .lines()
                .collect::<Result<_, _>>()
                .with_context(context)?
        } else {
            std::fs::read_to_string(path)
                .with_context(context)?
                .lines()
                .map(str::to_owned)
                .collect()
        };
        images.extend(
            lines
                .iter()
                .map(|line| {
                    line.split_once('#')
                        .map_or(line.as_str(), |(l, _)| l)
                        .trim()
                })
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
        if images.is_empty() {
            anyhow::bail!("--images-from: {} lists no image", path.display());
        }
    }
    Ok(images)
}

/// What one image of the batch came to.
struct Outcome {
    /// Its report on standard output (JSON on one line, or text), when one goes there.
    stdout: Option<String>,
    failing: usize,
    /// Unsuppressed findings in the reports, by severity (critical first).
    counts: [usize; 5],
    layers: Vec<Origin>,
}

struct Done {
    image: String,
    elapsed: Duration,
    outcome: Result<Outcome, String>,
}

pub(crate) fn run(
    global: &GlobalArgs,
    args: &ScanArgs,
    images: &[String],
) -> anyhow::Result<Report> {
    let outputs = scan::outputs(args)?;
    // `scan::outputs` puts a text report on standard output when nothing else goes there; a
    // batch puts its summary table there instead.
    let asked_for_stdout = args.format.is_some() || args.outputs.iter().any(|o| o.path.is_none());
    let stdout_format = outputs
        .iter()
        .find(|o| o.path.is_none() && asked_for_stdout)
        .map(|o| o.format);
    if let Some(format @ (ReportFormat::Sarif | ReportFormat::Codequality)) = stdout_format {
        anyhow::bail!(
            "a batch writes one {} report per image: give them files with --output {}=DIR/{IMAGE_PLACEHOLDER}.{}",
            format_name(format),
            format_name(format),
            match format {
                ReportFormat::Sarif => "sarif",
                _ => "json",
            }
        );
    }
    for target in &outputs {
        if let Some(path) = &target.path
            && !path.to_string_lossy().contains(IMAGE_PLACEHOLDER)
        {
            anyhow::bail!(
                "--output {}={}: a batch writes a report per image, so the path must hold {IMAGE_PLACEHOLDER} (reports/{IMAGE_PLACEHOLDER}.{})",
                format_name(target.format),
                path.display(),
                format_name(target.format)
            );
        }
    }
    if images.iter().any(|i| i == "-") {
        anyhow::bail!("`-` (an image on standard input) cannot be part of a batch");
    }
    let prepared = Prepared::new(args)?;
    if let Some(what) = prepared.names_the_image() {
        anyhow::bail!(
            "{what} names one image; a batch of {} images names each by its own repository",
            images.len()
        );
    }
    let file_names = file_names(images);
    // One progress bar cannot follow several images: a line per finished image instead.
    let mut global = global.clone();
    let show_progress = !global.quiet && std::io::stderr().is_terminal();
    global.quiet = true;
    let layers = Arc::new(LayerCache::new(
        global.cache.disk()?,
        args.memory_budget / 4,
    ));
    let started = Instant::now();

    let next = AtomicUsize::new(0);
    let running = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Done>>> = Mutex::new((0..images.len()).map(|_| None).collect());
    let workers = usize::try_from(args.parallel_images)
        .unwrap_or(1)
        .min(images.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= images.len() {
                        break;
                    }
                    while running.load(Ordering::SeqCst) > 0
                        && resident_bytes().is_some_and(|rss| rss > args.memory_budget / 4 * 3)
                    {
                        std::thread::sleep(ADMISSION_POLL);
                    }
                    running.fetch_add(1, Ordering::SeqCst);
                    let begun = Instant::now();
                    let outcome = audit_one(
                        &global,
                        &prepared,
                        &images[index],
                        &file_names[index],
                        &outputs,
                        stdout_format,
                        &layers,
                    )
                    .map_err(|error| format!("{error:#}"));
                    running.fetch_sub(1, Ordering::SeqCst);
                    let done = Done {
                        image: images[index].clone(),
                        elapsed: begun.elapsed(),
                        outcome,
                    };
                    let count = finished.fetch_add(1, Ordering::SeqCst) + 1;
                    tell(&done, count, images.len(), show_progress);
                    results.lock().expect("no worker panics holding the lock")[index] = Some(done);
                }
            });
        }
    });
    let done: Vec<Done> = results
        .into_inner()
        .expect("workers have finished")
        .into_iter()
        .map(|d| d.expect("every image was audited"))
        .collect();

    let mut text = String::new();
    for outcome in done.iter().filter_map(|d| d.outcome.as_ref().ok()) {
        if let Some(part) = &outcome.stdout {
            text.push_str(part);
        }
    }
    let table = summary(&done, started.elapsed(), &prepared.fail_on());
    match stdout_format {
        None => text.push_str(&table),
        Some(_) => eprint!("{}", redact(&table)),
    }
    let status = if done.iter().any(|d| d.outcome.is_err()) {
        2
    } else {
        u8::from(
            done.iter()
                .any(|d| d.outcome.as_ref().is_ok_and(|o| o.failing > 0)),
        )
    };
    Ok(Report { text, status })
}

fn format_name(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Text => "text",
        ReportFormat::Json => "json",
        ReportFormat::Sarif => "sarif",
        ReportFormat::Codequality => "codequality",
    }
}

/// Audits one image and writes its report files.
fn audit_one(
    global: &GlobalArgs,
    prepared: &Prepared,
    image: &str,
    file_name: &str,
    outputs: &[OutputTarget],
    stdout_format: Option<ReportFormat>,
    layers: &Arc<LayerCache>,
) -> anyhow::Result<Outcome> {
    let spec = global.image_spec(image)?;
    let Audited {
        audit,
        failing,
        layers: origins,
    } = scan::audit(
        global,
        prepared,
        &spec,
        Some(Arc::clone(layers)),
        // Two tags of one repository are two analyses in a fleet: code scanning refuses an
        // upload in which two runs share a category, and the names are unique in the batch.
        Some(format!("imgaudit/{file_name}/")),
    )?;
    let files: Vec<(PathBuf, String)> = outputs
        .iter()
        .filter_map(|target| {
            let path = expand(target.path.as_ref()?, file_name);
            let text = scan::render_one(&audit, target.format, false);
            Some((path, redact(&text).into_owned()))
        })
        .collect();
    scan::write_all_or_none(&files)?;
    let stdout = stdout_format.map(|format| match format {
        // One image per line: a stream any JSON Lines reader takes.
        ReportFormat::Json => {
            let report = scan::render_one(&audit, format, false);
            let value: serde_json::Value =
                serde_json::from_str(&report).expect("the JSON report is JSON");
            let mut line = value.to_string();
            line.push('\n');
            line
        }
        _ => format!(
            "== {image}\n{}\n",
            scan::render_one(&audit, format, prepared.color())
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

/// A line on standard error per finished image, on a terminal; failures always.
fn tell(done: &Done, count: usize, total: usize, show_progress: bool) {
    let mut stderr = std::io::stderr().lock();
    match &done.outcome {
        // Errors name their input already, mostly; when one does not, the image is added.
        Err(error) if error.contains(done.image.as_str()) => {
            let _ = writeln!(stderr, "error: {}", redact(error));
        }
        Err(error) => {
            let _ = writeln!(stderr, "error: {}: {}", done.image, redact(error));
        }
        Ok(outcome) if show_progress => {
            let _ = writeln!(
                stderr,
                "[{count}/{total}] {} ({} findings, {:.1}s)",
                done.image,
                outcome.counts.iter().sum::<usize>(),
                done.elapsed.as_secs_f64()
            );
        }
        Ok(_) => {}
    }
}

/// An output path with `{image}` replaced by the image's file name.
pub(crate) fn expand(path: &Path, file_name: &str) -> PathBuf {
    PathBuf::from(path.to_string_lossy().replace(IMAGE_PLACEHOLDER, file_name))
}

/// File names for `{image}`: the argument with everything but letters, digits, `.`, `_` and `-`
/// made `_`, at most 100 characters (the end kept: it holds the tag), unique in the batch.
pub(crate) fn file_names(images: &[String]) -> Vec<String> {
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
fn summary(done: &[Done], elapsed: Duration, fail_on: &str) -> String {
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
    for d in done {
        let image = shorten(&d.image, width);
        match &d.outcome {
            Ok(o) => {
                let count = |origin| o.layers.iter().filter(|l| **l == origin).count();
                let (r, s, c) = (
                    count(Origin::Read),
                    count(Origin::Memory),
                    count(Origin::Disk),
                );
                read += r;
                shared += s;
                cached += c;
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
        "{} image{} in {:.1}s: {passed} passed, {failing} failing (at or above {fail_on}), {errors} not audited; layers: {read} read, {shared} shared in this run, {cached} from the cache",
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
