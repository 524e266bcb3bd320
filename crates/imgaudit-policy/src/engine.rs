//! Compiling a [`PolicySet`] into an [`Engine`] and evaluating it over facts.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::check::check_calls;
use crate::error::{PolicyError, Problem};
use crate::set::{PolicySet, Rule, regorus_problem};
use imgaudit_finding::{Location, Precision, Severity};

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id (`PIP001`).
    pub rule_id: String,
    /// The rule's name (`user-install-forced`).
    pub rule_name: String,
    /// The finding's `severity`, or else the rule's.
    pub severity: Severity,
    /// The finding's `precision`, or else [`Precision::High`].
    pub precision: Precision,
    /// The finding's `msg`.
    pub message: String,
    /// The finding's `evidence` object (path, variable, value, file, line, layer, history
    /// step…), or an empty object. Its keys that fingerprints and suppressions read (`path`,
    /// `variable`, `source`) are strings when present: [`Finding::evidence_text`].
    pub evidence: Json,
    /// The finding's `locations`; the first is where reports point.
    pub locations: Vec<Location>,
    /// Every other key of the finding.
    pub extra: Map<String, Json>,
}

/// The evidence keys that identify what a finding is about: fingerprints, suppressions and
/// Dockerfile lines read them, so a policy must give them as strings.
pub const EVIDENCE_KEYS: [&str; 3] = ["path", "variable", "source"];

impl Finding {
    /// The evidence's `key` (one of [`EVIDENCE_KEYS`]) as text.
    pub fn evidence_text(&self, key: &str) -> Option<&str> {
        self.evidence.get(key).and_then(Json::as_str)
    }

    /// Where reports point: the first location, when there is one.
    pub fn location(&self) -> Option<&Location> {
        self.locations.first()
    }
}

/// All enabled rules of a [`PolicySet`] in one regorus engine, checked and ready.
///
/// Cheap to clone and `Send + Sync`: share it, or clone it per thread. Each
/// [`Engine::evaluate`] works on its own clone of the compiled engine.
#[derive(Clone)]
pub struct Engine {
    regorus: regorus::Engine,
    /// Enabled rules, in the order of the query's array.
    rules: Vec<Rule>,
    query: String,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field(
                "rules",
                &self.rules.iter().map(|r| &r.id).collect::<Vec<_>>(),
            )
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

/// A regorus engine as imgaudit uses it: Rego v1, builtin errors make a value undefined (as in
/// OPA) instead of failing the evaluation, `print` output gathered instead of written to stderr.
pub(crate) fn new_regorus() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    engine.set_strict_builtin_errors(false);
    engine.set_gather_prints(true);
    engine
}

/// Adds a `.rego` file to `engine`, recording a problem instead of failing.
pub(crate) fn add_file(
    engine: &mut regorus::Engine,
    path: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    match engine.add_policy(path.to_owned(), text.to_owned()) {
        Ok(package) => Some(package),
        Err(error) => {
            problems.push(regorus_problem(path, &error.to_string()));
            None
        }
    }
}

impl PolicySet {
    /// Compiles every rule but the `disabled` ones (ids, names or aliases, ignoring case, as
    /// [`PolicySet::find_rule`] resolves them; an unknown one is an error listing the known ids)
    /// and every helper library into one engine.
    ///
    /// Every function call is checked (it must exist, with that many arguments), then every
    /// enabled rule's `deny` is evaluated once against an empty input object, so that type
    /// errors on that path and malformed findings show up now. Errors name the file. The
    /// embedded built-in policies alone ([`PolicySet::builtin`]) skip both checks: the
    /// repository's tests make them.
    pub fn compile(&self, disabled: &[String]) -> Result<Engine, PolicyError> {
        let mut off = vec![false; self.rules().len()];
        for key in disabled {
            let Some(index) = self.rule_index(key) else {
                return Err(PolicyError::UnknownRule {
                    name: key.clone(),
                    known: self.rule_ids(),
                });
            };
            off[index] = true;
        }
        let rules: Vec<Rule> = self
            .rules()
            .iter()
            .zip(&off)
            .filter(|&(_, &off)| !off)
            .map(|(rule, _)| rule.clone())
            .collect();

        let mut engine = new_regorus();
        let mut problems = Vec::new();
        for lib in self.libs() {
            add_file(&mut engine, &lib.path, &lib.text, &mut problems);
        }
        for rule in &rules {
            add_file(&mut engine, &rule.path, &rule.text, &mut problems);
        }
        let checked = !self.is_embedded();
        if problems.is_empty() && checked {
            problems = check_calls(engine.get_modules());
        }
        if !problems.is_empty() {
            return Err(PolicyError::Invalid(problems));
        }

        engine.set_input(regorus::Value::new_object());
        if checked {
            for rule in &rules {
                check_on_empty_input(&mut engine, rule)?;
            }
        } else {
            // Prepares the engine once, as the checks do, so that every evaluation's clone
            // starts ready.
            engine
                .eval_query("true".to_owned(), false)
                .map_err(|error| PolicyError::Eval {
                    message: error.to_string().trim().to_owned(),
                })?;
        }

        let query = if rules.is_empty() {
            "[]".to_owned()
        } else {
            let parts: Vec<String> = rules
                .iter()
                .map(|rule| format!("[f | f := data.{}.deny[_]]", rule.package))
                .collect();
            // One rule per line: regorus refuses lines longer than 1,024 columns.
            format!("[\n{}\n]", parts.join(",\n"))
        };
        let compiled = Engine {
            regorus: engine,
            rules,
            query,
        };
        if checked {
            // Checks the query's shape.
            compiled.evaluate(&Json::Object(Map::new()))?;
        }
        Ok(compiled)
    }
}

/// Checks that `rule` defines `deny` and that, on the empty input object `engine` holds, it
/// evaluates to a set of well-formed findings (or is undefined).
fn check_on_empty_input(engine: &mut regorus::Engine, rule: &Rule) -> Result<(), PolicyError> {
    let compile_error = |message: String| PolicyError::Compile {
        file: rule.path.clone(),
        rule: rule.id.clone(),
        message,
    };
    if let Ok(false) = engine.has_declared_rule_rooted_at(&rule.path, "deny") {
        return Err(compile_error(
            "no `deny` rule (a rule defines `deny contains finding if { … }`)".to_owned(),
        ));
    }
    let value = engine
        .eval_rule(format!("data.{}.deny", rule.package))
        .map_err(|error| {
            compile_error(format!(
                "fails on an empty input object: {}",
                error.to_string().trim()
            ))
        })?;
    match value {
        regorus::Value::Undefined => {}
        regorus::Value::Set(ref findings) => {
            for finding in findings.iter() {
                to_finding(rule, finding)?;
            }
        }
        other => {
            return Err(compile_error(format!(
                "`deny` must be a set of findings (`deny contains finding if {{ … }}`), not {}",
                json_excerpt(&to_json(&other))
            )));
        }
    }
    Ok(())
}

impl Engine {
    /// The enabled rules, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Evaluates every enabled rule over `input` in one query and returns the findings sorted by
    /// rule id, then message, then evidence (then locations and the other keys).
    ///
    /// The query is an array with one comprehension per enabled rule
    /// (`[f | f := data.<package>.deny[_]]`, one per line), so each finding maps back to its rule
    /// by position. What policies `print` is discarded.
    pub fn evaluate(&self, input: &Json) -> Result<Vec<Finding>, PolicyError> {
        if self.rules.is_empty() {
            return Ok(Vec::new());
        }
        let mut engine = self.regorus.clone();
        let input = regorus::Value::deserialize(input).map_err(|error| PolicyError::Eval {
            message: format!("the input cannot be converted: {error}"),
        })?;
        engine.set_input(input);
        let results = engine
            .eval_query(self.query.clone(), false)
            .map_err(|error| PolicyError::Eval {
                message: error.to_string().trim().to_owned(),
            })?;
        let bad_shape = || PolicyError::Eval {
            message: format!("the query `{}` gave no array of findings", self.query),
        };
        let value = results
            .result
            .first()
            .and_then(|result| result.expressions.first())
            .map(|expression| &expression.value)
            .ok_or_else(bad_shape)?;
        let per_rule = value.as_array().map_err(|_| bad_shape())?;
        if per_rule.len() != self.rules.len() {
            return Err(bad_shape());
        }
        let mut findings = Vec::new();
        for (rule, produced) in self.rules.iter().zip(per_rule.iter()) {
            for finding in produced.as_array().map_err(|_| bad_shape())? {
                findings.push(to_finding(rule, finding)?);
            }
        }
        sort_findings(&mut findings);
        Ok(findings)
    }
}

fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by_cached_key(|finding| {
        (
            finding.rule_id.clone(),
            finding.message.clone(),
            finding.evidence.to_string(),
            serde_json::to_string(&finding.locations).unwrap_or_default(),
            Json::Object(finding.extra.clone()).to_string(),
        )
    });
}

fn to_json(value: &regorus::Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

fn json_excerpt(value: &Json) -> String {
    let mut text = value.to_string();
    if text.len() > 300 {
        let mut end = 300;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Checks one `deny` element against the finding contract.
fn to_finding(rule: &Rule, value: &regorus::Value) -> Result<Finding, PolicyError> {
    let json = to_json(value);
    let invalid = |message: String| PolicyError::InvalidFinding {
        rule: rule.id.clone(),
        file: rule.path.clone(),
        message: format!("{message}: {}", json_excerpt(&json)),
    };
    let Json::Object(mut fields) = json.clone() else {
        return Err(invalid("a finding must be an object".to_owned()));
    };
    let message = match fields.remove("msg") {
        Some(Json::String(message)) if !message.trim().is_empty() => message,
        Some(_) => return Err(invalid("`msg` must be a non-empty string".to_owned())),
        None => return Err(invalid("a finding needs a `msg`".to_owned())),
    };
    let severity = match fields.remove("severity") {
        None => rule.severity,
        Some(Json::String(text)) => text
            .parse()
            .map_err(|error| invalid(format!("`severity`: {error}")))?,
        Some(_) => return Err(invalid("`severity` must be a string".to_owned())),
    };
    let precision = match fields.remove("precision") {
        None => Precision::default(),
        Some(Json::String(text)) => text
            .parse()
            .map_err(|error| invalid(format!("`precision`: {error}")))?,
        Some(_) => return Err(invalid("`precision` must be a string".to_owned())),
    };
    let evidence = match fields.remove("evidence") {
        None => Json::Object(Map::new()),
        Some(evidence @ Json::Object(_)) => evidence,
        Some(_) => return Err(invalid("`evidence` must be an object".to_owned())),
    };
    for key in EVIDENCE_KEYS {
        if evidence.get(key).is_some_and(|value| !value.is_string()) {
            return Err(invalid(format!("`evidence.{key}` must be a string")));
        }
    }
    let locations = match fields.remove("locations") {
        None => Vec::new(),
        Some(Json::Array(locations)) if locations.iter().all(Json::is_object) => locations
            .into_iter()
            .enumerate()
            .map(|(index, location)| {
                serde_json::from_value(location)
                    .map_err(|error| invalid(format!("`locations[{index}]`: {error}")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                "`locations` must be an array of objects".to_owned(),
            ));
        }
    };
    Ok(Finding {
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        severity,
        precision,
        message,
        evidence,
        locations,
        extra: fields,
    })
}
