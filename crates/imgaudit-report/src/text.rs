//! The report for people: findings grouped by rule, most severe first, each with its evidence
//! (the Dockerfile line, the file in the image, the layer and step) and the rule's fix; then
//! notes, suppressions and a one-line summary.

use std::collections::BTreeMap;
use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use imgaudit_finding::Severity;

use crate::{Audit, LineMatch, Reported, SuppressionState};

/// Terminal styles, or none.
#[derive(Debug, Clone, Copy)]
struct Palette {
    color: bool,
}

impl Palette {
    fn paint(self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }

    fn severity(self, severity: Severity) -> String {
        let color = match severity {
            Severity::Critical => AnsiColor::BrightRed,
            Severity::High => AnsiColor::Red,
            Severity::Medium => AnsiColor::Yellow,
            Severity::Low => AnsiColor::Cyan,
            Severity::Info => AnsiColor::BrightBlack,
        };
        self.paint(
            Style::new().fg_color(Some(color.into())).bold(),
            severity.as_str(),
        )
    }

    fn bold(self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    fn dim(self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }
}

/// Text from the image or a policy, made inert (escaped control characters) before it joins
/// the report, so that only the report's own colours reach a terminal.
fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    crate::inert::for_terminal(text, false)
}

/// The text report; `color` adds ANSI styles (the caller decides: a terminal, `NO_COLOR`).
pub fn render(audit: &Audit, color: bool) -> String {
    let palette = Palette { color };
    let mut out = String::new();
    let mut by_rule: BTreeMap<(std::cmp::Reverse<Severity>, &str), Vec<&Reported>> =
        BTreeMap::new();
    for reported in audit.active() {
        let finding = &reported.finding;
        by_rule
            .entry((std::cmp::Reverse(finding.severity), &finding.rule_id))
            .or_default()
            .push(reported);
    }
    for ((_, rule_id), findings) in &by_rule {
        let rule = audit.rule(rule_id);
        let title = rule.map_or("", |r| r.title.as_str());
        let name = &findings[0].finding.rule_name;
        let _ = writeln!(
            out,
            "{} {}",
            palette.bold(&inert(&format!("{rule_id} {name}:"))),
            inert(title)
        );
        for reported in findings {
            finding(&mut out, palette, reported);
        }
        if let Some(remediation) = rule.map(|r| r.remediation.trim()).filter(|r| !r.is_empty()) {
            let _ = writeln!(out, "  {} {}", palette.bold("fix:"), inert(remediation));
        }
        let _ = writeln!(
            out,
            "  {}",
            palette.dim(&inert(&format!("see: imgaudit rule {rule_id}")))
        );
        out.push('\n');
    }
    for note in &audit.notes {
        let _ = writeln!(out, "note: {}", inert(note));
    }
    for suppression in &audit.suppressions {
        match suppression.status {
            SuppressionState::Expired => {
                let _ = writeln!(
                    out,
                    "warning: the suppression of {} (line {}) expired on {}; it suppresses nothing",
                    suppression.rule,
                    suppression.line,
                    suppression.expires.as_deref().unwrap_or("?")
                );
            }
            SuppressionState::Unused => {
                let _ = writeln!(
                    out,
                    "note: the suppression of {} (line {}) matched no finding",
                    suppression.rule, suppression.line
                );
            }
            SuppressionState::Used => {}
        }
    }
    let _ = writeln!(out, "{}", summary(audit, palette));
    if audit.gate.failing > 0 {
        let _ = writeln!(
            out,
            "{} {} finding(s) at or above {} (--fail-on)",
            palette.paint(
                Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
                "Failing:"
            ),
            audit.gate.failing,
            audit.gate.fail_on
        );
    }
    out
}

fn finding(out: &mut String, palette: Palette, reported: &Reported) {
    let finding = &reported.finding;
    let precision = match finding.precision.as_str() {
        "high" => String::new(),
        other => format!(", {other} precision"),
    };
    let _ = writeln!(
        out,
        "  [{}{precision}] {}",
        palette.severity(finding.severity),
        inert(&finding.message)
    );
    let mut at = Vec::new();
    if let Some(lines) = &reported.dockerfile {
        let range = if lines.end_line > lines.start_line {
            format!("{}-{}", lines.start_line, lines.end_line)
        } else {
            lines.start_line.to_string()
        };
        let via = if lines.how == LineMatch::BaseImage {
            " (from the base image)"
        } else {
            ""
        };
        at.push(format!("{}:{range} {}{via}", lines.file, lines.instruction));
    }
    let in_image = &reported.in_image;
    if let Some(path) = &in_image.path {
        match in_image.line {
            Some(line) => at.push(format!("{path}:{line}")),
            None => at.push(path.clone()),
        }
    } else if let Some(variable) = &reported.subject.variable {
        at.push(format!("${variable}"));
    }
    match (in_image.layer, in_image.history_step) {
        (Some(layer), Some(step)) => at.push(format!("layer {layer}, step {step}")),
        (None, Some(step)) => at.push(format!("step {step}")),
        (Some(layer), None) => at.push(format!("layer {layer}")),
        (None, None) => {}
    }
    if !at.is_empty() {
        let _ = writeln!(
            out,
            "      {} {}",
            palette.dim("at"),
            inert(&at.join(" · "))
        );
    }
}

fn summary(audit: &Audit, palette: Palette) -> String {
    let active: Vec<&Reported> = audit.active().collect();
    let counts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|severity| {
            let n = active
                .iter()
                .filter(|f| f.finding.severity == *severity)
                .count();
            (n > 0).then(|| format!("{n} {severity}"))
        })
        .collect();
    let total = match active.len() {
        0 => "No findings".to_owned(),
        1 => "1 finding".to_owned(),
        n => format!("{n} findings"),
    };
    let suppressed = match audit.suppressed_count() {
        0 => String::new(),
        n => format!(", {n} suppressed"),
    };
    format!(
        "{} in {} ({}) [{}] from {} rules{}{suppressed}",
        palette.bold(&total),
        inert(&audit.repository),
        inert(&audit.image.source),
        inert(&audit.image.platform),
        audit.rules.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    )
}
