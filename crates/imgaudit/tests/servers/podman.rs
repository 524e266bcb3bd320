//! A podman service speaking the Docker Engine API on a Unix socket, with private vfs storage:
//! the daemon source's real counterpart on a machine without a Docker engine.

use std::fs::File;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::http::simple_request;
use super::{log_tail, remove_tree, require_tool, run_ok, short_tempdir, wait_for};

/// How long the service may take to answer `/_ping`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `podman system service`; dropping it stops the service and deletes its storage.
#[derive(Debug)]
pub(crate) struct PodmanService {
    child: Child,
    socket: PathBuf,
    stderr: PathBuf,
    /// Storage root and logs (any length).
    dir: tempfile::TempDir,
    /// Run root, libpod tmpdir and the socket: podman refuses a run root of 50 characters or
    /// more, and a Unix socket path is limited to 108 bytes.
    short: tempfile::TempDir,
}

impl PodmanService {
    /// Starts the service and waits until `/_ping` answers `OK`.
    pub(crate) fn start() -> PodmanService {
        require_tool("podman");
        let dir = tempfile::Builder::new()
            .prefix("imgaudit-podman.")
            .tempdir()
            .expect("cannot create podman's temp dir");
        let short = short_tempdir("ia-pod.");
        let socket = short.path().join("podman.sock");
        let stderr = dir.path().join("podman.log");
        let mut command = Command::new("podman");
        command
            .args(storage_flags(dir.path(), short.path()))
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(File::create(dir.path().join("podman.out")).unwrap())
            .stderr(File::create(&stderr).unwrap());
        // These would make podman a remote client of another service.
        for name in ["CONTAINER_HOST", "CONTAINER_CONNECTION"] {
            command.env_remove(name);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run podman: {error}"));
        let mut service = PodmanService {
            child,
            socket,
            stderr,
            dir,
            short,
        };
        let ready = wait_for(START_TIMEOUT, || {
            if let Ok(Some(status)) = service.child.try_wait() {
                return Some(Err(format!("podman exited ({status})")));
            }
            let (head, body) = service.request("GET", "/_ping").ok()?;
            (head.status() == 200 && body == b"OK").then_some(Ok(()))
        });
        match ready {
            Some(Ok(())) => service,
            Some(Err(error)) => panic!("podman system service failed: {error}:\n{}", service.log()),
            None => panic!(
                "podman system service did not answer /_ping within {START_TIMEOUT:?}:\n{}",
                service.log()
            ),
        }
    }

    /// `unix:///…/podman.sock`, for `DOCKER_HOST`.
    pub(crate) fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    pub(crate) fn socket(&self) -> &Path {
        &self.socket
    }

    /// The service's log (stderr) so far.
    pub(crate) fn log(&self) -> String {
        log_tail(&self.stderr, 8000)
    }

    /// One API request over the socket (`GET /v1.41/images/json`): status head and body.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
    ) -> std::io::Result<(super::http::Head, Vec<u8>)> {
        let stream = UnixStream::connect(&self.socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        simple_request(stream, method, "d", path)
    }

    /// A `podman` command that talks to this service (`podman --url unix://… ARGS`).
    pub(crate) fn podman(&self) -> Command {
        let mut command = Command::new("podman");
        command.arg("--url").arg(self.docker_host());
        command
    }

    /// Loads a docker-archive (a `docker save` tar) and returns the names podman reports.
    pub(crate) fn load(&self, docker_archive: &Path) -> Vec<String> {
        let output = run_ok(self.podman().arg("load").arg("-i").arg(docker_archive));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.strip_prefix("Loaded image:"))
            .flat_map(|names| names.split(','))
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect()
    }

    /// `podman tag FROM TO`.
    pub(crate) fn tag(&self, from: &str, to: &str) {
        run_ok(self.podman().args(["tag", from, to]));
    }
}

/// The flags that keep podman's state private to this service.
fn storage_flags(dir: &Path, short: &Path) -> Vec<std::ffi::OsString> {
    let mut flags: Vec<std::ffi::OsString> = Vec::new();
    let mut flag = |name: &str, value: PathBuf| {
        flags.push(name.into());
        flags.push(value.into());
    };
    flag("--root", dir.join("root"));
    flag("--runroot", short.join("run"));
    flag("--tmpdir", short.join("tmp"));
    flag("--network-config-dir", dir.join("networks"));
    flag("--volumepath", dir.join("volumes"));
    flags.extend(
        [
            "--storage-driver=vfs",
            "--events-backend=file",
            "--cgroup-manager=cgroupfs",
        ]
        .map(Into::into),
    );
    flags
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // vfs layers may hold read-only directories: rm -rf (as root) rather than the TempDir's
        // own removal; both never leave their file system.
        remove_tree(self.dir.path());
        remove_tree(self.short.path());
    }
}
