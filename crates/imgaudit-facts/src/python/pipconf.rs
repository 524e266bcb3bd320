//! pip configuration files, found where pip looks for them (PIP-SEMANTICS.md §1.6), in its merge
//! order, with whom each applies to and whether `PIP_CONFIG_FILE` hides it.

use imgaudit_pip::ConfigFileKind;

use crate::accounts::User;
use crate::context::{Context, image_path};
use crate::python::RuntimeView;
use crate::python::model::{PipConfigEntry, PipConfigFile, PipConfigKind, Python};
use crate::redact::{has_credentials, redacted};

/// The capture patterns this module reads: every `pip.conf` (XDG dirs, `/etc`, homes, prefixes).
pub(crate) const CAPTURE: &[&str] = &["**/pip.conf"];

/// A config file pip may read, before looking at its content.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) path: String,
    pub(crate) kind: ConfigFileKind,
    pub(crate) scope: String,
}

pub(crate) fn kind_of(kind: ConfigFileKind) -> PipConfigKind {
    match kind {
        ConfigFileKind::Xdg => PipConfigKind::Xdg,
        ConfigFileKind::Etc => PipConfigKind::Etc,
        ConfigFileKind::Legacy => PipConfigKind::Legacy,
        ConfigFileKind::User => PipConfigKind::User,
        ConfigFileKind::Site => PipConfigKind::Site,
        ConfigFileKind::EnvFile => PipConfigKind::Envfile,
    }
}

/// The scope label of a home or prefix, the same wherever it is built (`home:/`, `home:/root`).
pub(crate) fn scope(kind: &str, dir: &str) -> String {
    let dir = dir.trim_end_matches('/');
    format!("{kind}:{}", if dir.is_empty() { "/" } else { dir })
}

/// Where pip looks, for every home and every interpreter prefix, in merge order.
pub(crate) fn candidates(
    ctx: &Context<'_>,
    users: &[User],
    runtime: &RuntimeView<'_>,
    pythons: &[Python],
) -> Vec<Candidate> {
    let everyone = || "everyone".to_owned();
    let mut out = Vec::new();
    let xdg_dirs = ctx
        .env_var("XDG_CONFIG_DIRS")
        .filter(|v| !v.is_empty())
        .unwrap_or("/etc/xdg");
    for dir in xdg_dirs.split(':').filter(|d| d.starts_with('/')) {
        out.push(Candidate {
            path: format!("{}/pip/pip.conf", dir.trim_end_matches('/')),
            kind: ConfigFileKind::Xdg,
            scope: everyone(),
        });
    }
    out.push(Candidate {
        path: "/etc/pip.conf".into(),
        kind: ConfigFileKind::Etc,
        scope: everyone(),
    });
    let mut homes: Vec<String> = users
        .iter()
        .map(|u| u.home.clone())
        .chain(std::iter::once(runtime.user.home.clone()))
        .filter(|h| h.starts_with('/'))
        .map(|h| h.trim_end_matches('/').to_owned())
        .collect();
    homes.sort();
    homes.dedup();
    let xdg_config_home = ctx
        .env_var("XDG_CONFIG_HOME")
        .filter(|v| v.starts_with('/'));
    for home in &homes {
        let scope = scope("home", home);
        out.push(Candidate {
            path: format!("{home}/.pip/pip.conf"),
            kind: ConfigFileKind::Legacy,
            scope: scope.clone(),
        });
        let config_home = match xdg_config_home {
            Some(dir) => dir.trim_end_matches('/').to_owned(),
            None => format!("{home}/.config"),
        };
        out.push(Candidate {
            path: format!("{config_home}/pip/pip.conf"),
            kind: ConfigFileKind::User,
            scope,
        });
    }
    for python in pythons {
        let prefix = python.prefix.trim_end_matches('/');
        out.push(Candidate {
            path: format!("{prefix}/pip.conf"),
            kind: ConfigFileKind::Site,
            scope: scope("prefix", prefix),
        });
    }
    if let Some(file) = &runtime.python.pip_config_file {
        out.push(Candidate {
            path: file.clone(),
            kind: ConfigFileKind::EnvFile,
            scope: everyone(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert((c.path.clone(), kind_of(c.kind))));
    out
}

/// Whether pip reads a file of this kind given `PIP_CONFIG_FILE` (§1.6 hiding rules): an
/// existing file hides the legacy and user files; `/dev/null` hides every file.
pub(crate) fn is_read(kind: ConfigFileKind, runtime: &RuntimeView<'_>) -> bool {
    match runtime.python.pip_config_file.as_deref() {
        Some("/dev/null") => false,
        Some(_) if runtime.python.pip_config_file_exists => {
            !matches!(kind, ConfigFileKind::Legacy | ConfigFileKind::User)
        }
        _ => true,
    }
}

pub(crate) fn collect(
    ctx: &Context<'_>,
    users: &[User],
    runtime: &RuntimeView<'_>,
    pythons: &[Python],
) -> Vec<PipConfigFile> {
    candidates(ctx, users, runtime, pythons)
        .into_iter()
        .filter_map(|candidate| {
            let path = image_path(&candidate.path)?;
            let content = ctx.content(&path, "pip_config_files")?;
            let parsed = imgaudit_pip::PipConfigFile::parse(&String::from_utf8_lossy(content));
            // `[DEFAULT]` is inherited by every section, `[global]` included.
            let defaults = parsed.defaults().iter().map(|entry| ("DEFAULT", entry));
            let sections = parsed.sections().iter().flat_map(|section| {
                section
                    .entries
                    .iter()
                    .map(move |entry| (section.name.as_str(), entry))
            });
            let entries = defaults
                .chain(sections)
                .map(|(section, entry)| PipConfigEntry {
                    section: section.to_owned(),
                    key: entry.key.clone(),
                    value: redacted(&entry.value),
                    line: u32::try_from(entry.line).unwrap_or(u32::MAX),
                    has_credentials: has_credentials(&entry.value),
                })
                .collect();
            Some(PipConfigFile {
                read: is_read(candidate.kind, runtime),
                origin: ctx.file_origin(&path),
                kind: kind_of(candidate.kind),
                scope: candidate.scope,
                path: candidate.path,
                entries,
                problems: parsed
                    .problems()
                    .iter()
                    .map(|p| {
                        format!(
                            "line {}: {}: {}",
                            p.line,
                            p.kind.python_exception(),
                            redacted(&p.text)
                        )
                    })
                    .collect(),
            })
        })
        .collect()
}
