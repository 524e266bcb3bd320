//! One module per command; each returns its whole output and the exit status it asks for.

mod cache;
mod files;
mod inspect;
mod rules;
mod scan;

use crate::args::{CacheCommand, Cli, Command, PolicyCommand};
use crate::output::to_json;

/// What a command produced: its whole output and the exit status it asks for.
pub(crate) struct Report {
    pub(crate) text: String,
    pub(crate) status: u8,
}

impl Report {
    pub(crate) fn ok(text: String) -> Report {
        Report { text, status: 0 }
    }
}

pub(crate) fn run(cli: &Cli) -> anyhow::Result<Report> {
    match &cli.command {
        Some(Command::Inspect(args)) => inspect::run(&cli.global, args).map(Report::ok),
        Some(Command::Files(args)) => files::run(&cli.global, args).map(Report::ok),
        Some(Command::Scan(args)) => scan::run(&cli.global, args),
        Some(Command::Facts(args)) => scan::facts(&cli.global, args).map(Report::ok),
        Some(Command::Rules(args)) => rules::list(args),
        Some(Command::Rule(args)) => rules::show(args),
        Some(Command::Policy(PolicyCommand::Test(args))) => rules::test(args),
        Some(Command::Cache(CacheCommand::Info(args))) => {
            cache::info(&cli.global.cache, args).map(Report::ok)
        }
        Some(Command::Cache(CacheCommand::Prune(args))) => {
            cache::prune(&cli.global.cache, args).map(Report::ok)
        }
        Some(Command::Policy(PolicyCommand::Schema)) => {
            to_json(&imgaudit_facts::input_schema()).map(Report::ok)
        }
        None => scan::run(&cli.global, &cli.scan),
    }
}
