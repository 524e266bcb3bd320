//! Everything that reaches the terminal goes through here: command output on standard output,
//! errors, warnings and batch progress on standard error, the progress bar. Whatever an image
//! put in a string is made safe on the way out: credentials masked, control characters escaped,
//! no line a CI runner would take for a command (`imgaudit_report::inert`).

mod progress;

use std::io::Write;

use imgaudit_audit::batch::{BatchReporter, Done};
use imgaudit_facts::redact::redact;

use imgaudit_report::inert::{for_terminal, for_terminal_json};

pub(crate) use progress::Bar;

/// Output is built whole before it is written, so a failed audit never leaves half a report.
/// JSON keeps its meaning (what serde_json leaves raw becomes JSON escapes); in text the text
/// report's own colours pass (it made the image's text inert itself) and nothing else that
/// moves the cursor does.
pub(crate) fn stdout(text: &str, json: bool) -> anyhow::Result<()> {
    let masked = redact(text);
    let safe = if json {
        for_terminal_json(&masked)
    } else {
        for_terminal(&masked, true)
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(safe.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`imgaudit files IMG | head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Text for standard error (a batch's summary table when standard output carries reports).
pub(crate) fn stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(inert(text).as_bytes());
}

/// Masked and escaped, for standard error (which has no colour).
fn inert(text: &str) -> String {
    for_terminal(&redact(text), false).into_owned()
}

/// A problem that does not stop the command.
pub(crate) fn warning(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "warning: {}", inert(message));
}

/// The error and those of its causes that add something to it.
pub(crate) fn error(error: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let mut shown = error.to_string();
    let _ = writeln!(stderr, "error: {}", inert(&shown));
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            let _ = writeln!(stderr, "  caused by: {}", inert(&text));
            shown.push_str(&text);
        }
    }
}

/// A batch's lines on standard error: one per finished image on a terminal, failures always.
#[derive(Debug)]
pub(crate) struct BatchLines {
    pub(crate) show_progress: bool,
}

impl BatchReporter for BatchLines {
    fn finished(&self, done: &Done, count: usize, total: usize) {
        let mut stderr = std::io::stderr().lock();
        match &done.outcome {
            // Errors name their input already, mostly; when one does not, the image is added.
            Err(error) if error.contains(done.image.as_str()) => {
                let _ = writeln!(stderr, "error: {}", inert(error));
            }
            Err(error) => {
                let _ = writeln!(stderr, "error: {}: {}", inert(&done.image), inert(error));
            }
            Ok(outcome) if self.show_progress => {
                let _ = writeln!(
                    stderr,
                    "[{count}/{total}] {} ({} findings, {:.1}s)",
                    inert(&done.image),
                    outcome.counts.iter().sum::<usize>(),
                    done.elapsed.as_secs_f64()
                );
            }
            Ok(_) => {}
        }
    }
}
