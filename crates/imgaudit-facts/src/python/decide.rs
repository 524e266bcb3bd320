//! What pip decides for `pip install PKG` run by the image's user, per interpreter and launch,
//! computed by [`imgaudit_pip`] with the semantics of the pip that interpreter imports.

use std::collections::HashMap;

use imgaudit_layer::EntryKind;
use imgaudit_pip::{
    ConfigFileState, ConfigSource, Decision as PipDecision, Launch, MarkerState, PipCommand,
    PipVersion, Scenario, SettingRef, SettingStatus, VenvKind,
};

use crate::context::{Context, image_path};
use crate::python::RuntimeView;
use crate::python::model::{
    self, Decision, Effect, Outcome, PackageManager, PipOption, PipSetting, Python, PythonKind,
    SettingOutcome, SettingSource,
};
use crate::python::pipconf;
use crate::python::settings::NEWEST_MEASURED;
use crate::redact::redacted;

pub(crate) fn decide_all(
    ctx: &Context<'_>,
    settings: &mut [PipSetting],
    pythons: &mut [Python],
    runtime: &RuntimeView<'_>,
) {
    let candidates = pipconf::candidates(ctx, &[], runtime, pythons);
    let mut statuses: HashMap<usize, Vec<SettingStatus>> = HashMap::new();
    // Index settings: every status each got, and the settings that beat it.
    let mut index_statuses: HashMap<usize, Vec<SettingStatus>> = HashMap::new();
    let mut index_winners: HashMap<usize, Vec<usize>> = HashMap::new();
    for python in pythons.iter_mut() {
        // Without a pip of its own, the pip someone installs later decides: the newest measured.
        let version = python
            .pip
            .as_ref()
            .and_then(|pip| pip.version.parse::<PipVersion>().ok())
            .unwrap_or(NEWEST_MEASURED);
        let mut scenario = scenario(ctx, python, version, runtime, &candidates);
        for launch in [Launch::Exec, Launch::Shell] {
            scenario.launch = launch;
            let outcome = imgaudit_pip::evaluate_install(&scenario);
            let seen = outcome
                .settings
                .use_user_site
                .seen
                .iter()
                .chain(&outcome.settings.break_system_packages.seen);
            for seen in seen {
                if let Some(id) = setting_id(settings, &seen.setting) {
                    statuses.entry(id).or_default().push(seen.status);
                }
            }
            let resolved = &outcome.settings;
            let index_resolutions = [
                (&resolved.index_url.seen, &resolved.index_url.decided_by),
                (
                    &resolved.extra_index_urls.seen,
                    &resolved.extra_index_urls.decided_by,
                ),
                (&resolved.find_links.seen, &resolved.find_links.decided_by),
                (
                    &resolved.trusted_hosts.seen,
                    &resolved.trusted_hosts.decided_by,
                ),
                (&resolved.no_index.seen, &resolved.no_index.decided_by),
            ];
            for (seen, decided_by) in index_resolutions {
                let winner = decided_by.as_ref().and_then(|r| setting_id(settings, r));
                for seen in seen {
                    let Some(id) = setting_id(settings, &seen.setting) else {
                        continue;
                    };
                    statuses.entry(id).or_default().push(seen.status);
                    index_statuses.entry(id).or_default().push(seen.status);
                    if let Some(winner) = winner.filter(|w| *w != id) {
                        let winners = index_winners.entry(id).or_default();
                        if !winners.contains(&winner) {
                            winners.push(winner);
                        }
                    }
                }
            }
            let (kind, reason) = match &outcome.decision {
                PipDecision::User => (Outcome::User, "user install".to_owned()),
                PipDecision::Site => (Outcome::Site, "install into the environment".to_owned()),
                PipDecision::Other(path) if path.starts_with(&runtime.python.user_base) => {
                    (Outcome::User, format!("user install into {path}"))
                }
                PipDecision::Other(path) => (Outcome::Other, format!("install into {path}")),
                PipDecision::Error(reason) => (Outcome::Error, reason.code()),
                PipDecision::DryRunOk | PipDecision::Uninstalled => (Outcome::Other, String::new()),
            };
            // The log line pip prints for its choice says why, when there is one.
            let reason = outcome
                .log
                .iter()
                .rev()
                .find(|line| line.text.contains("install"))
                .map_or(reason, |line| line.text.clone());
            let reason = redacted(&reason);
            let user_setting = outcome
                .settings
                .use_user_site
                .decided_by
                .as_ref()
                .and_then(|r| setting_id(settings, r));
            let break_system_packages_setting = outcome
                .settings
                .break_system_packages
                .decided_by
                .as_ref()
                .and_then(|r| setting_id(settings, r));
            let error = match &outcome.decision {
                PipDecision::Error(reason) => Some(reason.code()),
                _ => None,
            };
            python.decisions.push(Decision {
                error,
                launch: match launch {
                    Launch::Exec => model::Launch::Exec,
                    Launch::Shell => model::Launch::Shell,
                },
                outcome: kind,
                reason,
                user_setting,
                break_system_packages_setting,
            });
        }
    }
    mark_never_read(settings, &statuses);
    mark_overridden(settings, pythons);
    mark_index_overridden(settings, &index_statuses, &index_winners);
}

/// Index settings a higher-precedence one replaces wherever pip runs: a variable replaces a
/// file's list, `[install]` replaces `[global]`, a later file an earlier one
/// (PIP-INDEX-SEMANTICS.md §2.2). Empty values count for nothing on pip >= 10.
fn mark_index_overridden(
    settings: &mut [PipSetting],
    statuses: &HashMap<usize, Vec<SettingStatus>>,
    winners: &HashMap<usize, Vec<usize>>,
) {
    let described: Vec<String> = settings
        .iter()
        .map(|s| format!("{}={}", s.name, s.value))
        .collect();
    for (id, seen) in statuses {
        if seen.contains(&SettingStatus::Decisive) {
            continue;
        }
        let why = if seen.contains(&SettingStatus::Overridden) {
            let by: Vec<&str> = winners
                .get(id)
                .into_iter()
                .flatten()
                .map(|w| described[*w].as_str())
                .collect();
            if by.is_empty() {
                "overridden wherever pip runs as the image's user".to_owned()
            } else {
                format!(
                    "overridden by {} wherever pip runs as the image's user",
                    by.join(" and ")
                )
            }
        } else if seen.iter().all(|s| *s == SettingStatus::Empty) {
            "empty: pip ignores it".to_owned()
        } else {
            continue;
        };
        let setting = &mut settings[*id];
        if !setting.ignored_because.contains(&why) {
            setting.ignored_because.push(why);
        }
    }
}

/// Settings pip meets but never uses in any decision: a later file's same key replaced it
/// before conversion, its section or file is not read, or this pip has no such option.
fn mark_never_read(settings: &mut [PipSetting], statuses: &HashMap<usize, Vec<SettingStatus>>) {
    for (id, seen) in statuses {
        let unused = seen.iter().all(|status| {
            matches!(
                status,
                SettingStatus::Shadowed
                    | SettingStatus::SectionNotRead
                    | SettingStatus::FileNotRead
                    | SettingStatus::NoSuchOption
                    | SettingStatus::NameNotRecognised
            )
        });
        if unused {
            let why = match seen[0] {
                SettingStatus::Shadowed => {
                    "a later file sets the same key, so pip never reads this one"
                }
                SettingStatus::SectionNotRead => "pip does not read this section",
                SettingStatus::FileNotRead => "pip does not read this file",
                _ => "the pip in the image has no such option",
            };
            let setting = &mut settings[*id];
            if !setting.ignored_because.iter().any(|w| w == why) {
                setting.ignored_because.push(why.to_owned());
            }
        }
    }
}

/// The runtime user's `pip install PKG` with this interpreter.
fn scenario(
    ctx: &Context<'_>,
    python: &Python,
    version: PipVersion,
    runtime: &RuntimeView<'_>,
    candidates: &[pipconf::Candidate],
) -> Scenario {
    let purelib = purelib(python);
    let mut scenario = Scenario::new(
        version,
        PipCommand::Install,
        python.version.clone(),
        purelib.clone(),
    );
    scenario.env.clone_from(&ctx.env);
    scenario.passwd_home = Some(runtime.user.home.clone());
    let home_scope = pipconf::scope("home", &runtime.user.home);
    let prefix_scope = pipconf::scope("prefix", &python.prefix);
    scenario.config_files = candidates
        .iter()
        .filter(|c| c.scope == "everyone" || c.scope == home_scope || c.scope == prefix_scope)
        .map(|c| config_source(ctx, c))
        .collect();
    scenario.venv = match &python.venv {
        None => VenvKind::NotVenv,
        Some(venv) => image_path(&venv.config)
            .and_then(|p| ctx.content(&p, "pythons"))
            .map_or(VenvKind::Plain, |text| {
                VenvKind::from_pyvenv_cfg(&String::from_utf8_lossy(text))
            }),
    };
    scenario.marker = match python.marker.as_ref().map(|m| m.state) {
        Some(model::MarkerState::Present) => MarkerState::RegularFile {
            content: python
                .marker
                .as_ref()
                .and_then(|m| image_path(&m.path))
                .and_then(|p| ctx.content(&p, "pythons"))
                .map(<[u8]>::to_vec),
        },
        Some(model::MarkerState::Directory) => MarkerState::Directory,
        Some(model::MarkerState::DanglingLink) => MarkerState::DanglingLink,
        Some(model::MarkerState::NotAFile | model::MarkerState::Absent) | None => {
            MarkerState::Absent
        }
    };
    scenario.site_packages_writable =
        runtime.user.is_root || writable(ctx, &purelib, runtime.user.uid, runtime.user.gid);
    scenario
}

/// Where `pip install` writes for this interpreter (`sysconfig` purelib): Debian's patched
/// scheme sends a distro Python's installs to `/usr/local/lib/pythonX.Y/dist-packages` (§2.5).
fn purelib(python: &Python) -> String {
    if python.kind == PythonKind::Distro
        && python.prefix == "/usr"
        && python.package_manager == Some(PackageManager::Dpkg)
    {
        format!("/usr/local/lib/python{}/dist-packages", python.version)
    } else {
        format!(
            "{}/lib/python{}/site-packages",
            python.prefix.trim_end_matches('/'),
            python.version
        )
    }
}

fn config_source(ctx: &Context<'_>, candidate: &pipconf::Candidate) -> ConfigSource {
    let path = image_path(&candidate.path);
    let state = match path.as_ref().and_then(|p| ctx.node(p, true)) {
        None => ConfigFileState::Missing,
        Some(node) if node.kind() != EntryKind::File => ConfigFileState::Unreadable,
        Some(node) => match node.content().map(std::str::from_utf8) {
            Some(Ok(text)) => ConfigFileState::Parsed(imgaudit_pip::PipConfigFile::parse(text)),
            Some(Err(_)) => ConfigFileState::Undecodable,
            // Larger than the capture cap: pip would read it; its content is unknown here.
            None => ConfigFileState::Unreadable,
        },
    };
    ConfigSource {
        kind: candidate.kind,
        path: candidate.path.clone(),
        state,
    }
}

/// `os.access(W_OK)` on the nearest existing ancestor, from the owner, group and mode bits
/// (the primary group only: supplementary groups from `/etc/group` are not read).
fn writable(ctx: &Context<'_>, dir: &str, uid: Option<u64>, gid: Option<u64>) -> bool {
    let mut path = image_path(dir);
    while let Some(current) = path {
        if let Some(node) = ctx.node(&current, true) {
            let (mode, entry) = (node.entry.mode, &node.entry);
            return if Some(entry.uid) == uid {
                mode & 0o200 != 0
            } else if Some(entry.gid) == gid {
                mode & 0o020 != 0
            } else {
                mode & 0o002 != 0
            };
        }
        if current.is_root() {
            break;
        }
        path = Some(current.parent());
    }
    false
}

/// The `pip_settings` entry a resolution's deciding setting came from.
fn setting_id(settings: &[PipSetting], decided_by: &SettingRef) -> Option<usize> {
    settings
        .iter()
        .find(|s| match decided_by {
            SettingRef::Env { name, .. } => s.source == SettingSource::Env && s.name == *name,
            SettingRef::Config { path, line, .. } => {
                s.source == SettingSource::PipConfig
                    && s.origin.path.as_deref() == Some(path.as_str())
                    && s.origin.line.and_then(|l| usize::try_from(l).ok()) == Some(*line)
            }
            SettingRef::Cli { .. } => false,
        })
        .map(|s| s.id)
}

/// Which launches each user-install setting wins or loses in; one that a non-user setting beats
/// in every decision does not count.
fn mark_overridden(settings: &mut [PipSetting], pythons: &[Python]) {
    let decisions: Vec<&Decision> = pythons.iter().flat_map(|p| &p.decisions).collect();
    let effects: Vec<Effect> = settings.iter().map(|s| s.effect).collect();
    let described: Vec<String> = settings
        .iter()
        .map(|s| format!("{}={}", s.name, s.value))
        .collect();
    for setting in settings.iter_mut() {
        if setting.source == SettingSource::StartupFile {
            continue;
        }
        // The settings that turn something on, and the effect that turns it off again.
        let (winner_of, off): (fn(&Decision) -> Option<usize>, Effect) =
            match (setting.option, setting.effect) {
                (PipOption::User | PipOption::NoUser, Effect::UserInstall) => {
                    (|d| d.user_setting, Effect::NonUserInstall)
                }
                (PipOption::BreakSystemPackages, Effect::BypassPep668) => {
                    (|d| d.break_system_packages_setting, Effect::KeepPep668)
                }
                _ => continue,
            };
        for decision in &decisions {
            let Some(winner) = winner_of(decision) else {
                continue;
            };
            if winner == setting.id {
                push_unique(&mut setting.decides_in, decision.launch);
                let refused = matches!(
                    decision.error.as_deref(),
                    Some("venv-no-user" | "user-site-disabled")
                );
                push_unique(
                    &mut setting.outcomes,
                    if refused {
                        SettingOutcome::Refused
                    } else {
                        decision.outcome.into()
                    },
                );
            } else if effects[winner] == off {
                push_unique(&mut setting.overridden_in, decision.launch);
                push_unique(&mut setting.overridden_by, described[winner].clone());
            }
        }
        let beaten_everywhere = !decisions.is_empty()
            && setting.decides_in.is_empty()
            && decisions
                .iter()
                .all(|d| winner_of(d).is_some_and(|w| effects[w] == off));
        if beaten_everywhere {
            setting.ignored_because.push(format!(
                "overridden by {} wherever pip runs as the image's user",
                setting.overridden_by.join(" and ")
            ));
        }
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}
