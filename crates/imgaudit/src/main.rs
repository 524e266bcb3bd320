//! The `imgaudit` command: parses arguments, runs one command, prints, and exits with 0 (done),
//! 1 (findings at or above the threshold, from later commands) or 2 (the audit could not be done).

mod args;
mod files;
mod inspect;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Inspect(args) => inspect::run(&cli.global, args),
        Command::Files(args) => files::run(&cli.global, args),
    };
    match result.and_then(|text| write_stdout(&text)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            ExitCode::from(2)
        }
    }
}

/// Prints the error and those of its causes that add something to it.
fn report(error: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let mut shown = error.to_string();
    let _ = writeln!(stderr, "error: {shown}");
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            let _ = writeln!(stderr, "  caused by: {text}");
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
