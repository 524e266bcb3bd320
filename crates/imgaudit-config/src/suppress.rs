//! [`Suppression`]: a `[[suppress]]` entry, accepting some findings of one rule.

use std::ops::Range;

use globset::{GlobBuilder, GlobMatcher};

use crate::date::Date;

/// One `[[suppress]]` entry: findings of [`rule`](Self::rule), optionally only in images whose
/// name matches [`image`](Self::image) and only on paths or variables matching
/// [`target`](Self::target), are accepted for [`reason`](Self::reason) until
/// [`expires`](Self::expires).
///
/// Globs:
/// - `target` is matched with `*` and `?` staying within one path segment and `**` crossing
///   segments, like the CLI's other path globs: `/root/.local/**` matches every path under
///   `/root/.local`, `/etc/profile.d/*.sh` only the files directly in it. A variable name such
///   as `PIP_USER` has no `/`, so `PIP_*` matches it.
/// - `image` is matched with `*` crossing `/`, because image names are short and hierarchical:
///   `registry.example.com/team/*` matches `registry.example.com/team/app` and
///   `registry.example.com/team/sub/app`. The tag or digest of the name matched is ignored.
///
/// Both are case-sensitive; `[abc]`, `{a,b}` and `\` escapes work as in globset.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// The rule's id or name, as written.
    pub rule: String,
    /// The glob on the image name, as written.
    pub image: Option<String>,
    /// The glob on the finding's path or variable name, as written.
    pub target: Option<String>,
    /// Why the findings are accepted (never empty).
    pub reason: String,
    /// The last day the suppression applies.
    pub expires: Option<Date>,
    /// The 1-based line of the `[[suppress]]` header (or of the inline table).
    pub line: usize,
    pub(crate) rule_span: Range<usize>,
    image_glob: Option<GlobMatcher>,
    target_glob: Option<GlobMatcher>,
}

/// Compiles a `target` glob (`*` does not cross `/`).
pub(crate) fn target_glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|glob| glob.compile_matcher())
}

/// Compiles an `image` glob (`*` crosses `/`).
pub(crate) fn image_glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .map(|glob| glob.compile_matcher())
}

impl Suppression {
    /// Whether `rule` names the rule with this id or name, ignoring case.
    pub(crate) fn names_rule(&self, id: &str, name: &str) -> bool {
        let rule = self.rule.trim();
        rule.eq_ignore_ascii_case(id) || rule.eq_ignore_ascii_case(name)
    }

    /// Builds a suppression from validated parts.
    pub(crate) fn new(
        rule: String,
        rule_span: Range<usize>,
        image: Option<(String, GlobMatcher)>,
        target: Option<(String, GlobMatcher)>,
        reason: String,
        expires: Option<Date>,
        line: usize,
    ) -> Suppression {
        let (image, image_glob) = image.unzip();
        let (target, target_glob) = target.unzip();
        Suppression {
            rule,
            image,
            target,
            reason,
            expires,
            line,
            rule_span,
            image_glob,
            target_glob,
        }
    }

    /// Whether this suppression covers a finding of the rule `rule_id` (named `rule_name`) in
    /// the image `image_name` (its repository, without tag or digest, as reports name it),
    /// about `targets` (a path, a variable name, or both).
    ///
    /// The rule matches by id or name, ignoring case. An absent `image` or `target` matches
    /// everything; a `target` glob matches if it matches any of `targets`, so a finding without
    /// targets is not covered by a suppression that has one. Expiry is not considered here (see
    /// [`is_expired`](Self::is_expired)).
    pub fn matches(
        &self,
        rule_id: &str,
        rule_name: &str,
        image_name: &str,
        targets: &[&str],
    ) -> bool {
        if !self.names_rule(rule_id, rule_name) {
            return false;
        }
        if let Some(glob) = &self.image_glob {
            if !glob.is_match(image_name) {
                return false;
            }
        }
        match &self.target_glob {
            Some(glob) => targets.iter().any(|target| glob.is_match(target)),
            None => true,
        }
    }

    /// Whether the suppression no longer applies on `today`: true only after its `expires` day
    /// (the day itself still suppresses), never without one.
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|expires| today > expires)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_flavours() {
        let target = target_glob("/root/*/x").unwrap();
        assert!(target.is_match("/root/a/x"));
        assert!(!target.is_match("/root/a/b/x"));
        assert!(target_glob("/root/**/x").unwrap().is_match("/root/a/b/x"));
        let image = image_glob("registry/*").unwrap();
        assert!(image.is_match("registry/team/app"));
        assert!(target_glob("a[").is_err());
    }
}
