//! Which rules an audit evaluates, and with which severities.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use imgaudit_finding::Severity;
use imgaudit_policy::{PolicyError, PolicySet, Rule};

use crate::AuditSettings;

/// The built-in policies plus the user's directories.
pub fn policy_set(dirs: &[PathBuf]) -> anyhow::Result<PolicySet> {
    let mut set = PolicySet::builtin().context("the built-in policies do not load")?;
    for dir in dirs {
        set.add_dir(dir)
            .with_context(|| format!("cannot load the policies in {}", dir.display()))?;
    }
    Ok(set)
}

/// The rules left out of an audit and the severities the configuration gives the others.
///
/// `--select` narrows the run itself, as ruff's does: rules it leaves out are not part of the
/// audit at all, so reports neither describe them nor list them as disabled, and a rule added
/// to imgaudit changes nothing in a run that selects others. Rules the configuration or
/// `--disable` turn off are reported as disabled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Ids of the rules disabled by the configuration or `--disable`. Sorted.
    pub disabled: Vec<String>,
    /// Ids of the rules `--select` leaves out (none disabled besides). Sorted.
    pub unselected: Vec<String>,
    /// Severity overrides by rule id.
    pub severity: BTreeMap<String, Severity>,
}

impl Selection {
    /// Resolves the configuration's rule settings, then `select` (when given, only those rules),
    /// then `disable`. Keys are ids, names or aliases (any case), packs (`hygiene`), or prefixes
    /// of ids (`PIP`), as in `imgaudit.toml`; one that selects no rule is an error, before any image is read.
    pub fn new(set: &PolicySet, settings: &AuditSettings) -> anyhow::Result<Selection> {
        let mut disabled: Vec<String> = Vec::new();
        let mut severity = BTreeMap::new();
        if let Some(config) = &settings.config {
            let known: Vec<imgaudit_config::RuleKey<'_>> = set
                .rules()
                .iter()
                .map(|rule| imgaudit_config::RuleKey {
                    id: &rule.id,
                    name: &rule.name,
                    aliases: &rule.aliases,
                    pack: &rule.pack,
                })
                .collect();
            let resolved = config.resolve_rules(&known)?;
            disabled.extend(resolved.disabled);
            severity = resolved.severity;
        }
        let mut unselected: Vec<String> = Vec::new();
        if !settings.select.is_empty() {
            let mut selected: Vec<&str> = Vec::new();
            for key in &settings.select {
                selected.extend(select(set, key)?.iter().map(|rule| rule.id.as_str()));
            }
            unselected.extend(
                set.rules()
                    .iter()
                    .filter(|rule| !selected.contains(&rule.id.as_str()))
                    .map(|rule| rule.id.clone()),
            );
        }
        for key in &settings.disable {
            disabled.extend(select(set, key)?.iter().map(|rule| rule.id.clone()));
        }
        disabled.retain(|id| !unselected.contains(id));
        disabled.sort();
        disabled.dedup();
        unselected.sort();
        Ok(Selection {
            disabled,
            unselected,
            severity,
        })
    }

    /// Whether `rule` is evaluated.
    pub fn is_enabled(&self, rule: &Rule) -> bool {
        !self.disabled.contains(&rule.id) && !self.unselected.contains(&rule.id)
    }

    /// Every rule not evaluated, disabled or unselected.
    pub fn excluded(&self) -> Vec<String> {
        let mut excluded: Vec<String> = self
            .disabled
            .iter()
            .chain(&self.unselected)
            .cloned()
            .collect();
        excluded.sort();
        excluded
    }
}

/// The rules `key` selects (an id, name or alias, any case, a pack, or a prefix of ids); an error
/// listing the known ids when it selects none.
fn select<'a>(set: &'a PolicySet, key: &str) -> Result<Vec<&'a Rule>, PolicyError> {
    let rules = set.select(key);
    if rules.is_empty() {
        return Err(PolicyError::UnknownRule {
            name: key.to_owned(),
            known: set.rules().iter().map(|rule| rule.id.clone()).collect(),
        });
    }
    Ok(rules)
}
