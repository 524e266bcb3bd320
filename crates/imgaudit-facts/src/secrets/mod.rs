//! The secrets domain: private keys, credential files and tokens found in the files of every
//! layer (`secret_files`), with where each is and whether a later layer removed it.
//!
//! The detectors run while the layers stream past ([`imgaudit_secrets::content`], through the
//! loader's [`ImageInspection`](imgaudit_loader::ImageInspection)); this module only places
//! their hits in the image. Values are never kept: each secret is shown as a [`SecretShown`]
//! (its first characters, length and a short hash).

mod files;
mod model;

pub(crate) use files::collect;
pub use model::{SecretFacts, SecretFile, SecretShown};
