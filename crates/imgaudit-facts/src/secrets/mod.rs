//! The secrets domain: credentials the image gives away to anyone who pulls it, in its config
//! (`secret_env`) and in its build history (`secret_history`). Each is shown as a
//! [`SecretShown`] (first characters, length, short hash), never as its value.

mod config;
mod model;

use schemars::JsonSchema;
use serde::Serialize;

pub use config::{SecretEnv, SecretHistory};
pub use model::SecretShown;

use crate::context::Context;

/// The files the secrets domain reads: none, the config and history are in the image config.
pub(crate) const CAPTURE: &[&str] = &[];

/// The secrets domain's part of the document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretFacts {
    /// Secrets in the config's `Env`.
    pub secret_env: Vec<SecretEnv>,
    /// Secrets recorded in the history's `created_by`.
    pub secret_history: Vec<SecretHistory>,
}

pub(crate) fn collect(ctx: &Context<'_>) -> SecretFacts {
    let secret_env = config::secret_env(ctx);
    let secret_history = config::secret_history(ctx, &secret_env);
    SecretFacts {
        secret_env,
        secret_history,
    }
}
