//! The `[rules]` table: which rules run, at which severity.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::Range;

use imgaudit_finding::Severity;

use crate::Config;
use crate::error::{ConfigError, ErrorKind, closest};

/// The `[rules]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSettings {
    /// `enable`: only the rules these select run; `None` (absent) means every rule.
    pub enable: Option<Vec<RuleSelector>>,
    /// `disable`: rules that do not run, even if `enable` selects them.
    pub disable: Vec<RuleSelector>,
    /// `severity`: per-rule severity overrides, in key order.
    pub severity: Vec<(RuleSelector, Severity)>,
}

/// A rule id, a prefix of rule ids (`PIP`, `PY00`) or a rule name, as written in `[rules]`,
/// with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSelector {
    /// The text as written.
    pub value: String,
    /// The 1-based line it is on.
    pub line: usize,
    pub(crate) key: String,
    pub(crate) span: Range<usize>,
}

/// A known rule, as [`Config::resolve_rules`] needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleKey<'a> {
    /// The id, such as `PY002`.
    pub id: &'a str,
    /// The name, such as `pip-installed-into-distro-python`.
    pub name: &'a str,
    /// Other tools' ids for the same check (`CIS-DI-0001`).
    pub aliases: &'a [String],
    /// The pack the rule belongs to (`hygiene`: the directory of its file), empty for none.
    pub pack: &'a str,
}

/// `[rules]` applied to the known rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedRules {
    /// The ids of the rules that do not run: those `enable` (when given) does not select and
    /// those `disable` selects.
    pub disabled: BTreeSet<String>,
    /// The overridden severities, by rule id.
    pub severity: BTreeMap<String, Severity>,
}

impl ResolvedRules {
    /// Whether the rule `id` runs.
    pub fn is_enabled(&self, id: &str) -> bool {
        !self.disabled.contains(id)
    }

    /// The severity of the rule `id`: its override, else `default`.
    pub fn severity_of(&self, id: &str, default: Severity) -> Severity {
        self.severity.get(id).copied().unwrap_or(default)
    }
}

/// Whether `text` starts with `prefix`, ignoring ASCII case.
fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

impl RuleSelector {
    /// The selector without surrounding white space.
    pub fn as_str(&self) -> &str {
        self.value.trim()
    }

    /// Whether this selects `rule`: equal to its id, name or an alias, or a prefix of its id,
    /// or its pack's name (`hygiene`), ignoring case.
    pub fn matches(&self, rule: RuleKey<'_>) -> bool {
        self.specificity(rule).is_some()
    }

    /// How precisely this selects `rule`, if it does: the whole id or name beats any prefix,
    /// a longer prefix beats a shorter one, and any prefix beats a pack.
    fn specificity(&self, rule: RuleKey<'_>) -> Option<(bool, usize)> {
        let text = self.as_str();
        if text.is_empty() {
            None
        } else if rule.id.eq_ignore_ascii_case(text)
            || rule.name.eq_ignore_ascii_case(text)
            || rule.aliases.iter().any(|a| a.eq_ignore_ascii_case(text))
        {
            Some((true, 0))
        } else if starts_with_ignore_case(rule.id, text) {
            Some((false, text.len()))
        } else if !rule.pack.is_empty() && rule.pack.eq_ignore_ascii_case(text) {
            Some((false, 0))
        } else {
            None
        }
    }
}

impl Config {
    /// Applies `[rules]` to the `known` rules, after checking that every selector in
    /// `enable`, `disable` and `severity`, and every `[[suppress]]` rule, names at least one of
    /// them.
    ///
    /// Selectors match ignoring case: a rule name, a whole id, an alias, a prefix of ids
    /// (`PIP` selects `PIP001`, `PIP002`, …), or a pack (`hygiene` selects every rule of
    /// `policies/hygiene/`). `disable` wins over `enable`. When several `severity`
    /// keys select a rule, a whole id or name wins over a prefix and a longer prefix over a
    /// shorter one; two keys as specific as each other (the id and the name of one rule) that
    /// set different severities are an error. A `[[suppress]]` rule must be one rule's id or name, not a prefix.
    ///
    /// The error for a selector that selects nothing points at it and lists the known ids.
    pub fn resolve_rules(&self, known: &[RuleKey<'_>]) -> Result<ResolvedRules, ConfigError> {
        let settings = &self.rules;
        let selectors = settings
            .enable
            .iter()
            .flatten()
            .chain(&settings.disable)
            .chain(settings.severity.iter().map(|(selector, _)| selector));
        for selector in selectors {
            if !known.iter().any(|rule| selector.matches(*rule)) {
                return Err(self.unknown_rule(
                    selector.as_str(),
                    &selector.key,
                    selector.span.clone(),
                    "selects no rule",
                    known,
                ));
            }
        }
        for (index, suppression) in self.suppressions.iter().enumerate() {
            if !known
                .iter()
                .any(|rule| suppression.names_rule(rule.id, rule.name))
            {
                return Err(self.unknown_rule(
                    suppression.rule.trim(),
                    &format!("suppress[{index}].rule"),
                    suppression.rule_span.clone(),
                    "is not the id or name of a rule",
                    known,
                ));
            }
        }

        let mut resolved = ResolvedRules::default();
        for rule in known {
            let enabled = settings
                .enable
                .as_ref()
                .is_none_or(|enable| enable.iter().any(|selector| selector.matches(*rule)));
            let disabled = settings
                .disable
                .iter()
                .any(|selector| selector.matches(*rule));
            if !enabled || disabled {
                resolved.disabled.insert(rule.id.to_owned());
            }
            let mut best: Option<((bool, usize), &RuleSelector, Severity)> = None;
            for (selector, severity) in &settings.severity {
                let Some(specificity) = selector.specificity(*rule) else {
                    continue;
                };
                match best {
                    Some((best_specificity, _, _)) if best_specificity > specificity => {}
                    Some((best_specificity, other, other_severity))
                        if best_specificity == specificity && other_severity != *severity =>
                    {
                        return Err(self.conflict(
                            rule.id,
                            (other, other_severity),
                            (selector, *severity),
                        ));
                    }
                    _ => best = Some((specificity, selector, *severity)),
                }
            }
            if let Some((_, _, severity)) = best {
                resolved.severity.insert(rule.id.to_owned(), severity);
            }
        }
        Ok(resolved)
    }

    fn conflict(
        &self,
        id: &str,
        (first, first_severity): (&RuleSelector, Severity),
        (second, second_severity): (&RuleSelector, Severity),
    ) -> ConfigError {
        ConfigError::at(
            ErrorKind::Conflict,
            &self.path,
            &self.source,
            Some(second.span.clone()),
            Some(second.key.clone()),
            format!(
                "`{}` sets the severity of {id} to {second_severity}, but `{}` (line {}) sets it \
                 to {first_severity}",
                second.as_str(),
                first.as_str(),
                first.line,
            ),
        )
    }

    fn unknown_rule(
        &self,
        text: &str,
        key: &str,
        span: Range<usize>,
        problem: &str,
        known: &[RuleKey<'_>],
    ) -> ConfigError {
        let ids: BTreeSet<&str> = known.iter().map(|rule| rule.id).collect();
        let mut message = if ids.is_empty() {
            format!("`{text}` {problem} (no rules are loaded)")
        } else {
            format!(
                "`{text}` {problem} (known rules: {})",
                ids.iter().copied().collect::<Vec<_>>().join(", ")
            )
        };
        let candidates = known.iter().flat_map(|rule| [rule.id, rule.name]);
        if let Some(suggestion) = closest(text, candidates) {
            let _ = write!(message, "; did you mean `{suggestion}`?");
        }
        ConfigError::at(
            ErrorKind::UnknownRule,
            &self.path,
            &self.source,
            Some(span),
            Some(key.to_owned()),
            message,
        )
    }
}
