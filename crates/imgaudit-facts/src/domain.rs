//! Fact domains: groups of facts with their own captured files and their own keys of the
//! document, collected only when a rule that reads them is enabled.

use std::collections::BTreeSet;
use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

/// A group of facts. Rules name the domains they read (`custom.domains` in their METADATA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// The image's identity and config: `image`, `layers`, `history`, `env`. Always collected.
    Image,
    /// The accounts and the user the image runs as: `users`, `groups`, `account_notes`,
    /// `runtime`.
    Accounts,
    /// Python packaging: `startup_files`, `pip_config_files`, `pip_settings`, `pythons`,
    /// `user_sites`, `shadowed_distributions`, and the Python part of `runtime`.
    Python,
    /// Secrets the image gives away: `secret_env` (the config's `Env`), `secret_history` (the
    /// build history).
    Secrets,
}

impl Domain {
    /// Every domain, in document order.
    pub const ALL: [Domain; 4] = [
        Domain::Image,
        Domain::Accounts,
        Domain::Python,
        Domain::Secrets,
    ];

    /// The name rules use (`python`).
    pub const fn name(self) -> &'static str {
        match self {
            Domain::Image => "image",
            Domain::Accounts => "accounts",
            Domain::Python => "python",
            Domain::Secrets => "secrets",
        }
    }

    /// The domain a rule's `custom.domains` entry names.
    pub fn from_name(name: &str) -> Option<Domain> {
        Domain::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The domains whose facts this one's are computed from.
    const fn requires(self) -> &'static [Domain] {
        match self {
            Domain::Image | Domain::Accounts | Domain::Secrets => &[],
            // Where pip installs and which user site counts depend on the runtime user.
            Domain::Python => &[Domain::Accounts],
        }
    }

    /// The files whose contents this domain reads, as capture globs for the layer reader.
    fn captures(self) -> Vec<&'static str> {
        match self {
            Domain::Image => Vec::new(),
            Domain::Accounts => crate::accounts::CAPTURE.to_vec(),
            Domain::Python => crate::python::captures(),
            Domain::Secrets => crate::secrets::CAPTURE.to_vec(),
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The domains to collect: always the image config's, and every domain a requested one needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domains(BTreeSet<Domain>);

impl Domains {
    /// Every domain: what `imgaudit facts` prints and what a rule that names none may read.
    pub fn all() -> Domains {
        Domains(Domain::ALL.into_iter().collect())
    }

    /// `requested`, the image config, and what they need.
    pub fn of(requested: impl IntoIterator<Item = Domain>) -> Domains {
        let mut set: BTreeSet<Domain> = BTreeSet::from([Domain::Image]);
        let mut pending: Vec<Domain> = requested.into_iter().collect();
        while let Some(domain) = pending.pop() {
            if set.insert(domain) {
                pending.extend_from_slice(domain.requires());
            }
        }
        Domains(set)
    }

    pub fn contains(&self, domain: Domain) -> bool {
        self.0.contains(&domain)
    }

    /// The domains, in document order.
    pub fn iter(&self) -> impl Iterator<Item = Domain> + '_ {
        self.0.iter().copied()
    }

    /// The domains whose files `rules` capture: those an image loaded with them was loaded for.
    pub fn captured_by(rules: &imgaudit_layer::CaptureRules) -> Domains {
        let captured = |domain: &Domain| {
            domain
                .captures()
                .iter()
                .all(|pattern| rules.patterns().iter().any(|p| p == pattern))
        };
        Domains::of(Domain::ALL.into_iter().filter(captured))
    }

    /// Files whose contents these domains read, as capture globs for the layer reader.
    pub fn capture_patterns(&self) -> Vec<&'static str> {
        let mut patterns: Vec<&'static str> = self.iter().flat_map(Domain::captures).collect();
        patterns.sort_unstable();
        patterns.dedup();
        patterns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_brings_what_it_needs_and_the_image_config() {
        let python = Domains::of([Domain::Python]);
        assert_eq!(
            python.iter().collect::<Vec<_>>(),
            [Domain::Image, Domain::Accounts, Domain::Python]
        );
        assert_eq!(Domains::of([]).iter().collect::<Vec<_>>(), [Domain::Image]);
        assert_eq!(
            Domains::of([Domain::Python]).iter().collect::<Vec<_>>(),
            [Domain::Image, Domain::Accounts, Domain::Python]
        );
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        for domain in Domain::ALL {
            assert_eq!(Domain::from_name(domain.name()), Some(domain));
            assert_eq!(
                serde_json::to_value(domain).unwrap(),
                serde_json::json!(domain.name())
            );
        }
        assert_eq!(Domain::from_name("files"), None);
    }

    #[test]
    fn captures_are_the_domains_own() {
        assert!(Domains::of([]).capture_patterns().is_empty());
        let accounts = Domains::of([Domain::Accounts]).capture_patterns();
        assert_eq!(accounts, ["/etc/group", "/etc/passwd", "/etc/shadow"]);
        let all = Domains::all().capture_patterns();
        assert!(all.contains(&"/etc/passwd") && all.contains(&"**/pip.conf"));
    }

    #[test]
    fn capture_rules_tell_the_domains_they_were_made_for() {
        for domains in [
            Domains::of([]),
            Domains::of([Domain::Accounts]),
            Domains::all(),
        ] {
            // A domain that reads no file is served by any capture.
            let expected = Domains::of(
                domains
                    .iter()
                    .chain(Domain::ALL.into_iter().filter(|d| d.captures().is_empty())),
            );
            let rules = imgaudit_layer::CaptureRules::new(&domains.capture_patterns(), 10).unwrap();
            assert_eq!(Domains::captured_by(&rules), expected);
            let wider = rules.with_paths(&["/opt/bash_env"]).unwrap();
            assert_eq!(Domains::captured_by(&wider), expected);
        }
    }
}
