//! The secrets domain: credentials the image gives away to anyone who pulls it. Private keys,
//! credential files and tokens in the files of every layer (`secret_files`), with where each is
//! and whether a later layer removed it; secrets in the config's `Env` (`secret_env`) and in the
//! build history (`secret_history`).
//!
//! The file detectors run while the layers stream past ([`imgaudit_secrets::content`], through
//! the loader's [`ImageInspection`](imgaudit_loader::ImageInspection)); this module only places
//! their hits in the image. Values are never kept: each secret is shown as a [`SecretShown`]
//! (its first characters, length and a short hash).

mod config;
mod files;
mod model;

pub use config::{SecretEnv, SecretHistory};
pub use model::{SecretFacts, SecretFile, SecretShown};

use crate::context::Context;

/// What the secrets domain found, and what it could not establish.
pub(crate) struct Collected {
    pub(crate) facts: SecretFacts,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn collect(ctx: &Context<'_>) -> Collected {
    let (secret_files, notes) = files::collect(ctx);
    let secret_env = config::secret_env(ctx);
    let secret_history = config::secret_history(ctx, &secret_env);
    Collected {
        facts: SecretFacts {
            secret_files,
            secret_env,
            secret_history,
        },
        notes,
    }
}
