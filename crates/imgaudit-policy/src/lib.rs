//! Rego policies over imgaudit's facts: loading, metadata, evaluation, rule docs and a test
//! runner.
//!
//! Policies are [Rego](https://www.openpolicyagent.org/docs/latest/policy-language/) (v1
//! syntax) evaluated by [regorus]. The built-in policies are embedded in the binary from the
//! repository's `policies/` directory; users may add their own directories. This crate never
//! prints: it returns data and errors.
//!
//! # The policy contract
//!
//! ## Files
//!
//! A policy directory holds rules as trios of files side by side, possibly in sub-folders (one
//! folder per pack: `pip/`, `python/`, `hygiene/`, `secrets/`…; the first folder below the
//! policy directory is the rule's [`Rule::pack`], which `--select hygiene` selects whole):
//!
//! - `NAME.rego`: the rule;
//! - `NAME_test.rego`: its tests, `test_*` rules (any package; usually
//!   `imgaudit.rules.<name>_test`);
//! - `NAME.md`: its documentation in ruff's shape, with these level-2 sections once each and in
//!   this order (others may sit anywhere): `## What it does`, `## Why is this bad?`,
//!   `## Example`, `## Use instead`, `## References`.
//!
//! Built-in rules must have all three files. For user rules a missing (or malformed) document or
//! a missing test file is a warning ([`PolicySet::warnings`]), not an error.
//!
//! Shared helpers live in `.rego` files without `# METADATA` whose package is under
//! `imgaudit.lib` (`policies/lib/describe.rego`, `package imgaudit.lib.describe`); rules use
//! them through `data.imgaudit.lib.…` or an import. Other `.md` files (a `README.md`) are
//! ignored. Any other package is an error. Rules must not depend on each other: a disabled rule
//! is not loaded at all.
//!
//! ## A rule
//!
//! A rule file starts with an OPA-style `# METADATA` comment block (YAML after `# `) directly
//! above (no blank line) `package imgaudit.rules.<name>` (identifiers joined by dots; one
//! package per rule) and defines a partial set `deny`:
//!
//! ```rego
//! # METADATA
//! # title: pip is told to install into the user site
//! # description: one paragraph
//! # related_resources:
//! #   - https://pip.pypa.io/en/stable/user_guide/#user-installs
//! # custom:
//! #   id: PIP001
//! #   name: user-install-forced
//! #   severity: medium
//! #   remediation: one paragraph
//! #   aliases: [DS002]
//! #   domains: [python]
//! package imgaudit.rules.pip001
//!
//! import rego.v1
//!
//! deny contains finding if {
//!     some env in input.env
//!     env.name == "PIP_USER"
//!     finding := {"msg": "PIP_USER is set", "evidence": {"variable": env.name}}
//! }
//! ```
//!
//! The metadata is parsed here (regorus has no `rego.metadata`) and validated:
//!
//! - `title`, `description`, `custom.remediation`: non-empty strings;
//! - `custom.id`: upper-case letters then three digits (`PIP001`, `FILE001`), unique across
//!   every loaded policy (a user rule cannot reuse a built-in id);
//! - `custom.name`: kebab-case (`user-install-forced`), unique;
//! - `custom.severity`: `critical`, `high`, `medium`, `low` or `info`, in any case;
//! - `custom.aliases` (optional): other tools' ids for the same check (`CIS-DI-0001`, `DS002`,
//!   `DKL-LI-0001`), a list of non-empty strings without white space. Users may name a rule by
//!   any of them wherever they name it by id or name ([`PolicySet::find_rule`],
//!   [`PolicySet::compile`]), so, ignoring ASCII case, an alias is listed once across every
//!   loaded rule and is never a rule's id or name;
//! - `custom.domains` (optional for user rules, given by every built-in one): the fact domains
//!   the rule reads (`[python]`), lower-case names, each once. An audit collects only the
//!   domains its enabled rules read; a rule that names none may read any. Whether a name is a
//!   domain the facts have is checked by the audit, which knows them;
//! - `related_resources`: URLs, as strings or `{ref: URL}` objects (optional).
//!
//! Other OPA annotation keys are accepted and ignored. Every problem is reported at once, each
//! naming its file and line ([`PolicyError::Invalid`]).
//!
//! [`rules_markdown`] renders rules as a Markdown table (id, name, severity, title, aliases);
//! the repository's README carries it for the built-in rules, and a test keeps the two equal.
//!
//! ## Findings
//!
//! Each element of `deny` is an object:
//!
//! | key         | required | meaning                                                         |
//! |-------------|----------|-----------------------------------------------------------------|
//! | `msg`       | yes      | non-empty string                                                |
//! | `severity`  | no       | overrides the rule's for this finding (raised when a conda env is present…) |
//! | `precision` | no       | `high` (default), `medium` or `low` (a variable seen only inside a shell conditional is `low`) |
//! | `evidence`  | no       | an object: path, variable, value, file, line, layer, history step… |
//! | `locations` | no       | an array of locations (`path`, `line`, `layer`, `history_step`, `created_by`); the first is where reports point |
//!
//! Any other key is kept in [`Finding::extra`]. A finding without `msg`, or with a bad
//! `severity`, `precision`, `evidence` or `locations`, is an evaluation error naming the rule
//! ([`PolicyError::InvalidFinding`]).
//!
//! ## Evaluation
//!
//! [`PolicySet::compile`] builds one regorus engine with the helper libraries and every enabled
//! rule, Rego v1, with `strict_builtin_errors` off (as in OPA, a builtin error such as
//! `to_number("abc")` or a bad regex makes the expression undefined). At compile time every
//! function call is checked statically (it must name a builtin of this regorus build or a
//! function of the loaded policies, with that many arguments), and every rule's `deny` is
//! evaluated once against an empty input object. [`Engine::evaluate`] runs one query over all
//! enabled rules and returns the findings sorted by rule id, message and evidence.
//!
//! The embedded built-in policies are the repository's own and its tests hold them to every
//! check, so [`PolicySet::builtin`] loads them for running: each rule and library is parsed
//! once, by [`PolicySet::compile`], which skips the call check and the empty-input evaluation
//! for them; test files are parsed only by [`run_tests`]. Once anything is added to the set,
//! compile checks every rule again. [`PolicySet::builtin_sources`] given to
//! [`PolicySet::from_sources`] loads them with every check, as `imgaudit policy test` does.
//!
//! Only the builtins compiled into this build exist: regorus with `std`, `arc`, `regex`, `glob`
//! and `cache` (no `time`, `semver`, `base64`, `http`, `net`, `uuid`, `graph`…). Normalise
//! names and paths in Rust when building the facts rather than with per-item regexes in Rego,
//! and prefer grouping rules to pairwise joins.
//!
//! ## Tests
//!
//! [`run_tests`] lists every `test_*` rule of every `_test.rego` (top-level lines starting with
//! `test_<name>`) and evaluates each one by one, like `opa test`; `with input as {…}` works.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod check;
mod doc;
mod engine;
mod error;
mod metadata;
mod set;
mod testing;

pub use doc::{DOC_SECTIONS, render_doc_text, rules_markdown};
pub use engine::{EVIDENCE_KEYS, Engine, Finding};
pub use error::{PolicyError, Problem};
pub use imgaudit_finding::{Location, ParseLevelError, Precision, Severity};
pub use set::{PolicySet, Rule, RuleOrigin, Source};
pub use testing::{Outcome, TestReport, TestResult, run_tests};
