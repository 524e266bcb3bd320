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
    /// Python packaging tools besides pip (uv, poetry, pipenv): `tools`, `tool_config_files`,
    /// `tool_settings`.
    PythonTools,
    /// Notable files and package caches: `special_files`, `leftovers`, `caches`, `package_db`.
    Files,
    /// Secrets the image gives away: `secret_files` (private keys, credential files and tokens in
    /// the files of every layer, found while the layers stream past), `secret_env` (the config's
    /// `Env`), `secret_history` (the build history).
    Secrets,
}

impl Domain {
    /// Every domain, in document order.
    pub const ALL: [Domain; 6] = [
        Domain::Image,
        Domain::Accounts,
        Domain::Python,
        Domain::PythonTools,
        Domain::Files,
        Domain::Secrets,
    ];

    /// The name rules use (`python`).
    pub const fn name(self) -> &'static str {
        match self {
            Domain::Image => "image",
            Domain::Accounts => "accounts",
            Domain::Python => "python",
            Domain::PythonTools => "python_tools",
            Domain::Files => "files",
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
            // Where pip installs and which user site counts depend on the runtime user; the
            // caches of pip, uv, poetry and npm are in the accounts' homes.
            Domain::Python | Domain::Files => &[Domain::Accounts],
            // The tools install into the interpreters the Python domain finds, and read the
            // same start-up files.
            Domain::PythonTools => &[Domain::Python],
        }
    }

    /// The files whose contents this domain reads, as capture globs for the layer reader.
    fn captures(self) -> Vec<&'static str> {
        match self {
            // The secrets domain inspects every file instead (`inspects_files`).
            Domain::Image | Domain::Secrets => Vec::new(),
            Domain::Accounts => crate::accounts::CAPTURE.to_vec(),
            Domain::Python => crate::python::captures(),
            Domain::PythonTools => crate::python_tools::captures(),
            Domain::Files => crate::files::CAPTURE.to_vec(),
        }
    }

    /// Whether this domain reads every regular file's content as the layers stream past (the
    /// content detectors), rather than a few captured files.
    const fn inspects_files(self) -> bool {
        matches!(self, Domain::Secrets)
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
        // A domain was captured for when its own files and those of every domain it needs
        // were (a domain that captures nothing of its own is not there by default).
        fn captured(domain: Domain, rules: &imgaudit_layer::CaptureRules) -> bool {
            domain
                .captures()
                .iter()
                .all(|pattern| rules.patterns().iter().any(|p| p == pattern))
                && (!domain.inspects_files() || rules.inspection().is_some())
                && domain
                    .requires()
                    .iter()
                    .all(|&needed| captured(needed, rules))
        }
        Domains::of(Domain::ALL.into_iter().filter(|&d| captured(d, rules)))
    }

    /// Files whose contents these domains read, as capture globs for the layer reader.
    pub fn capture_patterns(&self) -> Vec<&'static str> {
        let mut patterns: Vec<&'static str> = self.iter().flat_map(Domain::captures).collect();
        patterns.sort_unstable();
        patterns.dedup();
        patterns
    }

    /// The layer reader's rules for these domains: their capture patterns with `max_size`, and
    /// file inspection (with the default settings) when the secrets domain is among them. An
    /// audit whose rules read no secrets reads no file it does not capture.
    pub fn capture_rules(
        &self,
        max_size: u64,
    ) -> Result<imgaudit_layer::CaptureRules, imgaudit_layer::PatternError> {
        let rules = imgaudit_layer::CaptureRules::new(&self.capture_patterns(), max_size)?;
        Ok(if self.iter().any(Domain::inspects_files) {
            rules.with_inspection(imgaudit_layer::Inspection::default())
        } else {
            rules
        })
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
            Domains::of([Domain::PythonTools, Domain::Files, Domain::Secrets]),
            Domains::all()
        );
        assert_eq!(
            Domains::of([Domain::PythonTools])
                .iter()
                .collect::<Vec<_>>(),
            [
                Domain::Image,
                Domain::Accounts,
                Domain::Python,
                Domain::PythonTools
            ]
        );
        assert_eq!(
            Domains::of([Domain::Files]).iter().collect::<Vec<_>>(),
            [Domain::Image, Domain::Accounts, Domain::Files]
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
        assert_eq!(Domain::from_name("secret"), None);
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
            Domains::of([Domain::Secrets]),
            Domains::of([Domain::Python]),
            Domains::of([Domain::PythonTools]),
            Domains::all(),
        ] {
            let rules = domains.capture_rules(10).unwrap();
            assert_eq!(Domains::captured_by(&rules), domains);
            let wider = rules.with_paths(&["/opt/bash_env"]).unwrap();
            assert_eq!(Domains::captured_by(&wider), domains);
        }
    }

    #[test]
    fn only_the_secrets_domain_inspects_files() {
        assert!(
            Domains::of([Domain::Python])
                .capture_rules(10)
                .unwrap()
                .inspection()
                .is_none()
        );
        assert!(
            Domains::of([Domain::Secrets])
                .capture_rules(10)
                .unwrap()
                .inspection()
                .is_some()
        );
        // Rules without inspection were not made for the secrets domain, whatever they capture.
        let plain =
            imgaudit_layer::CaptureRules::new(&Domains::all().capture_patterns(), 10).unwrap();
        assert!(!Domains::captured_by(&plain).contains(Domain::Secrets));
    }
}
