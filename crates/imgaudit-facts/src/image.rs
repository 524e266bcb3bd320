//! The image config domain: the image's identity and config, its layers, history and `Env`.
//! Always collected: it costs nothing and every finding's provenance refers to it.

use schemars::JsonSchema;
use serde::Serialize;

use crate::Location;
use crate::context::Context;
use crate::redact;

/// The image config domain's part of the document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ImageConfigFacts {
    pub image: ImageFacts,
    pub layers: Vec<LayerFacts>,
    pub history: Vec<HistoryFacts>,
    /// The config's `Env`, in order.
    pub env: Vec<EnvVar>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ImageFacts {
    /// The name the user gave (`oci:dir:tag`, `app:ci`...).
    pub reference: String,
    /// The image's own name when the source records one.
    pub name: Option<String>,
    pub platform: String,
    pub manifest_digest: Option<String>,
    pub config_digest: String,
    /// The config's `User`, as written (`""` means root).
    pub user: String,
    pub working_dir: Option<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LayerFacts {
    pub index: usize,
    pub digest: String,
    pub history_step: Option<usize>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HistoryFacts {
    pub index: usize,
    pub created_by: Option<String>,
    pub empty_layer: bool,
    pub layer: Option<usize>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvVar {
    /// Position in the config's `Env`.
    pub index: usize,
    pub name: String,
    pub value: String,
    pub origin: Location,
}

/// Gives a facts document collected from another load of the same image (the same config and
/// layers, which is all the facts depend on besides the image's identity) the identity of this
/// load: the name the user gave, the image's own name, the platform and the manifest that
/// pinned it. The document must be one [`crate::collect`] made.
pub fn reidentify(document: &mut serde_json::Value, meta: &imgaudit_image::ImageMeta) {
    let identity = meta.identity();
    let Some(image) = document.get_mut("image").and_then(|i| i.as_object_mut()) else {
        return;
    };
    image.insert("reference".into(), identity.source.into());
    image.insert("name".into(), identity.name.into());
    image.insert("platform".into(), identity.platform.into());
    image.insert("manifest_digest".into(), identity.manifest_digest.into());
    image.insert("config_digest".into(), identity.config_digest.into());
}

pub(crate) fn collect(ctx: &Context<'_>) -> ImageConfigFacts {
    let image = ctx.image;
    let meta = &image.meta;
    let config = meta.config.config().as_ref();
    // The policy input has named the source `reference` from its first version.
    let identity = meta.identity();
    ImageConfigFacts {
        image: ImageFacts {
            reference: identity.source,
            name: identity.name,
            platform: identity.platform,
            manifest_digest: identity.manifest_digest,
            config_digest: identity.config_digest,
            user: redact::redacted(&config.and_then(|c| c.user().clone()).unwrap_or_default()),
            working_dir: config
                .and_then(|c| c.working_dir().as_deref())
                .map(redact::redacted),
            entrypoint: redact::redacted_args(
                config
                    .and_then(|c| c.entrypoint().as_deref())
                    .unwrap_or_default(),
            ),
            cmd: redact::redacted_args(config.and_then(|c| c.cmd().as_deref()).unwrap_or_default()),
        },
        layers: image
            .layers
            .iter()
            .enumerate()
            .map(|(index, layer)| LayerFacts {
                index,
                digest: layer.blob_digest.to_string(),
                history_step: layer.history_step,
            })
            .collect(),
        history: image
            .history
            .iter()
            .enumerate()
            .map(|(index, step)| HistoryFacts {
                index,
                created_by: step.created_by.as_deref().map(redact::redacted),
                empty_layer: step.empty_layer,
                layer: step.layer,
            })
            .collect(),
        env: ctx
            .env
            .iter()
            .enumerate()
            .map(|(index, (name, value))| EnvVar {
                index,
                name: redact::redacted(name),
                value: redact::redacted_value(name, value),
                origin: ctx.env_origin(index),
            })
            .collect(),
    }
}
