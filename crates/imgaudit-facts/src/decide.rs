//! What pip decides for `pip install PKG` run by the image's user, per interpreter and launch,
//! computed by [`imgaudit_pip`] with the semantics of the pip that interpreter imports.

use imgaudit_layer::EntryKind;
use imgaudit_pip::{
    ConfigFileState, ConfigSource, Decision as PipDecision, Launch, MarkerState, PipCommand,
    PipVersion, Scenario, SettingRef, VenvKind,
};

use crate::context::{Context, image_path};
use crate::model::{Decision, PipConfigFile, PipSetting, Python, Runtime};
use crate::pipconf;

pub(crate) fn decide_all(
    ctx: &Context<'_>,
    _files: &[PipConfigFile],
    settings: &mut [PipSetting],
    pythons: &mut [Python],
    runtime: &Runtime,
) {
    let candidates = pipconf::candidates(ctx, &[], runtime, pythons);
    for python in pythons.iter_mut() {
        let Some(version) = python
            .pip
            .as_ref()
            .and_then(|pip| pip.version.parse::<PipVersion>().ok())
        else {
            continue;
        };
        let mut scenario = scenario(ctx, python, version, runtime, &candidates);
        for launch in [Launch::Exec, Launch::Shell] {
            scenario.launch = launch;
            let outcome = imgaudit_pip::evaluate_install(&scenario);
            let (kind, reason) = match &outcome.decision {
                PipDecision::User => ("user", "user install".to_owned()),
                PipDecision::Site => ("site", "install into the environment".to_owned()),
                PipDecision::Other(path) if path.starts_with(&runtime.user_base) => {
                    ("user", format!("user install into {path}"))
                }
                PipDecision::Other(path) => ("other", format!("install into {path}")),
                PipDecision::Error(reason) => ("error", reason.code()),
                PipDecision::DryRunOk | PipDecision::Uninstalled => ("other", String::new()),
            };
            // The log line pip prints for its choice says why, when there is one.
            let reason = outcome
                .log
                .iter()
                .rev()
                .find(|line| line.text.contains("install"))
                .map_or(reason, |line| line.text.clone());
            let user_setting = outcome
                .settings
                .use_user_site
                .decided_by
                .as_ref()
                .and_then(|r| setting_id(settings, r));
            let break_system_packages_setting = match outcome.settings.break_system_packages.value {
                Some(true) => outcome
                    .settings
                    .break_system_packages
                    .decided_by
                    .as_ref()
                    .and_then(|r| setting_id(settings, r)),
                _ => None,
            };
            python.decisions.push(Decision {
                launch: match launch {
                    Launch::Exec => "exec",
                    Launch::Shell => "shell",
                }
                .to_owned(),
                outcome: kind.to_owned(),
                reason,
                user_setting,
                break_system_packages_setting,
            });
        }
    }
    mark_overridden(settings, pythons);
}

/// The runtime user's `pip install PKG` with this interpreter.
fn scenario(
    ctx: &Context<'_>,
    python: &Python,
    version: PipVersion,
    runtime: &Runtime,
    candidates: &[pipconf::Candidate],
) -> Scenario {
    let purelib = python.site_packages.first().map_or_else(
        || {
            format!(
                "{}/lib/python{}/site-packages",
                python.prefix, python.version
            )
        },
        |s| s.path.clone(),
    );
    let mut scenario = Scenario::new(
        version,
        PipCommand::Install,
        python.version.clone(),
        purelib.clone(),
    );
    scenario.env.clone_from(&ctx.env);
    scenario.passwd_home = Some(runtime.home.clone());
    let home_scope = format!("home:{}", runtime.home.trim_end_matches('/'));
    let prefix_scope = format!("prefix:{}", python.prefix);
    scenario.config_files = candidates
        .iter()
        .filter(|c| c.scope == "everyone" || c.scope == home_scope || c.scope == prefix_scope)
        .map(|c| config_source(ctx, c))
        .collect();
    scenario.venv = match &python.venv {
        None => VenvKind::NotVenv,
        Some(venv) => image_path(&venv.config)
            .and_then(|p| ctx.content(&p))
            .map_or(VenvKind::Plain, |text| {
                VenvKind::from_pyvenv_cfg(&String::from_utf8_lossy(text))
            }),
    };
    scenario.marker = match python.marker.as_ref().map(|m| m.state.as_str()) {
        Some("present") => MarkerState::RegularFile {
            content: python
                .marker
                .as_ref()
                .and_then(|m| image_path(&m.path))
                .and_then(|p| ctx.content(&p))
                .map(<[u8]>::to_vec),
        },
        Some("directory") => MarkerState::Directory,
        Some("dangling_link") => MarkerState::DanglingLink,
        _ => MarkerState::Absent,
    };
    scenario.site_packages_writable = runtime.is_root || writable(ctx, &purelib, runtime.uid);
    scenario
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

/// `os.access(W_OK)` on the nearest existing ancestor, from the owner and mode bits.
fn writable(ctx: &Context<'_>, dir: &str, uid: Option<u64>) -> bool {
    let mut path = image_path(dir);
    while let Some(current) = path {
        if let Some(node) = ctx.node(&current, true) {
            let mode = node.entry.mode;
            return mode & 0o002 != 0 || (Some(node.entry.uid) == uid && mode & 0o200 != 0);
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
            SettingRef::Env { name, .. } => s.source == "env" && s.name == *name,
            SettingRef::Config { path, line, .. } => {
                s.source == "pip_config"
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
    let effects: Vec<String> = settings.iter().map(|s| s.effect.clone()).collect();
    let described: Vec<String> = settings
        .iter()
        .map(|s| format!("{}={}", s.name, s.value))
        .collect();
    for setting in settings.iter_mut() {
        if !matches!(setting.option.as_str(), "user" | "no-user")
            || setting.effect != "user_install"
            || setting.source == "startup_file"
        {
            continue;
        }
        for decision in &decisions {
            let Some(winner) = decision.user_setting else {
                continue;
            };
            if winner == setting.id {
                push_unique(&mut setting.decides_in, &decision.launch);
            } else if effects[winner] == "non_user_install" {
                push_unique(&mut setting.overridden_in, &decision.launch);
                push_unique(&mut setting.overridden_by, &described[winner]);
            }
        }
        let beaten_everywhere = !decisions.is_empty()
            && setting.decides_in.is_empty()
            && decisions.iter().all(|d| {
                d.user_setting
                    .is_some_and(|w| effects[w] == "non_user_install")
            });
        if beaten_everywhere {
            setting.ignored_because.push(format!(
                "overridden by {} wherever pip runs as the image's user",
                setting.overridden_by.join(" and ")
            ));
        }
    }
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}
