//! Values of `NAME=value` assignments whose name says they hold a secret (`GITHUB_TOKEN=…`,
//! `PGPASSWORD=…`, a query's `?access_token=…`), wherever they appear: an `Env` entry, a build
//! argument in a history step (`|1 TOKEN=…`), an `export` in a command.

use crate::{Detector, Secret};

/// Whether a variable's name says it holds a secret (`PYPI_TOKEN`, `DB_PASSWORD`,
/// `AWS_SECRET_ACCESS_KEY`). Plain `*_KEY` is left alone: images publish key ids that way
/// (`GPG_KEY` in the official Python images).
pub fn is_secret_name(name: &str) -> bool {
    const MARKERS: [&str; 8] = [
        "TOKEN",
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
    ];
    let upper = name.to_ascii_uppercase();
    MARKERS.iter().any(|m| upper.contains(m))
}

/// The values of secret-named assignments in `text`: a value runs to a blank, a quote, `;`,
/// `&` or `\`, past one opening quote. A `$VAR` reference is not a value, nor is a value masked
/// already (masking a text twice must not eat what follows the mask: `TOKEN=****)`).
pub fn find(text: &str) -> Vec<Secret> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = Vec::new();
    // Where the previous value ended: a name never starts inside it, and no byte is read
    // twice going forward.
    let mut done = 0;
    let mut search = 0;
    while let Some(at) = text[search..].find('=') {
        let eq = search + at;
        search = eq + 1;
        let mut start = eq;
        while start > done && is_name(bytes[start - 1]) {
            start -= 1;
        }
        if start == eq || !is_secret_name(&text[start..eq]) {
            continue;
        }
        let mut value = eq + 1;
        if matches!(bytes.get(value), Some(b'"' | b'\'')) {
            value += 1;
        }
        let end = text[value..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '&' | '\\'))
            .map_or(text.len(), |n| value + n);
        if end > value && bytes[value] != b'$' && !text[value..].starts_with(crate::MASK) {
            found.push(Secret {
                range: value..end,
                detector: Detector::SecretAssignment,
            });
        }
        done = end;
        search = search.max(end);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask;
    use std::borrow::Cow;

    #[test]
    fn masks_values_of_secret_variables() {
        for (input, expected) in [
            ("GITHUB_TOKEN=ghp_abc123", "GITHUB_TOKEN=****"),
            (
                "ENV A=1 PYPI_TOKEN=pypi-xyz B=2",
                "ENV A=1 PYPI_TOKEN=**** B=2",
            ),
            ("export DB_PASSWORD='hunter2'", "export DB_PASSWORD='****'"),
            ("PGPASSWORD=hunter2 psql", "PGPASSWORD=**** psql"),
            (
                r#"["AWS_SECRET_ACCESS_KEY=abc/def"]"#,
                r#"["AWS_SECRET_ACCESS_KEY=****"]"#,
            ),
            (
                "|2 NPM_TOKEN=abc PIP_VERSION=1 /bin/sh -c x",
                "|2 NPM_TOKEN=**** PIP_VERSION=1 /bin/sh -c x",
            ),
            (
                "https://api.example/v1?access_token=abc&page=2",
                "https://api.example/v1?access_token=****&page=2",
            ),
        ] {
            assert_eq!(mask(input), expected, "{input}");
        }
    }

    #[test]
    fn leaves_other_names_and_references_alone() {
        for clean in [
            "GPG_KEY=A035C8C19219BA821E",
            "PYTHON_SHA256=8c136d199d3637a1fce98a16adc809c1d83c922d02d41f3614b34f8b6e7d38ec",
            "TOKEN_FILE",
            "PASSWORD=",
            "x=y",
            "DB_PASSWORD=$DB_PASSWORD_FROM_SECRET",
            "API_TOKEN=${TOKEN}",
            "(step 3: ENV GITHUB_TOKEN=****)",
        ] {
            assert!(matches!(mask(clean), Cow::Borrowed(_)), "{clean}");
        }
    }

    #[test]
    fn chains_of_assignments_are_read_once() {
        let text = "PASSWORD=".repeat(100_000);
        let started = std::time::Instant::now();
        let found = find(&text);
        assert_eq!(found.len(), 1);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
