//! Where pip looks for packages and which of those places it refuses: list values, trusted
//! hosts, secure origins, and the version pip picks across indexes (PIP-INDEX-SEMANTICS.md).
//!
//! The settings themselves (`index-url`, `extra-index-url`, `find-links`, `trusted-host`,
//! `no-index`) are resolved with the other options by [`crate::resolve_settings`]; this module
//! says what pip does with the resolved values.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::PipVersion;
use crate::settings::ResolvedSettings;

/// Python's `str.split()` with no argument: runs of whitespace separate words, leading and
/// trailing whitespace is dropped. Python's whitespace is Unicode `White_Space` plus the four
/// ASCII separators `\x1c`–`\x1f`, which Rust's `char::is_whitespace` leaves out.
pub fn split_list(raw: &str) -> Vec<&str> {
    raw.split(is_python_space)
        .filter(|word| !word.is_empty())
        .collect()
}

fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// The parts of a URL pip's origin check reads: `urllib.parse.urlparse(url)`'s `scheme`,
/// `hostname` (lower case, IPv6 without brackets) and `port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlOrigin {
    pub scheme: String,
    pub host: Option<String>,
    /// `None` when absent; also when not a number in 0–65535 (Python raises on access, which
    /// pip does not catch; no run covers it).
    pub port: Option<u16>,
}

impl UrlOrigin {
    /// `urlparse`'s reading of `url`: the scheme is what precedes the first `:` when it is a
    /// valid scheme name; the network location follows `//` up to `/`, `?` or `#`.
    pub fn parse(url: &str) -> Self {
        let (scheme, rest) = match url.split_once(':') {
            Some((scheme, rest))
                if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
            {
                (scheme.to_ascii_lowercase(), rest)
            }
            _ => (String::new(), url),
        };
        let Some(after) = rest.strip_prefix("//") else {
            return Self {
                scheme,
                host: None,
                port: None,
            };
        };
        let netloc = &after[..after.find(['/', '?', '#']).unwrap_or(after.len())];
        let (host, port) = netloc_host_port(netloc);
        Self { scheme, host, port }
    }
}

/// `urlsplit().hostname` and `.port` of a network location.
fn netloc_host_port(netloc: &str) -> (Option<String>, Option<u16>) {
    let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let (host, port) = match hostinfo.split_once('[') {
        Some((_, bracketed)) => {
            let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
            (host, after.split_once(':').map_or("", |(_, p)| p))
        }
        None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
    };
    let host = (!host.is_empty()).then(|| host.to_lowercase());
    let port = if port.bytes().all(|b| b.is_ascii_digit()) {
        port.parse().ok()
    } else {
        None
    };
    (host, port)
}

/// One `trusted-host` entry as the pip version reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustedHost {
    /// As written.
    pub entry: String,
    /// What pip compares against a URL's host: the entry itself before 19.3 (so a CIDR network
    /// like `10.0.0.0/8` matched, and `host:port` never did); from 19.3 the host part of the
    /// entry read as a network location (`parse_netloc`), lower case.
    pub host: Option<String>,
    /// From 19.3, the entry's port: only that port of the host is trusted. `None` = any port.
    pub port: Option<u16>,
}

impl TrustedHost {
    pub fn parse(entry: &str, version: PipVersion) -> Self {
        if !version.trusted_host_takes_port() {
            return Self {
                entry: entry.to_owned(),
                host: Some(entry.to_owned()),
                port: None,
            };
        }
        // `build_url_from_netloc`: a bare IPv6 address gets brackets; then `https://` + entry.
        let netloc = if entry.matches(':').count() >= 2 && !entry.contains(['@', '[']) {
            format!("[{entry}]")
        } else {
            entry.to_owned()
        };
        let origin = UrlOrigin::parse(&format!("https://{netloc}"));
        Self {
            entry: entry.to_owned(),
            host: origin.host,
            port: origin.port,
        }
    }
}

/// Why pip accepts a location, or that it refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OriginVerdict {
    /// `https`, `ssh`, or a `file:` URL.
    SecureScheme,
    /// `localhost`, `127.0.0.0/8` or `::1`, whatever the scheme. A name that merely resolves
    /// to a loopback address is not one: pip never resolves names here.
    Loopback,
    /// Matched by a `trusted-host` entry: plain http accepted and TLS errors ignored.
    Trusted { entry: String },
    /// Refused: "The repository located at <host> is not a trusted or secure host and is being
    /// ignored." pip goes on without it.
    Insecure,
}

impl OriginVerdict {
    /// pip reads the location.
    pub const fn accepted(&self) -> bool {
        !matches!(self, Self::Insecure)
    }
}

/// The origins pip accepts whatever it is told (`SECURE_ORIGINS`, unchanged from 9.0 to 26.3):
/// (scheme, host or network), `*` for any. Their ports are all `*` or unchecked (`file`).
const SECURE_ORIGINS: [(&str, &str); 6] = [
    ("https", "*"),
    ("*", "localhost"),
    ("*", "127.0.0.0/8"),
    ("*", "::1/128"),
    ("file", "*"),
    ("ssh", "*"),
];

/// `is_secure_origin` / `_validate_secure_origin`: whether pip reads `url`, given the trusted
/// hosts in effect. For many URLs, build [`TrustedHosts`] once instead.
pub fn secure_origin(url: &str, trusted: &[TrustedHost]) -> OriginVerdict {
    TrustedHosts::new(trusted).verdict(url)
}

/// Trusted-host entries indexed for lookup, so judging many URLs against many entries (a hostile
/// configuration can hold tens of thousands of each) stays linear in practice: names by their
/// lower-case text, IP networks by prefix length and masked address.
#[derive(Debug, Clone)]
pub struct TrustedHosts<'a> {
    entries: &'a [TrustedHost],
    /// Entries that are not IP networks, by lower-case host (`*` matches every host).
    names: HashMap<String, Vec<usize>>,
    /// (IPv4?, prefix length) → masked network address → entries.
    networks: HashMap<(bool, u8), HashMap<u128, Vec<usize>>>,
    /// The first entry without a port: what a URL without a host part matches.
    first_without_port: Option<usize>,
}

impl<'a> TrustedHosts<'a> {
    pub fn new(entries: &'a [TrustedHost]) -> Self {
        let mut names: HashMap<String, Vec<usize>> = HashMap::new();
        let mut networks: HashMap<(bool, u8), HashMap<u128, Vec<usize>>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            // A missing host compares as "" (pip's `secure_host` is then empty).
            let host = entry.host.as_deref().unwrap_or("");
            match ip_network(host) {
                Some(network) => networks
                    .entry((network.address.is_ipv4(), network.prefix))
                    .or_default()
                    .entry(masked(network.address, network.prefix))
                    .or_default()
                    .push(index),
                None => names.entry(host.to_lowercase()).or_default().push(index),
            }
        }
        let first_without_port = entries.iter().position(|e| e.port.is_none());
        Self {
            entries,
            names,
            networks,
            first_without_port,
        }
    }

    /// Whether pip reads `url`, and why.
    pub fn verdict(&self, url: &str) -> OriginVerdict {
        let origin = UrlOrigin::parse(url);
        // Only the last scheme counts (`git+ssh` is `ssh`).
        let protocol = origin.scheme.rsplit('+').next().unwrap_or_default();
        for (scheme, host) in SECURE_ORIGINS {
            if origin_matches(&origin, protocol, scheme, host) {
                return if scheme == "*" {
                    OriginVerdict::Loopback
                } else {
                    OriginVerdict::SecureScheme
                };
            }
        }
        self.first_match(&origin)
            .map_or(OriginVerdict::Insecure, |index| OriginVerdict::Trusted {
                entry: self.entries[index].entry.clone(),
            })
    }

    /// The first entry (in list order, as pip tries them) matching the origin's host and port.
    fn first_match(&self, origin: &UrlOrigin) -> Option<usize> {
        let Some(host) = origin.host.as_deref() else {
            // pip compares hosts only when the URL has one.
            return self.first_without_port;
        };
        let port_ok = |index: &usize| match self.entries[*index].port {
            None => true,
            Some(port) => origin.port == Some(port),
        };
        let lower = host.to_lowercase();
        let named = [lower.as_str(), "*"]
            .into_iter()
            .filter_map(|key| self.names.get(key))
            .flatten()
            .copied();
        let contained: Vec<usize> = match parse_ip(host) {
            Some(address) => self
                .networks
                .iter()
                .filter(|((v4, _), _)| *v4 == address.is_ipv4())
                .filter_map(|((_, prefix), by_address)| by_address.get(&masked(address, *prefix)))
                .flatten()
                .copied()
                .collect(),
            None => Vec::new(),
        };
        named.chain(contained).filter(port_ok).min()
    }
}

/// One built-in origin's scheme and host test (pip's loop body, less the port test).
fn origin_matches(
    origin: &UrlOrigin,
    protocol: &str,
    secure_scheme: &str,
    secure_host: &str,
) -> bool {
    if protocol != secure_scheme && secure_scheme != "*" {
        return false;
    }
    let address = origin.host.as_deref().and_then(parse_ip);
    match (address, ip_network(secure_host)) {
        (Some(address), Some(network)) => network.contains(address),
        _ => match origin.host.as_deref() {
            Some(host) if !host.is_empty() => {
                secure_host == "*" || host.to_lowercase() == secure_host.to_lowercase()
            }
            _ => true,
        },
    }
}

/// `ipaddress.ip_address(host)`.
fn parse_ip(host: &str) -> Option<IpAddr> {
    host.parse().ok()
}

#[derive(Debug, Clone, Copy)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

/// The address with its bits past `prefix` cleared, as a number (IPv4 in the low 32 bits).
fn masked(address: IpAddr, prefix: u8) -> u128 {
    match address {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u128::from(u32::from(a) & mask)
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask
        }
    }
}

impl Network {
    fn contains(self, other: IpAddr) -> bool {
        match (self.address, other) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// `ipaddress.ip_network(text)` (strict): `address[/prefix]`, host bits zero. Netmask forms
/// (`/255.0.0.0`) are not read (no run uses them): such an entry compares as a name.
fn ip_network(text: &str) -> Option<Network> {
    let (address, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let address: IpAddr = address.parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            let p: u8 = p.parse().ok()?;
            if p > max {
                return None;
            }
            p
        }
        Some(_) => return None,
    };
    // Strict: host bits set is a ValueError.
    host_bits_zero(address, prefix).then_some(Network { address, prefix })
}

fn host_bits_zero(address: IpAddr, prefix: u8) -> bool {
    match address {
        IpAddr::V4(a) => {
            let host = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            u32::from(a) & host == 0
        }
        IpAddr::V6(a) => {
            let host = u128::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            u128::from(a) & host == 0
        }
    }
}

/// What a location is to pip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocationRole {
    /// `index-url` (pip's default index when unset).
    Index,
    /// One of `extra-index-url`.
    ExtraIndex,
    /// One of `find-links`: a page (or directory) of links to distributions.
    FindLinks,
}

/// One place pip looks for distributions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub role: LocationRole,
    /// The URL as configured; `None` for the default index (pip's built-in public one).
    pub url: Option<String>,
    /// Whether pip reads it, and why.
    pub verdict: OriginVerdict,
}

/// The places pip looks in, in the order it gathers candidates, and the trusted hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexPlan {
    /// `find-links` first, then the index, then the extra indexes, as configured; refused ones
    /// included (their verdict says so).
    pub locations: Vec<Location>,
    pub trusted_hosts: Vec<TrustedHost>,
    /// `no-index`: no index at all, only `find-links`.
    pub no_index: bool,
}

impl IndexPlan {
    /// The indexes (index and extra) pip reads.
    pub fn indexes(&self) -> impl Iterator<Item = &Location> {
        self.locations
            .iter()
            .filter(|l| l.role != LocationRole::FindLinks && l.verdict.accepted())
    }

    /// More than one index is read: the highest version across all of them wins, whatever
    /// index it comes from (§ dependency confusion).
    pub fn reads_several_indexes(&self) -> bool {
        self.indexes().count() > 1
    }
}

/// The locations pip uses for a resolution of the settings (`PackageFinder` / `SearchScope`):
/// `[index_url] + extra_index_urls` unless `no-index`, plus `find_links`; each judged by
/// [`secure_origin`] against the trusted hosts.
pub fn index_plan(settings: &ResolvedSettings, version: PipVersion) -> IndexPlan {
    let trusted_hosts: Vec<TrustedHost> = settings
        .trusted_hosts
        .value
        .iter()
        .flatten()
        .map(|entry| TrustedHost::parse(entry, version))
        .collect();
    let no_index = settings.no_index.value == Some(true);
    let trusted = TrustedHosts::new(&trusted_hosts);
    let verdict = |url: &str| trusted.verdict(url);
    let mut locations = Vec::new();
    for url in settings.find_links.value.iter().flatten() {
        locations.push(Location {
            role: LocationRole::FindLinks,
            url: Some(url.clone()),
            verdict: verdict(url),
        });
    }
    if !no_index {
        match &settings.index_url.value {
            Some(url) => locations.push(Location {
                role: LocationRole::Index,
                url: Some(url.clone()),
                verdict: verdict(url),
            }),
            None => locations.push(Location {
                role: LocationRole::Index,
                url: None,
                verdict: OriginVerdict::SecureScheme,
            }),
        }
        for url in settings.extra_index_urls.value.iter().flatten() {
            locations.push(Location {
                role: LocationRole::ExtraIndex,
                url: Some(url.clone()),
                verdict: verdict(url),
            });
        }
    }
    drop(trusted);
    IndexPlan {
        locations,
        trusted_hosts,
        no_index,
    }
}

/// A distribution found at one of the plan's locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    /// Position of its location in [`IndexPlan::locations`].
    pub location: usize,
    /// Its release, compared component by component as numbers (`1.10` > `1.9`).
    pub version: &'a str,
}

/// Which of the found distributions pip installs: the highest version, wherever it comes
/// from. Between equal versions, the legacy resolver (default before 20.3) keeps the first
/// found, the resolvelib resolver (20.3 on) the last found (run: index vs extra index).
pub fn pick(found: &[Found<'_>], version: PipVersion) -> Option<usize> {
    let key = |f: &Found<'_>| -> Vec<u64> {
        let mut parts: Vec<u64> = f
            .version
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        while parts.last() == Some(&0) {
            parts.pop();
        }
        parts
    };
    let mut best: Option<(usize, Vec<u64>)> = None;
    for (n, f) in found.iter().enumerate() {
        let k = key(f);
        let better = match &best {
            None => true,
            Some((_, b)) => k > *b || (k == *b && version.equal_versions_prefer_last_found()),
        };
        if better {
            best = Some((n, k));
        }
    }
    best.map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PipVersion {
        s.parse().unwrap()
    }

    #[test]
    fn lists_split_like_python() {
        assert_eq!(split_list(" a\tb\nc  "), ["a", "b", "c"]);
        assert_eq!(split_list("a\x1fb"), ["a", "b"]);
        assert_eq!(split_list("a,b"), ["a,b"]);
        assert!(split_list("   ").is_empty());
    }

    #[test]
    fn trusted_host_forms_by_version() {
        let new = TrustedHost::parse("Pkgs.Test:8080", v("26.3"));
        assert_eq!(
            (new.host.as_deref(), new.port),
            (Some("pkgs.test"), Some(8080))
        );
        let old = TrustedHost::parse("Pkgs.Test:8080", v("19.2.3"));
        assert_eq!(old.host.as_deref(), Some("Pkgs.Test:8080"));
        let v6 = TrustedHost::parse("::1", v("26.3"));
        assert_eq!(v6.host.as_deref(), Some("::1"));
        let scheme = TrustedHost::parse("http://10.0.0.1", v("26.3"));
        assert_eq!(scheme.host.as_deref(), Some("http"));
    }

    #[test]
    fn secure_origins() {
        let none: &[TrustedHost] = &[];
        assert_eq!(
            secure_origin("https://pkgs.test/simple", none),
            OriginVerdict::SecureScheme
        );
        assert_eq!(
            secure_origin("http://LOCALHOST:1/simple", none),
            OriginVerdict::Loopback
        );
        assert_eq!(
            secure_origin("http://127.9.9.9/simple", none),
            OriginVerdict::Loopback
        );
        assert_eq!(
            secure_origin("http://[::1]:80/", none),
            OriginVerdict::Loopback
        );
        assert_eq!(
            secure_origin("http://devpi.localhost/", none),
            OriginVerdict::Insecure
        );
        assert_eq!(
            secure_origin("http://10.0.0.1/", none),
            OriginVerdict::Insecure
        );
        let cidr = [TrustedHost::parse("10.0.0.0/8", v("18.1"))];
        assert!(secure_origin("http://10.1.2.3/", &cidr).accepted());
        let cidr = [TrustedHost::parse("10.0.0.0/8", v("19.3.1"))];
        assert!(!secure_origin("http://10.1.2.3/", &cidr).accepted());
        // `*` is compared as a host name, and pip's rule lets `*` match any host.
        let any = [TrustedHost::parse("*", v("26.3"))];
        assert!(secure_origin("http://anything.example/", &any).accepted());
        let port = [TrustedHost::parse("10.0.0.1:81", v("24.0"))];
        assert!(secure_origin("http://10.0.0.1:81/", &port).accepted());
        assert!(!secure_origin("http://10.0.0.1:82/", &port).accepted());
        assert!(!secure_origin("http://10.0.0.1/", &port).accepted());
    }

    #[test]
    fn networks_are_strict() {
        assert!(ip_network("10.0.0.0/8").is_some());
        assert!(ip_network("10.0.0.1/8").is_none());
        assert!(ip_network("10.0.0.1").is_some());
        assert!(ip_network("::1/128").is_some());
        assert!(ip_network("10.0.0.0/33").is_none());
    }

    #[test]
    fn pick_highest_then_tie_rule() {
        let found = [
            Found {
                location: 0,
                version: "1.0",
            },
            Found {
                location: 1,
                version: "1.0.0",
            },
            Found {
                location: 2,
                version: "0.9",
            },
        ];
        assert_eq!(pick(&found, v("20.2.4")), Some(0));
        assert_eq!(pick(&found, v("20.3.4")), Some(1));
        let found = [
            Found {
                location: 0,
                version: "1.9",
            },
            Found {
                location: 1,
                version: "1.10",
            },
        ];
        assert_eq!(pick(&found, v("9.0.3")), Some(1));
    }
}
