//! The facts of an image whose files are the input: the first part is the config's `User`
//! (first line) and `Env` (one `NAME=value` a line), each further part the content of one of
//! the files the facts read (`/etc/passwd`, pip configs, start-up files, the PEP 668 marker, a
//! `pyvenv.cfg`, a dpkg file list), laid over a Debian-like Python base layer. The image is
//! loaded as an audit loads it (the facts' capture patterns, the paths the config points at) and
//! every domain is collected and serialized, as `imgaudit facts` prints it.
#![no_main]

use std::sync::OnceLock;

use imgaudit_facts::{Domains, config_paths};
use imgaudit_fuzz::{MAX_BYTES, MAX_ENTRIES, parts};
use imgaudit_image::{OpenOptions, open_in_memory};
use imgaudit_layer::{CaptureRules, DEFAULT_MAX_CAPTURE_SIZE};
use imgaudit_loader::{LoadOptions, load_opened};
use imgaudit_testkit::{Compress, LayerBuilder, TestImage, debian_python_base};
use libfuzzer_sys::fuzz_target;

/// Where the parts after the first go, in order.
const FILES: &[&str] = &[
    "etc/passwd",
    "etc/pip.conf",
    "root/.bashrc",
    "etc/environment",
    "etc/profile.d/fuzz.sh",
    "usr/lib/python3.11/EXTERNALLY-MANAGED",
    "opt/venv/pyvenv.cfg",
    "var/lib/dpkg/info/python3-pip.list",
    "root/.config/pip/pip.conf",
    "home/app/.profile",
];

/// A Debian-like base with a venv and a user site, so that every Python fact has something to
/// say.
fn base() -> &'static [u8] {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| {
        debian_python_base()
            .dir("opt/venv/lib/python3.11/site-packages")
            .file("opt/venv/bin/python", b"\x7fELF")
            .dir("root/.local/lib/python3.11/site-packages/six-1.16.0.dist-info")
            .file(
                "root/.local/lib/python3.11/site-packages/six-1.16.0.dist-info/INSTALLER",
                b"pip\n",
            )
            .finish()
    })
}

fn capture() -> &'static CaptureRules {
    static CAPTURE: OnceLock<CaptureRules> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        CaptureRules::new(&Domains::all().capture_patterns(), DEFAULT_MAX_CAPTURE_SIZE)
            .expect("the facts' patterns are valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let parts = parts(data);
    let header = String::from_utf8_lossy(parts[0]);
    let mut lines = header.lines();
    let user = lines.next().filter(|u| !u.is_empty()).map(str::to_owned);
    let env: Vec<String> = lines.map(str::to_owned).collect();
    let mut layer = LayerBuilder::new();
    for (path, content) in FILES.iter().zip(&parts[1..]) {
        layer = layer.file(path, content);
    }
    let mut image =
        TestImage::new(vec![base().to_vec(), layer.finish()]).compressed(Compress::None);
    image.user = user;
    image.env = env;
    let config = image.config_blob();
    let mut blobs = vec![config.bytes];
    blobs.extend(image.layer_blobs().into_iter().map(|b| b.bytes));
    let opened = match open_in_memory(
        "fuzz",
        &image.manifest_blob().bytes,
        blobs,
        &OpenOptions::default(),
    ) {
        Ok(opened) => opened,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let options = LoadOptions {
        capture: capture().clone(),
        capture_from_config: Some(config_paths),
        max_uncompressed_bytes: MAX_BYTES,
        max_entries: MAX_ENTRIES,
        jobs: 1,
        ..LoadOptions::default()
    };
    match load_opened(opened, &options) {
        Ok(image) => {
            let facts = imgaudit_facts::collect(&image, &Domains::all());
            serde_json::to_vec(&facts).expect("facts serialize");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
