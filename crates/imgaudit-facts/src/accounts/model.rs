//! The document types of the accounts domain.

use schemars::JsonSchema;
use serde::Serialize;

use crate::Location;
use crate::python::PythonRuntime;

/// The accounts domain's part of the document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AccountFacts {
    pub runtime: Runtime,
    pub users: Vec<User>,
}

/// Who runs the image's processes (the config's `User`, resolved as a runtime does) and what
/// they see.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Runtime {
    /// The config's `User` resolved against `/etc/passwd`; `None` when a name is not found.
    pub uid: Option<u64>,
    /// The primary group: the number after `:` in `User`, else the passwd entry's.
    pub gid: Option<u64>,
    pub user_name: Option<String>,
    pub is_root: bool,
    /// `HOME` as a container gets it: the `Env` value, else the passwd home, else `/`.
    pub home: String,
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
    pub home: String,
    pub shell: String,
    /// The account the config's `User` names.
    pub runtime: bool,
    pub origin: Location,
}
