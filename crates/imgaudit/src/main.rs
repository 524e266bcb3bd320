//! The `imgaudit` command: parses arguments, turns them into settings, runs one command,
//! prints, and exits with 0 (done), 1 (findings at or above `--fail-on`, or failing policy
//! tests) or 2 (the audit could not be done). The audit itself is `imgaudit-audit`'s.

mod args;
mod commands;
mod output;
mod printer;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Secrets found in the image (credentials in URLs) are masked in everything printed,
    // whichever command and format printed them: the printer does it.
    match commands::run(&cli)
        .and_then(|report| printer::stdout(&report.text, report.json).map(|()| report.status))
    {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            printer::error(&error);
            ExitCode::from(2)
        }
    }
}
