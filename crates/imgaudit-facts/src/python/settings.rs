//! Every setting that steers `pip install`, from the config `Env`, start-up files and pip config
//! files, read the way pip reads it; and, per interpreter, what pip would decide.

use imgaudit_pip::{BoolValue, PipVersion, ValueOrigin};

use crate::Location;
use crate::context::Context;
use crate::python::model::{
    Effect, Parsed, PipConfigFile, PipConfigKind, PipOption, PipSetting, Python, SettingSource,
    StartupFile,
};
use crate::python::{IndexUrl, RuntimeView, startup};
use crate::redact::{has_credentials, redacted};
use imgaudit_finding::Precision;

/// The pip whose semantics apply when the image has none (the user will install a current one).
pub(crate) const NEWEST_MEASURED: PipVersion = PipVersion::new(26, 3, 0);

/// The pip versions installed in the image.
pub(crate) fn pip_versions(pythons: &[Python]) -> Vec<PipVersion> {
    let mut versions: Vec<PipVersion> = pythons
        .iter()
        .filter_map(|p| p.pip.as_ref()?.version.parse().ok())
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

/// Why a setting counts for none of the pips in the image; `None` when some pip reads it.
fn ignored_by_every_pip(
    versions: &[PipVersion],
    option: &str,
    reads: impl Fn(PipVersion) -> bool,
    what: &str,
) -> Option<String> {
    if versions.is_empty() || versions.iter().any(|v| reads(*v)) {
        return None;
    }
    let list: Vec<String> = versions.iter().map(ToString::to_string).collect();
    Some(format!(
        "{what} `{option}` is ignored by the pip in the image ({})",
        list.join(", ")
    ))
}

struct Builder<'a> {
    versions: &'a [PipVersion],
    settings: Vec<PipSetting>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        source: SettingSource,
        name: &str,
        option: PipOption,
        section: Option<&str>,
        raw: &str,
        origin_kind: ValueOrigin,
        readers: Vec<String>,
        conditional: bool,
        precision: Precision,
        mut ignored_because: Vec<String>,
        origin: Location,
        credentials: bool,
    ) {
        let boolean = option.is_boolean();
        let (parsed, effect) = if boolean {
            let value = imgaudit_pip::parse_bool(raw, origin_kind);
            let parsed = match value {
                BoolValue::True => Parsed::True,
                BoolValue::False => Parsed::False,
                BoolValue::Empty => Parsed::Empty,
                BoolValue::Invalid => Parsed::Invalid,
            };
            let effect = match (option, value) {
                // An empty value is ignored; `no-index = false` leaves the indexes as they are.
                (_, BoolValue::Empty) | (PipOption::NoIndex, BoolValue::False) => Effect::None,
                (_, BoolValue::Invalid) => Effect::Abort,
                (PipOption::BreakSystemPackages, BoolValue::True) => Effect::BypassPep668,
                (PipOption::BreakSystemPackages, BoolValue::False) => Effect::KeepPep668,
                (PipOption::NoIndex, BoolValue::True) => Effect::NoIndex,
                // `user` and `no-user` share one destination and neither inverts the value
                // from the environment or a file (PIP-SEMANTICS.md §1.1, §1.3).
                (_, BoolValue::True) => Effect::UserInstall,
                (_, BoolValue::False) => Effect::NonUserInstall,
            };
            (parsed, effect)
        } else {
            (Parsed::Text, Effect::Index)
        };
        let urls = if option.takes_urls() {
            imgaudit_pip::split_list(raw)
                .into_iter()
                .filter_map(IndexUrl::parse)
                .collect()
        } else {
            Vec::new()
        };
        let versions = self.versions;
        if option == PipOption::NoUser {
            ignored_because.extend(ignored_by_every_pip(
                versions,
                option.name(),
                PipVersion::has_no_user_option,
                "the option",
            ));
        }
        if option == PipOption::BreakSystemPackages {
            ignored_because.extend(ignored_by_every_pip(
                versions,
                option.name(),
                PipVersion::honours_break_system_packages,
                "the option",
            ));
        }
        let id = self.settings.len();
        self.settings.push(PipSetting {
            id,
            source,
            name: name.to_owned(),
            option,
            section: section.map(str::to_owned),
            value: redacted(raw),
            parsed,
            effect,
            ignored_because,
            decides_in: Vec::new(),
            overridden_in: Vec::new(),
            overridden_by: Vec::new(),
            outcomes: Vec::new(),
            has_credentials: !boolean && credentials,
            urls,
            conditional,
            precision,
            readers,
            origin,
        });
    }
}

pub(crate) fn collect(
    ctx: &Context<'_>,
    startup_files: &[StartupFile],
    pip_config_files: &[PipConfigFile],
    pythons: &[Python],
    runtime: &RuntimeView<'_>,
) -> Vec<PipSetting> {
    let versions = pip_versions(pythons);
    // Names are read with the newest pip's rules (the `PIP_` prefix is case-sensitive from 10).
    let semantics = versions.last().copied().unwrap_or(NEWEST_MEASURED);
    let mut builder = Builder {
        versions: &versions,
        settings: Vec::new(),
    };
    for (index, (name, value)) in ctx.env.iter().enumerate() {
        let Some(option) = imgaudit_pip::env_option_name(name, semantics)
            .as_deref()
            .and_then(PipOption::from_name)
        else {
            continue;
        };
        builder.push(
            SettingSource::Env,
            name,
            option,
            None,
            value,
            ValueOrigin::Env,
            vec!["all".to_owned()],
            false,
            Precision::High,
            Vec::new(),
            ctx.env_origin(index),
            has_credentials(value),
        );
    }
    let login_entrypoint = startup::starts_login_shell(ctx);
    for file in startup_files {
        for a in &file.assignments {
            let Some(value) = &a.value else { continue };
            let Some(option) = imgaudit_pip::env_option_name(&a.name, semantics)
                .as_deref()
                .and_then(PipOption::from_name)
            else {
                continue;
            };
            let (precision, ignored) = startup::judge(file, a, login_entrypoint);
            builder.push(
                SettingSource::StartupFile,
                &a.name,
                option,
                None,
                value,
                ValueOrigin::Env,
                a.readers.clone(),
                true,
                precision,
                ignored,
                a.origin.clone(),
                a.has_credentials,
            );
        }
    }
    for file in pip_config_files {
        // `[DEFAULT]` only reaches pip through a `[global]` or `[install]` of the same file.
        let has_read_section = file
            .entries
            .iter()
            .any(|e| e.section == "global" || e.section == "install");
        for entry in &file.entries {
            if entry.section == "DEFAULT" && !has_read_section {
                continue;
            }
            // Section names are case-sensitive; only [global] and the command's count (§1.2).
            if !matches!(entry.section.as_str(), "global" | "install" | "DEFAULT") {
                continue;
            }
            let Some(option) =
                PipOption::from_name(&entry.key.to_ascii_lowercase().replace('_', "-"))
            else {
                continue;
            };
            let mut ignored = Vec::new();
            if !file.read {
                ignored.push(format!(
                    "PIP_CONFIG_FILE={} hides {}",
                    runtime
                        .python
                        .pip_config_file
                        .as_deref()
                        .unwrap_or_default(),
                    file.path
                ));
            }
            if file.kind == PipConfigKind::Site {
                ignored.extend(ignored_by_every_pip(
                    &versions,
                    &file.path,
                    PipVersion::reads_site_config_outside_venv,
                    "the file",
                ));
            }
            builder.push(
                SettingSource::PipConfig,
                &entry.key,
                option,
                Some(&entry.section),
                &entry.value,
                ValueOrigin::Config,
                vec![format!("pip ({})", file.scope)],
                false,
                Precision::High,
                ignored,
                Location {
                    line: Some(entry.line),
                    ..file.origin.clone()
                },
                entry.has_credentials,
            );
        }
    }
    builder.settings
}
