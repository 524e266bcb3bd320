//! Facts remembered between runs, so that an unchanged image goes straight to evaluation.
//!
//! What the facts say depends on the image's config and layers, the domains collected, what the
//! loader captured and its caps, and the code that collected them; the rules and the
//! configuration only judge them, so they are evaluated afresh on every run. The key names all
//! of the former: the config digest, every layer's blob digest and diff id, the domains, the
//! capture rules, the load's caps, imgaudit's version and a fingerprint of the sources it was
//! built from (two builds never share facts). The document's identity (the name the image was
//! given, its manifest) is this load's, set again on every use.

use imgaudit_cache::DerivedKey;
use imgaudit_facts::Domains;
use imgaudit_image::ImageMeta;
use imgaudit_layer::CaptureRules;
use serde_json::Value;

/// The facts of one image, and what its layers' bytes noted.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct RememberedFacts {
    pub(crate) document: Value,
    pub(crate) content_notes: Vec<String>,
}

/// [`RememberedFacts`] as written, borrowing what a load just gave.
#[derive(serde::Serialize)]
struct Remembering<'a> {
    document: &'a Value,
    content_notes: &'a [String],
}

impl RememberedFacts {
    /// The bytes [`RememberedFacts::from_bytes`] reads back.
    pub(crate) fn encode(document: &Value, content_notes: &[String]) -> Vec<u8> {
        serde_json::to_vec(&Remembering {
            document,
            content_notes,
        })
        .expect("JSON values serialize")
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<RememberedFacts, String> {
        serde_json::from_slice(bytes).map_err(|error| error.to_string())
    }
}

/// The build that computes the facts: the version alone is not enough, a build between two
/// releases computes other facts under the same number.
pub(crate) const BUILD: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " build ",
    env!("IMGAUDIT_BUILD_FINGERPRINT")
);

/// The key of the facts of the image `meta` describes (its digests verified by the open, its
/// layers' pairing of blob and diff id verified by the load that first stored them).
pub(crate) fn facts_key(
    meta: &ImageMeta,
    domains: &Domains,
    capture: &CaptureRules,
    load: &str,
) -> DerivedKey {
    key_of_build(BUILD, meta, domains, capture, load)
}

fn key_of_build(
    build: &str,
    meta: &ImageMeta,
    domains: &Domains,
    capture: &CaptureRules,
    load: &str,
) -> DerivedKey {
    let names: Vec<&str> = domains.iter().map(imgaudit_facts::Domain::name).collect();
    DerivedKey::new(format!(
        "facts of imgaudit {build} domains {} load {load} config {} {} capture {}",
        names.join(","),
        meta.config_digest,
        imgaudit_loader::layer_chain(&meta.layers),
        capture.fingerprint(),
    ))
}

#[cfg(test)]
mod tests {
    use imgaudit_facts::Domain;
    use imgaudit_image::{ImageSpec, OpenOptions};
    use imgaudit_testkit::{LayerBuilder, example_image, write_oci_layout};

    use super::*;

    fn meta_of(image: &imgaudit_testkit::TestImage) -> (tempfile::TempDir, ImageMeta) {
        let dir = tempfile::tempdir().unwrap();
        write_oci_layout(dir.path(), &[("t", image)]);
        let spec = ImageSpec::parse(&format!("oci:{}:t", dir.path().display())).unwrap();
        let opened = imgaudit_image::open(&spec, &OpenOptions::default()).unwrap();
        (dir, opened.meta)
    }

    #[test]
    fn every_thing_the_facts_depend_on_is_in_their_key() {
        let image = example_image();
        let (_a, meta) = meta_of(&image);
        let domains = Domains::all();
        let capture = CaptureRules::none();
        let key = |build: &str,
                   meta: &ImageMeta,
                   domains: &Domains,
                   capture: &CaptureRules,
                   load: &str| {
            key_of_build(build, meta, domains, capture, load)
                .as_str()
                .to_owned()
        };
        let base = key(BUILD, &meta, &domains, &capture, "load");
        assert_eq!(base, facts_key(&meta, &domains, &capture, "load").as_str());
        assert!(BUILD.starts_with(env!("CARGO_PKG_VERSION")));

        let mut changed_top = image.clone();
        let top = changed_top.layers.len() - 1;
        changed_top.layers[top] = LayerBuilder::new().file("etc/other", b"x").finish();
        let (_b, other_layers) = meta_of(&changed_top);
        let mut changed_config = image.clone();
        changed_config.env.push("EXTRA=1".to_owned());
        let (_c, other_config) = meta_of(&changed_config);
        let others = [
            key("0.0.0 build 0", &meta, &domains, &capture, "load"),
            key(BUILD, &other_layers, &domains, &capture, "load"),
            key(BUILD, &other_config, &domains, &capture, "load"),
            key(
                BUILD,
                &meta,
                &Domains::of([Domain::Python]),
                &capture,
                "load",
            ),
            key(
                BUILD,
                &meta,
                &domains,
                &CaptureRules::new(&["/etc/x"], 10).unwrap(),
                "load",
            ),
            key(BUILD, &meta, &domains, &capture, "other caps"),
        ];
        for (n, other) in others.iter().enumerate() {
            assert_ne!(*other, base, "change {n} kept the key");
        }
    }
}
