//! Errors and the problems (or warnings) found in policy files.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// One problem in one policy file: an error inside [`PolicyError::Invalid`], or a warning
/// returned by [`PolicySet::warnings`](crate::PolicySet::warnings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, as shown to users (`policies/pip/pip001.rego` for a built-in, the path on disk
    /// for a user policy).
    pub file: String,
    /// The 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(
        file: impl Into<String>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Everything that can go wrong while loading, compiling or evaluating policies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A policy file or directory could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Policy files break the policy contract (metadata, documentation, tests, syntax, unknown
    /// functions…). Every problem found is listed, each naming its file and line.
    #[error("{}", display_problems(.0))]
    Invalid(Vec<Problem>),
    /// A rule has no `deny` set, or failed when evaluated once against an empty input at
    /// compile time.
    #[error("{file}: rule {rule}: {message}")]
    Compile {
        /// The rule's file.
        file: String,
        /// The rule's id.
        rule: String,
        /// regorus's message (it carries file, line and column).
        message: String,
    },
    /// A rule to select or disable names no loaded rule.
    #[error("unknown rule `{name}`; known rules: {}", known.join(", "))]
    UnknownRule {
        /// The id (or name, or alias) asked for.
        name: String,
        /// Every loaded rule id.
        known: Vec<String>,
    },
    /// The input could not be handed to the engine, or the evaluation failed.
    #[error("policy evaluation failed: {message}")]
    Eval {
        /// regorus's message (it carries file, line and column).
        message: String,
    },
    /// A rule produced a finding that breaks the finding contract (no `msg`, bad severity…).
    #[error("rule {rule} ({file}) produced an invalid finding: {message}")]
    InvalidFinding {
        /// The rule's id.
        rule: String,
        /// The rule's file.
        file: String,
        /// What is wrong, with the finding.
        message: String,
    },
}

fn display_problems(problems: &[Problem]) -> String {
    match problems {
        [one] => one.to_string(),
        many => {
            let mut text = format!("{} problems in policies:", many.len());
            for problem in many {
                text.push_str("\n  ");
                text.push_str(&problem.to_string());
            }
            text
        }
    }
}
