//! `imgaudit scan IMAGE` (and `imgaudit IMAGE`): facts, policies, findings; `imgaudit facts`.

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::Context;
use imgaudit_facts::Facts;
use imgaudit_layer::CaptureRules;
use imgaudit_loader::LoadedImage;
use imgaudit_policy::{Finding, PolicySet, Severity};
use serde::Serialize;

use crate::Report;
use crate::args::{FactsArgs, Format, GlobalArgs, PolicyArgs, ScanArgs, Threshold};
use crate::output::{Identity, SCHEMA_VERSION, to_json};

#[derive(Debug, Serialize)]
struct ScanReport<'a> {
    schema_version: u32,
    image: Identity,
    findings: &'a [Finding],
    /// Findings per severity, every severity present (zero included).
    summary: serde_json::Map<String, serde_json::Value>,
    rules: Vec<&'a str>,
    disabled: &'a [String],
    /// The build gate: the `--fail-on` threshold (`none` for never) and how many findings,
    /// reported or not, reach it (exit status 1 when any does).
    fail_on: String,
    failing: usize,
    notes: &'a [String],
}

/// Loads an image with everything the facts need captured.
fn load_for_facts(global: &GlobalArgs, image: &str) -> anyhow::Result<LoadedImage> {
    let capture = CaptureRules::new(
        &imgaudit_facts::capture_patterns(),
        imgaudit_layer::DEFAULT_MAX_CAPTURE_SIZE,
    )?;
    global.load_with(image, capture, Some(imgaudit_facts::config_paths))
}

/// The built-in policies plus the user's directories.
pub(crate) fn policy_set(dirs: &[std::path::PathBuf]) -> anyhow::Result<PolicySet> {
    let mut set = PolicySet::builtin().context("the built-in policies do not load")?;
    for dir in dirs {
        set.add_dir(dir)
            .with_context(|| format!("cannot load the policies in {}", dir.display()))?;
    }
    Ok(set)
}

fn evaluate(facts: &Facts, policies: &PolicyArgs) -> anyhow::Result<(PolicySet, Vec<Finding>)> {
    let set = policy_set(&policies.policy_dirs)?;
    let engine = set.compile(&policies.disable)?;
    let input = serde_json::to_value(facts)?;
    let findings = engine.evaluate(&input)?;
    Ok((set, findings))
}

/// Runs the audit; the exit status is 1 when a finding reaches `--fail-on`, whatever
/// `--min-severity` leaves in the report.
pub(crate) fn run(global: &GlobalArgs, args: &ScanArgs) -> anyhow::Result<Report> {
    let image_arg = args
        .image
        .as_deref()
        .context("no image given: `imgaudit IMAGE` or `imgaudit scan IMAGE`")?;
    // Policies are checked before the image is read: a typo in --disable costs nothing.
    policy_set(&args.policies.policy_dirs)?.compile(&args.policies.disable)?;
    let image = load_for_facts(global, image_arg)?;
    let facts = imgaudit_facts::collect(&image);
    let (set, all_findings) = evaluate(&facts, &args.policies)?;
    let failing = match args.fail_on {
        Threshold::Never => 0,
        Threshold::AtOrAbove(threshold) => all_findings
            .iter()
            .filter(|f| f.severity >= threshold)
            .count(),
    };
    let findings: Vec<Finding> = all_findings
        .into_iter()
        .filter(|f| f.severity >= args.min_severity)
        .collect();
    let mut notes: Vec<String> = image.notes.clone();
    notes.extend(facts.notes.iter().cloned());
    notes.extend(set.warnings().iter().map(ToString::to_string));
    let disabled: Vec<String> = args
        .policies
        .disable
        .iter()
        .filter_map(|id| set.find_rule(id).map(|r| r.id.clone()))
        .collect();
    let report = ScanReport {
        schema_version: SCHEMA_VERSION,
        image: Identity::of(&image),
        findings: &findings,
        summary: summary(&findings),
        rules: set
            .rules()
            .iter()
            .filter(|r| !disabled.contains(&r.id))
            .map(|r| r.id.as_str())
            .collect(),
        disabled: &disabled,
        fail_on: match args.fail_on {
            Threshold::Never => "none".to_owned(),
            Threshold::AtOrAbove(severity) => severity.to_string(),
        },
        failing,
        notes: &notes,
    };
    let text = match args.format {
        Format::Json => to_json(&report)?,
        Format::Text => {
            let mut out = text(&report, &set);
            if let Threshold::AtOrAbove(threshold) = args.fail_on {
                if failing > 0 {
                    let _ = writeln!(
                        out,
                        "Failing: {failing} finding(s) at or above {threshold} (--fail-on)"
                    );
                }
            }
            out
        }
    };
    Ok(Report {
        text,
        status: u8::from(failing > 0),
    })
}

pub(crate) fn facts(global: &GlobalArgs, args: &FactsArgs) -> anyhow::Result<String> {
    let image = load_for_facts(global, &args.image)?;
    to_json(&imgaudit_facts::collect(&image))
}

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// Counts per severity, most severe first.
fn summary(findings: &[Finding]) -> serde_json::Map<String, serde_json::Value> {
    SEVERITIES
        .iter()
        .map(|severity| {
            let count = findings.iter().filter(|f| f.severity == *severity).count();
            (severity.to_string(), count.into())
        })
        .collect()
}

/// Findings grouped by rule, most severe first, each with its evidence; then a summary line.
fn text(report: &ScanReport<'_>, set: &PolicySet) -> String {
    let mut out = String::new();
    let mut by_rule: BTreeMap<(std::cmp::Reverse<Severity>, &str), Vec<&Finding>> = BTreeMap::new();
    for finding in report.findings {
        by_rule
            .entry((std::cmp::Reverse(finding.severity), &finding.rule_id))
            .or_default()
            .push(finding);
    }
    for ((_, rule_id), findings) in &by_rule {
        let title = set.find_rule(rule_id).map_or("", |r| r.title.as_str());
        let name = &findings[0].rule_name;
        let _ = writeln!(out, "{rule_id} {name}: {title}");
        for finding in findings {
            let precision = match finding.precision.to_string().as_str() {
                "high" => String::new(),
                other => format!(", {other} precision"),
            };
            let _ = writeln!(
                out,
                "  [{}{precision}] {}",
                finding.severity, finding.message
            );
        }
        let _ = writeln!(out, "  see: imgaudit rule {rule_id}");
        out.push('\n');
    }
    for note in report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let counts: Vec<String> = report
        .summary
        .iter()
        .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let total = report.findings.len();
    let _ = writeln!(
        out,
        "{} in {} [{}] from {} rules{}",
        match total {
            0 => "No findings".to_owned(),
            1 => "1 finding".to_owned(),
            n => format!("{n} findings"),
        },
        report.image.source,
        report.image.platform,
        report.rules.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    );
    out
}
