//! The document types of the accounts domain.

use schemars::JsonSchema;
use serde::Serialize;

use crate::Location;
use crate::python::PythonRuntime;

/// The accounts domain's part of the document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AccountFacts {
    pub runtime: Runtime,
    /// `/etc/passwd`'s accounts, in file order, each with its `/etc/shadow` entry.
    pub users: Vec<User>,
    /// `/etc/group`'s groups, in file order.
    pub groups: Vec<Group>,
    /// Each uid that two or more `users` share, by uid (computed here so that a rule reading it
    /// stays linear on a passwd file of a million lines).
    pub shared_uids: Vec<SharedUid>,
    /// Lines of `/etc/passwd`, `/etc/shadow` and `/etc/group` that were skipped, and why.
    pub account_notes: Vec<AccountNote>,
}

/// Who runs the image's processes (the config's `User`, resolved as a runtime does) and what
/// they see.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Runtime {
    /// The config's `User` resolved against `/etc/passwd`; `None` when a name is not found.
    pub uid: Option<u64>,
    /// The primary group: the group after `:` in `User` (a number, or a name looked up in
    /// `/etc/group`), else the passwd entry's, else 0 (a numeric uid without an entry).
    pub gid: Option<u64>,
    pub user_name: Option<String>,
    /// The group's name, when `/etc/group` has the gid.
    pub group_name: Option<String>,
    pub is_root: bool,
    /// Why a runtime (runc, crun) would refuse to start the container: a user or group name
    /// that the image's `/etc/passwd` or `/etc/group` does not have. `None` when it starts.
    pub start_refused: Option<String>,
    /// `HOME` as a container gets it: the `Env` value, else the passwd home, else `/`.
    pub home: String,
    /// The history step whose `USER` set the config's `User`, when the history says.
    pub origin: Location,
    /// What the runtime user's Python sees, when the Python domain is collected: its keys sit
    /// beside the user's in the document's `runtime`, where policies have always read them.
    #[serde(flatten)]
    pub python: Option<PythonRuntime>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct User {
    pub name: String,
    pub uid: u64,
    pub gid: u64,
    /// The comment field (full name, room...), masked like every string from the image.
    pub gecos: String,
    pub home: String,
    pub shell: String,
    /// The password field of `/etc/passwd` (`x`: see `/etc/shadow`), never the hash itself.
    pub passwd_password: PasswordState,
    /// The account's `/etc/shadow` entry, when the file has one.
    pub shadow: Option<Shadow>,
    /// The password `login` checks: the shadow entry's when the passwd field is `x`, else the
    /// passwd field's. `None` when the passwd field is `x` and no shadow entry was read.
    pub password: Option<PasswordState>,
    /// The account the config's `User` names.
    pub runtime: bool,
    pub origin: Location,
}

/// What a password field holds, never the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PasswordState {
    /// `x` in `/etc/passwd`: the password is in `/etc/shadow`.
    Shadowed,
    /// Empty: no password at all (anyone may log in where empty passwords are allowed).
    Empty,
    /// No password login: `*`, `!`, `!!`, a `!` in front of a hash, or any text that is not a
    /// `crypt(3)` result. `marker` is the leading run of `!` and `*` (possibly empty); `scheme`
    /// the hash scheme when a hash follows (`$6$`).
    Locked {
        marker: String,
        scheme: Option<String>,
    },
    /// A password hash: `scheme` is its `crypt(3)` id (`$6$`, `$y$`, `$2b$`) or `des` for a
    /// traditional 13-character DES hash.
    Hash { scheme: String },
}

/// An `/etc/shadow` entry: every field but the hash (days since 1970-01-01, `None` when empty).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Shadow {
    pub password: PasswordState,
    pub last_change: Option<i64>,
    pub min_days: Option<i64>,
    pub max_days: Option<i64>,
    pub warn_days: Option<i64>,
    pub inactive_days: Option<i64>,
    pub expire: Option<i64>,
    pub origin: Location,
}

/// A uid that several accounts share.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SharedUid {
    pub uid: u64,
    /// How many accounts have it.
    pub count: usize,
    /// The first of them (at most 20), in file order.
    pub accounts: Vec<String>,
    /// Their passwd lines, in the same order.
    pub origins: Vec<Location>,
}

/// An `/etc/group` entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Group {
    pub name: String,
    pub gid: u64,
    /// The supplementary members, as listed.
    pub members: Vec<String>,
    pub origin: Location,
}

/// A line of an account file that was skipped.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AccountNote {
    /// Why the line was skipped (`7 fields expected, found 3`).
    pub problem: String,
    /// The file, line, layer and history step.
    pub origin: Location,
}
