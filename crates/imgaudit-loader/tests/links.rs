//! Reading link targets again (`LoadOptions::wanted`): only the layers that hold a wanted
//! file's bytes are read a second time, each verified again; a stream, which cannot be read
//! twice, and a file over the capture limit are listed in `unread`.

use std::io::Read;
use std::sync::{Arc, Mutex};

use imgaudit_image::{BlobStore, ImageError, ImageSpec, LayerRef, OpenOptions, OpenedImage};
use imgaudit_layer::{CaptureRules, EntryKind, ImagePath};
use imgaudit_loader::{LoadError, LoadOptions, LoadedImage, Unread, load_opened, load_stream};
use imgaudit_testkit::{LayerBuilder, TestImage, docker_archive_legacy};

/// What a reader of `/etc/pip.conf` wants: the file its links lead to, when it has no content.
fn pip_conf(image: &LoadedImage, _: &CaptureRules) -> Vec<ImagePath> {
    let path = ImagePath::from_tar_name(b"etc/pip.conf").unwrap();
    match image.fs.lookup(&path, true) {
        Ok((resolved, Some(node)))
            if node.kind() == EntryKind::File && node.content().is_none() =>
        {
            vec![resolved]
        }
        _ => Vec::new(),
    }
}

fn options() -> LoadOptions {
    LoadOptions {
        capture: CaptureRules::new(&["/etc/pip.conf"], 64).unwrap(),
        wanted: Some(pip_conf),
        jobs: 1,
        ..LoadOptions::default()
    }
}

/// Blobs in memory that count how often each layer is opened, and can hand out other bytes
/// for a layer from its second opening on.
#[derive(Debug)]
struct Counting {
    inner: Box<dyn BlobStore>,
    /// The layers' locations, in order.
    locations: Vec<String>,
    opened: Mutex<Vec<usize>>,
    /// (layer index, bytes served from the second opening on).
    swap: Option<(usize, Vec<u8>)>,
}

impl BlobStore for Counting {
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let index = self
            .locations
            .iter()
            .position(|l| *l == layer.location)
            .unwrap();
        let times = {
            let mut opened = self.opened.lock().unwrap();
            opened[index] += 1;
            opened[index]
        };
        if let Some((swapped, bytes)) = &self.swap
            && *swapped == index
            && times > 1
        {
            return Ok(Box::new(&bytes[..]));
        }
        self.inner.open_layer(layer)
    }
}

/// A store shared with the test, so that it can look at the counts afterwards.
#[derive(Debug)]
struct Shared(Arc<Counting>);

impl BlobStore for Shared {
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        self.0.open_layer(layer)
    }
}

/// `image` opened in memory through a [`Counting`] store, which the test keeps too.
fn open(image: &TestImage, swap: Option<(usize, Vec<u8>)>) -> (OpenedImage, Arc<Counting>) {
    let mut blobs = vec![image.config_blob().bytes];
    blobs.extend(image.layer_blobs().into_iter().map(|blob| blob.bytes));
    let opened = imgaudit_image::open_in_memory(
        "test-image",
        &image.manifest_blob().bytes,
        blobs,
        &OpenOptions::default(),
    )
    .unwrap();
    let locations: Vec<String> = opened
        .meta
        .layers
        .iter()
        .map(|l| l.location.clone())
        .collect();
    let store = Arc::new(Counting {
        inner: opened.blobs,
        opened: Mutex::new(vec![0; locations.len()]),
        locations,
        swap,
    });
    (
        OpenedImage {
            meta: opened.meta,
            blobs: Box::new(Shared(Arc::clone(&store))),
        },
        store,
    )
}

fn linked_image() -> TestImage {
    TestImage::new(vec![
        LayerBuilder::new().file("etc/motd", b"base\n").finish(),
        LayerBuilder::new()
            .file("opt/conf/settings.ini", b"[global]\nuser = true\n")
            .finish(),
        LayerBuilder::new()
            .symlink("etc/pip.conf", "/opt/conf/settings.ini")
            .finish(),
    ])
}

fn content(image: &LoadedImage, path: &[u8]) -> Option<Vec<u8>> {
    let path = ImagePath::from_tar_name(path).unwrap();
    image.fs.get(&path)?.content().map(<[u8]>::to_vec)
}

#[test]
fn only_the_layer_holding_the_target_is_read_again() {
    let (opened, store) = open(&linked_image(), None);
    let image = load_opened(opened, &options()).unwrap();
    assert_eq!(
        content(&image, b"opt/conf/settings.ini").as_deref(),
        Some(&b"[global]\nuser = true\n"[..])
    );
    assert!(image.unread.is_empty(), "{:?}", image.unread);
    assert_eq!(*store.opened.lock().unwrap(), [1, 2, 1]);
}

#[test]
fn nothing_is_read_again_when_nothing_is_missing() {
    let plain = TestImage::new(vec![
        LayerBuilder::new()
            .file("etc/pip.conf", b"[global]\n")
            .finish(),
    ]);
    let (opened, store) = open(&plain, None);
    let image = load_opened(opened, &options()).unwrap();
    assert!(content(&image, b"etc/pip.conf").is_some());
    assert_eq!(*store.opened.lock().unwrap(), [1]);
}

#[test]
fn a_layer_read_again_is_verified_again() {
    let image = linked_image();
    let other = LayerBuilder::new()
        .file("opt/conf/settings.ini", b"[global]\nuser = fals\n")
        .finish();
    let (opened, _) = open(&image, Some((1, other)));
    let error = load_opened(opened, &options()).unwrap_err();
    assert!(
        matches!(error, LoadError::Mismatch { index: 1, .. }),
        "{error}"
    );
}

#[test]
fn a_stream_lists_what_it_could_not_read_again() {
    let archive = docker_archive_legacy(&[(&["app:ci"], &linked_image())]);
    let spec = ImageSpec::parse("-").unwrap();
    let image = load_stream(&archive[..], &spec, &options()).unwrap();
    let target = ImagePath::from_tar_name(b"opt/conf/settings.ini").unwrap();
    assert_eq!(
        image.unread.iter().collect::<Vec<_>>(),
        [(&target, &Unread::Stream)]
    );
}

#[test]
fn a_target_over_the_capture_limit_is_not_read() {
    let image = TestImage::new(vec![
        LayerBuilder::new()
            .file("opt/conf/settings.ini", &[b'#'; 65])
            .symlink("etc/pip.conf", "/opt/conf/settings.ini")
            .finish(),
    ]);
    let (opened, _) = open(&image, None);
    let image = load_opened(opened, &options()).unwrap();
    let target = ImagePath::from_tar_name(b"opt/conf/settings.ini").unwrap();
    assert_eq!(
        image.unread.get(&target),
        Some(&Unread::TooLarge {
            size: 65,
            limit: 64
        })
    );
}
