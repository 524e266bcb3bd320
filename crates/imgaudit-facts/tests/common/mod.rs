//! What the facts tests share: a synthetic image with an `Env`, read in memory as an OCI
//! layout's would be, and its facts.

// Each test file uses some of these.
#![allow(dead_code)]

use imgaudit_facts::{Domains, Facts, collect, config_paths};
use imgaudit_image::OpenOptions;
use imgaudit_layer::DEFAULT_MAX_CAPTURE_SIZE;
use imgaudit_loader::{LoadOptions, LoadedImage};
use imgaudit_testkit::{LayerBuilder, TestImage};

/// An image of `layers` whose config's `Env` is `env`.
pub(crate) fn image(layers: Vec<LayerBuilder>, env: &[&str]) -> TestImage {
    let mut image = TestImage::new(layers.into_iter().map(LayerBuilder::finish).collect());
    image.env.extend(env.iter().map(|e| (*e).to_owned()));
    image
}

/// `image` loaded in memory with `options` (its layers can be read again).
pub(crate) fn load(image: &TestImage, options: &LoadOptions) -> LoadedImage {
    let mut blobs = vec![image.config_blob().bytes];
    blobs.extend(image.layer_blobs().into_iter().map(|blob| blob.bytes));
    let opened = imgaudit_image::open_in_memory(
        "test-image",
        &image.manifest_blob().bytes,
        blobs,
        &OpenOptions::default(),
    )
    .unwrap();
    imgaudit_loader::load_opened(opened, options).unwrap()
}

/// The facts of every domain of `image`, captured as an audit of every rule captures them.
pub(crate) fn facts_of(image: &TestImage) -> Facts {
    let options = LoadOptions {
        capture: Domains::all()
            .capture_rules(DEFAULT_MAX_CAPTURE_SIZE)
            .unwrap(),
        capture_from_config: Some(config_paths),
        ..LoadOptions::default()
    };
    collect(&load(image, &options), &Domains::all())
}
