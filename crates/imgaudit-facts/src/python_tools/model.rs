//! The document types of the Python-tools domain, shared by uv, poetry and pipenv.

use schemars::JsonSchema;
use serde::Serialize;

use imgaudit_finding::Precision;

use crate::Location;
use crate::python::IndexUrl;

/// The Python-tools domain's part of the document.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct PythonToolsFacts {
    /// The tools installed in the image, each where it was found.
    pub tools: Vec<InstalledTool>,
    /// Every configuration file of these tools present in the image, read or not.
    pub tool_config_files: Vec<ToolConfigFile>,
    /// Every setting that steers one of these tools, from every source, flattened.
    pub tool_settings: Vec<ToolSetting>,
}

/// A Python packaging tool besides pip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    Uv,
    Poetry,
    Pipenv,
}

/// One installation of a tool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InstalledTool {
    pub tool: Tool,
    /// `None` when nothing in the image says (a bare binary).
    pub version: Option<String>,
    /// The file that shows it: a `*.dist-info` directory, a binary, an installer's receipt.
    pub path: String,
    /// How it was found: `dist_info`, `binary`, `receipt`.
    pub found_by: String,
    pub origin: Location,
}

/// A configuration file of a tool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ToolConfigFile {
    pub tool: Tool,
    pub path: String,
    /// What the tool calls it, chosen by its module: `system`, `user`, `env_file`, `project`,
    /// `auth`.
    pub kind: String,
    /// Whom it applies to: `everyone`, the home it belongs to, or the project directory.
    pub scope: String,
    /// Whether the tool reads it for the runtime user.
    pub read: bool,
    /// Why not, when `read` is false (`UV_NO_CONFIG` is set; `UV_CONFIG_FILE` names another).
    pub not_read_because: Option<String>,
    pub origin: Location,
    pub entries: Vec<ToolConfigEntry>,
    /// Why the file, or a line of it, could not be read as the tool reads it.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ToolConfigEntry {
    /// The table the key is in (`pip`, `tool.uv`, `http-basic.private`); empty at the top.
    pub table: String,
    pub key: String,
    /// As written, secrets masked.
    pub value: String,
    pub line: Option<u32>,
    pub has_credentials: bool,
}

/// Where a [`ToolSetting`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolSettingSource {
    /// The config's `Env`.
    Env,
    /// A shell start-up file.
    StartupFile,
    /// One of the tool's configuration files.
    ConfigFile,
}

/// How the tool reads a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolValue {
    True,
    False,
    /// Read as if unset.
    Empty,
    /// Not a value the tool accepts: it aborts, or ignores it (the setting's
    /// `ignored_because` says which).
    Invalid,
    /// Not a boolean: a URL, a name, a strategy.
    Text,
}

/// One setting that steers a tool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ToolSetting {
    /// Stable within one document.
    pub id: usize,
    pub tool: Tool,
    pub source: ToolSettingSource,
    /// The variable (`UV_SYSTEM_PYTHON`) or the key as written (`system`).
    pub name: String,
    /// The tool's own name for the option (`system`, `virtualenvs.create`, `index-strategy`).
    pub option: String,
    /// The configuration file, for `config_file` settings.
    pub file: Option<String>,
    /// As written, secrets masked.
    pub value: String,
    pub parsed: ToolValue,
    /// The tool in the image reads it and nothing of higher precedence overrides it for the
    /// runtime user.
    pub counts: bool,
    /// Why it does not count; empty when it does.
    pub ignored_because: Vec<String>,
    /// The value held a password or token (shown masked).
    pub has_credentials: bool,
    /// The index URLs the value names, in order.
    pub urls: Vec<IndexUrl>,
    /// For options that decide where an install goes: what it does to each interpreter it
    /// would install into.
    pub outcomes: Vec<ToolOutcome>,
    /// True for start-up files: only some entry points read them.
    pub conditional: bool,
    /// `high` (config `Env`, configuration files), `medium`/`low` (start-up files, as for pip's
    /// settings).
    pub precision: Precision,
    /// The entry points that see it (`all` for the config `Env` and configuration files).
    pub readers: Vec<String>,
    pub origin: Location,
}

/// What an install steered by a setting does to one interpreter.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ToolOutcome {
    /// The interpreter's `id` in `pythons`.
    pub python: usize,
    pub prefix: String,
    pub result: InstallResult,
    /// The tool's message or the reason, when it says more.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstallResult {
    /// Installs into the interpreter's own site-packages.
    Installs,
    /// The interpreter's PEP 668 marker refuses it.
    RefusedByMarker,
    /// Installs past the interpreter's PEP 668 marker.
    ForcedPastMarker,
    /// Fails for another reason (`detail` says).
    Error,
}
