//! The accounts domain: `/etc/passwd`, `/etc/shadow`, `/etc/group` and the user a container
//! runs as.

mod model;
mod parse;
mod users;

pub use model::{
    AccountFacts, AccountNote, Group, PasswordState, Runtime, Shadow, SharedUid, User,
};
pub(crate) use users::collect;

/// The files the accounts domain reads.
pub(crate) const CAPTURE: &[&str] = &["/etc/group", "/etc/passwd", "/etc/shadow"];
