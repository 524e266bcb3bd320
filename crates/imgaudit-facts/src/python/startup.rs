//! Shell start-up files that hand variables to later users of the image (PIP-SEMANTICS.md §4):
//! which file, which line, which entry points read it.

use imgaudit_shell::{Assignment, ShellFile, StartupFile as Kind, Value};

use imgaudit_finding::Precision;

use crate::Location;
use crate::accounts::User;
use crate::context::{Context, display, image_path};
use crate::python::model::{StartupAssignment, StartupFile};
use crate::redact::{has_credentials, redacted, redacted_value};

/// The capture patterns this module reads; `$BASH_ENV` comes from [`crate::config_paths`].
pub(crate) const CAPTURE: &[&str] = &[
    "/etc/environment",
    "/etc/profile",
    "/etc/profile.d/*.sh",
    "/etc/bash.bashrc",
    "/etc/zsh/zshenv",
    "**/.bashrc",
    "**/.profile",
    "**/.bash_profile",
    "**/.zshenv",
];

/// Variables that steer pip, uv, poetry, pipenv or the interpreter's user site, and the XDG
/// directories their configuration files are found through; the rest of a start-up file is not
/// the auditor's business.
pub(crate) fn relevant(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("PIP_")
        || upper.starts_with("PYTHON")
        || upper.starts_with("UV_")
        || upper.starts_with("POETRY_")
        || upper.starts_with("PIPENV_")
        || upper.starts_with("XDG_")
        || upper == "BASH_ENV"
        || upper == "DEB_PYTHON_INSTALL_LAYOUT"
}

pub(crate) fn collect(ctx: &Context<'_>, users: &[User]) -> Vec<StartupFile> {
    let homes: Vec<&str> = users
        .iter()
        .map(|u| u.home.as_str())
        .filter(|h| h.starts_with('/') && *h != "/")
        .collect();
    let mut candidates: Vec<String> = vec![
        "/etc/environment".into(),
        "/etc/profile".into(),
        "/etc/bash.bashrc".into(),
        "/etc/zsh/zshenv".into(),
    ];
    // `/etc/profile` sources `/etc/profile.d/*.sh` through whatever links lead there.
    if let Some(dir) = image_path("/etc/profile.d")
        && let Ok((resolved, _)) = ctx.image.fs.lookup(&dir, true)
    {
        for (path, _) in ctx.image.fs.children(&resolved) {
            if path.file_name().ends_with(b".sh") {
                candidates.push(display(&dir.child(path.file_name())));
            }
        }
    }
    for home in &homes {
        let home = home.trim_end_matches('/');
        for name in [".bashrc", ".profile", ".bash_profile", ".zshenv"] {
            candidates.push(format!("{home}/{name}"));
        }
    }
    let bash_env = ctx.env_var("BASH_ENV").filter(|v| v.starts_with('/'));
    if let Some(file) = bash_env {
        candidates.push(file.to_owned());
    }
    candidates.sort();
    candidates.dedup();

    let mut files = Vec::new();
    for shown in candidates {
        let Some(path) = image_path(&shown) else {
            continue;
        };
        let Some(content) = ctx.content(&path, "startup_files") else {
            continue;
        };
        let kind = if bash_env == Some(shown.as_str()) {
            Kind::BashEnvFile
        } else {
            match Kind::classify(&shown, &homes) {
                Some(kind) => kind,
                None => continue,
            }
        };
        let parsed: ShellFile = if kind == Kind::EtcEnvironment {
            imgaudit_shell::parse_environment_file(content)
        } else {
            imgaudit_shell::parse_shell(content)
        };
        let is_root_home = shown.starts_with("/root/");
        let origin = ctx.file_origin(&path);
        let cancelled = unset_later(&parsed);
        let assignments = parsed
            .assignments
            .iter()
            .filter(|a| a.exported && relevant(&a.name) && !cancelled.contains(&a.seq))
            .map(|a| assignment(a, kind, is_root_home, &origin))
            .collect();
        files.push(StartupFile {
            path: shown,
            kind,
            origin,
            assignments,
        });
    }
    files
}

/// Assignments that a later, unconditional `unset` (or `export -n`), or a later unconditional
/// assignment of the same name, in the same file undoes.
fn unset_later(file: &ShellFile) -> std::collections::HashSet<u32> {
    let mut cancelled = std::collections::HashSet::new();
    let mut pending: std::collections::HashMap<&str, Vec<u32>> = std::collections::HashMap::new();
    for event in file.events() {
        match event {
            imgaudit_shell::Event::Assign(a) => {
                let earlier = pending.entry(&a.name).or_default();
                if !a.conditional {
                    cancelled.extend(earlier.drain(..));
                }
                earlier.push(a.seq);
            }
            imgaudit_shell::Event::Unset(u) if !u.conditional => {
                cancelled.extend(pending.remove(u.name.as_str()).unwrap_or_default());
            }
            imgaudit_shell::Event::Unset(_) => {}
        }
    }
    cancelled
}

fn assignment(
    a: &Assignment,
    kind: Kind,
    is_root_home: bool,
    file: &Location,
) -> StartupAssignment {
    let (value, certain) = match &a.value {
        Value::Literal(text) => (Some(text.as_str()), true),
        Value::Expanded { text, certain } => (Some(text.as_str()), *certain),
        Value::Unknown { .. } => (None, false),
    };
    let has_credentials = value.is_some_and(has_credentials);
    let raw_value = value.map(str::to_owned);
    let value = value.map(|v| redacted_value(&a.name, v));
    StartupAssignment {
        name: a.name.clone(),
        value,
        raw_value,
        certain,
        conditional: a.conditional,
        after_interactive_guard: a.after_interactive_guard,
        readers: imgaudit_shell::readers(kind, is_root_home, a.after_interactive_guard)
            .iter()
            .map(name_of)
            .collect(),
        source_line: redacted(&a.source_line),
        has_credentials,
        origin: Location {
            line: Some(a.line),
            ..file.clone()
        },
    }
}

/// The serialized (snake_case) name of a shell-crate enum value.
fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Whether the image's entry point is a login shell (`bash -l`, `bash -lc`, `su -`...), which
/// reads `/etc/profile` and the home's profile files.
pub(crate) fn starts_login_shell(ctx: &Context<'_>) -> bool {
    let config = ctx.image.meta.config.config().as_ref();
    let words: Vec<String> = config
        .and_then(|c| c.entrypoint().clone())
        .unwrap_or_default()
        .into_iter()
        .chain(config.and_then(|c| c.cmd().clone()).unwrap_or_default())
        .collect();
    let shell = words
        .iter()
        .any(|w| w.ends_with("sh") || w == "su" || w == "sudo" || w == "runuser");
    shell
        && words.iter().any(|w| {
            w == "--login"
                || w == "-"
                || w == "-i"
                || (w.starts_with('-') && !w.starts_with("--") && w.contains('l'))
        })
}

/// How sure a setting from a start-up file line is, and why it may not count at all.
/// Start-up files are conditional sources (PIP-SEMANTICS.md §5.2, §5.3): low, medium when the
/// image's own entry point is a login shell (`login_entrypoint`) or the file is `$BASH_ENV`
/// (every `bash -c`); low again inside a shell conditional or with a guessed value.
pub(crate) fn judge(
    file: &StartupFile,
    a: &StartupAssignment,
    login_entrypoint: bool,
) -> (Precision, Vec<String>) {
    let reaches_entrypoint = file.kind == Kind::BashEnvFile
        || (login_entrypoint && a.readers.iter().any(|r| r.ends_with("_login")));
    let precision = if a.conditional || !a.certain || !reaches_entrypoint {
        Precision::Low
    } else {
        Precision::Medium
    };
    let mut ignored = Vec::new();
    if a.readers.is_empty() {
        ignored.push("no shell entry point reads this line".to_owned());
    }
    (precision, ignored)
}
