//! poetry's credentials: the variables it reads, how they meet the files, and where
//! `poetry config http-basic/pypi-token` stores them (POETRY-SEMANTICS.md §4).

use serde::Serialize;

use crate::config::ConfigFileKind;
use crate::settings::{PoetryConfig, env_var_name};
use crate::version::PoetryVersion;

/// What a credential variable or key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialKind {
    /// `POETRY_HTTP_BASIC_<SOURCE>_USERNAME` / `http-basic.<source>.username`.
    HttpBasicUsername,
    /// `POETRY_HTTP_BASIC_<SOURCE>_PASSWORD` / `http-basic.<source>.password`.
    HttpBasicPassword,
    /// `POETRY_PYPI_TOKEN_<SOURCE>` / `pypi-token.<source>`: sent as `__token__:<token>` by
    /// `poetry publish` only; never used to download (§4.3, run).
    PypiToken,
}

impl CredentialKind {
    /// The option name the facts use: `http-basic.<source>.password` and so on.
    pub fn option(self, source: &str) -> String {
        match self {
            Self::HttpBasicUsername => format!("http-basic.{source}.username"),
            Self::HttpBasicPassword => format!("http-basic.{source}.password"),
            Self::PypiToken => format!("pypi-token.{source}"),
        }
    }

    /// Whether the value is a secret (a username is not).
    pub fn is_secret(self) -> bool {
        !matches!(self, Self::HttpBasicUsername)
    }
}

/// A variable poetry reads as a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialVariable {
    pub kind: CredentialKind,
    /// The source part as written in the name (`MY_REPO`): poetry reads it for every source
    /// whose name maps to it (`my-repo`, `My_Repo`, and before 2.4.1 `my.repo`).
    pub source: String,
}

/// Recognises `POETRY_HTTP_BASIC_<SOURCE>_USERNAME|PASSWORD` and `POETRY_PYPI_TOKEN_<SOURCE>`.
/// Names are case-sensitive (`poetry_http_basic_x_password` is never read, run); the source
/// part must be non-empty.
pub fn credential_variable(name: &str) -> Option<CredentialVariable> {
    if let Some(rest) = name.strip_prefix("POETRY_HTTP_BASIC_") {
        for (suffix, kind) in [
            ("_PASSWORD", CredentialKind::HttpBasicPassword),
            ("_USERNAME", CredentialKind::HttpBasicUsername),
        ] {
            if let Some(source) = rest.strip_suffix(suffix).filter(|s| !s.is_empty()) {
                return Some(CredentialVariable {
                    kind,
                    source: source.to_owned(),
                });
            }
        }
        return None;
    }
    let source = name.strip_prefix("POETRY_PYPI_TOKEN_")?;
    (!source.is_empty()).then(|| CredentialVariable {
        kind: CredentialKind::PypiToken,
        source: source.to_owned(),
    })
}

/// A credential value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum Found {
    Env {
        name: String,
        value: String,
    },
    File {
        file: ConfigFileKind,
        line: u32,
        value: String,
    },
}

impl Found {
    pub fn value(&self) -> &str {
        match self {
            Self::Env { value, .. } | Self::File { value, .. } => value,
        }
    }
}

/// The HTTP basic credentials poetry sends to a source (the keyring left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpBasic {
    pub username: Option<Found>,
    pub password: Option<Found>,
}

impl HttpBasic {
    /// `user:password` as the index sees it, or `None` when poetry sends no credentials. With
    /// no usable keyring (a container), which half must be non-empty changed (§4.2; src, run):
    /// either (< 1.8.0 and ≥ 2.1.0), the password (1.8.x: a username alone is dropped), the
    /// username (2.0.x: a password alone is dropped).
    pub fn header(&self, version: PoetryVersion) -> Option<String> {
        let user = self.username.as_ref().map_or("", Found::value);
        let password = self.password.as_ref().map_or("", Found::value);
        let sent = match version.http_basic_requires() {
            Requires::Either => !user.is_empty() || !password.is_empty(),
            Requires::Password => !password.is_empty(),
            Requires::Username => !user.is_empty(),
        };
        sent.then(|| format!("{user}:{password}"))
    }
}

/// Which half of `http-basic` credentials poetry needs before it sends any, without a keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requires {
    Either,
    Password,
    Username,
}

fn string_entry(config: &PoetryConfig<'_>, path: &[&str]) -> Option<Found> {
    let (kind, entry) = *config.file_entries(path).last()?;
    Some(Found::File {
        file: kind,
        line: entry.line,
        value: entry
            .value
            .as_str()
            .map_or_else(|| entry.value.display(), str::to_owned),
    })
}

fn env_entry(config: &PoetryConfig<'_>, path: &[&str]) -> Option<Found> {
    let (_, value) = config.env_value(path)?;
    Some(Found::Env {
        name: env_var_name(path, config.version),
        value: value.to_owned(),
    })
}

/// The credentials poetry uses for the source `source` (its name as in `pyproject.toml`), from
/// the variables and the merged files; the keyring is not modelled (§4.2).
pub fn resolve_http_basic(config: &PoetryConfig<'_>, source: &str) -> HttpBasic {
    let user_path = ["http-basic", source, "username"];
    let password_path = ["http-basic", source, "password"];
    if config.version.file_credentials_shadow_env() {
        let table = ["http-basic", source];
        let has_table = config
            .layers
            .iter()
            .any(|l| l.file.under(&table).next().is_some());
        if has_table {
            return HttpBasic {
                username: string_entry(config, &user_path),
                password: string_entry(config, &password_path),
            };
        }
    }
    let pick = |path: &[&str]| env_entry(config, path).or_else(|| string_entry(config, path));
    HttpBasic {
        username: pick(&user_path),
        password: pick(&password_path),
    }
}

/// The token `poetry publish -r <repository>` sends (as `__token__`), which beats any
/// `http-basic` credentials for it (§4.3, run).
pub fn publish_token(config: &PoetryConfig<'_>, repository: &str) -> Option<Found> {
    let path = ["pypi-token", repository];
    env_entry(config, &path)
        .or_else(|| string_entry(config, &path))
        .filter(|f| !f.value().is_empty())
}

/// Where `poetry config http-basic.<x> <user> <password>` and `pypi-token.<x>` put the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialStorage {
    /// In plain text in `<config dir>/auth.toml` ("Using a plaintext file to store
    /// credentials"), even with `--local`.
    AuthTomlPlaintext,
    /// In the system keyring; `auth.toml` keeps the username only.
    Keyring,
}

/// Where poetry stores a credential: in the keyring when one is usable (and, from 1.8.0, not
/// switched off with `keyring.enabled = false`), else in plain text in `auth.toml`. Container
/// images have no usable keyring (no Secret Service on D-Bus): every run here, with the
/// default, null and fail backends, wrote plain text (§4.1).
pub fn credential_storage(
    version: PoetryVersion,
    keyring_usable: bool,
    keyring_enabled: Option<bool>,
) -> CredentialStorage {
    let disabled = version.has_keyring_enabled_setting() && keyring_enabled == Some(false);
    if keyring_usable && !disabled {
        CredentialStorage::Keyring
    } else {
        CredentialStorage::AuthTomlPlaintext
    }
}
