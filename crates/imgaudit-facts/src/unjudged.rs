//! Files the facts needed and could not read: a rule judging what they would have said would
//! pass silently, so each is a fact of its own (`unjudged`), which a built-in rule reports.

use schemars::JsonSchema;
use serde::Serialize;

use crate::Location;

/// A file an extractor needed whose content is unknown: what it would have told the rules is
/// missing from the document.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Unjudged {
    /// The path as the program the facts model names it (`/etc/pip.conf`).
    pub path: String,
    /// Where its links lead inside the image, when they lead to a file.
    pub resolved: Option<String>,
    pub reason: UnjudgedReason,
    /// The reason in words.
    pub detail: String,
    /// The facts the file feeds: `pip_config_files`, `startup_files`, `users`, `pythons`,
    /// `packages`, `secret_files`.
    pub needed_by: String,
    /// The layer that wrote the file (or, for a loop, the link), and its history step.
    pub origin: Location,
}

/// Why a needed file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnjudgedReason {
    /// Larger than the capture limit.
    TooLarge,
    /// Its links loop, or chain more than 40 times (Linux's limit).
    LinkLoop,
    /// Reached through a link or named by the config, it was not captured while the image
    /// streamed past (standard input, a daemon's export), and a stream cannot be read twice.
    Stream,
    /// No layer holds its bytes under its own name.
    NotLocated,
    /// Its content was not captured (the image was loaded without reading link targets).
    NotCaptured,
    /// It was not inspected for secrets: its layer's budget of inspected bytes was spent.
    NotInspected,
}

impl UnjudgedReason {
    pub(crate) fn of(unread: &imgaudit_loader::Unread) -> UnjudgedReason {
        match unread {
            imgaudit_loader::Unread::TooLarge { .. } => UnjudgedReason::TooLarge,
            imgaudit_loader::Unread::Stream => UnjudgedReason::Stream,
            imgaudit_loader::Unread::NotLocated => UnjudgedReason::NotLocated,
        }
    }
}
