//! pipenv's run-time semantics for system installs (`PIPENV_SYSTEM`, `--system`) and PEP 668,
//! as measured.
//!
//! Pure functions and types, no I/O: given the pipenv version in an image, the environment it
//! starts with, and the interpreters it would use, say how `PIPENV_SYSTEM` is read and where
//! `pipenv install` / `pipenv sync` puts a project's packages: a virtualenv of its own, the
//! `python3` on PATH or pipenv's own interpreter, the user site, or nowhere because the PEP 668
//! marker refuses it, and what let it past that marker when it does not.
//!
//! The reference is `tests/ground-truth/PIPENV-SEMANTICS.md` (section numbers below point into
//! it) and `pipenv-truth.json`, real pipenv runs over 8 releases, which the integration test
//! replays record by record. Where the runs are silent, pipenv's source is followed and the doc
//! comment says so.
//!
//! Main entry points:
//! - [`parse_flag_env`]: what a pipenv version makes of `PIPENV_SYSTEM=<raw>`.
//! - [`decide`]: the [`Outcome`] of one [`Scenario`].
//! - [`PipenvVersion`] and its change points ([`SystemTarget`], [`FlagParser`]).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod boolean;
mod decide;
mod version;

pub use boolean::{BoolValue, FlagEffect, FlagValue, parse_flag_env, pipenv_break_system_packages};
pub use decide::{
    Command, Decision, Interpreter, Outcome, PastMarker, Scenario, SystemReason, Target,
    breaks_system_packages, decide,
};
pub use version::{FlagParser, ParseVersionError, PipenvVersion, SystemTarget};
