//! The `# METADATA` block above a rule's `package` line, and the package itself.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::error::Problem;
use imgaudit_finding::Severity;

/// What a `.rego` file declares before its rules.
#[derive(Debug, Default)]
pub(crate) struct Header {
    /// The package path as written (`imgaudit.rules.pip001`) and its 1-based line.
    pub(crate) package: Option<(String, usize)>,
    /// The `# METADATA` block directly above the package line.
    pub(crate) metadata: Option<Block>,
    /// A `# METADATA` line elsewhere in the file (1-based), when none is above the package.
    pub(crate) stray_metadata: Option<usize>,
}

/// The YAML of a `# METADATA` block.
#[derive(Debug)]
pub(crate) struct Block {
    /// 1-based line of `# METADATA`; the YAML starts on the next line.
    pub(crate) line: usize,
    /// The YAML lines, `# ` removed.
    pub(crate) yaml: Vec<String>,
}

/// The validated metadata of a rule.
#[derive(Debug, Clone)]
pub(crate) struct Metadata {
    pub(crate) id: String,
    pub(crate) id_line: usize,
    pub(crate) name: String,
    pub(crate) name_line: usize,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) severity: Severity,
    pub(crate) remediation: String,
    pub(crate) references: Vec<String>,
    /// `custom.aliases`: other tools' ids for the same check.
    pub(crate) aliases: Vec<String>,
    /// `custom.domains`: the fact domains the rule reads (empty: not said, so all).
    pub(crate) domains: Vec<String>,
    /// The 1-based line of each alias (the `aliases:` line when the list is on one line).
    pub(crate) alias_lines: Vec<usize>,
}

static PACKAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^package\s+(\S+)\s*(?:#.*)?$").expect("valid regex"));
static RULE_PACKAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^imgaudit\.rules(?:\.[A-Za-z_][A-Za-z0-9_]*)+$").expect("valid regex")
});
static ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]+[0-9]{3}$").expect("valid regex"));
static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$").expect("valid regex"));
static DOMAIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9_]*$").expect("valid regex"));

/// Whether `package` is a valid rule package: `imgaudit.rules.<identifier>[.<identifier>…]`.
pub(crate) fn is_rule_package(package: &str) -> bool {
    RULE_PACKAGE.is_match(package)
}

/// Whether `package` is `imgaudit.rules` or below it.
pub(crate) fn is_under_rules(package: &str) -> bool {
    package == "imgaudit.rules"
        || package.starts_with("imgaudit.rules.")
        || package.starts_with("imgaudit.rules[")
}

/// Whether `package` is `imgaudit.lib` or below it.
pub(crate) fn is_under_lib(package: &str) -> bool {
    package == "imgaudit.lib"
        || package.starts_with("imgaudit.lib.")
        || package.starts_with("imgaudit.lib[")
}

fn is_metadata_marker(line: &str) -> bool {
    line.trim_start()
        .strip_prefix('#')
        .is_some_and(|rest| rest.trim() == "METADATA")
}

/// Reads the package line and the `# METADATA` block above it.
pub(crate) fn read_header(text: &str) -> Header {
    let lines: Vec<&str> = text.lines().collect();
    let mut header = Header::default();
    let package_index = lines.iter().position(|line| {
        let trimmed = line.trim();
        !trimmed.is_empty() && !trimmed.starts_with('#')
    });
    let package_index = package_index.filter(|&i| PACKAGE.is_match(lines[i].trim()));
    if let Some(index) = package_index {
        let captures = PACKAGE
            .captures(lines[index].trim())
            .expect("matched above");
        header.package = Some((captures[1].to_owned(), index + 1));
        // The comment lines directly above the package line.
        let mut start = index;
        while start > 0 && lines[start - 1].trim_start().starts_with('#') {
            start -= 1;
        }
        if let Some(marker) = (start..index).rev().find(|&i| is_metadata_marker(lines[i])) {
            let yaml = lines[marker + 1..index]
                .iter()
                .map(|line| {
                    let line = line.trim_start().strip_prefix('#').unwrap_or(line);
                    line.strip_prefix(' ').unwrap_or(line).to_owned()
                })
                .collect();
            header.metadata = Some(Block {
                line: marker + 1,
                yaml,
            });
            return header;
        }
    }
    header.stray_metadata = lines
        .iter()
        .position(|line| is_metadata_marker(line))
        .map(|i| i + 1);
    header
}

#[derive(Deserialize)]
struct RawMetadata {
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    related_resources: Vec<RawResource>,
    custom: Option<RawCustom>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawResource {
    Url(String),
    Ref {
        #[serde(rename = "ref")]
        reference: String,
    },
}

#[derive(Deserialize)]
struct RawCustom {
    id: Option<String>,
    name: Option<String>,
    severity: Option<String>,
    remediation: Option<String>,
    aliases: Option<Vec<String>>,
    domains: Option<Vec<String>>,
}

impl Block {
    /// The index in `yaml` of the first line whose key is `key` (`title:`, `id:`…).
    fn key_index(&self, key: &str) -> Option<usize> {
        self.yaml.iter().position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
        })
    }

    /// The file line of the first YAML line whose key is `key` (`title:`, `id:`…), or the
    /// `# METADATA` line.
    fn key_line(&self, key: &str) -> usize {
        self.key_index(key).map_or(self.line, |i| self.line + 1 + i)
    }

    /// The file line of each item of the block-style list under `key` (`  - DS002`), in order.
    /// Empty for a list written on the key's line (`[DS002, …]`) or a missing key: callers fall
    /// back to the key's line.
    fn item_lines(&self, key: &str) -> Vec<usize> {
        let Some(start) = self.key_index(key) else {
            return Vec::new();
        };
        let key_text = &self.yaml[start];
        let inline = key_text
            .split_once(':')
            .map(|(_, rest)| rest.trim())
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('#'));
        if inline {
            return Vec::new();
        }
        let key_depth = key_text.len() - key_text.trim_start().len();
        let mut item_depth = None;
        let mut lines = Vec::new();
        for (index, line) in self.yaml.iter().enumerate().skip(start + 1) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let depth = line.len() - trimmed.len();
            let is_item = trimmed == "-" || trimmed.starts_with("- ");
            // YAML lets a list sit at its key's indentation; anything else there ends it.
            if depth < key_depth || (depth == key_depth && !is_item) {
                break;
            }
            if is_item && *item_depth.get_or_insert(depth) == depth {
                lines.push(self.line + 1 + index);
            }
        }
        lines
    }

    /// The file line of each of `count` aliases.
    fn alias_lines(&self, count: usize) -> Vec<usize> {
        let items = self.item_lines("aliases");
        let fallback = self.key_line("aliases");
        (0..count)
            .map(|i| items.get(i).copied().unwrap_or(fallback))
            .collect()
    }

    /// Parses and validates the block: every problem found, each with its line.
    pub(crate) fn parse(&self, file: &str) -> Result<Metadata, Vec<Problem>> {
        let yaml = self.yaml.join("\n");
        let raw: RawMetadata = match serde_yaml_ng::from_str(&yaml) {
            Ok(raw) => raw,
            Err(error) => {
                let line = error
                    .location()
                    .map_or(self.line, |at| self.line + at.line());
                let mut message = error.to_string();
                if let Some(at) = message.find(" at line ") {
                    message.truncate(at);
                }
                return Err(vec![Problem::new(
                    file,
                    Some(line),
                    format!("invalid METADATA YAML: {message}"),
                )]);
            }
        };
        let mut problems = Vec::new();
        let mut required = |value: Option<String>, key: &str, what: &str| -> String {
            let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
            if value.is_empty() {
                problems.push(Problem::new(
                    file,
                    Some(self.key_line(key)),
                    format!("METADATA: `{what}` is missing or empty"),
                ));
            }
            value
        };
        let title = required(raw.title, "title", "title");
        let description = required(raw.description, "description", "description");
        let mut custom_aliases = None;
        let mut custom_domains = None;
        let (id, name, severity, remediation) = if let Some(custom) = raw.custom {
            custom_aliases = custom.aliases;
            custom_domains = custom.domains;
            (
                required(custom.id, "id", "custom.id"),
                required(custom.name, "name", "custom.name"),
                required(custom.severity, "severity", "custom.severity"),
                required(custom.remediation, "remediation", "custom.remediation"),
            )
        } else {
            problems.push(Problem::new(
                file,
                Some(self.line),
                "METADATA: `custom` (id, name, severity, remediation) is missing",
            ));
            Default::default()
        };
        let id_line = self.key_line("id");
        if !id.is_empty() && !ID.is_match(&id) {
            problems.push(Problem::new(
                file,
                Some(id_line),
                format!(
                    "METADATA: id `{id}` must be upper-case letters then three digits (like PIP001)"
                ),
            ));
        }
        let name_line = self.key_line("name");
        if !name.is_empty() && !NAME.is_match(&name) {
            problems.push(Problem::new(
                file,
                Some(name_line),
                format!("METADATA: name `{name}` must be kebab-case (like user-install-forced)"),
            ));
        }
        let aliases = custom_aliases.unwrap_or_default();
        let alias_lines = self.alias_lines(aliases.len());
        problems.extend(check_aliases(file, &aliases, &alias_lines, &id, &name));
        let domains = custom_domains.unwrap_or_default();
        problems.extend(check_domains(file, &domains, self.key_line("domains")));
        let parsed_severity = if severity.is_empty() {
            None
        } else {
            match severity.parse::<Severity>() {
                Ok(severity) => Some(severity),
                Err(error) => {
                    problems.push(Problem::new(
                        file,
                        Some(self.key_line("severity")),
                        format!("METADATA: {error}"),
                    ));
                    None
                }
            }
        };
        let references = raw
            .related_resources
            .into_iter()
            .map(|resource| match resource {
                RawResource::Url(url) | RawResource::Ref { reference: url } => {
                    url.trim().to_owned()
                }
            })
            .filter(|url| !url.is_empty())
            .collect();
        match parsed_severity {
            Some(severity) if problems.is_empty() => Ok(Metadata {
                id,
                id_line,
                name,
                name_line,
                title,
                description,
                severity,
                remediation,
                references,
                aliases,
                domains,
                alias_lines,
            }),
            _ => Err(problems),
        }
    }
}

/// Checks `custom.domains` (on `line`): names of fact domains (`python`, `accounts`), each
/// once. Whether each names a domain the facts have is for whoever collects the facts.
fn check_domains(file: &str, domains: &[String], line: usize) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, domain) in domains.iter().enumerate() {
        let problem =
            |message: String| Problem::new(file, Some(line), format!("METADATA: {message}"));
        if !DOMAIN.is_match(domain) {
            problems.push(problem(format!(
                "domain `{domain}` of `custom.domains` must be a lower-case name (like python)"
            )));
        } else if domains[..index].contains(domain) {
            problems.push(problem(format!(
                "domain `{domain}` is named twice in `custom.domains`"
            )));
        }
    }
    problems
}

/// Checks a rule's own `custom.aliases` (`lines`: the line of each): every alias non-empty,
/// without white space, listed once, and neither the rule's id nor its name, ignoring ASCII case
/// as rule lookups do. Clashes with other rules are checked when rules are loaded together.
fn check_aliases(
    file: &str,
    aliases: &[String],
    lines: &[usize],
    id: &str,
    name: &str,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, (alias, &line)) in aliases.iter().zip(lines).enumerate() {
        let mut problem = |message: String| {
            problems.push(Problem::new(
                file,
                Some(line),
                format!("METADATA: {message}"),
            ));
        };
        if alias.is_empty() {
            problem(format!("alias {} of `custom.aliases` is empty", index + 1));
        } else if alias.chars().any(char::is_whitespace) {
            problem(format!("alias `{alias}` must not contain white space"));
        } else if let Some(first) = aliases[..index]
            .iter()
            .position(|earlier| earlier.eq_ignore_ascii_case(alias))
        {
            problem(format!(
                "alias `{alias}` is listed twice (first at line {})",
                lines[first]
            ));
        } else if alias.eq_ignore_ascii_case(id) {
            problem(format!("alias `{alias}` is the rule's own id"));
        } else if alias.eq_ignore_ascii_case(name) {
            problem(format!("alias `{alias}` is the rule's own name"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# a licence line\n\
        # METADATA\n\
        # title: pip is told to install into the user site\n\
        # description: >-\n\
        #   one\n\
        #   paragraph\n\
        # related_resources:\n\
        #   - https://example.com/a\n\
        #   - ref: https://example.com/b\n\
        #     description: b\n\
        # custom:\n\
        #   id: PIP001\n\
        #   name: user-install-forced\n\
        #   severity: MEDIUM\n\
        #   remediation: do not\n\
        package imgaudit.rules.pip001\n\
        \n\
        import rego.v1\n";

    #[test]
    fn reads_a_good_block() {
        let header = read_header(GOOD);
        assert_eq!(
            header.package,
            Some(("imgaudit.rules.pip001".to_owned(), 16))
        );
        let block = header.metadata.unwrap();
        assert_eq!(block.line, 2);
        let metadata = block.parse("x.rego").unwrap();
        assert_eq!(metadata.id, "PIP001");
        assert_eq!(metadata.id_line, 12);
        assert_eq!(metadata.name, "user-install-forced");
        assert_eq!(metadata.severity, Severity::Medium);
        assert_eq!(metadata.description, "one paragraph");
        assert_eq!(
            metadata.references,
            ["https://example.com/a", "https://example.com/b"]
        );
    }

    #[test]
    fn yaml_errors_name_the_file_line() {
        let text =
            "# METADATA\n# title: a\n# custom:\n#   id: [unclosed\npackage imgaudit.rules.x\n";
        let problems = read_header(text)
            .metadata
            .unwrap()
            .parse("x.rego")
            .unwrap_err();
        assert_eq!(problems.len(), 1);
        let line = problems[0].line.unwrap();
        assert!((4..=5).contains(&line), "{problems:?}");
        assert!(
            problems[0].message.starts_with("invalid METADATA YAML"),
            "{problems:?}"
        );
        assert!(!problems[0].message.contains(" at line "), "{problems:?}");
    }

    #[test]
    fn type_errors_name_the_key_line() {
        let text = "# METADATA\n# title: a\n# description: b\n# custom:\n#   id: A001\n#   name: [1]\npackage imgaudit.rules.x\n";
        let problems = read_header(text)
            .metadata
            .unwrap()
            .parse("x.rego")
            .unwrap_err();
        assert_eq!(problems[0].line, Some(6), "{problems:?}");
    }

    #[test]
    fn every_field_problem_is_reported() {
        let text = "# METADATA\n# title: ''\n# custom:\n#   id: pip1\n#   name: User_Install\n#   severity: severe\npackage imgaudit.rules.x\n";
        let problems = read_header(text)
            .metadata
            .unwrap()
            .parse("x.rego")
            .unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.contains(&"x.rego:2: METADATA: `title` is missing or empty".to_owned()),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("x.rego:1: METADATA: `description`")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("x.rego:1: METADATA: `custom.remediation`")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("x.rego:4: METADATA: id `pip1`")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("x.rego:5: METADATA: name `User_Install`")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("x.rego:6: METADATA: unknown severity `severe`")),
            "{text:#?}"
        );
    }

    #[test]
    fn a_block_separated_from_the_package_is_stray() {
        let header = read_header("# METADATA\n# title: a\n\npackage imgaudit.rules.x\n");
        assert!(header.metadata.is_none());
        assert_eq!(header.stray_metadata, Some(1));
        assert_eq!(header.package.unwrap().1, 4);
    }

    #[test]
    fn packages() {
        assert!(is_rule_package("imgaudit.rules.pip001"));
        assert!(is_rule_package("imgaudit.rules.pip.pip001"));
        assert!(!is_rule_package("imgaudit.rules"));
        assert!(!is_rule_package("imgaudit.rules[\"x\"]"));
        assert!(is_under_rules("imgaudit.rules[\"x\"]"));
        assert!(is_under_lib("imgaudit.lib.pip"));
        assert!(!is_under_lib("imgaudit.library"));
        let header = read_header("package imgaudit.lib.pip # helpers\n");
        assert_eq!(header.package.unwrap().0, "imgaudit.lib.pip");
    }
}
