//! Real servers for end-to-end tests of the registry and daemon sources: the CNCF distribution
//! registry (Debian's `docker-registry`) in three setups, an in-process token server, a
//! fault-injecting HTTP proxy, and a podman service speaking the Docker API on a Unix socket.
//!
//! Everything runs on 127.0.0.1 or in temporary directories and stops when dropped. A missing
//! tool is a panic that names its Debian package: the tests using this are `#[ignore]`d and run
//! by `ci/test.sh` with `--ignored`, where a skipped check would be a silent lie.
//!
//! Needs (Debian 12 packages): `docker-registry`, `skopeo`, `podman`, `apache2-utils`
//! (htpasswd), `openssl`, plus `util-linux`/`mount` (unshare, mount: always present) and, for
//! the smoke tests only, `curl`.

// Each test file uses a different subset of the harness.
#![allow(dead_code, unused_imports)]

mod http;
mod podman;
mod proxy;
mod registry;
mod tls;
mod token;

use std::fmt::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub(crate) use podman::PodmanService;
pub(crate) use proxy::{DigestHeader, Fault, FaultKind, FaultProxy, ProxiedRequest};
pub(crate) use registry::{Compression, Format, Push, Registry, Setup};
pub(crate) use token::TokenRequests;

pub(crate) use crate::common::images_dir;

/// A skopeo source for an OCI layout of the real images: `oci_layout("python-rules/oci",
/// "test")` is `oci:IMAGES/python-rules/oci:test`.
pub(crate) fn oci_layout(relative: &str, reference: &str) -> String {
    let dir = images_dir().join(relative);
    assert!(
        dir.join("index.json").is_file(),
        "{} is not an OCI layout: rebuild the real images (tests/real-images/build.sh)",
        dir.display()
    );
    format!("oci:{}:{reference}", dir.display())
}

/// The Debian package that provides each tool the harness runs.
fn package_of(tool: &str) -> &'static str {
    match tool {
        "docker-registry" => "docker-registry",
        "skopeo" => "skopeo",
        "podman" => "podman",
        "htpasswd" => "apache2-utils",
        "openssl" => "openssl",
        "curl" => "curl",
        "jq" => "jq",
        "unshare" => "util-linux",
        "mount" => "mount",
        "rm" => "coreutils",
        _ => "(unknown: see tests/servers/mod.rs)",
    }
}

/// Panics, naming the Debian package, unless `tool` is an executable file on `PATH`.
pub(crate) fn require_tool(tool: &str) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(tool))
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    });
    assert!(
        found,
        "`{tool}` not found on PATH: install it with `apt-get install -y --no-install-recommends {}` \
         (ci/test.sh installs the test tools)",
        package_of(tool)
    );
}

/// Runs `command` to completion; panics with its stderr (and what it was) unless it succeeds.
pub(crate) fn run_ok(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout),
    );
    output
}

/// Whether this process runs as root (the owner of `/proc/self` is the effective uid).
pub(crate) fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// A temporary directory with a short path, for podman's run root (which must be shorter than
/// 50 characters) and Unix sockets (108 bytes at most): `$TMPDIR` when short enough (a CI
/// temp dir often is not), `/tmp` otherwise.
pub(crate) fn short_tempdir(prefix: &str) -> tempfile::TempDir {
    let candidates = [std::env::temp_dir(), PathBuf::from("/tmp")];
    let base = candidates
        .iter()
        .find(|dir| dir.is_dir() && dir.as_os_str().len() + prefix.len() + 24 < 50)
        .unwrap_or_else(|| panic!("no short temporary directory: TMPDIR and /tmp are unusable"));
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(base)
        .unwrap_or_else(|error| panic!("cannot create a temp dir in {}: {error}", base.display()))
}

/// A port free on 127.0.0.1 right now (another process may take it before it is used: start
/// the server, and retry when its bind fails).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("cannot bind 127.0.0.1:0")
        .port()
}

/// Polls `ready` every 50 ms until it returns `Some`, or gives up after `timeout`.
pub(crate) fn wait_for<T>(timeout: Duration, mut ready: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = ready() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last `max` bytes of a log file, for panic messages.
pub(crate) fn log_tail(path: &Path, max: usize) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(max);
    let mut tail = String::from_utf8_lossy(&text[start..]).into_owned();
    if start > 0 {
        tail.insert_str(0, "[...]\n");
    }
    tail
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// `sha256:HEX` of `bytes`.
pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
    )
}

/// Mount points at or below `dir` (from `/proc/self/mountinfo`, octal escapes decoded).
fn mounts_under(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|point| {
            point
                .replace("\\040", " ")
                .replace("\\011", "\t")
                .replace("\\012", "\n")
                .replace("\\134", "\\")
        })
        .filter(|point| *point == dir || point.starts_with(&format!("{dir}/")))
        .collect()
}

/// Removes a tree that may hold read-only directories (vfs storage), never crossing into
/// another file system and refusing while anything is mounted below it. Best effort: for
/// `Drop`, where a panic would abort.
pub(crate) fn remove_tree(dir: &Path) {
    if !dir.exists() {
        return;
    }
    let mounts = mounts_under(dir);
    if !mounts.is_empty() {
        eprintln!(
            "test harness: not deleting {}: still mounted: {mounts:?}",
            dir.display()
        );
        return;
    }
    match Command::new("rm")
        .args(["-rf", "--one-file-system", "--"])
        .arg(dir)
        .output()
    {
        Ok(output) if output.status.success() => {}
        Ok(output) => eprintln!(
            "test harness: rm -rf {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => eprintln!("test harness: cannot run rm: {error}"),
    }
}

/// Writes a docker-archive (the legacy `docker save` tar) of `source` (any skopeo source, e.g.
/// from [`oci_layout`]) to `file`, tagged `name_tag` (`NAME:TAG`).
pub(crate) fn docker_archive(source: &str, file: &Path, name_tag: &str) {
    require_tool("skopeo");
    run_ok(
        Command::new("skopeo")
            .args(["--insecure-policy", "copy", "--quiet", source])
            .arg(format!("docker-archive:{}:{name_tag}", file.display())),
    );
}
