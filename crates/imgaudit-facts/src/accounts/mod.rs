//! The accounts domain: `/etc/passwd` and the user a container runs as.

mod model;
mod users;

pub use model::{AccountFacts, Runtime, User};
pub(crate) use users::collect;

/// The files the accounts domain reads.
pub(crate) const CAPTURE: &[&str] = &["/etc/passwd"];
