//! Loading policy files into a validated [`PolicySet`].

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::doc::check_doc;
use crate::error::{PolicyError, Problem};
use crate::metadata::{is_rule_package, is_under_lib, is_under_rules, read_header};
use imgaudit_finding::Severity;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// Where a policy file comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleOrigin {
    /// Embedded in the binary from the repository's `policies/` directory.
    Builtin,
    /// A user policy directory (the directory given, not the file).
    User(PathBuf),
}

/// One policy file handed to [`PolicySet::from_sources`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Path relative to its policy directory, `/`-separated (`pip/pip001.rego`). Files pair up
    /// by it: `pip/pip001.rego`, `pip/pip001_test.rego` and `pip/pip001.md`.
    pub path: String,
    /// The file's contents.
    pub text: String,
    /// Where it comes from.
    pub origin: RuleOrigin,
}

impl Source {
    /// The path shown to users: `policies/<path>` for a built-in, `<dir>/<path>` for a user file.
    pub fn display_path(&self) -> String {
        display_path(&self.origin, &self.path)
    }
}

fn display_path(origin: &RuleOrigin, path: &str) -> String {
    match origin {
        RuleOrigin::Builtin => format!("policies/{path}"),
        RuleOrigin::User(dir) => dir.join(path).display().to_string(),
    }
}

impl Rule {
    /// The rule file's path as users see it: `policies/<path>` for a built-in rule, the
    /// directory joined with it for a user rule.
    pub fn display_path(&self) -> String {
        display_path(&self.origin, &self.path)
    }
}

/// One rule: a `.rego` file with a `# METADATA` block, in package `imgaudit.rules.<…>`.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// `PIP001`: upper-case letters then three digits, unique.
    pub id: String,
    /// `user-install-forced`: kebab-case, unique.
    pub name: String,
    /// `custom.aliases`: other tools' ids for the same check (`CIS-DI-0001`, `DS002`), so that
    /// users can find or disable the rule by the id they know. Unique ignoring case, and never
    /// another rule's id or name.
    pub aliases: Vec<String>,
    /// `custom.domains`: the fact domains the rule reads (`python`, `accounts`), so that the
    /// facts of a domain no enabled rule reads are not collected. Empty when the rule does not
    /// say: then it may read any.
    pub domains: Vec<String>,
    /// The pack the rule belongs to: the directory its file sits in below the policy directory
    /// (`hygiene` for `policies/hygiene/runs_as_root.rego`); empty for a file at the top.
    /// `--select hygiene` selects every rule of the pack.
    pub pack: String,
    /// One line.
    pub title: String,
    /// One paragraph.
    pub description: String,
    /// The severity of its findings unless a finding says otherwise.
    pub severity: Severity,
    /// One paragraph: how to fix it.
    pub remediation: String,
    /// `related_resources` of the metadata.
    pub references: Vec<String>,
    /// `imgaudit.rules.pip001` (without `data.`).
    pub package: String,
    /// The `.md` document beside the rule (markdown), if any.
    pub doc: Option<String>,
    /// The `.rego` file, as shown to users.
    pub path: String,
    /// Where the rule comes from.
    pub origin: RuleOrigin,
    /// The `_test.rego` file beside the rule, as shown to users, if any.
    pub test_path: Option<String>,
    #[serde(skip)]
    pub(crate) text: String,
    #[serde(skip)]
    id_line: usize,
    #[serde(skip)]
    name_line: usize,
    #[serde(skip)]
    alias_lines: Vec<usize>,
}

impl Rule {
    /// Whether `key` is this rule's id, name or one of its aliases, ignoring ASCII case.
    fn answers_to(&self, key: &str) -> bool {
        self.id.eq_ignore_ascii_case(key)
            || self.name.eq_ignore_ascii_case(key)
            || self.has_alias(key)
    }

    fn has_alias(&self, key: &str) -> bool {
        self.aliases
            .iter()
            .any(|alias| alias.eq_ignore_ascii_case(key))
    }

    /// The line of the alias equal to `key` (ignoring case), or of the `# METADATA` id.
    fn alias_line(&self, key: &str) -> usize {
        self.aliases
            .iter()
            .position(|alias| alias.eq_ignore_ascii_case(key))
            .map_or(self.id_line, |i| self.alias_lines[i])
    }
}

/// A `.rego` file that is not a rule: a helper library or a test file.
#[derive(Debug, Clone)]
pub(crate) struct RegoFile {
    /// As shown to users.
    pub(crate) path: String,
    pub(crate) text: String,
    /// For a test file, the id of the rule beside it.
    pub(crate) rule: Option<String>,
}

/// A validated set of rules, helper libraries and tests.
///
/// Built from the built-in policies ([`PolicySet::builtin`]), from sources
/// ([`PolicySet::from_sources`]) and from user directories ([`PolicySet::add_dir`]). Every
/// addition is validated as a whole against what is already there, and either fully added or
/// refused with every problem found ([`PolicyError::Invalid`]).
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Sorted by id.
    rules: Vec<Rule>,
    libs: Vec<RegoFile>,
    tests: Vec<RegoFile>,
    warnings: Vec<Problem>,
    /// Whether the set is exactly the embedded built-in policies, loaded by
    /// [`PolicySet::builtin`]: the repository's tests hold them to the checks that loading and
    /// compiling skip for them. Any addition clears it.
    embedded: bool,
}

impl PolicySet {
    /// An empty set.
    pub fn new() -> Self {
        PolicySet::default()
    }

    /// The built-in policies, embedded at build time from the repository's `policies/`, loaded
    /// for running them: each rule and helper library is parsed once, by
    /// [`PolicySet::compile`], and each test file only by [`run_tests`](crate::run_tests).
    ///
    /// The embedded files are the repository's own, checked by its tests with every check a
    /// user's files get (`PolicySet::from_sources(PolicySet::builtin_sources())`, then
    /// [`PolicySet::compile`] and [`run_tests`](crate::run_tests)), so this skips what those
    /// tests guarantee: parsing every file here to validate it, and at compile time the check
    /// of function calls and the evaluation of each rule on an empty input. Metadata,
    /// documentation and clashes are still checked, and a file that does not parse is still an
    /// error, from [`PolicySet::compile`] (or a load error of [`run_tests`](crate::run_tests)).
    pub fn builtin() -> Result<PolicySet, PolicyError> {
        let loaded = load(&[], PolicySet::builtin_sources(), Validation::Embedded)
            .map_err(PolicyError::Invalid)?;
        let mut set = PolicySet::new();
        set.extend(loaded);
        set.embedded = true;
        Ok(set)
    }

    /// The embedded built-in policy files (`.rego` and `.md`), as sources. Given to
    /// [`PolicySet::from_sources`], they are validated as fully as a user's files.
    pub fn builtin_sources() -> Vec<Source> {
        builtin::BUILTIN_FILES
            .iter()
            .map(|(path, text)| Source {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
                origin: RuleOrigin::Builtin,
            })
            .collect()
    }

    /// A set made of `sources`. Built-in sources must come with their documentation and tests;
    /// for user sources a missing one is a warning ([`PolicySet::warnings`]).
    pub fn from_sources(sources: Vec<Source>) -> Result<PolicySet, PolicyError> {
        let mut set = PolicySet::new();
        set.add_sources(sources)?;
        Ok(set)
    }

    /// Adds `sources` to the set, or nothing if any of them breaks the policy contract.
    pub fn add_sources(&mut self, sources: Vec<Source>) -> Result<(), PolicyError> {
        if sources.is_empty() {
            return Ok(());
        }
        let loaded = load(&self.rules, sources, Validation::Full).map_err(PolicyError::Invalid)?;
        self.extend(loaded);
        self.embedded = false;
        Ok(())
    }

    fn extend(&mut self, loaded: Loaded) {
        self.rules.extend(loaded.rules);
        self.rules.sort_by(|a, b| a.id.cmp(&b.id));
        self.libs.extend(loaded.libs);
        self.tests.extend(loaded.tests);
        self.warnings.extend(loaded.warnings);
    }

    /// Adds the user policies of `dir`: every `*.rego` and `*.md` regular file below it (hidden
    /// entries skipped; symbolic links skipped with a warning, so nothing outside `dir` is read).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), PolicyError> {
        let io_error = |path: &Path, source: io::Error| PolicyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let kind = fs::metadata(dir).map_err(|e| io_error(dir, e))?;
        if !kind.is_dir() {
            return Err(io_error(
                dir,
                io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
            ));
        }
        let origin = RuleOrigin::User(dir.to_path_buf());
        let mut sources = Vec::new();
        let mut skipped = Vec::new();
        let mut pending = vec![(dir.to_path_buf(), String::new())];
        while let Some((current, prefix)) = pending.pop() {
            let mut entries = fs::read_dir(&current)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|e| io_error(&current, e))?;
            entries.sort_by_key(fs::DirEntry::file_name);
            for entry in entries {
                let path = entry.path();
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    skipped.push(Problem::new(
                        path.display().to_string(),
                        None,
                        "skipped: the name is not UTF-8",
                    ));
                    continue;
                };
                if name.starts_with('.') {
                    continue;
                }
                let relative = format!("{prefix}{name}");
                let kind = fs::symlink_metadata(&path).map_err(|e| io_error(&path, e))?;
                if kind.is_dir() {
                    pending.push((path, format!("{relative}/")));
                } else if kind.is_file() {
                    if is_policy_file(&name) {
                        let text = fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
                        sources.push(Source {
                            path: relative,
                            text,
                            origin: origin.clone(),
                        });
                    }
                } else if is_policy_file(&name) || fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                    skipped.push(Problem::new(
                        path.display().to_string(),
                        None,
                        "skipped: not a regular file or directory (symbolic links are not followed)",
                    ));
                }
            }
        }
        sources.sort_by(|a, b| a.path.cmp(&b.path));
        self.add_sources(sources)?;
        self.warnings.extend(skipped);
        Ok(())
    }

    /// Every rule, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The ids of every rule, sorted.
    pub fn rule_ids(&self) -> Vec<String> {
        self.rules.iter().map(|rule| rule.id.clone()).collect()
    }

    /// The rule whose id, name or alias is `key`, ignoring case and surrounding white space.
    pub fn find_rule(&self, key: &str) -> Option<&Rule> {
        self.rule_index(key).map(|index| &self.rules[index])
    }

    /// The rules a selector names, as `--select` and `imgaudit.toml`'s `[rules]` read it: the
    /// rule whose id, name or alias it is (any case), else every rule of the pack it names
    /// (`hygiene`, `secrets`: the rules under `policies/hygiene/`), else every rule whose id
    /// starts with it (`PIP`, `PY00`; a prefix's letters are the id's whole letter part, so `PIP`
    /// is not `PIPENV001`'s, as a linter's code is in ruff). Empty when it names none.
    pub fn select(&self, key: &str) -> Vec<&Rule> {
        if let Some(rule) = self.find_rule(key) {
            return vec![rule];
        }
        let key = key.trim();
        if key.is_empty() {
            return Vec::new();
        }
        let pack: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|rule| !rule.pack.is_empty() && rule.pack.eq_ignore_ascii_case(key))
            .collect();
        if !pack.is_empty() {
            return pack;
        }
        self.rules
            .iter()
            .filter(|rule| id_has_prefix(&rule.id, key))
            .collect()
    }

    /// The index in [`PolicySet::rules`] of the rule `key` names: the one resolver behind
    /// [`PolicySet::find_rule`] and [`PolicySet::compile`], so that whatever finds a rule can
    /// also disable it. Loading keeps ids, names and aliases apart, so at most one rule matches.
    pub(crate) fn rule_index(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        self.rules.iter().position(|rule| rule.answers_to(key))
    }

    /// What was accepted but deserves attention: a user rule without documentation or tests, a
    /// malformed user document, a skipped file.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Whether the set holds no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub(crate) fn libs(&self) -> &[RegoFile] {
        &self.libs
    }

    pub(crate) fn tests(&self) -> &[RegoFile] {
        &self.tests
    }

    /// Whether the set is exactly the embedded built-in policies (see [`PolicySet::builtin`]).
    pub(crate) fn is_embedded(&self) -> bool {
        self.embedded
    }
}

fn is_policy_file(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|ext| ext == "rego" || ext == "md")
}

/// A regorus error message (`\n--> file:line:col\n…\nerror: message`) as a [`Problem`].
pub(crate) fn regorus_problem(file: &str, error: &str) -> Problem {
    let line = error.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("--> ")?;
        let mut parts = rest.rsplitn(3, ':');
        let _column = parts.next()?;
        parts.next()?.parse::<usize>().ok()
    });
    let message = error
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or(error)
        .trim();
    let message = message.strip_prefix("error: ").unwrap_or(message);
    Problem::new(file, line, format!("invalid Rego: {message}"))
}

/// How much of a file [`load`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Validation {
    /// Everything: every `.rego` file must parse.
    Full,
    /// The embedded built-in files: not parsed here (see [`PolicySet::builtin`]).
    Embedded,
}

struct Loaded {
    rules: Vec<Rule>,
    libs: Vec<RegoFile>,
    tests: Vec<RegoFile>,
    warnings: Vec<Problem>,
}

/// Validates `sources` against `existing` rules.
fn load(
    existing: &[Rule],
    sources: Vec<Source>,
    validation: Validation,
) -> Result<Loaded, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    // (origin, path) -> text
    let mut files: BTreeMap<(RuleOrigin, String), String> = BTreeMap::new();
    for source in sources {
        let display = source.display_path();
        let path = source.path.replace('\\', "/");
        if files.insert((source.origin, path), source.text).is_some() {
            problems.push(Problem::new(display, None, "given twice"));
        }
    }

    let mut rules: Vec<Rule> = Vec::new();
    let mut libs = Vec::new();
    let mut tests = Vec::new();
    for ((origin, path), text) in &files {
        let Some(stem) = path.strip_suffix(".rego") else {
            continue;
        };
        let display = display_path(origin, path);
        let builtin = *origin == RuleOrigin::Builtin;
        let mut file_problems = Vec::new();

        if validation == Validation::Full {
            if let Err(error) = regorus::Engine::new().add_policy(display.clone(), text.clone()) {
                file_problems.push(regorus_problem(&display, &error.to_string()));
            }
        }
        // regorus would write a warning about it to stderr.
        if let Some(index) = text
            .lines()
            .position(|line| line.split_whitespace().eq(["import", "input"]))
        {
            file_problems.push(Problem::new(
                &display,
                Some(index + 1),
                "`import input` is redundant: remove it",
            ));
        }

        if let Some(rule_stem) = stem.strip_suffix("_test") {
            problems.extend(file_problems);
            // The id of the rule beside it is filled in below, once the rules are read.
            tests.push((
                display_path(origin, &format!("{rule_stem}.rego")),
                RegoFile {
                    path: display,
                    text: text.clone(),
                    rule: None,
                },
            ));
            continue;
        }

        let header = read_header(text);
        let Some((package, package_line)) = header.package.clone() else {
            if file_problems.is_empty() {
                file_problems.push(Problem::new(
                    &display,
                    Some(1),
                    "expected a `package` declaration",
                ));
            }
            problems.extend(file_problems);
            continue;
        };

        let Some(block) = header.metadata else {
            if is_under_lib(&package) {
                libs.push(RegoFile {
                    path: display,
                    text: text.clone(),
                    rule: None,
                });
            } else if is_under_rules(&package) {
                let message = match header.stray_metadata {
                    Some(line) => format!(
                        "the `# METADATA` block at line {line} must sit directly above the package line (no blank line between)"
                    ),
                    None => "a rule needs a `# METADATA` block directly above its package line"
                        .to_owned(),
                };
                file_problems.push(Problem::new(&display, Some(package_line), message));
            } else {
                file_problems.push(Problem::new(
                    &display,
                    Some(package_line),
                    format!(
                        "package `{package}` is neither a rule (`imgaudit.rules.<name>` with a `# METADATA` block) nor a helper library (`imgaudit.lib.<name>`)"
                    ),
                ));
            }
            problems.extend(file_problems);
            continue;
        };

        if !is_rule_package(&package) {
            file_problems.push(Problem::new(
                &display,
                Some(package_line),
                format!(
                    "a rule's package must be `imgaudit.rules.<name>` (identifiers joined by dots), not `{package}`"
                ),
            ));
        }
        let metadata = match block.parse(&display) {
            Ok(metadata) => Some(metadata),
            Err(found) => {
                file_problems.extend(found);
                None
            }
        };

        let doc_path = format!("{stem}.md");
        let doc = files.get(&(origin.clone(), doc_path.clone())).cloned();
        let soft = if builtin {
            &mut file_problems
        } else {
            &mut warnings
        };
        match &doc {
            Some(doc) => soft.extend(check_doc(&display_path(origin, &doc_path), doc)),
            None => soft.push(Problem::new(
                &display,
                Some(block.line),
                format!(
                    "no documentation: expected {} beside the rule",
                    display_path(origin, &doc_path)
                ),
            )),
        }
        let test_path = format!("{stem}_test.rego");
        let has_test = files.contains_key(&(origin.clone(), test_path.clone()));
        if !has_test {
            soft.push(Problem::new(
                &display,
                Some(block.line),
                format!(
                    "no tests: expected {} beside the rule",
                    display_path(origin, &test_path)
                ),
            ));
        }

        if let Some(metadata) = metadata {
            rules.push(Rule {
                id: metadata.id,
                name: metadata.name,
                pack: path
                    .rsplit_once('/')
                    .map_or("", |(dir, _)| dir.split('/').next().unwrap_or_default())
                    .to_owned(),
                title: metadata.title,
                description: metadata.description,
                severity: metadata.severity,
                remediation: metadata.remediation,
                references: metadata.references,
                package,
                doc,
                path: display,
                origin: origin.clone(),
                test_path: has_test.then(|| display_path(origin, &test_path)),
                text: text.clone(),
                id_line: metadata.id_line,
                name_line: metadata.name_line,
                aliases: metadata.aliases,
                domains: metadata.domains,
                alias_lines: metadata.alias_lines,
            });
        }
        problems.extend(file_problems);
    }

    problems.extend(clashes(existing, &rules));
    let tests = tests
        .into_iter()
        .map(|(rule_path, mut test)| {
            test.rule = rules
                .iter()
                .find(|rule| rule.path == rule_path)
                .map(|rule| rule.id.clone());
            test
        })
        .collect();

    if problems.is_empty() {
        Ok(Loaded {
            rules,
            libs,
            tests,
            warnings,
        })
    } else {
        problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        Err(problems)
    }
}

/// What `rules`, being added, share with the `existing` rules or with each other: ids, names,
/// packages and aliases (see [`identity_clashes`] and [`alias_clashes`]). Each clash is
/// reported once.
fn clashes(existing: &[Rule], rules: &[Rule]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let earlier: Vec<&Rule> = existing.iter().chain(&rules[..index]).collect();
        let others: Vec<&Rule> = earlier.iter().copied().chain(&rules[index + 1..]).collect();
        problems.extend(identity_clashes(rule, &earlier, existing));
        problems.extend(alias_clashes(rule, &earlier, &others));
    }
    problems
}

/// How a clash names the `other` rule: `rule policies/pip/a.rego:12`, or `built-in rule …` when
/// `rule` is a user rule (a user rule cannot take a built-in's place).
fn describe_other(rule: &Rule, other: &Rule, line: Option<usize>) -> String {
    let kind = if other.origin == RuleOrigin::Builtin && rule.origin != RuleOrigin::Builtin {
        "built-in rule"
    } else {
        "rule"
    };
    match line {
        Some(line) => format!("{kind} {}:{line}", other.path),
        None => format!("{kind} {}", other.path),
    }
}

/// The id, name or package of `rule` that an `earlier` rule already has, and its id or name
/// when an `existing` rule has it as an alias (clashes with the aliases of rules added
/// alongside are reported at those aliases).
fn identity_clashes(rule: &Rule, earlier: &[&Rule], existing: &[Rule]) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(other) = earlier.iter().find(|other| other.id == rule.id) {
        problems.push(Problem::new(
            &rule.path,
            Some(rule.id_line),
            format!(
                "id {} is already used by {}",
                rule.id,
                describe_other(rule, other, Some(other.id_line))
            ),
        ));
    }
    if let Some(other) = earlier.iter().find(|other| other.name == rule.name) {
        problems.push(Problem::new(
            &rule.path,
            Some(rule.name_line),
            format!(
                "name {} is already used by {}",
                rule.name,
                describe_other(rule, other, Some(other.name_line))
            ),
        ));
    }
    if let Some(other) = earlier.iter().find(|other| other.package == rule.package) {
        problems.push(Problem::new(
            &rule.path,
            None,
            format!(
                "package {} is already used by {}",
                rule.package,
                describe_other(rule, other, None)
            ),
        ));
    }
    for (what, key, line) in [
        ("id", &rule.id, rule.id_line),
        ("name", &rule.name, rule.name_line),
    ] {
        if let Some(other) = existing.iter().find(|other| other.has_alias(key)) {
            problems.push(Problem::new(
                &rule.path,
                Some(line),
                format!(
                    "{what} {key} is already an alias of {}",
                    describe_other(rule, other, Some(other.alias_line(key)))
                ),
            ));
        }
    }
    problems
}

/// Each alias of `rule` that an `earlier` rule already has as an alias, or that is the id or
/// name of any `other` rule, ignoring ASCII case: lookups ignore case, so an alias must name
/// one rule only.
fn alias_clashes(rule: &Rule, earlier: &[&Rule], others: &[&Rule]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (alias, &line) in rule.aliases.iter().zip(&rule.alias_lines) {
        let mut clash = |what: &str, other: &Rule, other_line: usize| {
            problems.push(Problem::new(
                &rule.path,
                Some(line),
                format!(
                    "alias {alias} is {what} {}",
                    describe_other(rule, other, Some(other_line))
                ),
            ));
        };
        if let Some(other) = earlier.iter().find(|other| other.has_alias(alias)) {
            clash("already an alias of", other, other.alias_line(alias));
        }
        if let Some(other) = others.iter().find(|o| o.id.eq_ignore_ascii_case(alias)) {
            clash("the id of", other, other.id_line);
        }
        if let Some(other) = others.iter().find(|o| o.name.eq_ignore_ascii_case(alias)) {
            clash("the name of", other, other.name_line);
        }
        // `--select PY` and `[rules]` take id prefixes: an alias that is one would hide them.
        let is_prefix_of = |o: &Rule| {
            o.id.len() > alias.len()
                && o.id
                    .get(..alias.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(alias))
        };
        if let Some(other) = std::iter::once(rule)
            .chain(others.iter().copied())
            .find(|o| is_prefix_of(o))
        {
            clash("a prefix of the id of", other, other.id_line);
        }
    }
    problems
}

/// Whether `key` is a prefix of rule `id` that keeps the id's letter part whole (`PIP` and
/// `PIP00` for `PIP001`, not `PI` or `PIP` for `PIPENV001`), ignoring case.
fn id_has_prefix(id: &str, key: &str) -> bool {
    let letters = |text: &str| text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (id_letters, key_letters) = (letters(id), letters(key));
    id_letters == key_letters
        && id
            .get(..key.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod prefix_tests {
    use super::id_has_prefix;

    #[test]
    fn a_prefix_keeps_the_letter_part_whole() {
        for (id, key) in [("PIP001", "PIP"), ("PIP001", "pip00"), ("PY004", "PY")] {
            assert!(id_has_prefix(id, key), "{key} selects {id}");
        }
        for (id, key) in [
            ("PIPENV001", "PIP"),
            ("PIP001", "PI"),
            ("PIP001", "PIP01"),
            ("PY004", "PY0041"),
        ] {
            assert!(!id_has_prefix(id, key), "{key} does not select {id}");
        }
    }
}
