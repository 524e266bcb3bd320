//! The `imgaudit` command: parses arguments, runs one command, prints, and exits with 0 (done),
//! 1 (findings at or above `--fail-on`, or failing policy tests) or 2 (the audit could not be done).

mod args;
mod batch;
mod cache;
mod files;
mod inspect;
mod output;
mod progress;
mod rules;
mod scan;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use imgaudit_facts::redact::redact;

use crate::args::{CacheCommand, Cli, Command, PolicyCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
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
            output::to_json(&imgaudit_facts::input_schema()).map(Report::ok)
        }
        None => scan::run(&cli.global, &cli.scan),
    };
    // Secrets found in the image (credentials in URLs) are masked in everything printed,
    // whichever command and format printed them.
    match result.and_then(|report| write_stdout(&redact(&report.text)).map(|()| report.status)) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            report(&error);
            ExitCode::from(2)
        }
    }
}

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

/// Prints the error and those of its causes that add something to it.
fn report(error: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let mut shown = error.to_string();
    let _ = writeln!(stderr, "error: {}", redact(&shown));
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            let _ = writeln!(stderr, "  caused by: {}", redact(&text));
            shown.push_str(&text);
        }
    }
}

/// Output is built whole before it is written, so a failed audit never leaves half a report.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`imgaudit files IMG | head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
