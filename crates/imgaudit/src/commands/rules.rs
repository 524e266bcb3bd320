//! `imgaudit rules`, `imgaudit rule ID` and `imgaudit policy test DIR`.

use std::fmt::Write;

use anyhow::Context;
use imgaudit_policy::{Outcome, PolicySet, RuleOrigin};
use serde::Serialize;

use super::Report;
use crate::args::{PolicyTestArgs, RuleArgs, RulesArgs, RulesFormat};
use crate::output::{SCHEMA_VERSION, to_json};
use imgaudit_audit::policy_set;

#[derive(Debug, Serialize)]
struct RuleSummary<'a> {
    id: &'a str,
    name: &'a str,
    title: &'a str,
    severity: String,
    description: &'a str,
    remediation: &'a str,
    references: &'a [String],
    /// Other tools' ids for the same check.
    aliases: &'a [String],
    /// The fact domains the rule reads (empty: it does not say, so any).
    domains: &'a [String],
    /// `builtin`, or the policy file of a user rule.
    origin: String,
}

#[derive(Debug, Serialize)]
struct RuleList<'a> {
    schema_version: u32,
    rules: Vec<RuleSummary<'a>>,
}

pub(crate) fn list(args: &RulesArgs) -> anyhow::Result<Report> {
    let set = policy_set(&args.policy_dirs)?;
    let rules: Vec<RuleSummary<'_>> = set
        .rules()
        .iter()
        .map(|r| RuleSummary {
            id: &r.id,
            name: &r.name,
            title: &r.title,
            severity: r.severity.to_string(),
            description: &r.description,
            remediation: &r.remediation,
            references: &r.references,
            aliases: &r.aliases,
            domains: &r.domains,
            origin: match &r.origin {
                RuleOrigin::Builtin => "builtin".to_owned(),
                RuleOrigin::User(_) => r.path.clone(),
            },
        })
        .collect();
    let text = match args.format {
        RulesFormat::Markdown => imgaudit_policy::rules_markdown(set.rules()),
        RulesFormat::Json => to_json(&RuleList {
            schema_version: SCHEMA_VERSION,
            rules,
        })?,
        RulesFormat::Text => {
            let name_width = rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for rule in &rules {
                let _ = writeln!(
                    out,
                    "{:<8} {:<name_width$}  {:<8}  {}",
                    rule.id, rule.name, rule.severity, rule.title
                );
            }
            out
        }
    };
    Ok(Report {
        json: args.format == RulesFormat::Json,
        ..Report::ok(text)
    })
}

pub(crate) fn show(args: &RuleArgs) -> anyhow::Result<Report> {
    let set = policy_set(&args.policy_dirs)?;
    let rule = set.find_rule(&args.id).with_context(|| {
        let known: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
        format!(
            "no rule `{}`; the rules are {} (`imgaudit rules` lists them)",
            args.id,
            known.join(", ")
        )
    })?;
    Ok(Report::ok(imgaudit_policy::render_doc_text(rule)))
}

/// Runs the tests; exit code 1 when any test fails or errs, as `opa test` does.
pub(crate) fn test(args: &PolicyTestArgs) -> anyhow::Result<Report> {
    let set = match &args.dir {
        Some(dir) => {
            let mut set = PolicySet::new();
            set.add_dir(dir)
                .with_context(|| format!("cannot load the policies in {}", dir.display()))?;
            set
        }
        // With every check a user's directory gets, which `PolicySet::builtin` leaves to the
        // repository's tests: this command is one of them.
        None => PolicySet::from_sources(PolicySet::builtin_sources())
            .context("the built-in policies do not load")?,
    };
    let report = imgaudit_policy::run_tests(&set, args.filter.as_deref());
    let mut out = String::new();
    for error in &report.load_errors {
        let _ = writeln!(out, "ERROR: {error}");
    }
    for file in &report.empty_files {
        let _ = writeln!(out, "WARNING: {file} defines no test_* rule");
    }
    for warning in set.warnings() {
        let _ = writeln!(out, "WARNING: {warning}");
    }
    for result in &report.results {
        let name = format!("{}.{}", result.package, result.name);
        match &result.outcome {
            Outcome::Pass if args.verbose => {
                let _ = writeln!(
                    out,
                    "PASS: {name} ({}) [{:?}]",
                    result.file, result.duration
                );
            }
            Outcome::Pass => {}
            Outcome::Fail => {
                let _ = writeln!(out, "FAIL: {name} ({})", result.file);
            }
            Outcome::Error(message) => {
                let _ = writeln!(out, "ERROR: {name} ({}): {message}", result.file);
            }
        }
    }
    let total = report.results.len();
    let passed = report.passed();
    let _ = writeln!(out, "{}", "-".repeat(40));
    let _ = writeln!(out, "PASS: {passed}/{total}");
    if report.failed() > 0 {
        let _ = writeln!(out, "FAIL: {}/{total}", report.failed());
    }
    if report.errored() > 0 {
        let _ = writeln!(out, "ERROR: {}/{total}", report.errored());
    }
    let ok = passed == total && total > 0 && report.load_errors.is_empty();
    Ok(Report {
        status: u8::from(!ok),
        ..Report::ok(out)
    })
}
