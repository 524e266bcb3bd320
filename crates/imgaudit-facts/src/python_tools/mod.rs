//! The Python-tools domain: the packaging tools besides pip that an image carries or is set up
//! for (uv, poetry, pipenv): where each is installed and which version, every configuration file
//! it would read for the runtime user (and those it would not, with why), and every setting that
//! steers it, from the config `Env`, shell start-up files and its configuration files, read as
//! the tool reads it (the semantics crates `imgaudit-uv`, `imgaudit-poetry`, `imgaudit-pipenv`,
//! measured by running the tools) with what an install then does to each interpreter.
//!
//! Each tool is a module with its capture globs and a `collect` over one [`ToolInput`].

mod model;
mod pipenv;
mod poetry;
mod uv;

use imgaudit_finding::Precision;

pub use model::*;

use crate::Location;
use crate::accounts::{Runtime, User};
use crate::context::Context;
use crate::python::{PythonFacts, startup};

/// The files the Python-tools domain reads.
pub(crate) fn captures() -> Vec<&'static str> {
    let mut patterns = Vec::new();
    patterns.extend_from_slice(uv::CAPTURE);
    patterns.extend_from_slice(poetry::CAPTURE);
    patterns.extend_from_slice(pipenv::CAPTURE);
    patterns
}

/// What every tool's module reads: the image, its accounts and runtime user, and the Python
/// domain's facts (interpreters, start-up files).
pub(crate) struct ToolInput<'a> {
    pub(crate) ctx: &'a Context<'a>,
    pub(crate) users: &'a [User],
    pub(crate) user: &'a Runtime,
    pub(crate) python: &'a PythonFacts,
}

/// A variable that reaches the tool: from the config `Env` or a shell start-up file.
pub(crate) struct ToolVariable<'a> {
    pub(crate) source: ToolSettingSource,
    pub(crate) name: &'a str,
    /// Unmasked: mask it (`crate::redact::redacted_value`) before it reaches the document.
    pub(crate) raw: &'a str,
    pub(crate) readers: Vec<String>,
    pub(crate) conditional: bool,
    pub(crate) precision: Precision,
    /// Why it may not count whatever the tool makes of it (no entry point reads the line).
    pub(crate) ignored_because: Vec<String>,
    pub(crate) origin: Location,
}

impl<'a> ToolInput<'a> {
    /// Every variable whose name starts with one of `prefixes` (case-sensitive, as the tools
    /// read them), from the config `Env` in its order, then from start-up files. A start-up
    /// line whose value cannot be known is left out.
    pub(crate) fn variables(&self, prefixes: &[&str]) -> Vec<ToolVariable<'a>> {
        let wanted = |name: &str| prefixes.iter().any(|p| name.starts_with(p));
        let mut found = Vec::new();
        for (index, (name, value)) in self.ctx.env.iter().enumerate() {
            if wanted(name) {
                found.push(ToolVariable {
                    source: ToolSettingSource::Env,
                    name,
                    raw: value,
                    readers: vec!["all".to_owned()],
                    conditional: false,
                    precision: Precision::High,
                    ignored_because: Vec::new(),
                    origin: self.ctx.env_origin(index),
                });
            }
        }
        let login_entrypoint = startup::starts_login_shell(self.ctx);
        for file in &self.python.startup_files {
            for a in &file.assignments {
                let Some(raw) = a.raw_value.as_deref() else {
                    continue;
                };
                if !wanted(&a.name) {
                    continue;
                }
                let (precision, ignored_because) = startup::judge(file, a, login_entrypoint);
                found.push(ToolVariable {
                    source: ToolSettingSource::StartupFile,
                    name: &a.name,
                    raw,
                    readers: a.readers.clone(),
                    conditional: true,
                    precision,
                    ignored_because,
                    origin: a.origin.clone(),
                });
            }
        }
        found
    }
}

/// What one tool's module found.
#[derive(Default)]
pub(crate) struct ToolFound {
    pub(crate) installed: Vec<InstalledTool>,
    pub(crate) config_files: Vec<ToolConfigFile>,
    pub(crate) settings: Vec<ToolSetting>,
    pub(crate) notes: Vec<String>,
}

/// What the Python-tools domain found.
pub(crate) struct Collected {
    pub(crate) facts: PythonToolsFacts,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn collect(
    ctx: &Context<'_>,
    users: &[User],
    user: &Runtime,
    python: &PythonFacts,
) -> Collected {
    let input = ToolInput {
        ctx,
        users,
        user,
        python,
    };
    let mut facts = PythonToolsFacts::default();
    let mut notes = Vec::new();
    for found in [
        uv::collect(&input),
        poetry::collect(&input),
        pipenv::collect(&input),
    ] {
        facts.tools.extend(found.installed);
        facts.tool_config_files.extend(found.config_files);
        facts.tool_settings.extend(found.settings);
        notes.extend(found.notes);
    }
    for (id, setting) in facts.tool_settings.iter_mut().enumerate() {
        setting.id = id;
    }
    Collected { facts, notes }
}
