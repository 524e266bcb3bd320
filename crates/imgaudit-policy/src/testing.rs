//! A test runner for policies, like `opa test`: every `test_*` rule of every `_test.rego`.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use regex::Regex;
use serde::Serialize;

use crate::engine::{add_file, new_regorus};
use crate::set::PolicySet;

/// How one test went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "outcome", content = "error")]
pub enum Outcome {
    /// The test rule is `true`.
    Pass,
    /// The test rule is undefined, `false` or another value.
    Fail,
    /// The evaluation failed; regorus's message carries file, line and column.
    Error(String),
}

/// One test.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    /// The `_test.rego` file, as shown to users.
    pub file: String,
    /// Its package, without `data.`.
    pub package: String,
    /// The test rule (`test_user_flag_is_found`).
    pub name: String,
    /// How it went.
    pub outcome: Outcome,
    /// How long it took.
    pub duration: Duration,
    /// What the test's `print` calls wrote, each line prefixed with `file:line: `.
    pub prints: Vec<String>,
}

/// The outcome of [`run_tests`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct TestReport {
    /// Every test run, file by file in path order, in source order within a file.
    pub results: Vec<TestResult>,
    /// `_test.rego` files (matching the filter) that define no `test_*` rule.
    pub empty_files: Vec<String>,
    /// Files that could not be loaded, with regorus's message; their tests did not run.
    pub load_errors: Vec<String>,
}

impl TestReport {
    /// How many tests passed.
    pub fn passed(&self) -> usize {
        self.count(|outcome| matches!(outcome, Outcome::Pass))
    }

    /// How many tests failed.
    pub fn failed(&self) -> usize {
        self.count(|outcome| matches!(outcome, Outcome::Fail))
    }

    /// How many tests could not be evaluated.
    pub fn errored(&self) -> usize {
        self.count(|outcome| matches!(outcome, Outcome::Error(_)))
    }

    /// How many tests ran.
    pub fn total(&self) -> usize {
        self.results.len()
    }

    /// Whether every test passed, no file failed to load and no test file is empty.
    pub fn is_success(&self) -> bool {
        self.passed() == self.total() && self.empty_files.is_empty() && self.load_errors.is_empty()
    }

    /// The time spent evaluating tests.
    pub fn duration(&self) -> Duration {
        self.results.iter().map(|result| result.duration).sum()
    }

    fn count(&self, keep: impl Fn(&Outcome) -> bool) -> usize {
        self.results
            .iter()
            .filter(|result| keep(&result.outcome))
            .count()
    }
}

static TEST_RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(test_[A-Za-z0-9_]+)\b").expect("valid regex"));

/// The `test_*` rules of a test file, in source order, each once: every top-level line that
/// starts with `test_<name>` (followed by `if`, `{`, `:=`…).
pub(crate) fn test_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(captures) = TEST_RULE.captures(line) {
            let name = &captures[1];
            if !names.iter().any(|known| known == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// Runs the tests of `set`: builds one engine with every rule, helper library and test file,
/// then evaluates each `test_*` rule on its own clone of that engine (one erroring test cannot
/// hide the others). `true` passes; undefined, `false` or any other value fails; an error is
/// reported with its message.
///
/// `filter` keeps the tests whose `package.name`, file, or paired rule id or name contains it,
/// ignoring case.
pub fn run_tests(set: &PolicySet, filter: Option<&str>) -> TestReport {
    let mut report = TestReport::default();
    let mut engine = new_regorus();
    let mut problems = Vec::new();
    for lib in set.libs() {
        add_file(&mut engine, &lib.path, &lib.text, &mut problems);
    }
    for rule in set.rules() {
        add_file(&mut engine, &rule.path, &rule.text, &mut problems);
    }
    let mut files = Vec::new();
    for test in set.tests() {
        if let Some(package) = add_file(&mut engine, &test.path, &test.text, &mut problems) {
            files.push((test, package));
        }
    }
    report.load_errors = problems.iter().map(ToString::to_string).collect();
    // Prepare once so that every clone starts ready (a failure here shows in every test).
    let _ = engine.eval_query("true".to_owned(), false);

    let filter = filter.map(str::to_lowercase);
    files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    for (test, package) in files {
        let package = package.strip_prefix("data.").unwrap_or(&package).to_owned();
        let rule = test.rule.as_deref().and_then(|id| set.find_rule(id));
        let file_matches = |filter: &str| {
            test.path.to_lowercase().contains(filter)
                || rule.is_some_and(|rule| {
                    rule.id.to_lowercase().contains(filter) || rule.name.contains(filter)
                })
        };
        let names = test_names(&test.text);
        if names.is_empty() {
            if filter
                .as_deref()
                .is_none_or(|f| file_matches(f) || package.to_lowercase().contains(f))
            {
                report.empty_files.push(test.path.clone());
            }
            continue;
        }
        for name in names {
            let full = format!("{package}.{name}");
            if let Some(filter) = filter.as_deref() {
                if !file_matches(filter) && !full.to_lowercase().contains(filter) {
                    continue;
                }
            }
            let mut engine = engine.clone();
            let started = Instant::now();
            let value = engine.eval_rule(format!("data.{full}"));
            let duration = started.elapsed();
            let outcome = match value {
                Ok(regorus::Value::Bool(true)) => Outcome::Pass,
                Ok(_) => Outcome::Fail,
                Err(error) => Outcome::Error(error.to_string().trim().to_owned()),
            };
            let prints = engine.take_prints().unwrap_or_default();
            report.results.push(TestResult {
                file: test.path.clone(),
                package: package.clone(),
                name,
                outcome,
                duration,
                prints,
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::test_names;

    #[test]
    fn test_names_are_top_level_test_rules_once_each() {
        let text = "package p\n\ntest_a if {\n  true\n}\ntest_b := true\n  test_indented if true\n\
                    test_a if { false }\n# test_comment if true\ntest_c\n";
        assert_eq!(test_names(text), ["test_a", "test_b", "test_c"]);
    }
}
