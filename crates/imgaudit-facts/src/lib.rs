//! Facts about an assembled image that policies judge.
//!
//! The hard knowledge lives here, in typed and tested Rust: how pip reads a setting (through
//! [`imgaudit_pip`]), which shell start-up files leak a variable to which entry points (through
//! [`imgaudit_shell`]), which Python is distro-managed and what its PEP 668 marker looks like,
//! where each user site is and what it shadows. [`collect`] turns a [`LoadedImage`] into one
//! [`Facts`] document; policies only judge it.
//!
//! Files are read from the captured contents of the loaded image ([`capture_patterns`] says
//! which), never from the host, and links are resolved inside the image root. Credentials found
//! in the image are masked ([`redact`]) before any string reaches the document.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod context;
mod decide;
mod model;
mod packages;
mod pipconf;
mod pythons;
pub mod redact;
mod settings;
mod startup;
mod users;

use imgaudit_image::ImageMeta;
use imgaudit_loader::LoadedImage;

pub use model::*;

use crate::context::Context;

/// The JSON schema of the facts document, published as `docs/policy-input.schema.json`.
pub fn input_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Facts)).expect("a schema serializes")
}

/// Files whose contents the facts need, as capture globs for the layer reader.
pub fn capture_patterns() -> Vec<&'static str> {
    let mut patterns = vec!["/etc/passwd"];
    patterns.extend_from_slice(startup::CAPTURE);
    patterns.extend_from_slice(pipconf::CAPTURE);
    patterns.extend_from_slice(packages::CAPTURE);
    patterns.extend_from_slice(pythons::CAPTURE);
    patterns
}

/// Files the image's config points at (`$BASH_ENV`, `$PIP_CONFIG_FILE`), to capture as well.
pub fn config_paths(meta: &ImageMeta) -> Vec<String> {
    let env = meta
        .config
        .config()
        .as_ref()
        .and_then(|c| c.env().clone())
        .unwrap_or_default();
    env.iter()
        .filter_map(|entry| {
            let (name, value) = entry.split_once('=')?;
            (matches!(name, "BASH_ENV" | "PIP_CONFIG_FILE") && value.starts_with('/'))
                .then(|| value.to_owned())
        })
        .collect()
}

/// Extracts the facts of a loaded image.
pub fn collect(image: &LoadedImage) -> Facts {
    let ctx = Context::new(image);
    let mut notes = Vec::new();
    let accounts = users::collect(&ctx);
    notes.extend(accounts.notes);
    let ownership = packages::collect(&ctx);
    let mut found = pythons::collect(&ctx, &ownership, &accounts.users, &accounts.runtime);
    notes.append(&mut found.notes);
    let startup_files = startup::collect(&ctx, &accounts.users);
    let pip_config_files = pipconf::collect(
        &ctx,
        &accounts.users,
        &accounts.runtime,
        &found.interpreters,
    );
    let mut pip_settings = settings::collect(
        &ctx,
        &startup_files,
        &pip_config_files,
        &found.interpreters,
        &accounts.runtime,
    );
    decide::decide_all(
        &ctx,
        &mut pip_settings,
        &mut found.interpreters,
        &accounts.runtime,
    );
    let meta = &image.meta;
    let config = meta.config.config().as_ref();
    Facts {
        schema_version: SCHEMA_VERSION,
        image: ImageFacts {
            reference: meta.source.clone(),
            name: meta.name.clone(),
            platform: meta.platform.to_string(),
            manifest_digest: meta.manifest_digest.as_ref().map(ToString::to_string),
            config_digest: meta.config_digest.to_string(),
            user: redact::redacted(&config.and_then(|c| c.user().clone()).unwrap_or_default()),
            working_dir: config
                .and_then(|c| c.working_dir().as_deref())
                .map(redact::redacted),
            entrypoint: config
                .and_then(|c| c.entrypoint().clone())
                .unwrap_or_default()
                .iter()
                .map(|s| redact::redacted(s))
                .collect(),
            cmd: config
                .and_then(|c| c.cmd().clone())
                .unwrap_or_default()
                .iter()
                .map(|s| redact::redacted(s))
                .collect(),
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
                value: if redact::is_secret_name(name) && !value.is_empty() {
                    redact::MASK.to_owned()
                } else {
                    redact::redacted(value)
                },
                origin: ctx.env_origin(index),
            })
            .collect(),
        runtime: accounts.runtime,
        users: accounts.users,
        startup_files,
        pip_config_files,
        pip_settings,
        pythons: found.interpreters,
        user_sites: found.user_sites,
        shadowed_distributions: found.shadowed,
        notes: notes.iter().map(|n| redact::redacted(n)).collect(),
    }
}
