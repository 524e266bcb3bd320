//! The Python domain: which interpreters the image has and which of them are distro-managed,
//! their PEP 668 markers, user sites and what they shadow, every setting that steers
//! `pip install` (the config `Env`, shell start-up files, pip config files) read as pip reads
//! it, and what pip would decide for the runtime user.

mod decide;
mod index_url;
mod model;
mod packages;
mod pipconf;
mod pythons;
mod settings;
pub(crate) mod startup;

use imgaudit_image::ImageMeta;

pub use index_url::IndexUrl;
pub use model::*;

use crate::accounts::{Runtime, User};
use crate::context::{Context, image_path};
use crate::redact::redacted;

/// The files the Python domain reads.
pub(crate) fn captures() -> Vec<&'static str> {
    let mut patterns = Vec::new();
    patterns.extend_from_slice(startup::CAPTURE);
    patterns.extend_from_slice(pipconf::CAPTURE);
    patterns.extend_from_slice(packages::CAPTURE);
    patterns.extend_from_slice(pythons::CAPTURE);
    patterns
}

/// Files the image's config points at that the Python domain reads: `$BASH_ENV` (a start-up
/// file every non-interactive bash reads) and `$PIP_CONFIG_FILE`.
pub(crate) fn config_paths(meta: &ImageMeta) -> Vec<String> {
    let env = meta
        .config
        .config()
        .as_ref()
        .and_then(|c| c.env().clone())
        .unwrap_or_default();
    env.iter()
        .filter_map(|entry| {
            let (name, value) = entry.split_once('=')?;
            (matches!(name, "BASH_ENV" | "PIP_CONFIG_FILE") && value.starts_with('/'))
                .then(|| value.to_owned())
        })
        .collect()
}

/// The runtime user as the Python facts need it: the account, and what its Python sees.
pub(crate) struct RuntimeView<'a> {
    pub(crate) user: &'a Runtime,
    pub(crate) python: &'a PythonRuntime,
}

/// What the Python domain found.
pub(crate) struct Collected {
    pub(crate) facts: PythonFacts,
    pub(crate) runtime: PythonRuntime,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn collect(ctx: &Context<'_>, users: &[User], user: &Runtime) -> Collected {
    let python_runtime = runtime(ctx, user);
    let runtime = RuntimeView {
        user,
        python: &python_runtime,
    };
    let mut notes = Vec::new();
    let ownership = packages::collect(ctx);
    let mut found = pythons::collect(ctx, &ownership, users, &runtime);
    notes.append(&mut found.notes);
    let startup_files = startup::collect(ctx, users);
    let pip_config_files = pipconf::collect(ctx, users, &runtime, &found.interpreters);
    let mut pip_settings = settings::collect(
        ctx,
        &startup_files,
        &pip_config_files,
        &found.interpreters,
        &runtime,
    );
    decide::decide_all(ctx, &mut pip_settings, &mut found.interpreters, &runtime);
    Collected {
        facts: PythonFacts {
            startup_files,
            pip_config_files,
            pip_settings,
            pythons: found.interpreters,
            user_sites: found.user_sites,
            shadowed_distributions: found.shadowed,
        },
        runtime: python_runtime,
        notes,
    }
}

/// What the runtime user's Python sees: its user base, `PYTHONNOUSERSITE`, `PIP_CONFIG_FILE`.
fn runtime(ctx: &Context<'_>, user: &Runtime) -> PythonRuntime {
    // HOME as the accounts domain resolved it (masking leaves a path as it is).
    let home = &user.home;
    let user_base = match ctx.env_var("PYTHONUSERBASE") {
        Some(base) if !base.is_empty() => base.to_owned(),
        _ => format!("{}/.local", home.trim_end_matches('/')),
    };
    let python_no_user_site = ctx.env_var("PYTHONNOUSERSITE").map(str::to_owned);
    let user_site_disabled = imgaudit_pip::user_site_disabled(python_no_user_site.as_deref());
    let pip_config_file = ctx
        .env_var("PIP_CONFIG_FILE")
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let pip_config_file_exists = pip_config_file
        .as_deref()
        .and_then(image_path)
        .is_some_and(|p| ctx.content(&p, "pip_config_files").is_some() || ctx.exists(&p));
    PythonRuntime {
        user_base: redacted(&user_base),
        python_no_user_site: python_no_user_site.as_deref().map(redacted),
        user_site_disabled,
        pip_config_file: pip_config_file.as_deref().map(redacted),
        pip_config_file_exists,
    }
}
