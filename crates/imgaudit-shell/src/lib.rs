//! Reads variable assignments out of shell start-up files, tolerantly, with line numbers.
//!
//! A container image can hand variables such as `PIP_USER`, `PIP_BREAK_SYSTEM_PACKAGES` or
//! `BASH_ENV` to whoever later starts a shell in it, through `/etc/profile.d/*.sh`, a
//! `.bashrc`, `/etc/environment` and the like. This crate finds those assignments without
//! running anything: the input is a file's bytes, the output is data.
//!
//! - [`parse_shell`] reads POSIX sh, bash and zsh start-up files.
//! - [`parse_environment_file`] reads `/etc/environment` the way PAM's `pam_env` does.
//! - [`StartupFile`], [`EntryPoint`] and [`readers`] hold the measured table of which way of
//!   starting a process reads which file (PIP-SEMANTICS.md §4).
//!
//! The parser is a tolerant approximation of a shell, not a shell. It never fails: text it
//! cannot make sense of is skipped and, where it matters, reported in
//! [`ShellFile::problems`]. Files that are not UTF-8 are decoded lossily (invalid bytes
//! become U+FFFD), because start-up files in old images are sometimes Latin-1.
//!
//! What it understands:
//! - `export A=1`, `export A=1 B=2`, `export A B`, `A=1; export A`, `export -n A`,
//!   `declare`/`typeset` with `-x`/`+x`/`-g`, `local`, `readonly`, `set -a`/`set -o allexport`
//!   blocks, `unset`;
//! - quoting (`'…'`, `"…"`, `$'…'`, backslashes), comments, line continuations, `;`, here-document
//!   bodies (skipped), prefix assignments (`A=1 cmd`, skipped), subshells and pipelines (skipped:
//!   what they assign dies with them);
//! - `$A`, `${A}`, `${A:-x}`, `${A-x}`, `${A:=x}`, `${A:+x}`, `${A:?x}` and `~` in values,
//!   expanded with what the file assigned earlier;
//! - whether a line is conditional (inside `if`, `case`, a loop, a function, or after `&&`/`||`)
//!   and whether it comes after an interactive-only guard such as
//!   `case $- in *i*) ;; *) return;; esac` or `[ -z "$PS1" ] && return`.
//!
//! What it leaves out (see also the docs of [`parse_shell`]): it does not follow `.`/`source`,
//! does not look inside `eval` or command substitutions, and does not know what the
//! environment held before the file ran.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use serde::Serialize;

mod entry;
mod envfile;
mod lex;
mod shell;

#[cfg(test)]
mod tests;

pub use entry::{EntryPoint, StartupFile, readers, untested_readers};
pub use envfile::parse_environment_file;
pub use shell::parse_shell;

/// What one start-up file does to variables.
///
/// Assignments and unsets are kept in two lists for the callers that only want one of them;
/// [`Assignment::seq`] and [`Unset::seq`] number both in source order, and
/// [`ShellFile::events`] merges them back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ShellFile {
    /// Every assignment the shell itself makes, exported or not, in source order.
    pub assignments: Vec<Assignment>,
    /// `unset A`, `export -n A`, `declare +x A`, and bare `A` lines of `/etc/environment`.
    pub unsets: Vec<Unset>,
    /// What the parser could not make sense of. The rest of the file is still read.
    pub problems: Vec<Problem>,
}

impl ShellFile {
    /// Assignments and unsets merged in source order.
    pub fn events(&self) -> Vec<Event<'_>> {
        let mut events: Vec<Event<'_>> = self
            .assignments
            .iter()
            .map(Event::Assign)
            .chain(self.unsets.iter().map(Event::Unset))
            .collect();
        events.sort_by_key(Event::seq);
        events
    }

    /// The assignments that put a variable into the environment of child processes.
    pub fn exported(&self) -> impl Iterator<Item = &Assignment> {
        self.assignments.iter().filter(|a| a.exported)
    }
}

/// One assignment or unset, for walking a file in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event<'a> {
    Assign(&'a Assignment),
    Unset(&'a Unset),
}

impl Event<'_> {
    /// The position in source order shared by assignments and unsets.
    pub fn seq(&self) -> u32 {
        match self {
            Event::Assign(a) => a.seq,
            Event::Unset(u) => u.seq,
        }
    }

    /// The variable the event is about.
    pub fn name(&self) -> &str {
        match self {
            Event::Assign(a) => &a.name,
            Event::Unset(u) => &u.name,
        }
    }
}

/// A variable assignment made by the shell reading the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub name: String,
    pub value: Value,
    /// 1-based line of the variable's name.
    pub line: u32,
    /// Whether child processes get the variable. An assignment exported only later
    /// (`A=1` … `export A`) counts, with the value it had; see [`Assignment::export_line`].
    ///
    /// A plain `A=1` to a name that was already in the environment (from the image `Env`, say)
    /// is exported by the shell too, but the file alone cannot tell: such assignments come back
    /// with `exported: false` and callers that know the inherited names should check them.
    pub exported: bool,
    /// What made it exported, or [`Form::Plain`].
    pub form: Form,
    /// Inside `if`/`case`/a loop/a function body, after `&&` or `||`, or exported by such a
    /// line. It may not happen; callers should lower their confidence, not drop it.
    pub conditional: bool,
    /// After a guard that makes non-interactive shells leave the file (or exported only after
    /// one): only interactive shells get here.
    pub after_interactive_guard: bool,
    /// The trimmed source line, for evidence. Several lines (joined with `\n`) when the command
    /// spans lines; cut at 4,096 characters.
    pub source_line: String,
    /// The line of a later `export A`/`declare -x A` that exported this assignment.
    pub export_line: Option<u32>,
    /// Position among the file's assignments and unsets, in source order.
    pub seq: u32,
}

/// How an assignment came to be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// `export A=1`, `export A B`, `A=1; export A`, or `A=1` after an earlier `export A`.
    Export,
    /// `declare -x`, `typeset -x`, `local -x`, `readonly -x`.
    Declare,
    /// Inside `set -a` / `set -o allexport` … `set +a`.
    AutoExport,
    /// A `KEY=value` line of a `pam_env` file such as `/etc/environment`: always exported to the
    /// session.
    PamEnv,
    /// Never exported by this file.
    Plain,
}

/// The value assigned, as far as the file alone tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// Quote removal and escapes only.
    Literal(String),
    /// The value referenced variables (`$A`, `${A:-x}`, `~`). References to variables the file
    /// assigned earlier are replaced by their value; others stay as written (`$HOME`) and make
    /// it uncertain; `${A:-x}` with `A` unknown becomes `x`, uncertain.
    Expanded { text: String, certain: bool },
    /// Needs something run to be known: command substitution, arithmetic, parameter operators
    /// other than `-`/`=`/`+`/`?`, arrays; or `export A` of a name the file never assigned (it
    /// re-exports an inherited value; `raw` is then `$A`).
    Unknown { raw: String },
}

impl Value {
    /// The text when the file tells it, possibly with unresolved references left in.
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Literal(text) | Value::Expanded { text, .. } => Some(text),
            Value::Unknown { .. } => None,
        }
    }

    /// Whether [`Value::text`] is exactly what the shell assigns.
    pub fn is_certain(&self) -> bool {
        match self {
            Value::Literal(_) => true,
            Value::Expanded { certain, .. } => *certain,
            Value::Unknown { .. } => false,
        }
    }
}

/// A variable removed from the environment from here on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unset {
    pub name: String,
    /// 1-based line of the name.
    pub line: u32,
    pub kind: UnsetKind,
    pub conditional: bool,
    pub after_interactive_guard: bool,
    pub source_line: String,
    /// Position among the file's assignments and unsets, in source order.
    pub seq: u32,
}

/// How a variable leaves the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsetKind {
    /// `unset A`, or a bare `A` line in `/etc/environment` (which `pam_env` treats as a delete).
    Unset,
    /// `export -n A`, `declare +x A`: the shell keeps it, child processes do not get it.
    Unexport,
}

/// Something the parser skipped or could not close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line where the trouble starts.
    pub line: u32,
    pub kind: ProblemKind,
    pub message: String,
}

/// The sort of [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A quote, substitution or here-document still open at the end of the file.
    Unterminated,
    /// An `if`, `case`, loop, `{` or `(` without its end.
    Unclosed,
    /// `fi`, `done`, `esac`, `}`, `then`… with nothing to close or continue.
    Unexpected,
    /// A line `pam_env` ignores.
    InvalidLine,
    /// `pam_env` stops reading the file here.
    Stopped,
}

/// The 1-based line number, saturating on absurdly long inputs.
fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// At most this many characters of evidence per assignment: a file with one huge line and
/// many assignments on it must not copy the line for each.
const MAX_SOURCE_LINE: usize = 4096;

/// Trims and caps one piece of evidence.
fn evidence(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_SOURCE_LINE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
