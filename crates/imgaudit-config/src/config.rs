//! [`Config`]: reading and checking `imgaudit.toml`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use imgaudit_finding::Severity;
use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use crate::date::Date;
use crate::error::{ConfigError, ErrorKind};
use crate::rules::{RuleSelector, RuleSettings};
use crate::suppress::{Suppression, image_glob, target_glob};
use crate::threshold::Threshold;

/// The name of the configuration file looked for in the working directory.
pub const FILE_NAME: &str = "imgaudit.toml";

/// The contents of a configuration file, checked, with relative paths resolved against the
/// file's directory.
///
/// Every setting is optional: `None` or empty means the file does not set it, and the CLI's
/// default (or flag) applies.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file's path, as given.
    pub path: PathBuf,
    /// `fail-on`.
    pub fail_on: Option<Threshold>,
    /// `min-severity`: findings below it are not reported.
    pub min_severity: Option<Severity>,
    /// `dockerfile`, resolved against the file's directory.
    pub dockerfile: Option<PathBuf>,
    /// `policies`: extra policy directories, resolved against the file's directory.
    pub policies: Vec<PathBuf>,
    /// `sarif-category`.
    pub sarif_category: Option<String>,
    /// `image-name`: the name used in reports, fingerprints and suppression matching.
    pub image_name: Option<String>,
    /// `max-expansion-ratio`: how many times its compressed size a layer may expand to (at
    /// least 1), once it holds more than `expansion-floor` bytes.
    pub max_expansion_ratio: Option<u64>,
    /// `expansion-floor`: the uncompressed bytes a layer may reach whatever its ratio.
    pub expansion_floor: Option<u64>,
    /// `[rules]`.
    pub rules: RuleSettings,
    /// The `[[suppress]]` entries, in file order.
    pub suppressions: Vec<Suppression>,
    /// The file's text, for errors found later by [`Config::resolve_rules`].
    pub(crate) source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", expecting = "a table")]
struct RawConfig {
    fail_on: Option<Threshold>,
    min_severity: Option<Severity>,
    dockerfile: Option<Spanned<String>>,
    #[serde(default)]
    policies: Vec<Spanned<String>>,
    sarif_category: Option<Spanned<String>>,
    image_name: Option<Spanned<String>>,
    max_expansion_ratio: Option<Spanned<u64>>,
    expansion_floor: Option<u64>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    suppress: Vec<Spanned<RawSuppression>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawRules {
    enable: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Severity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawSuppression {
    rule: Spanned<String>,
    image: Option<Spanned<String>>,
    target: Option<Spanned<String>>,
    reason: Spanned<String>,
    expires: Option<Spanned<toml::Value>>,
}

/// The 1-based line of byte `offset` of `source`.
fn line_of(source: &str, offset: usize) -> usize {
    source
        .as_bytes()
        .iter()
        .take(offset)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Checks the parts of a deserialized file that serde does not, reporting errors at their
/// place in the file.
struct Checker<'a> {
    path: &'a Path,
    source: &'a str,
}

impl Checker<'_> {
    fn error(&self, span: Range<usize>, key: &str, message: String) -> ConfigError {
        ConfigError::at(
            ErrorKind::Invalid,
            self.path,
            self.source,
            Some(span),
            Some(key.to_owned()),
            message,
        )
    }

    /// The string, unless it is empty or white space.
    fn non_empty(&self, value: Spanned<String>, key: &str) -> Result<Spanned<String>, ConfigError> {
        if value.get_ref().trim().is_empty() {
            return Err(self.error(value.span(), key, format!("`{key}` must not be empty")));
        }
        Ok(value)
    }

    fn relative_path(&self, value: Spanned<String>, key: &str) -> Result<PathBuf, ConfigError> {
        let value = self.non_empty(value, key)?;
        let base = self.path.parent().unwrap_or(Path::new(""));
        Ok(base.join(value.into_inner()))
    }

    fn selectors(
        &self,
        values: Vec<Spanned<String>>,
        key: &str,
    ) -> Result<Vec<RuleSelector>, ConfigError> {
        values
            .into_iter()
            .enumerate()
            .map(|(index, value)| self.selector(value, format!("{key}[{index}]")))
            .collect()
    }

    fn selector(&self, value: Spanned<String>, key: String) -> Result<RuleSelector, ConfigError> {
        let value = self.non_empty(value, &key)?;
        let span = value.span();
        Ok(RuleSelector {
            value: value.into_inner(),
            line: line_of(self.source, span.start),
            key,
            span,
        })
    }

    fn glob(
        &self,
        value: Option<Spanned<String>>,
        key: &str,
        compile: fn(&str) -> Result<globset::GlobMatcher, globset::Error>,
    ) -> Result<Option<(String, globset::GlobMatcher)>, ConfigError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let value = self.non_empty(value, key)?;
        match compile(value.get_ref()) {
            Ok(glob) => Ok(Some((value.into_inner(), glob))),
            Err(error) => Err(self.error(
                value.span(),
                key,
                format!(
                    "`{}` is not a valid glob: {}",
                    value.get_ref(),
                    error.kind()
                ),
            )),
        }
    }

    fn date(&self, value: Spanned<toml::Value>, key: &str) -> Result<Date, ConfigError> {
        let span = value.span();
        let bad = |message: String| self.error(span.clone(), key, message);
        match value.into_inner() {
            toml::Value::String(text) => text
                .parse()
                .map_err(|error: crate::date::ParseDateError| bad(format!("`{key}`: {error}"))),
            toml::Value::Datetime(datetime) => {
                match (datetime.date, datetime.time, datetime.offset) {
                    (Some(date), None, None) => Date::new(date.year, date.month, date.day)
                        .ok_or_else(|| bad(format!("`{key}`: `{datetime}` is not a valid date"))),
                    _ => Err(bad(format!(
                        "`{key}` must be a date such as 2026-12-31, without a time: `{datetime}`"
                    ))),
                }
            }
            other => Err(bad(format!(
                "`{key}` must be a date such as 2026-12-31, not {} `{other}`",
                other.type_str()
            ))),
        }
    }

    fn suppression(
        &self,
        index: usize,
        raw: Spanned<RawSuppression>,
    ) -> Result<Suppression, ConfigError> {
        let line = line_of(self.source, raw.span().start);
        let raw = raw.into_inner();
        let key = |name: &str| format!("suppress[{index}].{name}");
        let rule = self.non_empty(raw.rule, &key("rule"))?;
        let reason = self.non_empty(raw.reason, &key("reason"))?;
        let image = self.glob(raw.image, &key("image"), image_glob)?;
        let target = self.glob(raw.target, &key("target"), target_glob)?;
        let expires = raw
            .expires
            .map(|expires| self.date(expires, &key("expires")))
            .transpose()?;
        let rule_span = rule.span();
        Ok(Suppression::new(
            rule.into_inner(),
            rule_span,
            image,
            target,
            reason.into_inner(),
            expires,
            line,
        ))
    }
}

/// The most imgaudit reads of a file the user hands it whole (this configuration file, a
/// Dockerfile, an image list): real ones are kilobytes, and `/dev/zero` must not fill memory.
pub const MAX_INPUT_FILE: u64 = 4 * 1024 * 1024;

/// Reads `reader` to its end, or fails once it passes [`MAX_INPUT_FILE`] bytes, saying so.
pub fn read_capped(reader: impl io::Read) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_INPUT_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_FILE {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "it is larger than {} MiB, the most imgaudit reads of such a file",
                MAX_INPUT_FILE / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
}

/// Reads the file at `path` whole, up to [`MAX_INPUT_FILE`] bytes; see [`read_capped`].
pub fn read_file_capped(path: &Path) -> io::Result<Vec<u8>> {
    read_capped(fs::File::open(path)?)
}

impl Config {
    /// `dir/imgaudit.toml`, if it is a file (or a link to one).
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        let candidate = dir.join(FILE_NAME);
        candidate.is_file().then_some(candidate)
    }

    /// Reads and checks the configuration file at `path`; see [`Config::parse`].
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = read_file_capped(path).map_err(|error| ConfigError::read(path, error))?;
        let text = String::from_utf8(bytes)
            .map_err(|error| ConfigError::not_utf8(path, error.as_bytes(), error.utf8_error()))?;
        Config::parse(&text, path)
    }

    /// Checks `text`, the contents of the configuration file at `path`.
    ///
    /// `path` is used in errors and to resolve `dockerfile` and `policies`: relative paths are
    /// taken relative to `path`'s directory (so a bare `imgaudit.toml` resolves against the
    /// working directory). Nothing is read from disk. A leading byte-order mark is ignored.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let source = text.strip_prefix('\u{feff}').unwrap_or(text);
        let document =
            DeTable::parse(source).map_err(|error| ConfigError::syntax(path, source, &error))?;
        let raw = RawConfig::deserialize(toml::de::Deserializer::from(document))
            .map_err(|error| ConfigError::schema(path, source, &error))?;

        let checker = Checker { path, source };
        let dockerfile = raw
            .dockerfile
            .map(|value| checker.relative_path(value, "dockerfile"))
            .transpose()?;
        let policies = raw
            .policies
            .into_iter()
            .enumerate()
            .map(|(index, value)| checker.relative_path(value, &format!("policies[{index}]")))
            .collect::<Result<_, _>>()?;
        let sarif_category = raw
            .sarif_category
            .map(|value| checker.non_empty(value, "sarif-category"))
            .transpose()?
            .map(Spanned::into_inner);
        let image_name = raw
            .image_name
            .map(|value| checker.non_empty(value, "image-name"))
            .transpose()?
            .map(Spanned::into_inner);
        let max_expansion_ratio = raw
            .max_expansion_ratio
            .map(|ratio| match *ratio.get_ref() {
                0 => Err(checker.error(
                    ratio.span(),
                    "max-expansion-ratio",
                    "`max-expansion-ratio` must be at least 1".to_owned(),
                )),
                n => Ok(n),
            })
            .transpose()?;
        let rules = RuleSettings {
            enable: raw
                .rules
                .enable
                .map(|values| checker.selectors(values, "rules.enable"))
                .transpose()?,
            disable: checker.selectors(raw.rules.disable, "rules.disable")?,
            severity: raw
                .rules
                .severity
                .into_iter()
                .map(|(selector, severity)| {
                    let key = crate::error::render_key_path(&[
                        crate::error::Segment::Key("rules".to_owned()),
                        crate::error::Segment::Key("severity".to_owned()),
                        crate::error::Segment::Key(selector.get_ref().clone()),
                    ]);
                    Ok((checker.selector(selector, key)?, severity))
                })
                .collect::<Result<_, ConfigError>>()?,
        };
        let suppressions = raw
            .suppress
            .into_iter()
            .enumerate()
            .map(|(index, raw)| checker.suppression(index, raw))
            .collect::<Result<_, _>>()?;

        Ok(Config {
            path: path.to_owned(),
            fail_on: raw.fail_on,
            min_severity: raw.min_severity,
            dockerfile,
            policies,
            sarif_category,
            image_name,
            max_expansion_ratio,
            expansion_floor: raw.expansion_floor,
            rules,
            suppressions,
            source: source.to_owned(),
        })
    }
}
