//! Smoke tests of the end-to-end test harness (`servers/`): real registries in each setup, the
//! token server, the fault proxy and the podman service, driven by skopeo and curl (the tools
//! users use), independently of imgaudit's own clients.
//!
//! Ignored in a plain `cargo test`: they need docker-registry, skopeo, podman, openssl,
//! apache2-utils and curl, and `IMGAUDIT_REAL_IMAGES`; `ci/test.sh` runs them with `--ignored`.

mod common;
mod servers;

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use serde_json::Value;
use servers::{
    Compression, DigestHeader, Fault, FaultKind, FaultProxy, Format, PodmanService, Push, Registry,
    Setup, images_dir, oci_layout, require_tool, sha256_digest,
};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn python_rules() -> String {
    oci_layout("python-rules/oci", "test")
}

/// curl, never through a proxy from the environment; the output as is.
fn curl(args: &[&str]) -> Output {
    require_tool("curl");
    Command::new("curl")
        .args(["--noproxy", "*", "--silent", "--show-error"])
        .args(args)
        .output()
        .expect("cannot run curl")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The status code curl printed with `--write-out '%{http_code}'` as its last output.
fn http_code(output: &Output) -> String {
    let text = stdout(output);
    text[text.len().saturating_sub(3)..].to_owned()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("not JSON")
}

fn layer_types(manifest: &Value) -> Vec<&str> {
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|layer| layer["mediaType"].as_str().unwrap())
        .collect()
}

fn assert_inspect_fails(registry: &Registry, reference: &str, anonymous: bool) {
    let output = registry.skopeo_inspect(reference, true, anonymous);
    assert!(
        !output.status.success(),
        "skopeo inspect {reference} (anonymous: {anonymous}) should fail"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unauthorized") || stderr.contains("authentication required"),
        "{reference}: not an authorization failure: {stderr}"
    );
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman: run ci/test.sh"]
fn plain_registry_takes_every_push_format() {
    let registry = Registry::start(Setup::Plain);
    assert!(registry.ca_cert().is_none() && registry.credentials().is_none());

    let digest = registry.push(&python_rules(), "rules/gzip:test", &Push::default());
    let source_digest = json(
        &std::fs::read(images_dir().join("python-rules/oci/index.json")).unwrap(),
    )["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(digest, source_digest, "an OCI gzip push keeps the manifest");
    assert_eq!(registry.manifest_digest("rules/gzip:test"), digest);

    let v2s2 = Push {
        format: Format::V2s2,
        ..Push::default()
    };
    registry.push(&python_rules(), "rules/v2s2:test", &v2s2);
    let manifest = json(&registry.inspect_raw("rules/v2s2:test"));
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );

    // After the gzip push, a zstd push of the same image to the same registry: the private
    // blob-info cache is what keeps skopeo from swapping the gzip blobs back in.
    let zstd = Push {
        compression: Compression::Zstd,
        ..Push::default()
    };
    registry.push(&python_rules(), "rules/zstd:test", &zstd);
    let manifest = json(&registry.inspect_raw("rules/zstd:test"));
    assert!(
        layer_types(&manifest)
            .iter()
            .all(|kind| *kind == "application/vnd.oci.image.layer.v1.tar+zstd"),
        "{manifest}"
    );

    let all = Push {
        all: true,
        ..Push::default()
    };
    registry.push(&oci_layout("multiarch/oci", "test"), "multiarch:test", &all);
    let index = json(&registry.inspect_raw("multiarch:test"));
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|child| {
            let platform = &child["platform"];
            let mut name = format!("{}/{}", platform["os"], platform["architecture"]);
            if let Some(variant) = platform["variant"].as_str() {
                name = format!("{name}/{variant}");
            }
            name.replace('"', "")
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    for child in index["manifests"].as_array().unwrap() {
        let reference = format!("multiarch@{}", child["digest"].as_str().unwrap());
        assert_eq!(
            json(&registry.inspect_raw(&reference))["mediaType"],
            OCI_MANIFEST
        );
    }

    // skopeo's non-raw inspect reads the config blob too.
    let inspect = registry.skopeo_inspect("rules/zstd:test", false, false);
    assert!(inspect.status.success());
    assert_eq!(json(&inspect.stdout)["Architecture"], "amd64");
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman: run ci/test.sh"]
fn tls_registry_with_basic_auth() {
    let registry = Registry::start(Setup::TlsBasic);
    let (user, password) = registry.credentials().unwrap();
    let ca = registry.ca_cert().unwrap();
    let cert_dir = registry.cert_dir().unwrap();
    let files: Vec<_> = std::fs::read_dir(cert_dir).unwrap().collect();
    assert_eq!(files.len(), 1, "the cert dir must hold only ca.crt");
    assert!(registry.url().starts_with("https://127.0.0.1:"));

    let digest = registry.push(&python_rules(), "rules:test", &Push::default());
    assert_eq!(registry.manifest_digest("rules:test"), digest);
    assert_inspect_fails(&registry, "rules:test", true);

    // OpenSSL (curl) trusts the chain too: the server certificate is for IP:127.0.0.1.
    let url = format!("{}/v2/", registry.url());
    let cacert = ca.to_str().unwrap();
    let anonymous = curl(&[
        "--cacert",
        cacert,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ]);
    assert_eq!(http_code(&anonymous), "401", "{anonymous:?}");
    let credentials = format!("{user}:{password}");
    let authenticated = curl(&[
        "--cacert",
        cacert,
        "-u",
        &credentials,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ]);
    assert_eq!(http_code(&authenticated), "200", "{authenticated:?}");
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman: run ci/test.sh"]
fn token_registry_issues_scoped_tokens() {
    let registry = Registry::start(Setup::Token);
    let before = registry.token_requests().unwrap();
    assert_eq!(before.anonymous + before.authenticated + before.rejected, 0);

    registry.push(&python_rules(), "private/rules:test", &Push::default());
    registry.push(&python_rules(), "public/rules:test", &Push::default());
    let pushed = registry.token_requests().unwrap();
    assert!(pushed.authenticated >= 2, "{pushed:?}");
    let grants = registry.token_grants();
    assert!(
        grants.iter().any(|grant| {
            grant.account.as_deref() == Some("imgaudit")
                && grant
                    .access
                    .to_string()
                    .contains(r#""actions":["pull","push"]"#)
        }),
        "{grants:?}"
    );

    // Authenticated reads anywhere.
    assert!(
        registry
            .skopeo_inspect("private/rules:test", true, false)
            .status
            .success()
    );
    // Anonymous reads of public/ only.
    let public = registry.skopeo_inspect("public/rules:test", true, true);
    assert!(
        public.status.success(),
        "{}",
        String::from_utf8_lossy(&public.stderr)
    );
    assert_inspect_fails(&registry, "private/rules:test", true);
    let after = registry.token_requests().unwrap();
    assert!(after.anonymous >= 2, "{after:?}");
    assert!(after.authenticated > pushed.authenticated, "{after:?}");

    // The token server itself: the registry's challenge names it, wrong credentials get 401,
    // anonymous requests for a private repository get an empty access list.
    let challenge = curl(&[
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("{}/v2/", registry.url()),
    ]);
    let realm = registry.token_realm().unwrap();
    assert!(
        stdout(&challenge).contains(&format!("Bearer realm=\"{realm}\"")),
        "{}",
        stdout(&challenge)
    );
    let query = "?service=imgaudit-test-registry&scope=repository:private/rules:pull";
    let wrong = curl(&[
        "-u",
        "imgaudit:wrong",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("{realm}{query}"),
    ]);
    assert_eq!(http_code(&wrong), "401");
    assert_eq!(registry.token_requests().unwrap().rejected, 1);
    let anonymous = curl(&[&format!("{realm}{query}")]);
    let token = json(&anonymous.stdout)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = token.split('.').nth(1).unwrap();
    let claims = json(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    );
    assert_eq!(claims["access"], serde_json::json!([]), "{claims}");
}

/// A plain registry holding python-rules as `rules:test`; its manifest.
fn registry_with_rules() -> (Registry, Value) {
    let registry = Registry::start(Setup::Plain);
    registry.push(&python_rules(), "rules:test", &Push::default());
    let manifest = json(&registry.inspect_raw("rules:test"));
    (registry, manifest)
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman: run ci/test.sh"]
fn fault_proxy_status_faults() {
    let (registry, _) = registry_with_rules();
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![
            Fault::status("/manifests/", 500),
            Fault::retry_after("/manifests/", 429, 7),
        ],
    );
    let url = format!("{}/v2/rules/manifests/test", proxy.url());
    let accept = format!("Accept: {OCI_MANIFEST}");
    let get = || {
        curl(&[
            "-H",
            &accept,
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &url,
        ])
    };

    let first = get();
    assert_eq!(http_code(&first), "500", "{}", stdout(&first));
    let second = get();
    assert_eq!(http_code(&second), "429");
    assert!(
        stdout(&second).contains("Retry-After: 7"),
        "{}",
        stdout(&second)
    );
    let third = get();
    assert_eq!(http_code(&third), "200");
    assert!(
        stdout(&third)
            .to_ascii_lowercase()
            .contains("docker-content-digest: sha256:")
    );
    assert_eq!(proxy.faults_pending(), 0);

    let log = proxy.requests_to("/manifests/test");
    let statuses: Vec<u16> = log.iter().map(|request| request.status).collect();
    assert_eq!(statuses, [500, 429, 200]);
    assert_eq!(log[0].fault, Some("status"));
    assert_eq!(log[2].fault, None);

    // A Go client through the proxy (one request per connection, `Connection: close`): a full
    // pull, blobs of 66 MB included.
    let out = tempfile::tempdir().unwrap();
    let dest = format!("oci:{}:test", out.path().join("pulled").display());
    let pull = Command::new("skopeo")
        .args([
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            "--quiet",
        ])
        .arg(format!("docker://{}/rules:test", proxy.addr()))
        .arg(&dest)
        .output()
        .unwrap();
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    assert!(proxy.requests_to("/blobs/sha256:").len() >= 10);
    assert!(
        proxy
            .requests()
            .iter()
            .all(|request| request.status != 0 && request.status != 502)
    );
}

fn add_annotation(manifest: &mut Value) {
    manifest["annotations"]["org.example.rewritten"] = "yes".into();
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman: run ci/test.sh"]
fn fault_proxy_body_faults_and_ranges() {
    let (registry, manifest) = registry_with_rules();
    let config = manifest["config"]["digest"].as_str().unwrap().to_owned();
    let config_size = manifest["config"]["size"].as_u64().unwrap();
    let small_layer = manifest["layers"][1]["digest"].as_str().unwrap().to_owned();
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![
            Fault::on(&config, FaultKind::DropAfter { bytes: 1000 }),
            Fault::on(&small_layer, FaultKind::Corrupt),
            Fault::on(
                "/manifests/",
                FaultKind::RewriteManifest {
                    edit: add_annotation,
                    digest: DigestHeader::Stale,
                },
            ),
            Fault::on(
                "/manifests/",
                FaultKind::RewriteManifest {
                    edit: add_annotation,
                    digest: DigestHeader::Recomputed,
                },
            ),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let blob_url = |digest: &str| format!("{}/v2/rules/blobs/{digest}", proxy.url());

    // Dropped after 1000 bytes: curl sees a short transfer (exit 18, "partial file")...
    let file = dir.path().join("config");
    let file_arg = file.to_str().unwrap();
    let dropped = curl(&["-o", file_arg, &blob_url(&config)]);
    assert_eq!(dropped.status.code(), Some(18), "{dropped:?}");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 1000);
    // ...and resumes with a range request, forwarded to the registry, which answers 206.
    let resumed = curl(&[
        "-C",
        "-",
        "-o",
        file_arg,
        "-w",
        "%{http_code}",
        &blob_url(&config),
    ]);
    assert_eq!(http_code(&resumed), "206", "{resumed:?}");
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes.len() as u64, config_size);
    assert_eq!(sha256_digest(&bytes), config);
    let log = proxy.requests_to(&config);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        (
            log[0].status,
            log[0].fault,
            log[0].body_bytes,
            log[0].range.as_deref()
        ),
        (200, Some("drop-after"), 1000, None)
    );
    assert_eq!(
        (log[1].status, log[1].fault, log[1].range.as_deref()),
        (206, None, Some("bytes=1000-"))
    );

    // Corrupted: same length, another digest; the next download is intact.
    let corrupt = curl(&["-o", "-", &blob_url(&small_layer)]);
    let intact = curl(&["-o", "-", &blob_url(&small_layer)]);
    assert_eq!(corrupt.stdout.len(), intact.stdout.len());
    assert_ne!(sha256_digest(&corrupt.stdout), small_layer);
    assert_eq!(sha256_digest(&intact.stdout), small_layer);

    // Rewritten manifests: the stale digest header, then a recomputed one.
    let accept = format!("Accept: {OCI_MANIFEST}");
    let manifest_url = format!("{}/v2/rules/manifests/test", proxy.url());
    let original = registry.manifest_digest("rules:test");
    for expect_stale in [true, false] {
        let headers = dir.path().join("headers");
        let output = curl(&[
            "-H",
            &accept,
            "-D",
            headers.to_str().unwrap(),
            &manifest_url,
        ]);
        let body = output.stdout;
        assert_eq!(json(&body)["annotations"]["org.example.rewritten"], "yes");
        let headers = std::fs::read_to_string(&headers)
            .unwrap()
            .to_ascii_lowercase();
        let header = headers
            .lines()
            .find_map(|line| line.strip_prefix("docker-content-digest: "))
            .unwrap()
            .trim()
            .to_owned();
        let length = headers
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .unwrap()
            .trim()
            .parse::<usize>()
            .unwrap();
        assert_eq!(length, body.len());
        if expect_stale {
            assert_eq!(header, original);
        } else {
            assert_eq!(header, sha256_digest(&body));
        }
    }
    // A HEAD is not rewritten (no body) and does not use up a fault.
    let head = curl(&["-I", "-H", &accept, &manifest_url]);
    assert!(stdout(&head).contains(&original), "{}", stdout(&head));
    assert_eq!(proxy.faults_pending(), 0);
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman: run ci/test.sh"]
fn podman_service_loads_and_lists_images() {
    let podman = PodmanService::start();
    let socket = podman.socket().to_str().unwrap().to_owned();
    assert!(podman.docker_host().starts_with("unix:///"));
    let ping = curl(&["--unix-socket", &socket, "http://d/_ping"]);
    assert_eq!(stdout(&ping), "OK", "{ping:?}");

    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("base.tar");
    servers::docker_archive(
        &oci_layout("base/oci-gzip", "test"),
        &archive,
        "imgaudit-test/harness:loaded",
    );
    let loaded = podman.load(&archive);
    assert_eq!(loaded, ["docker.io/imgaudit-test/harness:loaded"]);
    podman.tag("imgaudit-test/harness:loaded", "localhost/harness:tagged");

    let images = curl(&["--unix-socket", &socket, "http://d/v1.41/images/json"]);
    let images = json(&images.stdout);
    let tags: Vec<&str> = images
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|image| image["RepoTags"].as_array().unwrap())
        .map(|tag| tag.as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        [
            "docker.io/imgaudit-test/harness:loaded",
            "localhost/harness:tagged"
        ]
    );
    let (head, _) = podman.request("GET", "/v1.41/version").unwrap();
    assert_eq!(head.status(), 200);
    assert!(Path::new(&socket).exists());
}
