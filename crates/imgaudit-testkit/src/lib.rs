//! Builds synthetic layers, OCI layouts and `docker save` archives for imgaudit's tests.
//!
//! Real images made by real tools are tested too (`tests/real-images/`); these builders exist to
//! cover every rule of layer application and every malformed input precisely and quickly.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod scale;

use std::io::Write;
use std::path::Path;

use imgaudit_digest::{Algorithm, Digest};
use serde_json::{Value, json};

/// Builds one layer's tar stream entry by entry.
pub struct LayerBuilder {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for LayerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for LayerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LayerBuilder")
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(1_700_000_000);
    header.set_size(size);
    header
}

impl LayerBuilder {
    pub fn new() -> Self {
        LayerBuilder {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    pub fn dir(self, path: &str) -> Self {
        self.entry(path, header(tar::EntryType::Directory, 0o755, 0), b"")
    }

    pub fn dir_with(self, path: &str, mode: u32, uid: u64, gid: u64) -> Self {
        let mut h = header(tar::EntryType::Directory, mode, 0);
        h.set_uid(uid);
        h.set_gid(gid);
        self.entry(path, h, b"")
    }

    pub fn file(self, path: &str, content: &[u8]) -> Self {
        self.file_with(path, content, 0o644, 0, 0)
    }

    pub fn file_with(self, path: &str, content: &[u8], mode: u32, uid: u64, gid: u64) -> Self {
        let mut h = header(tar::EntryType::Regular, mode, content.len() as u64);
        h.set_uid(uid);
        h.set_gid(gid);
        self.entry(path, h, content)
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let mut h = header(tar::EntryType::Symlink, 0o777, 0);
        self.builder
            .append_link(&mut h, path, target)
            .expect("append symlink");
        self
    }

    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        let mut h = header(tar::EntryType::Link, 0o644, 0);
        self.builder
            .append_link(&mut h, path, target)
            .expect("append hard link");
        self
    }

    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let marker = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&marker, b"")
    }

    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }

    pub fn fifo(self, path: &str) -> Self {
        self.entry(path, header(tar::EntryType::Fifo, 0o644, 0), b"")
    }

    /// An entry whose name is written into the header as given, bypassing the tar crate's checks,
    /// to build hostile layers (`../x`, `/etc/x`, names that are not UTF-8). Names up to 100 bytes.
    pub fn raw(mut self, name: &[u8], kind: tar::EntryType, link: &[u8], content: &[u8]) -> Self {
        let mut h = header(kind, 0o644, content.len() as u64);
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        h.set_cksum();
        self.builder.append(&h, content).expect("append raw entry");
        self
    }

    /// An entry whose uid and gid only fit in PAX records.
    pub fn file_with_pax_ids(mut self, path: &str, uid: u64, gid: u64) -> Self {
        let uid = uid.to_string();
        let gid = gid.to_string();
        self.builder
            .append_pax_extensions([("uid", uid.as_bytes()), ("gid", gid.as_bytes())])
            .expect("append pax");
        self.file(path, b"pax")
    }

    fn entry(mut self, path: &str, mut h: tar::Header, content: &[u8]) -> Self {
        self.builder
            .append_data(&mut h, path, content)
            .expect("append entry");
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.builder.into_inner().expect("finish tar")
    }
}

/// How a test layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compress {
    None,
    Gzip,
    Zstd,
}

impl Compress {
    pub fn apply(self, tar: &[u8]) -> Vec<u8> {
        match self {
            Compress::None => tar.to_vec(),
            Compress::Gzip => gzip(tar),
            Compress::Zstd => zstd::encode_all(tar, 3).expect("zstd"),
        }
    }

    pub fn oci_media_type(self) -> &'static str {
        match self {
            Compress::None => "application/vnd.oci.image.layer.v1.tar",
            Compress::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
            Compress::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        }
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

pub fn sha256(data: &[u8]) -> Digest {
    Digest::of_bytes(Algorithm::Sha256, data)
}

/// A synthetic image: layers (as uncompressed tars) and the config fields tests care about.
#[derive(Debug, Clone)]
pub struct TestImage {
    pub layers: Vec<Vec<u8>>,
    pub compress: Compress,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// `(created_by, empty_layer)` steps; by default one step per layer.
    pub history: Option<Vec<(String, bool)>>,
    /// More fields of the config's `config` object (`Cmd`, `Entrypoint`, `Labels`,
    /// `WorkingDir`…), as the image's JSON has them.
    pub config_fields: serde_json::Map<String, Value>,
}

/// One blob of a test image: its bytes, digest and media type.
#[derive(Debug, Clone)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub digest: Digest,
    pub media_type: String,
}

impl Blob {
    fn new(bytes: Vec<u8>, media_type: &str) -> Blob {
        Blob {
            digest: sha256(&bytes),
            bytes,
            media_type: media_type.to_owned(),
        }
    }

    pub fn descriptor(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest.to_string(), "size": self.bytes.len()})
    }
}

impl TestImage {
    pub fn new(layers: Vec<Vec<u8>>) -> TestImage {
        TestImage {
            layers,
            compress: Compress::Gzip,
            env: vec!["PATH=/usr/local/bin:/usr/bin:/bin".to_owned()],
            user: None,
            os: "linux".to_owned(),
            architecture: "amd64".to_owned(),
            variant: None,
            history: None,
            config_fields: serde_json::Map::new(),
        }
    }

    /// The image with `field` of the config's `config` object set to `value`.
    pub fn config_field(mut self, field: &str, value: Value) -> Self {
        self.config_fields.insert(field.to_owned(), value);
        self
    }

    pub fn compressed(mut self, compress: Compress) -> Self {
        self.compress = compress;
        self
    }

    pub fn platform(mut self, os: &str, architecture: &str, variant: Option<&str>) -> Self {
        os.clone_into(&mut self.os);
        architecture.clone_into(&mut self.architecture);
        self.variant = variant.map(str::to_owned);
        self
    }

    pub fn config_value(&self) -> Value {
        let diff_ids: Vec<String> = self.layers.iter().map(|l| sha256(l).to_string()).collect();
        let history: Vec<Value> = match &self.history {
            Some(steps) => steps
                .iter()
                .map(|(by, empty)| {
                    if *empty {
                        json!({"created_by": by, "empty_layer": true})
                    } else {
                        json!({"created_by": by})
                    }
                })
                .collect(),
            None => (0..self.layers.len())
                .map(|i| json!({"created_by": format!("step {i}")}))
                .collect(),
        };
        let mut config = json!({"Env": self.env});
        if let Some(user) = &self.user {
            config["User"] = json!(user);
        }
        for (field, value) in &self.config_fields {
            config[field] = value.clone();
        }
        let mut value = json!({
            "architecture": self.architecture,
            "os": self.os,
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        if let Some(variant) = &self.variant {
            value["variant"] = json!(variant);
        }
        value
    }

    pub fn config_blob(&self) -> Blob {
        Blob::new(
            serde_json::to_vec(&self.config_value()).unwrap(),
            "application/vnd.oci.image.config.v1+json",
        )
    }

    pub fn layer_blobs(&self) -> Vec<Blob> {
        self.layers
            .iter()
            .map(|l| Blob::new(self.compress.apply(l), self.compress.oci_media_type()))
            .collect()
    }

    pub fn manifest_blob(&self) -> Blob {
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": self.config_blob().descriptor(),
            "layers": self.layer_blobs().iter().map(Blob::descriptor).collect::<Vec<_>>(),
        });
        Blob::new(
            serde_json::to_vec(&manifest).unwrap(),
            "application/vnd.oci.image.manifest.v1+json",
        )
    }

    fn platform_value(&self) -> Value {
        let mut platform = json!({"os": self.os, "architecture": self.architecture});
        if let Some(variant) = &self.variant {
            platform["variant"] = json!(variant);
        }
        platform
    }
}

/// Writes a blob under `blobs/sha256/` of an OCI layout.
pub fn write_blob(layout: &Path, blob: &Blob) {
    let dir = layout.join("blobs").join("sha256");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(blob.digest.hex()), &blob.bytes).unwrap();
}

/// Writes `oci-layout` and an `index.json` listing these descriptors: with [`write_image_blobs`]
/// and [`index_blob`], the way to build layouts whose index is unusual.
pub fn write_layout_files(layout: &Path, manifests: &[Value]) {
    std::fs::create_dir_all(layout).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let index = json!({"schemaVersion": 2, "manifests": manifests});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec_pretty(&index).unwrap(),
    )
    .unwrap();
}

/// Writes an image's config, layers and manifest into a layout and returns the manifest.
pub fn write_image_blobs(layout: &Path, image: &TestImage) -> Blob {
    write_blob(layout, &image.config_blob());
    for blob in image.layer_blobs() {
        write_blob(layout, &blob);
    }
    let manifest = image.manifest_blob();
    write_blob(layout, &manifest);
    manifest
}

/// Writes an OCI layout holding each image under its `org.opencontainers.image.ref.name`.
pub fn write_oci_layout(layout: &Path, images: &[(&str, &TestImage)]) {
    let mut manifests = Vec::new();
    for (name, image) in images {
        let manifest = write_image_blobs(layout, image);
        let mut descriptor = manifest.descriptor();
        if !name.is_empty() {
            descriptor["annotations"] = json!({"org.opencontainers.image.ref.name": name});
        }
        manifests.push(descriptor);
    }
    write_layout_files(layout, &manifests);
}

/// Writes an OCI layout whose `index.json` points at an image index of several platforms, with
/// a BuildKit-style attestation manifest after each image when `attestations` is set.
pub fn write_multi_platform_layout(
    layout: &Path,
    name: &str,
    images: &[&TestImage],
    attestations: bool,
) {
    let mut entries = Vec::new();
    for image in images {
        let manifest = write_image_blobs(layout, image);
        let mut descriptor = manifest.descriptor();
        descriptor["platform"] = image.platform_value();
        entries.push(descriptor);
        if attestations {
            let attestation = TestImage::new(vec![LayerBuilder::new().finish()]);
            let attestation_manifest = write_image_blobs(layout, &attestation);
            let mut descriptor = attestation_manifest.descriptor();
            descriptor["platform"] = json!({"os": "unknown", "architecture": "unknown"});
            descriptor["annotations"] = json!({
                "vnd.docker.reference.type": "attestation-manifest",
                "vnd.docker.reference.digest": manifest.digest.to_string(),
            });
            entries.push(descriptor);
        }
    }
    let index = index_blob(&entries);
    write_blob(layout, &index);
    let mut descriptor = index.descriptor();
    descriptor["annotations"] = json!({"org.opencontainers.image.ref.name": name});
    write_layout_files(layout, &[descriptor]);
}

/// An OCI image index of these descriptors.
pub fn index_blob(entries: &[Value]) -> Blob {
    Blob::new(
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": entries,
        }))
        .unwrap(),
        "application/vnd.oci.image.index.v1+json",
    )
}

/// The platform object of an index entry for this image.
pub fn platform_value(image: &TestImage) -> Value {
    image.platform_value()
}

/// Appends a regular file to a tar being built.
pub fn append_file(builder: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
    let mut h = header(tar::EntryType::Regular, 0o644, data.len() as u64);
    builder.append_data(&mut h, name, data).unwrap();
}

fn append_symlink(builder: &mut tar::Builder<Vec<u8>>, name: &str, target: &str) {
    let mut h = header(tar::EntryType::Symlink, 0o777, 0);
    builder.append_link(&mut h, name, target).unwrap();
}

/// A legacy `docker save` tarball, as Docker before 25 wrote it: `<id>/layer.tar` directories
/// (here symlinks to `<diffid>.tar`, as skopeo writes them), `<config>.json`, `repositories`, and
/// `manifest.json` written last, so that a streaming reader sees the layers before the manifest.
pub fn docker_archive_legacy(images: &[(&[&str], &TestImage)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    for (tags, image) in images {
        let mut layer_paths = Vec::new();
        for (i, layer) in image.layers.iter().enumerate() {
            let hex = sha256(layer).hex().to_owned();
            append_file(&mut builder, &format!("{hex}.tar"), layer);
            let id = sha256(format!("{hex}-{i}").as_bytes()).hex().to_owned();
            append_file(&mut builder, &format!("{id}/VERSION"), b"1.0");
            append_file(&mut builder, &format!("{id}/json"), b"{}");
            append_symlink(
                &mut builder,
                &format!("{id}/layer.tar"),
                &format!("../{hex}.tar"),
            );
            layer_paths.push(format!("{id}/layer.tar"));
        }
        let config = image.config_blob();
        append_file(
            &mut builder,
            &format!("{}.json", config.digest.hex()),
            &config.bytes,
        );
        manifest.push(json!({
            "Config": format!("{}.json", config.digest.hex()),
            "RepoTags": tags,
            "Layers": layer_paths,
        }));
    }
    append_file(&mut builder, "repositories", b"{}");
    append_file(
        &mut builder,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    builder.into_inner().unwrap()
}

/// A `docker save` tarball as Docker 25 and later write it: an OCI layout (uncompressed layers)
/// plus `manifest.json` pointing into `blobs/`, with `manifest.json` first.
pub fn docker_archive_25(tag: &str, image: &TestImage) -> Vec<u8> {
    let image = image.clone().compressed(Compress::None);
    let mut builder = tar::Builder::new(Vec::new());
    let config = image.config_blob();
    let layers = image.layer_blobs();
    let manifest = image.manifest_blob();
    let docker_manifest = json!([{
        "Config": format!("blobs/sha256/{}", config.digest.hex()),
        "RepoTags": [tag],
        "Layers": layers.iter().map(|l| format!("blobs/sha256/{}", l.digest.hex())).collect::<Vec<_>>(),
    }]);
    append_file(
        &mut builder,
        "manifest.json",
        &serde_json::to_vec(&docker_manifest).unwrap(),
    );
    let mut descriptor = manifest.descriptor();
    descriptor["annotations"] = json!({
        "io.containerd.image.name": format!("docker.io/{tag}"),
        "org.opencontainers.image.ref.name": tag.rsplit_once(':').map_or("latest", |(_, t)| t),
    });
    append_file(
        &mut builder,
        "index.json",
        &serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [descriptor]})).unwrap(),
    );
    append_file(
        &mut builder,
        "oci-layout",
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    );
    for blob in std::iter::once(&config)
        .chain(layers.iter())
        .chain(std::iter::once(&manifest))
    {
        append_file(
            &mut builder,
            &format!("blobs/sha256/{}", blob.digest.hex()),
            &blob.bytes,
        );
    }
    append_file(&mut builder, "repositories", b"{}");
    builder.into_inner().unwrap()
}

/// A tarball as go-containerregistry's `tarball.Write` lays it out (crane, ko, kaniko
/// `--tar-path`): the config named `sha256:<hex>`, then `<hex>.tar.gz` layers, then
/// `manifest.json`.
pub fn ggcr_tarball(image: &TestImage) -> Vec<u8> {
    let config = image.config_blob();
    let layers = image.layer_blobs();
    let mut builder = tar::Builder::new(Vec::new());
    append_file(&mut builder, &config.digest.to_string(), &config.bytes);
    for layer in &layers {
        append_file(
            &mut builder,
            &format!("{}.tar.gz", layer.digest.hex()),
            &layer.bytes,
        );
    }
    let manifest = json!([{
        "Config": config.digest.to_string(),
        "RepoTags": ["ko.local/app:latest"],
        "Layers": layers.iter().map(|l| format!("{}.tar.gz", l.digest.hex())).collect::<Vec<_>>(),
    }]);
    append_file(
        &mut builder,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    builder.into_inner().unwrap()
}

/// skopeo's `dir:` layout of one image, as `skopeo copy ... dir:X` writes it: the manifest as
/// `manifest.json`, a `version` file, blobs named by their hex digest.
pub fn write_dir_layout(dir: &Path, image: &TestImage) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n").unwrap();
    std::fs::write(dir.join("manifest.json"), image.manifest_blob().bytes).unwrap();
    for blob in std::iter::once(image.config_blob()).chain(image.layer_blobs()) {
        std::fs::write(dir.join(blob.digest.hex()), &blob.bytes).unwrap();
    }
}

/// Packs a directory (an OCI layout) into a tar, as an `oci-archive` is.
pub fn tar_directory(dir: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir_all(".", dir).unwrap();
    builder.into_inner().unwrap()
}

/// The `EXTERNALLY-MANAGED` marker Debian 12 ships (its first lines).
pub const DEBIAN_MARKER: &[u8] =
    b"[externally-managed]\nError=To install Python packages system-wide, try apt install\n";

/// A Debian 12 shaped base layer: Debian's Python 3.11 with its PEP 668 marker, both owned per
/// dpkg's file lists, Debian's pip 23.0.1 in `/usr/lib/python3/dist-packages`, root and `app`.
pub fn debian_python_base() -> LayerBuilder {
    LayerBuilder::new()
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n",
        )
        .file("usr/lib/python3.11/os.py", b"# stdlib\n")
        .file("usr/lib/python3.11/EXTERNALLY-MANAGED", DEBIAN_MARKER)
        .dir("usr/lib/python3/dist-packages/pip-23.0.1.dist-info")
        .file(
            "var/lib/dpkg/info/libpython3.11-minimal:amd64.list",
            b"/usr/lib/python3.11\n/usr/lib/python3.11/os.py\n",
        )
        .file(
            "var/lib/dpkg/info/libpython3.11-stdlib:amd64.list",
            b"/usr/lib/python3.11/EXTERNALLY-MANAGED\n",
        )
        .file(
            "var/lib/dpkg/info/python3-pip.list",
            b"/usr/lib/python3/dist-packages/pip-23.0.1.dist-info\n",
        )
        .dir("root")
        .dir("home/app")
}

/// The README's example image: a Debian-like Python whose PEP 668 marker a later layer removed,
/// `PIP_NO_USER=1` leaked into the environment, and packages installed into `/root/.local`.
pub fn example_image() -> TestImage {
    let base = LayerBuilder::new()
        .dir("etc")
        .file("etc/os-release", b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n")
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n")
        .dir("usr")
        .dir("usr/bin")
        .file_with("usr/bin/python3.11", b"\x7fELF", 0o755, 0, 0)
        .symlink("usr/bin/python3", "python3.11")
        .dir("usr/lib")
        .dir("usr/lib/python3.11")
        .file("usr/lib/python3.11/os.py", b"# stdlib\n")
        .file(
            "usr/lib/python3.11/EXTERNALLY-MANAGED",
            b"[externally-managed]\nError=To install Python packages system-wide, try apt install\n python3-xyz.\n",
        )
        .dir("usr/lib/python3/dist-packages")
        .dir("var/lib/dpkg/info")
        .file(
            "var/lib/dpkg/info/libpython3.11-stdlib:amd64.list",
            b"/usr/lib/python3.11\n/usr/lib/python3.11/os.py\n/usr/lib/python3.11/EXTERNALLY-MANAGED\n",
        )
        .dir("root")
        .dir("home/app")
        .finish();
    let remove_marker = LayerBuilder::new()
        .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
        .finish();
    let user_site = LayerBuilder::new()
        .dir("root/.local/lib/python3.11/site-packages/six-1.16.0.dist-info")
        .file(
            "root/.local/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
        )
        .file(
            "root/.local/lib/python3.11/site-packages/six-1.16.0.dist-info/INSTALLER",
            b"pip\n",
        )
        .file(
            "root/.local/lib/python3.11/site-packages/six.py",
            b"# six\n",
        )
        .finish();
    let mut image = TestImage::new(vec![base, remove_marker, user_site]);
    image.env.push("PIP_NO_USER=1".to_owned());
    image.history = Some(vec![
        (
            "/bin/sh -c #(nop) ADD file:debian-bookworm in /".to_owned(),
            false,
        ),
        ("/bin/sh -c #(nop)  ENV PIP_NO_USER=1".to_owned(), true),
        (
            "RUN /bin/sh -c rm /usr/lib/python3.11/EXTERNALLY-MANAGED # buildkit".to_owned(),
            false,
        ),
        (
            "RUN /bin/sh -c pip install six # buildkit".to_owned(),
            false,
        ),
    ]);
    image
}

/// Writes a one-image OCI layout (ref `latest`) from parts, letting a test edit the manifest
/// before it is digested: the way to build images that lie.
pub fn write_layout_parts(
    layout: &Path,
    config: &Value,
    layers: &[Blob],
    edit_manifest: impl FnOnce(&mut Value),
) {
    let config = Blob::new(
        serde_json::to_vec(config).unwrap(),
        "application/vnd.oci.image.config.v1+json",
    );
    write_blob(layout, &config);
    for layer in layers {
        write_blob(layout, layer);
    }
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config.descriptor(),
        "layers": layers.iter().map(Blob::descriptor).collect::<Vec<_>>(),
    });
    edit_manifest(&mut manifest);
    let manifest = Blob::new(
        serde_json::to_vec(&manifest).unwrap(),
        "application/vnd.oci.image.manifest.v1+json",
    );
    write_blob(layout, &manifest);
    let mut descriptor = manifest.descriptor();
    descriptor["annotations"] = json!({"org.opencontainers.image.ref.name": "latest"});
    write_layout_files(layout, &[descriptor]);
}

/// A layer blob from raw bytes, labelled with a media type.
pub fn blob(bytes: Vec<u8>, media_type: &str) -> Blob {
    Blob::new(bytes, media_type)
}

/// A deterministic pseudo-random stream (xorshift64*) for robustness tests: the same inputs on
/// every run, no dependency.
pub fn pseudo_random() -> impl FnMut() -> u64 {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Makes a FIFO at `path` (replacing a file there) with coreutils' `mkfifo`; panics when it
/// cannot, so a test that needs one never passes without it.
pub fn make_fifo(path: &Path) {
    std::fs::remove_file(path).ok();
    let status = std::process::Command::new("mkfifo").arg(path).status();
    assert!(
        status.as_ref().is_ok_and(std::process::ExitStatus::success),
        "mkfifo {}: {status:?}",
        path.display()
    );
}

/// Makes a character device `major:minor` at `path` (replacing a file there) with coreutils'
/// `mknod`. That needs root, as the tests run in CI; elsewhere it panics rather than let a test
/// pass without its device.
pub fn make_char_device(path: &Path, major: u32, minor: u32) {
    std::fs::remove_file(path).ok();
    let status = std::process::Command::new("mknod")
        .arg(path)
        .args(["c", &major.to_string(), &minor.to_string()])
        .status();
    assert!(
        status.as_ref().is_ok_and(std::process::ExitStatus::success),
        "mknod {} c {major} {minor} (run the tests as root): {status:?}",
        path.display()
    );
}

/// A synthetic PEM private key (`label` such as `RSA PRIVATE KEY`): a body of varied base64
/// made up here, which the content detectors take for a key. `seed` varies the body.
pub fn synthetic_private_key(label: &str, seed: usize) -> String {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body: String = (0..6)
        .map(|line| {
            let mut text: String = alphabet
                .chars()
                .cycle()
                .skip(line * 7 + seed)
                .take(64)
                .collect();
            text.push('\n');
            text
        })
        .collect();
    format!("-----BEGIN {label}-----\n{body}-----END {label}-----\n")
}
