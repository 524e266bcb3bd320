//! Files of a layout or archive that are not what they claim: FIFOs, devices, sparse giants,
//! linked directories. Each is refused, naming the file, before a byte of it is read.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use imgaudit_image::{ImageError, ImageSpec, OpenOptions, OpenedImage, open};
use imgaudit_testkit::{
    LayerBuilder, TestImage, docker_archive_legacy, make_char_device, make_fifo, write_oci_layout,
};

fn image() -> TestImage {
    TestImage::new(vec![LayerBuilder::new().file("etc/motd", b"hi\n").finish()])
}

fn layout(dir: &Path) -> PathBuf {
    let layout = dir.join("layout");
    write_oci_layout(&layout, &[("app", &image())]);
    layout
}

fn open_layout(layout: &Path) -> Result<OpenedImage, ImageError> {
    let spec = ImageSpec::parse(&format!("oci:{}", layout.display())).unwrap();
    open(&spec, &OpenOptions::default())
}

/// Runs `f` on a thread, failing the test if it takes longer than a few seconds (a hang is the
/// bug these tests are about; it must fail, not stall the suite).
fn promptly<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    receive
        .recv_timeout(Duration::from_secs(10))
        .expect("refused promptly, not hanging")
}

fn layer_blob(layout: &Path) -> PathBuf {
    let blob = &image().layer_blobs()[0];
    layout.join("blobs/sha256").join(blob.digest.hex())
}

/// Reads the first layer of the layout, returning the error.
fn layer_error(layout: PathBuf) -> String {
    promptly(move || {
        let opened = open_layout(&layout).unwrap();
        match opened.blobs.open_layer(&opened.meta.layers[0]) {
            Ok(_) => "opened".to_owned(),
            Err(e) => e.to_string(),
        }
    })
}

#[test]
fn a_fifo_blob_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    let blob = layer_blob(&layout);
    make_fifo(&blob);
    let error = layer_error(layout);
    assert!(
        error.contains("is a FIFO (named pipe), not a regular file"),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "`blobs/sha256/{}`",
            blob.file_name().unwrap().to_str().unwrap()
        )),
        "{error}"
    );
}

#[test]
fn a_device_blob_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    let blob = layer_blob(&layout);
    // A device like /dev/zero (1, 5): read, it would never end.
    make_char_device(&blob, 1, 5);
    let error = layer_error(layout);
    assert!(
        error.contains("is a character device, not a regular file"),
        "{error}"
    );
}

#[test]
fn a_sparse_giant_is_refused_by_its_size_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    let blob = layer_blob(&layout);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&blob)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    let error = layer_error(layout);
    assert!(
        error.contains("is 1099511627776 bytes, but its descriptor says"),
        "{error}"
    );
    assert!(error.contains("blob `blobs/sha256/"), "{error}");
}

#[test]
fn a_linked_blobs_directory_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    for linked in ["blobs/sha256", "blobs"] {
        let elsewhere = dir.path().join("elsewhere");
        std::fs::rename(layout.join(linked), &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, layout.join(linked)).unwrap();
        let error = open_layout(&layout).unwrap_err().to_string();
        assert!(
            error.contains(&format!("`{linked}` is a symbolic link")),
            "{error}"
        );
        std::fs::remove_file(layout.join(linked)).unwrap();
        std::fs::rename(&elsewhere, layout.join(linked)).unwrap();
    }
    open_layout(&layout).unwrap();
}

#[test]
fn a_linked_blob_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    let blob = layer_blob(&layout);
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &blob).unwrap();
    let error = layer_error(layout);
    assert!(error.contains("is a symbolic link"), "{error}");
}

#[test]
fn a_fifo_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout(dir.path());
    make_fifo(&layout.join("index.json"));
    let error = promptly(move || open_layout(&layout).unwrap_err().to_string());
    assert!(error.contains("`index.json` is a FIFO"), "{error}");
}

#[test]
fn archives_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("image.tar");
    make_fifo(&fifo);
    for transport in ["docker-archive", "oci-archive"] {
        let spec = ImageSpec::parse(&format!("{transport}:{}", fifo.display())).unwrap();
        let error = promptly(move || {
            open(&spec, &OpenOptions::default())
                .unwrap_err()
                .to_string()
        });
        assert!(error.contains("it is a FIFO (named pipe)"), "{error}");
    }
    let archive = dir.path().join("saved.tar");
    std::fs::write(&archive, docker_archive_legacy(&[(&["app:1"], &image())])).unwrap();
    let spec = ImageSpec::parse(&format!("docker-archive:{}", archive.display())).unwrap();
    open(&spec, &OpenOptions::default()).unwrap();
}

#[test]
fn a_missing_archive_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.tar");
    let spec = ImageSpec::parse(&format!("docker-archive:{}", missing.display())).unwrap();
    let error = open(&spec, &OpenOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("missing.tar: no such file or directory"),
        "{error}"
    );
    assert!(!error.contains("``"), "{error}");
}
