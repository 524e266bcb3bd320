//! Rule documentation: the shape check of a rule's `.md` file, its plain-text rendering, and
//! the Markdown table of rules.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::Problem;
use crate::set::Rule;

/// The sections every rule document has, in this order (ruff's shape).
pub const DOC_SECTIONS: [&str; 5] = [
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "References",
];

fn is_fence(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("```") || trimmed.starts_with("~~~")
}

/// The level-2 headings outside code fences: (1-based line, heading text).
fn headings(text: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if is_fence(line) {
            in_fence = !in_fence;
        } else if !in_fence {
            if let Some(heading) = line.strip_prefix("## ") {
                found.push((index + 1, heading.trim()));
            }
        }
    }
    found
}

/// Checks that a rule document has the five sections of [`DOC_SECTIONS`], once each and in
/// order. Other sections may sit anywhere.
pub(crate) fn check_doc(file: &str, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    // (section index, line) in file order.
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for (line, heading) in headings(text) {
        let Some(section) = DOC_SECTIONS.iter().position(|s| *s == heading) else {
            continue;
        };
        if let Some(&(_, first)) = seen.iter().find(|(s, _)| *s == section) {
            problems.push(Problem::new(
                file,
                Some(line),
                format!("section `## {heading}` appears twice (first at line {first})"),
            ));
            continue;
        }
        if let Some(&(later, later_line)) = seen.iter().find(|(s, _)| *s > section) {
            problems.push(Problem::new(
                file,
                Some(line),
                format!(
                    "section `## {heading}` must come before `## {}` (line {later_line})",
                    DOC_SECTIONS[later]
                ),
            ));
        }
        seen.push((section, line));
    }
    for (section, name) in DOC_SECTIONS.iter().enumerate() {
        if seen.iter().any(|(s, _)| *s == section) {
            continue;
        }
        // Point at the section it should follow, or the top of the file.
        let after = seen
            .iter()
            .filter(|(s, _)| *s < section)
            .max_by_key(|(s, _)| *s)
            .map_or(1, |&(_, line)| line);
        problems.push(Problem::new(
            file,
            Some(after),
            format!(
                "missing section `## {name}` (a rule document has, in order: {})",
                DOC_SECTIONS.map(|s| format!("`## {s}`")).join(", ")
            ),
        ));
    }
    problems.sort_by_key(|p| p.line);
    problems
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\]]+)\]\(([^)\s]+)\)").expect("valid regex"));
static AUTOLINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<(https?://[^>\s]+)>").expect("valid regex"));

/// Markdown to readable plain text: code fences become 4-space indented blocks, links
/// `[text](url)` become `text (url)`, runs of blank lines collapse. Headings stay as they are.
fn clean_markdown(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if is_fence(line) {
            in_fence = !in_fence;
            // Keep the block apart from the prose around it.
            if out.last().is_some_and(|last| !last.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        if in_fence {
            if line.trim().is_empty() {
                out.push(String::new());
            } else {
                out.push(format!("    {line}"));
            }
            continue;
        }
        let line = LINK.replace_all(line.trim_end(), |captures: &regex::Captures<'_>| {
            let (label, url) = (&captures[1], &captures[2]);
            let bare = label.trim_matches('`');
            if bare == url {
                url.to_owned()
            } else {
                format!("{label} ({url})")
            }
        });
        let line = AUTOLINK.replace_all(&line, "$1");
        if line.starts_with("## ") && out.last().is_some_and(|last| !last.is_empty()) {
            out.push(String::new());
        }
        out.push(line.into_owned());
    }
    // Collapse blank runs and trim both ends.
    let mut text = String::new();
    let mut blank = 0;
    for line in out {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        text.push_str(&line);
    }
    text
}

/// A rule's documentation as plain text for the terminal, the way `ruff rule CODE` prints it:
/// a `# name (ID)` header, the title, the severity, the document (code fences turned into
/// indented blocks, links into `text (url)`), then any metadata reference the document does not
/// already cite. Without a document, the description, remediation and references stand in.
/// No colour: the caller decides.
pub fn render_doc_text(rule: &Rule) -> String {
    let mut text = format!(
        "# {} ({})\n\n{}\n\nSeverity: {}\n\n",
        rule.name, rule.id, rule.title, rule.severity
    );
    if let Some(doc) = rule.doc.as_deref() {
        let body = clean_markdown(doc);
        text.push_str(&body);
        text.push('\n');
        let missing: Vec<&String> = rule
            .references
            .iter()
            .filter(|url| !doc.contains(url.as_str()))
            .collect();
        if !missing.is_empty() {
            // Under the document's own references when they come last.
            let last = headings(doc).last().map(|&(_, heading)| heading);
            if last != Some("References") {
                text.push_str("\n## See also\n\n");
            }
            for url in missing {
                text.push_str("- ");
                text.push_str(url);
                text.push('\n');
            }
        }
    } else {
        text.push_str("## What it does\n\n");
        text.push_str(&rule.description);
        text.push_str("\n\n## Remediation\n\n");
        text.push_str(&rule.remediation);
        text.push('\n');
        if !rule.references.is_empty() {
            text.push_str("\n## References\n\n");
            for url in &rule.references {
                text.push_str("- ");
                text.push_str(url);
                text.push('\n');
            }
        }
    }
    text
}

/// The header of [`rules_markdown`]'s table. "flags" holds the rule's title: what it flags.
const TABLE_HEADER: &str =
    "| id | name | severity | flags | aliases |\n| --- | --- | --- | --- | --- |\n";

/// A Markdown table of `rules`, one row each in the order given: id, name, severity, title
/// (under "flags") and aliases (each in backticks, comma-separated; an empty cell when none).
///
/// The repository's README carries this table for the built-in rules, so that it cannot drift
/// from the metadata: a test compares them, and `imgaudit rules --format markdown` prints it.
pub fn rules_markdown(rules: &[Rule]) -> String {
    let mut table = TABLE_HEADER.to_owned();
    for rule in rules {
        let aliases: Vec<String> = rule
            .aliases
            .iter()
            .map(|alias| format!("`{alias}`"))
            .collect();
        let cells = [
            rule.id.clone(),
            rule.name.clone(),
            rule.severity.to_string(),
            rule.title.clone(),
            aliases.join(", "),
        ];
        table.push_str(&table_row(&cells));
    }
    table
}

/// One table row. `|` is escaped (even inside backticks: GitHub splits cells first) and line
/// breaks become spaces, since a row is one line.
fn table_row(cells: &[String]) -> String {
    let mut row = String::from("|");
    for cell in cells {
        let cell = cell.replace('|', "\\|").replace(['\r', '\n'], " ");
        let cell = cell.trim();
        if !cell.is_empty() {
            row.push(' ');
            row.push_str(cell);
        }
        row.push_str(" |");
    }
    row.push('\n');
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "## What it does\nChecks.\n\n## Why is this bad?\nBad.\n\n\
        ## Example\n```dockerfile\n## not a heading\nRUN pip install --user x\n```\n\n\
        ## Use instead\n```dockerfile\nRUN pip install x\n```\n\n## Options\nnone\n\n\
        ## References\n- [pip user installs](https://pip.pypa.io/user)\n- <https://example.com/x>\n";

    #[test]
    fn a_good_doc_passes() {
        assert_eq!(check_doc("a.md", GOOD), []);
    }

    #[test]
    fn missing_duplicate_and_misordered_sections_name_their_line() {
        let doc =
            "## Why is this bad?\nx\n## What it does\nx\n## Example\n## Example\n## References\n";
        let problems: Vec<String> = check_doc("a.md", doc)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "a.md:3: section `## What it does` must come before `## Why is this bad?` (line 1)",
                "a.md:5: missing section `## Use instead` (a rule document has, in order: `## What it does`, `## Why is this bad?`, `## Example`, `## Use instead`, `## References`)",
                "a.md:6: section `## Example` appears twice (first at line 5)",
            ]
        );
        let problems = check_doc("a.md", "");
        assert_eq!(problems.len(), 5);
        assert!(problems.iter().all(|p| p.line == Some(1)));
    }

    #[test]
    fn markdown_is_cleaned() {
        let text = clean_markdown(GOOD);
        assert!(text.contains("\n    RUN pip install --user x\n"), "{text}");
        assert!(text.contains("    ## not a heading"), "{text}");
        assert!(!text.contains("```"), "{text}");
        assert!(
            text.contains("- pip user installs (https://pip.pypa.io/user)"),
            "{text}"
        );
        assert!(text.contains("- https://example.com/x"), "{text}");
        assert!(!text.contains("\n\n\n"), "{text}");
    }
}
