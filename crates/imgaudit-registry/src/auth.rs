//! Registry credentials, found as Docker and Podman find them.
//!
//! The files are read in the order of containers-auth.json(5): `$REGISTRY_AUTH_FILE` (or else
//! `$XDG_RUNTIME_DIR/containers/auth.json`), `$XDG_CONFIG_HOME/containers/auth.json`,
//! `$DOCKER_CONFIG/config.json` and the legacy `~/.dockercfg`; the first file that yields a
//! credential wins. Within a file, `credHelpers` for the registry comes first, then `credsStore`,
//! then `auths`, whose keys may name a host, a namespace on a host (the most specific match
//! wins) or a URL. Helpers are run with the docker-credential-helpers protocol.
//!
//! Secrets never reach a `Debug` output or an error message.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

/// How long a credential helper may take before it is killed.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of a helper's output is kept; a credential is a few hundred bytes.
const HELPER_OUTPUT_LIMIT: usize = 1 << 20;

/// How much of a helper's stderr an error message quotes.
const HELPER_MESSAGE_LIMIT: usize = 300;

/// The server URL Docker stores Docker Hub credentials under, and gives helpers for it.
const DOCKER_HUB_SERVER_URL: &str = "https://index.docker.io/v1/";

/// The user name with which helpers mark their secret as an identity token.
const HELPER_TOKEN_USERNAME: &str = "<token>";

/// Where credentials are looked up; built from the process environment or given explicitly
/// for tests.
#[derive(Debug, Clone, Default)]
pub struct AuthEnv {
    /// `$HOME`: the defaults `~/.config`, `~/.docker` and `~/.dockercfg` are under it.
    pub home: Option<PathBuf>,
    /// `$DOCKER_CONFIG`: the directory holding Docker's `config.json`.
    pub docker_config: Option<PathBuf>,
    /// `$REGISTRY_AUTH_FILE`: Podman's override of its primary auth file.
    pub registry_auth_file: Option<PathBuf>,
    /// `$XDG_RUNTIME_DIR`: Podman's primary auth file is `containers/auth.json` in it.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` (default `~/.config`).
    pub xdg_config_home: Option<PathBuf>,
    /// `$PATH`, searched for `docker-credential-*` helpers.
    pub path: Option<OsString>,
}

impl AuthEnv {
    /// Reads the variables of the current process; empty ones count as unset.
    pub fn from_process() -> AuthEnv {
        let dir = |name: &str| {
            std::env::var_os(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        let home = dir("HOME");
        #[cfg(windows)]
        let home = home.or_else(|| dir("USERPROFILE"));
        AuthEnv {
            home,
            docker_config: dir("DOCKER_CONFIG"),
            registry_auth_file: dir("REGISTRY_AUTH_FILE"),
            xdg_runtime_dir: dir("XDG_RUNTIME_DIR"),
            xdg_config_home: dir("XDG_CONFIG_HOME"),
            path: std::env::var_os("PATH").filter(|value| !value.is_empty()),
        }
    }

    /// The files `lookup` reads, in order (whether or not they exist), for messages such as
    /// "no credentials for this registry in …".
    pub fn search_paths(&self) -> Vec<PathBuf> {
        self.auth_files()
            .into_iter()
            .map(|file| file.path)
            .collect()
    }

    fn auth_files(&self) -> Vec<AuthFile> {
        let mut files = Vec::new();
        let mut add = |path: PathBuf, format: FileFormat| {
            if !files.iter().any(|file: &AuthFile| file.path == path) {
                files.push(AuthFile { path, format });
            }
        };
        let home = self.home.as_deref();
        if let Some(file) = &self.registry_auth_file {
            add(file.clone(), FileFormat::Current);
        } else if let Some(runtime) = &self.xdg_runtime_dir {
            add(
                runtime.join("containers").join("auth.json"),
                FileFormat::Current,
            );
        }
        let config_home = self
            .xdg_config_home
            .clone()
            .or_else(|| home.map(|h| h.join(".config")));
        if let Some(config_home) = config_home {
            add(
                config_home.join("containers").join("auth.json"),
                FileFormat::Current,
            );
        }
        let docker_dir = self
            .docker_config
            .clone()
            .or_else(|| home.map(|h| h.join(".docker")));
        if let Some(docker_dir) = docker_dir {
            add(docker_dir.join("config.json"), FileFormat::Current);
        }
        if let Some(home) = home {
            add(home.join(".dockercfg"), FileFormat::Legacy);
        }
        files
    }

    /// `path` with the home directory shown as `~`, for credential sources.
    fn display(&self, path: &Path) -> String {
        match self
            .home
            .as_deref()
            .and_then(|home| path.strip_prefix(home).ok())
        {
            Some(rest) => Path::new("~").join(rest).display().to_string(),
            None => path.display().to_string(),
        }
    }
}

/// A user name and secret for a registry, with where they were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Empty for an identity token that came without one.
    pub username: String,
    pub secret: Secret,
    /// Where the credential came from, for messages: `~/.docker/config.json (auths)`,
    /// `docker-credential-pass (credsStore in ~/.docker/config.json)`, `--username`.
    pub source: String,
}

impl Credential {
    /// A user name and password.
    pub fn basic(
        username: impl Into<String>,
        password: impl Into<String>,
        source: impl Into<String>,
    ) -> Credential {
        Credential {
            username: username.into(),
            secret: Secret::Password(password.into()),
            source: source.into(),
        }
    }
}

/// The secret half of a credential. Its `Debug` shows only which kind it is.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// Sent with the user name as basic authentication.
    Password(String),
    /// An OAuth2 refresh token (Docker's `identitytoken`), exchanged for a bearer token.
    IdentityToken(String),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Secret::Password(_) => "Password",
            Secret::IdentityToken(_) => "IdentityToken",
        };
        f.debug_tuple(kind)
            .field(&format_args!("<redacted>"))
            .finish()
    }
}

/// Why credentials could not be looked up. No variant holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("cannot read {} (looking up credentials for {registry}): {source}", path.display())]
    Read {
        path: PathBuf,
        registry: String,
        #[source]
        source: io::Error,
    },
    /// Not JSON, or JSON of the wrong shape; `message` gives the line and column or the key.
    #[error("{} is not a valid credentials file (looking up credentials for {registry}): {message}", path.display())]
    Malformed {
        path: PathBuf,
        registry: String,
        message: String,
    },
    #[error("{} names the credential helper docker-credential-{helper} for {registry}, but it is not on PATH", path.display())]
    HelperNotFound {
        helper: String,
        registry: String,
        /// The file whose `credHelpers` or `credsStore` names the helper.
        path: PathBuf,
    },
    /// The helper could not be run, failed, timed out or answered nonsense; `message` quotes
    /// its stderr, never its stdout (which may hold a secret).
    #[error("credential helper docker-credential-{helper} failed for {registry}: {message}")]
    Helper {
        helper: String,
        registry: String,
        message: String,
    },
}

/// Finds the credential for `repository` (`team/app`, `library/busybox`) on `registry`, the
/// normalized `host[:port]` (`docker.io` for Docker Hub). `Ok(None)` means anonymous access:
/// no file has an entry, or the helpers asked know no credentials.
pub fn lookup(
    env: &AuthEnv,
    registry: &str,
    repository: &str,
) -> Result<Option<Credential>, AuthError> {
    let registry = normalize_host(registry);
    let repository = repository.trim_matches('/');
    for file in env.auth_files() {
        let text = match std::fs::read_to_string(&file.path) {
            Ok(text) => text,
            Err(e) if is_missing(&e) => continue,
            Err(source) => {
                return Err(AuthError::Read {
                    path: file.path,
                    registry,
                    source,
                });
            }
        };
        let search = Search {
            env,
            file: &file,
            registry: &registry,
            repository,
        };
        if let Some(credential) = search.in_file(&text)? {
            return Ok(Some(credential));
        }
    }
    Ok(None)
}

fn is_missing(error: &io::Error) -> bool {
    // A file under a "home" that is not a directory is as absent as a missing one.
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    /// `{"auths": {...}, "credHelpers": {...}, "credsStore": "..."}`.
    Current,
    /// `~/.dockercfg`: the `auths` map alone, at the top level.
    Legacy,
}

#[derive(Debug)]
struct AuthFile {
    path: PathBuf,
    format: FileFormat,
}

/// One lookup in one file.
struct Search<'a> {
    env: &'a AuthEnv,
    file: &'a AuthFile,
    registry: &'a str,
    repository: &'a str,
}

impl Search<'_> {
    fn in_file(&self, text: &str) -> Result<Option<Credential>, AuthError> {
        // Parsed as a `Value` first: serde_json's syntax errors give a line and column but never
        // quote the input, whereas its type errors would quote values, secrets included.
        let root: Value = serde_json::from_str(text).map_err(|e| self.malformed(e.to_string()))?;
        let Value::Object(root) = root else {
            return Err(self.malformed("the top level is not a JSON object".into()));
        };
        if self.file.format == FileFormat::Legacy {
            return self.in_auths(&root);
        }
        if let Some(helper) = self.cred_helper(&root)? {
            return self.run_helper(&helper, "credHelpers");
        }
        match root.get("credsStore") {
            None | Some(Value::Null) => {}
            Some(Value::String(store)) if store.is_empty() => {}
            Some(Value::String(store)) => return self.run_helper(store, "credsStore"),
            Some(_) => return Err(self.malformed("`credsStore` is not a string".into())),
        }
        match root.get("auths") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(auths)) => self.in_auths(auths),
            Some(_) => Err(self.malformed("`auths` is not an object".into())),
        }
    }

    fn cred_helper(&self, root: &Map<String, Value>) -> Result<Option<String>, AuthError> {
        let helpers = match root.get("credHelpers") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(helpers)) => helpers,
            Some(_) => return Err(self.malformed("`credHelpers` is not an object".into())),
        };
        for (raw, helper) in helpers {
            // Helpers serve whole registries: a key with a namespace is not for us.
            let key = AuthKey::parse(raw);
            if key.host != self.registry || !key.namespace.is_empty() {
                continue;
            }
            match helper {
                Value::String(helper) if helper.is_empty() => {}
                Value::String(helper) => return Ok(Some(helper.clone())),
                _ => {
                    return Err(
                        self.malformed(format!("the `credHelpers` entry {raw:?} is not a string"))
                    );
                }
            }
        }
        Ok(None)
    }

    fn in_auths(&self, auths: &Map<String, Value>) -> Result<Option<Credential>, AuthError> {
        let mut candidates: Vec<(AuthKey, &str, &Value)> = auths
            .iter()
            .map(|(raw, entry)| (AuthKey::parse(raw), raw.as_str(), entry))
            .filter(|(key, _, _)| key.matches(self.registry, self.repository))
            .collect();
        // Most specific first; among equals, a key written in normal form before a URL form.
        // The sort is stable, so file order decides what is left.
        candidates.sort_by_key(|(key, raw, _)| {
            let normal = key.to_string() == *raw;
            (std::cmp::Reverse(key.depth()), !normal)
        });
        for (_, raw, entry) in candidates {
            let source = format!("{} (auths)", self.env.display(&self.file.path));
            let credential = credential_from_entry(entry, source).map_err(|problem| {
                self.malformed(format!("the `auths` entry {raw:?} {problem}"))
            })?;
            if credential.is_some() {
                return Ok(credential);
            }
        }
        Ok(None)
    }

    fn run_helper(&self, helper: &str, setting: &str) -> Result<Option<Credential>, AuthError> {
        // The name becomes part of a file name: nothing that could walk out of a PATH directory.
        let plain = helper
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain || helper.starts_with('.') {
            return Err(self.malformed(format!(
                "`{setting}` names the helper {helper:?}, which is not a plain program name suffix"
            )));
        }
        let Some(program) = find_helper(self.env.path.as_deref(), helper) else {
            return Err(AuthError::HelperNotFound {
                helper: helper.to_owned(),
                registry: self.registry.to_owned(),
                path: self.file.path.clone(),
            });
        };
        let source = format!(
            "docker-credential-{helper} ({setting} in {})",
            self.env.display(&self.file.path)
        );
        let server_url = if self.registry == "docker.io" {
            DOCKER_HUB_SERVER_URL
        } else {
            self.registry
        };
        get_from_helper(&program, server_url, HELPER_TIMEOUT, source).map_err(|message| {
            AuthError::Helper {
                helper: helper.to_owned(),
                registry: self.registry.to_owned(),
                message,
            }
        })
    }

    fn malformed(&self, message: String) -> AuthError {
        AuthError::Malformed {
            path: self.file.path.clone(),
            registry: self.registry.to_owned(),
            message,
        }
    }
}

/// An `auths` or `credHelpers` key in normal form: `quay.io`, `quay.io/team/app`.
#[derive(Debug, PartialEq, Eq)]
struct AuthKey {
    host: String,
    /// The repository path prefix after the host, empty for the whole registry.
    namespace: String,
}

impl AuthKey {
    /// Docker writes URLs (`https://index.docker.io/v1/`, `http://host`); only their host
    /// counts, as in Docker and containers/image. Podman writes `host` or `host/namespace`.
    fn parse(key: &str) -> AuthKey {
        let key = key.trim();
        let without_scheme = ["https://", "http://"].iter().find_map(|scheme| {
            let head = key.get(..scheme.len())?;
            head.eq_ignore_ascii_case(scheme)
                .then(|| &key[scheme.len()..])
        });
        let (host, namespace) = if let Some(rest) = without_scheme {
            (rest.split('/').next().unwrap_or(rest), "")
        } else {
            let key = ["/v1/", "/v2/"]
                .iter()
                .find_map(|api| key.strip_suffix(api))
                .unwrap_or(key);
            key.split_once('/').unwrap_or((key, ""))
        };
        AuthKey {
            host: normalize_host(host),
            namespace: namespace.trim_matches('/').to_owned(),
        }
    }

    fn matches(&self, registry: &str, repository: &str) -> bool {
        self.host == registry
            && (self.namespace.is_empty()
                || repository
                    .strip_prefix(self.namespace.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
    }

    fn depth(&self) -> usize {
        if self.namespace.is_empty() {
            0
        } else {
            self.namespace.split('/').count()
        }
    }
}

impl fmt::Display for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.host)
        } else {
            write!(f, "{}/{}", self.host, self.namespace)
        }
    }
}

/// Lower-cases a host and folds Docker Hub's names into `docker.io`.
pub(crate) fn normalize_host(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_owned(),
        _ => host,
    }
}

/// Reads one `auths` entry; `Ok(None)` for an entry without a credential, such as the `{}` or
/// `{"auth": ""}` Docker writes beside a `credsStore`. The error completes "the entry … ".
fn credential_from_entry(entry: &Value, source: String) -> Result<Option<Credential>, String> {
    let Value::Object(fields) = entry else {
        return Err("is not an object".into());
    };
    let field = |name: &str| match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(_) => Err(format!("has a `{name}` that is not a string")),
    };
    let mut username = field("username")?.map(str::to_owned);
    let mut password = field("password")?.map(str::to_owned);
    // As in Docker, `auth` wins over separate `username` and `password` fields.
    if let Some(auth) = field("auth")? {
        let (user, pass) = decode_auth(auth)?;
        username = Some(user);
        password = Some(pass);
    }
    if let Some(token) = field("identitytoken")? {
        return Ok(Some(Credential {
            username: username.unwrap_or_default(),
            secret: Secret::IdentityToken(token.to_owned()),
            source,
        }));
    }
    if username.is_none() && password.is_none() {
        return Ok(None);
    }
    Ok(Some(Credential::basic(
        username.unwrap_or_default(),
        password.unwrap_or_default(),
        source,
    )))
}

/// Splits base64 `user:password` at the first colon. Errors never describe the content.
fn decode_auth(auth: &str) -> Result<(String, String), String> {
    // Some tools drop the padding; Docker's own files always have it.
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let bytes = LENIENT
        .decode(auth.trim())
        .map_err(|_| "has an `auth` that is not valid base64".to_owned())?;
    let text = String::from_utf8(bytes)
        .map_err(|_| "has an `auth` that does not decode to UTF-8 text".to_owned())?;
    let Some((user, password)) = text.split_once(':') else {
        return Err("has an `auth` that does not decode to `username:password`".into());
    };
    Ok((user.to_owned(), password.trim_end_matches('\0').to_owned()))
}

/// The first executable `docker-credential-<name>` in the absolute directories of `path`;
/// relative entries (such as an empty one, meaning the current directory) are skipped so that
/// a checked-out repository cannot supply a helper.
fn find_helper(path: Option<&std::ffi::OsStr>, name: &str) -> Option<PathBuf> {
    let program = format!("docker-credential-{name}");
    #[cfg(windows)]
    let file_names = [format!("{program}.exe"), format!("{program}.cmd"), program];
    #[cfg(not(windows))]
    let file_names = [program];
    std::env::split_paths(path?)
        .filter(|dir| dir.is_absolute())
        .flat_map(|dir| file_names.iter().map(move |file| dir.join(file)))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Runs `program get` with `server_url` on stdin and reads the credential it prints.
/// The error is a message for `AuthError::Helper`.
fn get_from_helper(
    program: &Path,
    server_url: &str,
    timeout: Duration,
    source: String,
) -> Result<Option<Credential>, String> {
    let output = run_with_timeout(program, server_url, timeout)?;
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        // docker-credential-helpers' ErrCredentialsNotFound, usually printed on stdout; it means
        // "not logged in", which is anonymous access, not a failure.
        let not_found = |text: &str| text.to_ascii_lowercase().contains("credentials not found");
        if not_found(&stdout) || not_found(&stderr) {
            return Ok(None);
        }
        let ended = match output.status.code() {
            Some(code) => format!("it exited with status {code}"),
            None => format!("it ended with {}", output.status),
        };
        let stderr = stderr.trim();
        return Err(if stderr.is_empty() {
            format!("{ended} and wrote nothing on stderr")
        } else {
            format!("{ended}: {}", truncate(stderr))
        });
    }
    let reply: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        // Only the position: serde_json's message could quote the output.
        format!(
            "its output is not JSON (line {} column {})",
            e.line(),
            e.column()
        )
    })?;
    let text_field = |name: &str| match reply.get(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(text)) => Ok(text.as_str()),
        Some(_) => Err(format!("its output has a `{name}` that is not a string")),
    };
    if !reply.is_object() {
        return Err("its output is not a JSON object".into());
    }
    let username = text_field("Username")?;
    let secret = text_field("Secret")?;
    if secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if username == HELPER_TOKEN_USERNAME {
        Credential {
            username: String::new(),
            secret: Secret::IdentityToken(secret.to_owned()),
            source,
        }
    } else {
        Credential::basic(username, secret, source)
    }))
}

struct HelperOutput {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `program get` directly (no shell), killing it at the deadline. Its output is read on
/// threads so that a full pipe cannot stall it, and is not waited for past the deadline in
/// case something it started keeps the pipes open.
fn run_with_timeout(
    program: &Path,
    input: &str,
    timeout: Duration,
) -> Result<HelperOutput, String> {
    let deadline = Instant::now() + timeout;
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let stdout = child.stdout.take().map(read_in_background::<ChildStdout>);
    let stderr = child.stderr.take().map(read_in_background::<ChildStderr>);
    if let Some(mut stdin) = child.stdin.take() {
        // Docker writes the bare URL and closes stdin. A helper that exits without reading it
        // closes the pipe first, which is its business.
        match stdin.write_all(input.as_bytes()) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("cannot write to its stdin: {e}"));
            }
            _ => {}
        }
    }
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(timed_out(timeout));
            }
            Ok(None) => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("cannot wait for it: {e}"));
            }
        }
    };
    let collect = |pipe: Option<mpsc::Receiver<Vec<u8>>>| match pipe {
        None => Ok(Vec::new()),
        Some(pipe) => pipe
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .map_err(|_| timed_out(timeout)),
    };
    Ok(HelperOutput {
        status,
        stdout: collect(stdout)?,
        stderr: collect(stderr)?,
    })
}

fn timed_out(timeout: Duration) -> String {
    format!(
        "it did not answer within {} s and was stopped",
        timeout.as_secs_f32()
    )
}

/// Reads a pipe to its end on a thread, keeping the first `HELPER_OUTPUT_LIMIT` bytes.
fn read_in_background<R: Read + Send + 'static>(mut pipe: R) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut chunk = [0; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let room = HELPER_OUTPUT_LIMIT - kept.len();
                    kept.extend_from_slice(&chunk[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = sender.send(kept);
    });
    receiver
}

/// The first `HELPER_MESSAGE_LIMIT` characters of `text`, marked when cut.
fn truncate(text: &str) -> String {
    match text.char_indices().nth(HELPER_MESSAGE_LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::sync::Mutex;

    use base64::engine::general_purpose::STANDARD;

    /// Tests that write and run helper scripts take turns: a script still open for writing
    /// when another test forks would make exec fail with "text file busy".
    static HELPERS: Mutex<()> = Mutex::new(());

    fn helpers_lock() -> std::sync::MutexGuard<'static, ()> {
        HELPERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A home, a helper directory, and an environment that looks nowhere else.
    struct Sandbox {
        dir: tempfile::TempDir,
        env: AuthEnv,
    }

    impl Sandbox {
        fn new() -> Sandbox {
            let dir = tempfile::tempdir().unwrap();
            let home = dir.path().join("home");
            let bin = dir.path().join("bin");
            fs::create_dir_all(&home).unwrap();
            fs::create_dir_all(&bin).unwrap();
            let env = AuthEnv {
                home: Some(home),
                path: Some(std::env::join_paths([bin]).unwrap()),
                ..AuthEnv::default()
            };
            Sandbox { dir, env }
        }

        fn home(&self) -> PathBuf {
            self.env.home.clone().unwrap()
        }

        fn docker_config(&self, text: &str) -> PathBuf {
            write(&self.home().join(".docker/config.json"), text)
        }

        fn podman_config(&self, text: &str) -> PathBuf {
            write(&self.home().join(".config/containers/auth.json"), text)
        }

        #[cfg(unix)]
        fn helper(&self, name: &str, body: &str) {
            use std::os::unix::fs::PermissionsExt as _;
            let path = self
                .dir
                .path()
                .join("bin")
                .join(format!("docker-credential-{name}"));
            fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }

        fn lookup(
            &self,
            registry: &str,
            repository: &str,
        ) -> Result<Option<Credential>, AuthError> {
            lookup(&self.env, registry, repository)
        }

        fn found(&self, registry: &str, repository: &str) -> Credential {
            self.lookup(registry, repository)
                .unwrap()
                .expect("a credential")
        }
    }

    fn write(path: &Path, text: &str) -> PathBuf {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        path.to_owned()
    }

    fn auths(entries: &[(&str, &str, &str)]) -> String {
        let entries: Map<String, Value> = entries
            .iter()
            .map(|(key, user, password)| {
                let auth = STANDARD.encode(format!("{user}:{password}"));
                ((*key).to_owned(), serde_json::json!({ "auth": auth }))
            })
            .collect();
        serde_json::json!({ "auths": entries }).to_string()
    }

    fn password(credential: &Credential) -> &str {
        match &credential.secret {
            Secret::Password(password) => password,
            Secret::IdentityToken(_) => panic!("expected a password, got {credential:?}"),
        }
    }

    #[test]
    fn no_files_means_anonymous() {
        let sandbox = Sandbox::new();
        assert_eq!(sandbox.lookup("quay.io", "team/app").unwrap(), None);
    }

    #[test]
    fn auths_entry_with_base64_auth() {
        let sandbox = Sandbox::new();
        // The password holds a colon: only the first one separates.
        sandbox.docker_config(&auths(&[("quay.io", "alice", "pa:ss")]));
        let credential = sandbox.found("quay.io", "team/app");
        assert_eq!(credential.username, "alice");
        assert_eq!(password(&credential), "pa:ss");
        assert_eq!(credential.source, "~/.docker/config.json (auths)");
        assert_eq!(sandbox.lookup("ghcr.io", "team/app").unwrap(), None);
    }

    #[test]
    fn auths_entry_with_username_and_password_fields() {
        let sandbox = Sandbox::new();
        sandbox.docker_config(
            r#"{"auths": {"127.0.0.1:5000": {"username": "bob", "password": "hunter2"}}}"#,
        );
        let credential = sandbox.found("127.0.0.1:5000", "app");
        assert_eq!(credential.username, "bob");
        assert_eq!(password(&credential), "hunter2");
    }

    #[test]
    fn identity_token_entry() {
        let sandbox = Sandbox::new();
        let auth = STANDARD.encode("carol:");
        sandbox.docker_config(&format!(
            r#"{{"auths": {{"myacr.azurecr.io": {{"auth": "{auth}", "identitytoken": "refresh"}}}}}}"#
        ));
        let credential = sandbox.found("myacr.azurecr.io", "app");
        assert_eq!(credential.username, "carol");
        assert_eq!(credential.secret, Secret::IdentityToken("refresh".into()));
    }

    #[test]
    fn url_form_keys() {
        let sandbox = Sandbox::new();
        sandbox.docker_config(&auths(&[
            ("https://registry.example.com/v2/", "a", "1"),
            ("http://127.0.0.1:5000", "b", "2"),
            ("https://Quay.IO", "c", "3"),
            ("ghcr.io/v1/", "d", "4"),
        ]));
        assert_eq!(sandbox.found("registry.example.com", "x/y").username, "a");
        assert_eq!(sandbox.found("127.0.0.1:5000", "x").username, "b");
        assert_eq!(sandbox.found("quay.io", "x").username, "c");
        assert_eq!(sandbox.found("ghcr.io", "x").username, "d");
    }

    #[test]
    fn docker_hub_aliases() {
        for key in [
            "https://index.docker.io/v1/",
            "index.docker.io",
            "docker.io",
            "registry-1.docker.io",
        ] {
            let sandbox = Sandbox::new();
            sandbox.docker_config(&auths(&[(key, "hubuser", "pw")]));
            let credential = sandbox.found("docker.io", "library/busybox");
            assert_eq!(credential.username, "hubuser", "key {key}");
        }
    }

    #[test]
    fn most_specific_namespace_wins() {
        let sandbox = Sandbox::new();
        sandbox.podman_config(&auths(&[
            ("quay.io", "registry-wide", "1"),
            ("quay.io/team/app", "app-only", "2"),
            ("quay.io/team", "team", "3"),
            ("quay.io/other", "other", "4"),
        ]));
        assert_eq!(sandbox.found("quay.io", "team/app").username, "app-only");
        assert_eq!(
            sandbox.found("quay.io", "team/app/sub").username,
            "app-only"
        );
        assert_eq!(sandbox.found("quay.io", "team/tool").username, "team");
        // A namespace is matched by whole path components, not as a string prefix.
        assert_eq!(
            sandbox.found("quay.io", "teamx/app").username,
            "registry-wide"
        );
        assert_eq!(sandbox.found("quay.io", "other").username, "other");
    }

    #[test]
    fn empty_entries_are_no_credential() {
        let sandbox = Sandbox::new();
        sandbox.docker_config(r#"{"auths": {"quay.io": {"auth": ""}, "ghcr.io": {}}}"#);
        assert_eq!(sandbox.lookup("quay.io", "a").unwrap(), None);
        assert_eq!(sandbox.lookup("ghcr.io", "a").unwrap(), None);
        // A less specific entry still serves when the more specific one is empty.
        let auth = STANDARD.encode("fallback:pw");
        sandbox.podman_config(&format!(
            r#"{{"auths": {{"quay.io/team": {{"auth": ""}}, "quay.io": {{"auth": "{auth}"}}}}}}"#
        ));
        assert_eq!(sandbox.found("quay.io", "team/app").username, "fallback");
    }

    #[test]
    fn file_order() {
        let sandbox = Sandbox::new();
        sandbox.docker_config(&auths(&[("quay.io", "docker", "1")]));
        assert_eq!(sandbox.found("quay.io", "a").username, "docker");
        sandbox.podman_config(&auths(&[("quay.io", "podman-config", "2")]));
        assert_eq!(sandbox.found("quay.io", "a").username, "podman-config");

        let mut env = sandbox.env.clone();
        let runtime = sandbox.dir.path().join("run");
        write(
            &runtime.join("containers/auth.json"),
            &auths(&[("quay.io", "runtime", "3")]),
        );
        env.xdg_runtime_dir = Some(runtime);
        assert_eq!(
            lookup(&env, "quay.io", "a").unwrap().unwrap().username,
            "runtime"
        );

        let override_file = write(
            &sandbox.dir.path().join("override.json"),
            &auths(&[("quay.io", "override", "4")]),
        );
        env.registry_auth_file = Some(override_file.clone());
        let credential = lookup(&env, "quay.io", "a").unwrap().unwrap();
        assert_eq!(credential.username, "override");
        assert_eq!(
            credential.source,
            format!("{} (auths)", override_file.display())
        );

        // Files without an entry for the registry are passed over.
        assert_eq!(lookup(&env, "ghcr.io", "a").unwrap(), None);
        sandbox.docker_config(&auths(&[("ghcr.io", "docker-ghcr", "5")]));
        assert_eq!(
            lookup(&env, "ghcr.io", "a").unwrap().unwrap().username,
            "docker-ghcr"
        );
    }

    #[test]
    fn registry_auth_file_comes_before_docker_config() {
        let sandbox = Sandbox::new();
        sandbox.docker_config(&auths(&[("quay.io", "docker", "1")]));
        let mut env = sandbox.env.clone();
        env.registry_auth_file = Some(write(
            &sandbox.dir.path().join("auth.json"),
            &auths(&[("quay.io", "override", "2")]),
        ));
        assert_eq!(
            lookup(&env, "quay.io", "a").unwrap().unwrap().username,
            "override"
        );
    }

    #[test]
    fn docker_config_env_and_legacy_dockercfg() {
        let sandbox = Sandbox::new();
        let auth = STANDARD.encode("old:timer");
        write(
            &sandbox.home().join(".dockercfg"),
            &format!(r#"{{"https://index.docker.io/v1/": {{"auth": "{auth}", "email": "x@y"}}}}"#),
        );
        assert_eq!(sandbox.found("docker.io", "library/alpine").username, "old");

        let mut env = sandbox.env.clone();
        let docker_dir = sandbox.dir.path().join("docker-elsewhere");
        write(
            &docker_dir.join("config.json"),
            &auths(&[("docker.io", "new", "pw")]),
        );
        env.docker_config = Some(docker_dir);
        assert_eq!(
            lookup(&env, "docker.io", "library/alpine")
                .unwrap()
                .unwrap()
                .username,
            "new"
        );
    }

    #[test]
    fn search_paths_in_order() {
        let env = AuthEnv {
            home: Some(PathBuf::from("h")),
            xdg_runtime_dir: Some(PathBuf::from("r")),
            ..AuthEnv::default()
        };
        let expected: Vec<PathBuf> = [
            "r/containers/auth.json",
            "h/.config/containers/auth.json",
            "h/.docker/config.json",
            "h/.dockercfg",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(env.search_paths(), expected);
    }

    #[test]
    fn malformed_json_names_the_file_and_position() {
        let sandbox = Sandbox::new();
        let path =
            sandbox.docker_config("{\n  \"auths\": {\n    \"quay.io\": {\"auth\": \"eA==\"}\n  \n");
        let error = sandbox.lookup("quay.io", "a").unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, AuthError::Malformed { .. }), "{error:?}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("line 5"), "{message}");
        assert!(message.contains("quay.io"), "{message}");
    }

    #[test]
    fn wrongly_shaped_entries_are_errors_that_quote_no_secret() {
        let sandbox = Sandbox::new();
        sandbox.docker_config(r#"{"auths": {"quay.io": "c2VjcmV0LXZhbHVl"}}"#);
        let message = sandbox.lookup("quay.io", "a").unwrap_err().to_string();
        assert!(message.contains("not an object"), "{message}");
        assert!(!message.contains("c2VjcmV0"), "{message}");

        sandbox.docker_config(r#"{"auths": {"quay.io": {"auth": "not*base64-secret"}}}"#);
        let message = sandbox.lookup("quay.io", "a").unwrap_err().to_string();
        assert!(message.contains("base64"), "{message}");
        assert!(!message.contains("secret"), "{message}");

        let no_colon = STANDARD.encode("justapassword");
        sandbox.docker_config(&format!(
            r#"{{"auths": {{"quay.io": {{"auth": "{no_colon}"}}}}}}"#
        ));
        let message = sandbox.lookup("quay.io", "a").unwrap_err().to_string();
        assert!(message.contains("username:password"), "{message}");
        assert!(!message.contains("justapassword"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_file_is_an_error() {
        let sandbox = Sandbox::new();
        // A directory where the file should be cannot be read, whoever runs the test.
        fs::create_dir_all(sandbox.home().join(".docker/config.json")).unwrap();
        let error = sandbox.lookup("quay.io", "a").unwrap_err();
        assert!(matches!(error, AuthError::Read { .. }), "{error:?}");
        assert!(error.to_string().contains("config.json"), "{error}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let credential = Credential::basic("alice", "hunter2", "--username");
        let shown = format!(
            "{credential:?} {:?}",
            Secret::IdentityToken("tok-xyz".into())
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("tok-xyz"), "{shown}");
        assert!(
            shown.contains("alice") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn helper_precedence_and_protocol() {
        let _turn = helpers_lock();
        let sandbox = Sandbox::new();
        // Each helper answers with its own name as the user and the server URL as the secret.
        for name in ["store", "special"] {
            sandbox.helper(
                name,
                &format!(
                    r#"[ "$1" = get ] || exit 3
read -r url
printf '{{"ServerURL":"%s","Username":"{name}","Secret":"%s"}}' "$url" "$url""#
                ),
            );
        }
        let files = |helpers: &str, store: &str| {
            let auth = STANDARD.encode("from-auths:pw");
            sandbox.docker_config(&format!(
                r#"{{"auths": {{"quay.io": {{"auth": "{auth}"}}, "https://index.docker.io/v1/": {{"auth": "{auth}"}}}},
                    "credHelpers": {{{helpers}}}, "credsStore": "{store}"}}"#
            ))
        };

        files(r#""quay.io": "special""#, "store");
        let credential = sandbox.found("quay.io", "a");
        assert_eq!(credential.username, "special");
        assert_eq!(password(&credential), "quay.io");
        assert_eq!(
            credential.source,
            "docker-credential-special (credHelpers in ~/.docker/config.json)"
        );
        // Docker Hub is asked for under Docker's URL for it.
        let credential = sandbox.found("docker.io", "library/busybox");
        assert_eq!(credential.username, "store");
        assert_eq!(password(&credential), "https://index.docker.io/v1/");

        files(r#""https://index.docker.io/v1/": "special""#, "store");
        assert_eq!(
            sandbox.found("docker.io", "library/busybox").username,
            "special"
        );
        assert_eq!(sandbox.found("quay.io", "a").username, "store");

        files("", "");
        assert_eq!(sandbox.found("quay.io", "a").username, "from-auths");
    }

    #[cfg(unix)]
    #[test]
    fn helper_identity_token() {
        let _turn = helpers_lock();
        let sandbox = Sandbox::new();
        sandbox.helper(
            "ecr",
            r#"printf '{"ServerURL":"x","Username":"<token>","Secret":"refresh-token"}'"#,
        );
        sandbox.docker_config(r#"{"credHelpers": {"123.dkr.ecr.example.com": "ecr"}}"#);
        let credential = sandbox.found("123.dkr.ecr.example.com", "app");
        assert_eq!(credential.username, "");
        assert_eq!(
            credential.secret,
            Secret::IdentityToken("refresh-token".into())
        );
    }

    #[cfg(unix)]
    #[test]
    fn helper_not_found_is_anonymous_and_search_goes_on() {
        let _turn = helpers_lock();
        let sandbox = Sandbox::new();
        sandbox.helper(
            "pass",
            "echo 'credentials not found in native keychain'\nexit 1",
        );
        sandbox.docker_config(r#"{"credsStore": "pass", "auths": {"quay.io": {}}}"#);
        assert_eq!(sandbox.lookup("quay.io", "a").unwrap(), None);

        let auth = STANDARD.encode("legacy:pw");
        write(
            &sandbox.home().join(".dockercfg"),
            &format!(r#"{{"quay.io": {{"auth": "{auth}"}}}}"#),
        );
        assert_eq!(sandbox.found("quay.io", "a").username, "legacy");
    }

    #[cfg(unix)]
    #[test]
    fn helper_failure_quotes_stderr_but_not_stdout() {
        let _turn = helpers_lock();
        let sandbox = Sandbox::new();
        sandbox.helper(
            "broken",
            r#"printf '{"Username":"u","Secret":"top-secret-value"}'
echo '  gpg: decryption failed: No secret key  ' >&2
exit 1"#,
        );
        sandbox.docker_config(r#"{"credHelpers": {"quay.io": "broken"}}"#);
        let error = sandbox.lookup("quay.io", "a").unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, AuthError::Helper { .. }), "{error:?}");
        assert!(message.contains("docker-credential-broken"), "{message}");
        assert!(message.contains("quay.io"), "{message}");
        assert!(
            message.contains("exited with status 1: gpg: decryption failed: No secret key"),
            "{message}"
        );
        assert!(!message.contains("top-secret-value"), "{message}");
        assert!(!format!("{error:?}").contains("top-secret-value"));

        sandbox.helper("broken", &format!("echo {} >&2\nexit 2", "x".repeat(1000)));
        let message = sandbox.lookup("quay.io", "a").unwrap_err().to_string();
        assert!(message.len() < 500 && message.ends_with('…'), "{message}");

        sandbox.helper("broken", "echo 'Secret: not json'");
        let message = sandbox.lookup("quay.io", "a").unwrap_err().to_string();
        assert!(message.contains("not JSON (line 1 column 1)"), "{message}");
        assert!(!message.contains("not json'"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn missing_helper_names_it_and_the_file() {
        let sandbox = Sandbox::new();
        let path = sandbox.docker_config(r#"{"credsStore": "desktop"}"#);
        let error = sandbox.lookup("docker.io", "library/busybox").unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, AuthError::HelperNotFound { .. }),
            "{error:?}"
        );
        assert!(message.contains("docker-credential-desktop"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("docker.io"), "{message}");

        // Not executable is as good as missing.
        let script = sandbox.dir.path().join("bin/docker-credential-desktop");
        fs::write(&script, "#!/bin/sh\n").unwrap();
        assert!(matches!(
            sandbox.lookup("docker.io", "library/busybox"),
            Err(AuthError::HelperNotFound { .. })
        ));
    }

    #[test]
    fn helper_names_cannot_be_paths() {
        let sandbox = Sandbox::new();
        sandbox.docker_config(r#"{"credHelpers": {"quay.io": "../../bin/sh"}}"#);
        let message = sandbox.lookup("quay.io", "a").unwrap_err().to_string();
        assert!(message.contains("not a plain program name"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn slow_helper_is_stopped() {
        let _turn = helpers_lock();
        let sandbox = Sandbox::new();
        // `sleep` keeps stdout open after the shell is killed: the pipes must not be awaited.
        sandbox.helper("slow", "sleep 5");
        let program = sandbox.dir.path().join("bin/docker-credential-slow");
        let started = Instant::now();
        let message = get_from_helper(
            &program,
            "quay.io",
            Duration::from_millis(200),
            String::new(),
        )
        .unwrap_err();
        assert!(message.contains("did not answer within 0.2 s"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
