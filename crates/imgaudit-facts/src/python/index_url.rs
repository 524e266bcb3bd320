//! What a package index URL says about its transport: the scheme, the host, whether the host is
//! this machine (loopback), whether packages travel over plain http, and whether the URL carries
//! credentials. Pip's, uv's, poetry's and pipenv's settings share it.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::Serialize;

use crate::redact::has_credentials;

/// One index URL as the rules judge it. Holds no part of the userinfo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct IndexUrl {
    /// Lower case (`https`, `http`, `file`).
    pub scheme: String,
    /// Lower case, without brackets for IPv6; `None` for `file:` URLs and the like.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `localhost`, a `*.localhost` name, `127.0.0.0/8` or `::1`: traffic that never leaves
    /// the machine.
    pub loopback: bool,
    /// Fetched over `http`, without TLS.
    pub plain_http: bool,
    /// The URL carried a password or token (the value shown is masked).
    pub has_credentials: bool,
}

impl IndexUrl {
    /// Reads `scheme://[userinfo@]host[:port][/path]`; `None` when `raw` is not such a URL (a
    /// bare path, an unexpanded `$VAR`).
    pub fn parse(raw: &str) -> Option<IndexUrl> {
        let raw = raw.trim();
        let (scheme, rest) = raw.split_once("://")?;
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        // The password may itself hold `@`: the host follows the last one.
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = split_host_port(host_port);
        let host = (!host.is_empty()).then(|| host.to_ascii_lowercase());
        let loopback = host.as_deref().is_some_and(is_loopback);
        Some(IndexUrl {
            plain_http: scheme == "http",
            scheme,
            host,
            port,
            loopback,
            has_credentials: has_credentials(raw),
        })
    }

    /// Every URL of a whitespace-separated list (`PIP_EXTRA_INDEX_URL="a b"`), in order; words
    /// that are not URLs are left out.
    pub fn parse_list(raw: &str) -> Vec<IndexUrl> {
        raw.split_whitespace().filter_map(IndexUrl::parse).collect()
    }
}

fn split_host_port(host_port: &str) -> (&str, Option<u16>) {
    if let Some(inner) = host_port.strip_prefix('[') {
        // `[::1]:8080`
        return match inner.split_once(']') {
            Some((host, rest)) => (host, rest.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (inner, None),
        };
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (host_port, None),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scheme_host_port_and_credentials() {
        let url = IndexUrl::parse("HTTP://alice:p@ss@Pkgs.Example:8080/simple").unwrap();
        assert_eq!(url.scheme, "http");
        assert_eq!(url.host.as_deref(), Some("pkgs.example"));
        assert_eq!(url.port, Some(8080));
        assert!(url.plain_http && !url.loopback && url.has_credentials);

        let url = IndexUrl::parse("https://pypi.example/simple").unwrap();
        assert!(!url.plain_http && !url.has_credentials && url.port.is_none());
    }

    #[test]
    fn loopback_hosts_never_leave_the_machine() {
        for raw in [
            "http://localhost/simple",
            "http://LOCALHOST:3141/root/pypi",
            "http://devpi.localhost/simple",
            "http://127.0.0.1:8080/simple",
            "http://127.1.2.3/simple",
            "http://[::1]:8080/simple",
        ] {
            assert!(IndexUrl::parse(raw).unwrap().loopback, "{raw}");
        }
        for raw in [
            "http://localhost.example/simple",
            "http://10.0.0.1/simple",
            "http://[::2]/simple",
            "http://128.0.0.1/simple",
        ] {
            assert!(!IndexUrl::parse(raw).unwrap().loopback, "{raw}");
        }
    }

    #[test]
    fn not_urls_are_none_and_lists_split_on_whitespace() {
        for raw in ["/wheels", "$INDEX", "", "://x", "pkgs.example/simple"] {
            assert_eq!(IndexUrl::parse(raw), None, "{raw}");
        }
        let urls = IndexUrl::parse_list(" https://a.example/simple \n http://b.example/x $C");
        let hosts: Vec<_> = urls.iter().map(|u| u.host.as_deref().unwrap()).collect();
        assert_eq!(hosts, ["a.example", "b.example"]);
        assert_eq!(
            IndexUrl::parse("file:///srv/wheels").unwrap().host,
            None,
            "file URLs have no host"
        );
    }
}
