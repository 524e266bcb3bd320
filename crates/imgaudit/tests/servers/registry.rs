//! The CNCF distribution registry (Debian's `docker-registry`, 2.8) on 127.0.0.1, and pushes
//! to it with skopeo.

use std::ffi::OsString;
use std::fs::File;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::http::simple_request;
use super::tls::{ServerTls, server_tls, signing_identity};
use super::token::{self, TokenGrant, TokenRequests, TokenServer};
use super::{free_port, is_root, log_tail, require_tool, run_ok, sha256_digest, wait_for};

/// The user name of the setups with credentials.
pub(crate) const USER: &str = "imgaudit";
/// Its password.
pub(crate) const PASSWORD: &str = "imgaudit-test-password";

/// How long the registry may take to listen before the harness gives up.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How the registry is reached and guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setup {
    /// Plain HTTP, no authentication.
    Plain,
    /// HTTPS with a test CA (`ca_cert()`), htpasswd Basic authentication (`credentials()`).
    TlsBasic,
    /// Plain HTTP (so that a [`super::FaultProxy`] can sit in front of it), Bearer tokens from
    /// the harness's token server: `credentials()` get pull and push everywhere, anonymous
    /// clients pull from `public/...` only.
    Token,
}

/// The manifest format of a push (`skopeo copy --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Format {
    /// OCI image manifest (and index with `all`).
    #[default]
    Oci,
    /// Docker schema 2 (and manifest list with `all`).
    V2s2,
}

/// The layer compression of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Compression {
    /// skopeo's default: compressed layers are pushed as they are.
    #[default]
    Keep,
    Gzip,
    /// Only with [`Format::Oci`]: Docker schema 2 has no zstd layer type.
    Zstd,
}

/// Options of [`Registry::push`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Push {
    pub(crate) format: Format,
    pub(crate) compression: Compression,
    /// `--all`: every image of a multi-platform index, not only the host's.
    pub(crate) all: bool,
}

/// A running registry; dropping it kills the process and deletes its storage.
#[derive(Debug)]
pub(crate) struct Registry {
    setup: Setup,
    addr: String,
    child: Child,
    stderr: PathBuf,
    tls: Option<ServerTls>,
    token: Option<TokenServer>,
    pushes: AtomicUsize,
    // Last: deleted after the process is gone.
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts `docker-registry serve` on a free port and waits until it answers `/v2/`.
    pub(crate) fn start(setup: Setup) -> Registry {
        require_tool("docker-registry");
        let dir = tempfile::Builder::new()
            .prefix("imgaudit-registry.")
            .tempdir()
            .expect("cannot create the registry's temp dir");
        let root = dir.path().to_owned();
        let root = root.as_path();
        let mut tls = None;
        let mut token = None;
        let mut config = json!({
            "version": "0.1",
            "log": { "level": "info", "formatter": "text", "accesslog": { "disabled": true } },
            "storage": {
                "filesystem": { "rootdirectory": root.join("data") },
                "delete": { "enabled": true },
                "maintenance": { "uploadpurging": { "enabled": false } },
            },
            "http": { "secret": "imgaudit-test-secret" },
        });
        match setup {
            Setup::Plain => {}
            Setup::TlsBasic => {
                require_tool("htpasswd");
                let server = server_tls(root);
                let htpasswd = run_ok(Command::new("htpasswd").arg("-Bbn").arg(USER).arg(PASSWORD));
                let htpasswd_file = root.join("htpasswd");
                std::fs::write(&htpasswd_file, &htpasswd.stdout).unwrap();
                config["http"]["tls"] = json!({ "certificate": server.cert, "key": server.key });
                config["auth"] = json!({
                    "htpasswd": { "realm": "imgaudit-test", "path": htpasswd_file },
                });
                tls = Some(server);
            }
            Setup::Token => {
                let identity = signing_identity(root);
                let server = TokenServer::start(&identity, USER, PASSWORD);
                config["auth"] = json!({
                    "token": {
                        "realm": server.realm(),
                        "service": token::SERVICE,
                        "issuer": token::ISSUER,
                        "rootcertbundle": identity.cert_pem,
                    },
                });
                token = Some(server);
            }
        }

        // Bind port 0 to find a free port, then let the registry bind it; another process may
        // take it in between, so retry when the registry says so.
        let mut last_error = String::new();
        for attempt in 0..5 {
            let addr = format!("127.0.0.1:{}", free_port());
            config["http"]["addr"] = json!(addr);
            let config_file = root.join("config.json");
            // JSON is YAML: distribution's parser reads it, and paths need no YAML quoting.
            std::fs::write(&config_file, config.to_string()).unwrap();
            let stderr = root.join(format!("registry-{attempt}.log"));
            let mut command = Command::new("docker-registry");
            command
                .arg("serve")
                .arg(&config_file)
                .stdin(Stdio::null())
                .stdout(File::create(root.join("registry.out")).unwrap())
                .stderr(File::create(&stderr).unwrap());
            // REGISTRY_* variables override the configuration file.
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("REGISTRY_") {
                    command.env_remove(name);
                }
            }
            let mut child = command
                .spawn()
                .unwrap_or_else(|error| panic!("cannot run docker-registry: {error}"));
            match wait_ready(&mut child, &stderr, &addr, setup != Setup::TlsBasic) {
                Ok(()) => {
                    return Registry {
                        setup,
                        addr,
                        child,
                        stderr,
                        tls,
                        token,
                        pushes: AtomicUsize::new(0),
                        dir,
                    };
                }
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = error;
                    if !last_error.contains("address already in use") {
                        break;
                    }
                }
            }
        }
        panic!("the registry ({setup:?}) did not start:\n{last_error}");
    }

    pub(crate) fn setup(&self) -> Setup {
        self.setup
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    /// `http://127.0.0.1:PORT` or `https://…`.
    pub(crate) fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// `127.0.0.1:PORT/REPO:TAG`, an image reference for clients.
    pub(crate) fn reference(&self, repo_tag: &str) -> String {
        format!("{}/{repo_tag}", self.addr)
    }

    /// The test CA's certificate (PEM) for TLS setups; its directory holds only `ca.crt`.
    pub(crate) fn ca_cert(&self) -> Option<&Path> {
        self.tls.as_ref().map(|tls| tls.ca_cert.as_path())
    }

    /// A directory holding only `ca.crt` (skopeo's `--cert-dir`, `--dest-cert-dir`).
    pub(crate) fn cert_dir(&self) -> Option<&Path> {
        self.tls.as_ref().map(|tls| tls.ca_dir.as_path())
    }

    /// User and password for the setups with authentication.
    pub(crate) fn credentials(&self) -> Option<(&str, &str)> {
        match self.setup {
            Setup::Plain => None,
            Setup::TlsBasic | Setup::Token => Some((USER, PASSWORD)),
        }
    }

    /// How many token requests the token server answered (`Token` setup only).
    pub(crate) fn token_requests(&self) -> Option<TokenRequests> {
        self.token.as_ref().map(TokenServer::requests)
    }

    /// Every token issued so far, with the scopes asked for and the access granted.
    pub(crate) fn token_grants(&self) -> Vec<TokenGrant> {
        self.token
            .as_ref()
            .map(TokenServer::grants)
            .unwrap_or_default()
    }

    /// The token server's realm URL (`Token` setup only).
    pub(crate) fn token_realm(&self) -> Option<String> {
        self.token.as_ref().map(TokenServer::realm)
    }

    /// The registry's log (stderr) so far, for failure messages.
    pub(crate) fn log(&self) -> String {
        log_tail(&self.stderr, usize::MAX)
    }

    /// skopeo flags to reach this registry, `prefix` being `""` (inspect), `"src-"` or
    /// `"dest-"` (copy); `anonymous` leaves the credentials out (and forbids stored ones).
    pub(crate) fn skopeo_flags(&self, prefix: &str, anonymous: bool) -> Vec<OsString> {
        let mut flags: Vec<OsString> = Vec::new();
        match &self.tls {
            Some(tls) => {
                flags.push(format!("--{prefix}cert-dir").into());
                flags.push(tls.ca_dir.clone().into());
            }
            None => flags.push(format!("--{prefix}tls-verify=false").into()),
        }
        match self.credentials() {
            Some((user, password)) if !anonymous => {
                flags.push(format!("--{prefix}creds={user}:{password}").into());
            }
            _ => flags.push(format!("--{prefix}no-creds").into()),
        }
        flags
    }

    /// Pushes `source` (any skopeo source, e.g. `oci:DIR:test`; see [`super::oci_layout`]) to
    /// `REPO:TAG` here with `skopeo copy`, with an empty private blob-info cache, then checks
    /// what the registry holds: manifest format and, when asked, layer compression. Returns the
    /// pushed manifest's digest. Panics with skopeo's stderr on failure.
    pub(crate) fn push(&self, source: &str, dest: &str, options: &Push) -> String {
        assert!(
            !(options.format == Format::V2s2 && options.compression == Compression::Zstd),
            "Docker schema 2 has no zstd layers: push zstd with Format::Oci"
        );
        let number = self.pushes.fetch_add(1, Ordering::SeqCst);
        let digest_file = self.dir.path().join(format!("push-{number}.digest"));
        let mut args: Vec<OsString> = vec!["copy".into(), "--retry-times=0".into()];
        args.push(
            match options.format {
                Format::Oci => "--format=oci",
                Format::V2s2 => "--format=v2s2",
            }
            .into(),
        );
        match options.compression {
            Compression::Keep => {}
            Compression::Gzip => {
                args.extend([
                    "--dest-compress".into(),
                    "--dest-compress-format=gzip".into(),
                ]);
            }
            Compression::Zstd => {
                args.extend([
                    "--dest-compress".into(),
                    "--dest-compress-format=zstd".into(),
                ]);
            }
        }
        if options.all {
            args.push("--all".into());
        }
        args.push("--digestfile".into());
        args.push(digest_file.clone().into());
        args.extend(self.skopeo_flags("dest-", false));
        args.push(source.into());
        args.push(format!("docker://{}", self.reference(dest)).into());
        run_ok(&mut self.skopeo_private_cache(&args));

        let pushed = std::fs::read_to_string(&digest_file)
            .unwrap_or_else(|error| panic!("skopeo wrote no digest file: {error}"));
        let pushed = pushed.trim().to_owned();
        let raw = self.inspect_raw(dest);
        assert_eq!(
            sha256_digest(&raw),
            pushed,
            "the registry serves another manifest for {dest} than skopeo pushed"
        );
        self.check_pushed(dest, &raw, options);
        pushed
    }

    /// Checks the pushed manifest (and, for an index, each image's) against the options.
    fn check_pushed(&self, dest: &str, raw: &[u8], options: &Push) {
        let manifest: Value = serde_json::from_slice(raw).unwrap();
        let media_type = manifest["mediaType"].as_str().unwrap_or_default();
        let expected_prefix = match options.format {
            Format::Oci => "application/vnd.oci.image.",
            Format::V2s2 => "application/vnd.docker.distribution.manifest.",
        };
        assert!(
            media_type.starts_with(expected_prefix),
            "{dest}: pushed as {media_type}, not {:?}",
            options.format
        );
        let images: Vec<Value> = match manifest["manifests"].as_array() {
            Some(children) => {
                let repo = repository(dest);
                children
                    .iter()
                    .map(|child| {
                        let digest = child["digest"].as_str().unwrap();
                        serde_json::from_slice(&self.inspect_raw(&format!("{repo}@{digest}")))
                            .unwrap()
                    })
                    .collect()
            }
            None => vec![manifest],
        };
        let wanted = match options.compression {
            Compression::Keep => return,
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        };
        for image in images {
            for layer in image["layers"]
                .as_array()
                .expect("a manifest without layers")
            {
                let layer_type = layer["mediaType"].as_str().unwrap_or_default();
                assert!(
                    layer_type.ends_with(wanted),
                    "{dest}: a layer was pushed as {layer_type}, not {wanted} (did skopeo's \
                     blob-info cache swap in another blob?)"
                );
            }
        }
    }

    /// `skopeo ARGS` with an empty private blob-info cache: containers/image otherwise reuses
    /// blobs it once saw in another compression (a zstd push silently becomes gzip). As root,
    /// in a private mount namespace with a tmpfs over `/var/lib/containers/cache`; otherwise
    /// with a fresh `XDG_DATA_HOME` (where rootless containers/image keeps that cache).
    fn skopeo_private_cache(&self, args: &[OsString]) -> Command {
        require_tool("skopeo");
        let mut command;
        if is_root() {
            require_tool("unshare");
            command = Command::new("unshare");
            command
                .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
                .arg(
                    "set -e; c=/var/lib/containers/cache; mkdir -p \"$c\"; \
                     mount -t tmpfs -o size=64m,mode=0700 imgaudit-blob-cache \"$c\"; \
                     exec skopeo \"$@\"",
                )
                .arg("skopeo");
        } else {
            let data_home = self.dir.path().join(format!(
                "xdg-data-{}",
                self.pushes.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&data_home).unwrap();
            command = Command::new("skopeo");
            command.env("XDG_DATA_HOME", data_home);
        }
        // Signature policy: these are test images, accept anything (no /etc/containers needed).
        command.arg("--insecure-policy").args(args);
        command
    }

    /// `skopeo inspect [--raw]` of `REPO:TAG` (or `REPO@DIGEST`) here, with the setup's
    /// credentials or none; the output as is, for tests that expect failures.
    pub(crate) fn skopeo_inspect(&self, reference: &str, raw: bool, anonymous: bool) -> Output {
        require_tool("skopeo");
        let mut command = Command::new("skopeo");
        command
            .arg("--insecure-policy")
            .arg("inspect")
            .args(self.skopeo_flags("", anonymous));
        if raw {
            command.arg("--raw");
        }
        command
            .arg(format!("docker://{}", self.reference(reference)))
            .output()
            .unwrap_or_else(|error| panic!("cannot run skopeo: {error}"))
    }

    /// The manifest (or index) stored for `REPO:TAG` (or `REPO@DIGEST`), byte for byte.
    pub(crate) fn inspect_raw(&self, reference: &str) -> Vec<u8> {
        let output = self.skopeo_inspect(reference, true, false);
        assert!(
            output.status.success(),
            "skopeo inspect --raw {reference} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// `sha256:…` of the manifest (or index) stored for `REPO:TAG`.
    pub(crate) fn manifest_digest(&self, repo_tag: &str) -> String {
        sha256_digest(&self.inspect_raw(repo_tag))
    }
}

/// Waits until the registry logs that it listens and accepts connections (and, on plain HTTP,
/// answers `/v2/` as a registry); the error holds its stderr.
fn wait_ready(child: &mut Child, stderr: &Path, addr: &str, plain: bool) -> Result<(), String> {
    let listening = format!("listening on {addr}");
    let ready = wait_for(START_TIMEOUT, || {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(Err(format!(
                "docker-registry exited ({status}):\n{}",
                log_tail(stderr, 8000)
            )));
        }
        let log = std::fs::read_to_string(stderr).unwrap_or_default();
        if !log.contains(&listening) {
            return None;
        }
        let stream = TcpStream::connect(addr).ok()?;
        if plain {
            stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
            let (head, _) = simple_request(stream, "GET", addr, "/v2/").ok()?;
            head.header("docker-distribution-api-version")?;
        }
        Some(Ok(()))
    });
    ready.unwrap_or_else(|| {
        Err(format!(
            "docker-registry did not answer on {addr} within {START_TIMEOUT:?}:\n{}",
            log_tail(stderr, 8000)
        ))
    })
}

/// The repository of `REPO:TAG` or `REPO@DIGEST`.
fn repository(reference: &str) -> &str {
    if let Some((repo, _)) = reference.split_once('@') {
        return repo;
    }
    match reference.rfind(':') {
        Some(colon) if !reference[colon..].contains('/') => &reference[..colon],
        _ => reference,
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
