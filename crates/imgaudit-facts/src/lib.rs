//! Facts about an assembled image that policies judge.
//!
//! The hard knowledge lives here, in typed and tested Rust: how pip reads a setting (through
//! [`imgaudit_pip`]), which shell start-up files leak a variable to which entry points (through
//! [`imgaudit_shell`]), which Python is distro-managed and what its PEP 668 marker looks like,
//! where each user site is and what it shadows. [`collect`] turns a [`LoadedImage`] into one
//! [`Facts`] document; policies only judge it.
//!
//! Facts come in [`Domain`]s, each a module with the files it captures and its keys of the
//! document: the image config ([`image`]), the accounts ([`accounts`]), Python packaging
//! ([`python`]), the packaging tools besides pip ([`python_tools`]), notable files and package caches ([`files`]), secrets in files, `Env` and history
//! ([`secrets`]). A domain is collected only when asked for ([`Domains`]): an audit asks
//! for those its enabled rules read.
//!
//! Files are read from the captured contents of the loaded image ([`Domains::capture_patterns`]
//! says which), never from the host, and links are resolved inside the image root, as the
//! programs the facts model resolve them. A captured path that is a link (or sits below a
//! linked directory) leads to a file no capture rule may name: [`wanted_files`], the loader's
//! [`LoadOptions::wanted`](imgaudit_loader::LoadOptions::wanted), tells the loader which files
//! to read from their layers again, and a file that still cannot be read (too large, its links
//! looping, in a stream) is an [`Unjudged`] fact, never a silent absence. Credentials found in
//! the image are masked ([`redact`]) before any string reaches the document.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod accounts;
mod context;
mod domain;
pub mod files;
pub mod image;
pub mod python;
pub mod python_tools;
pub mod redact;
pub mod secrets;
mod unjudged;

use imgaudit_image::ImageMeta;
use imgaudit_layer::{CaptureRules, ImagePath};
use imgaudit_loader::LoadedImage;
use schemars::JsonSchema;
use serde::Serialize;

pub use accounts::{
    AccountFacts, AccountNote, Group, PasswordState, Runtime, Shadow, SharedUid, User,
};
pub use domain::{Domain, Domains};
pub use files::FilesFacts;
pub use image::{EnvVar, HistoryFacts, ImageConfigFacts, ImageFacts, LayerFacts, reidentify};
pub use imgaudit_finding::Location;
pub use python::*;
pub use python_tools::PythonToolsFacts;
pub use secrets::{SecretEnv, SecretFacts, SecretFile, SecretHistory, SecretShown};
pub use unjudged::{Unjudged, UnjudgedReason};

use crate::context::Context;

/// Bumped whenever a field changes meaning or disappears (additions keep the version).
pub const SCHEMA_VERSION: u32 = 1;

/// Everything the policies judge, for one image: each domain's keys, side by side.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Facts {
    pub schema_version: u32,
    /// The domains collected: the keys of the others are absent.
    pub domains: Vec<Domain>,
    #[serde(flatten)]
    pub image_config: ImageConfigFacts,
    #[serde(flatten)]
    pub accounts: Option<AccountFacts>,
    #[serde(flatten)]
    pub python: Option<PythonFacts>,
    #[serde(flatten)]
    pub python_tools: Option<PythonToolsFacts>,
    #[serde(flatten)]
    pub files: Option<FilesFacts>,
    #[serde(flatten)]
    pub secrets: Option<SecretFacts>,
    /// Files the collected domains needed and could not read (too large, links looping, not
    /// readable from a stream), by path: what they would have told the rules is unknown.
    pub unjudged: Vec<Unjudged>,
    /// What the facts could not establish, and why.
    pub notes: Vec<String>,
}

/// The JSON schema of the facts document, published as `docs/policy-input.schema.json`.
pub fn input_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Facts)).expect("a schema serializes")
}

/// Files the image's config points at (`$BASH_ENV`, `$PIP_CONFIG_FILE`), to capture as well.
/// The Python domain reads them; capturing them for an audit without it costs a few bytes and
/// never changes which cached layers are reused.
pub fn config_paths(meta: &ImageMeta) -> Vec<String> {
    python::config_paths(meta)
}

/// The regular files (links resolved inside the image) whose content the facts of the domains
/// `capture` was made for need and that were not captured: the loader's
/// [`LoadOptions::wanted`](imgaudit_loader::LoadOptions::wanted).
pub fn wanted_files(image: &LoadedImage, capture: &CaptureRules) -> Vec<ImagePath> {
    let ctx = Context::new(image);
    collect_in(&ctx, &Domains::captured_by(capture));
    ctx.wanted()
}

/// Extracts the facts of `domains` from a loaded image.
pub fn collect(image: &LoadedImage, domains: &Domains) -> Facts {
    let ctx = Context::new(image);
    let mut facts = collect_in(&ctx, domains);
    facts.unjudged = ctx.unjudged();
    facts
}

fn collect_in(ctx: &Context<'_>, domains: &Domains) -> Facts {
    let mut notes = Vec::new();
    let mut accounts = domains.contains(Domain::Accounts).then(|| {
        let found = accounts::collect(ctx);
        notes.extend(found.notes);
        AccountFacts {
            runtime: found.runtime,
            users: found.users,
            groups: found.groups,
            shared_uids: found.shared_uids,
            account_notes: found.account_notes,
        }
    });
    let python = match &mut accounts {
        Some(accounts) if domains.contains(Domain::Python) => {
            let found = python::collect(ctx, &accounts.users, &accounts.runtime);
            notes.extend(found.notes);
            accounts.runtime.python = Some(found.runtime);
            Some(found.facts)
        }
        _ => None,
    };
    let python_tools = match (&accounts, &python) {
        (Some(accounts), Some(python)) if domains.contains(Domain::PythonTools) => {
            let found = python_tools::collect(ctx, &accounts.users, &accounts.runtime, python);
            notes.extend(found.notes);
            Some(found.facts)
        }
        _ => None,
    };
    let files = match &accounts {
        Some(accounts) if domains.contains(Domain::Files) => {
            let found = files::collect(ctx, &accounts.users);
            notes.extend(found.notes);
            Some(found.facts)
        }
        _ => None,
    };
    let secrets = domains.contains(Domain::Secrets).then(|| {
        let found = secrets::collect(ctx);
        notes.extend(found.notes);
        found.facts
    });
    Facts {
        schema_version: SCHEMA_VERSION,
        domains: domains.iter().collect(),
        image_config: image::collect(ctx),
        accounts,
        python,
        python_tools,
        files,
        secrets,
        unjudged: Vec::new(),
        notes: notes.iter().map(|n| redact::redacted(n)).collect(),
    }
}
