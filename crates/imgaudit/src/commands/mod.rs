//! One module per command; each returns its whole output and the exit status it asks for.

mod cache;
mod files;
mod inspect;
mod rules;
mod scan;

use crate::args::{CacheCommand, Cli, Command, Format, PolicyCommand};
use crate::output::to_json;

/// What a command produced: its whole output, whether that is JSON (the printer escapes JSON
/// and text differently), and the exit status it asks for.
pub(crate) struct Report {
    pub(crate) text: String,
    pub(crate) json: bool,
    pub(crate) status: u8,
}

impl Report {
    pub(crate) fn ok(text: String) -> Report {
        Report {
            text,
            json: false,
            status: 0,
        }
    }

    /// A successful output in `format`.
    pub(crate) fn of(text: String, format: Format) -> Report {
        Report {
            json: format == Format::Json,
            ..Report::ok(text)
        }
    }

    pub(crate) fn json(text: String) -> Report {
        Report {
            json: true,
            ..Report::ok(text)
        }
    }
}

pub(crate) fn run(cli: &Cli) -> anyhow::Result<Report> {
    match &cli.command {
        Some(Command::Inspect(args)) => {
            inspect::run(&cli.global, args).map(|text| Report::of(text, args.format))
        }
        Some(Command::Files(args)) => {
            files::run(&cli.global, args).map(|text| Report::of(text, args.format))
        }
        Some(Command::Scan(args)) => scan::run(&cli.global, args),
        Some(Command::Facts(args)) => scan::facts(&cli.global, args).map(Report::json),
        Some(Command::Rules(args)) => rules::list(args),
        Some(Command::Rule(args)) => rules::show(args),
        Some(Command::Policy(PolicyCommand::Test(args))) => rules::test(args),
        Some(Command::Cache(CacheCommand::Info(args))) => {
            cache::info(&cli.global.cache, args).map(|text| Report::of(text, args.format))
        }
        Some(Command::Cache(CacheCommand::Prune(args))) => {
            cache::prune(&cli.global.cache, args).map(|text| Report::of(text, args.format))
        }
        Some(Command::Policy(PolicyCommand::Schema)) => {
            to_json(&imgaudit_facts::input_schema()).map(Report::json)
        }
        None => scan::run(&cli.global, &cli.scan),
    }
}
