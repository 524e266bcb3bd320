//! Parses Dockerfiles (and Containerfiles) into stages and instructions with their line ranges,
//! and ties an image's history steps back to the Dockerfile lines that made them.
//!
//! imgaudit reports each finding against the image *history step* (an entry of the image
//! config's `history` array) that introduced it. Code-scanning dashboards want a file and a
//! line instead; this crate provides the bridge:
//!
//! - [`Dockerfile::parse`] reads the text the way BuildKit's frontend does: parser directives
//!   (`# escape=`), case-insensitive instructions, line continuations with comment and empty
//!   lines inside them skipped, heredocs (`RUN <<EOF`, `<<-EOF`, `<<"EOF"`, several per line),
//!   JSON (exec) form, `--flags`, multi-stage builds with `FROM <stage>` chains and global
//!   `ARG`s. Unknown instructions are kept as [`Keyword::Other`].
//! - [`map_history`] aligns a history (as written by BuildKit, the classic Docker builder,
//!   buildah/podman or kaniko) with the instructions of one stage and its ancestors. Steps
//!   before the first aligned one come from the base image and map to the `FROM` line. When
//!   the Dockerfile does not convincingly match the image, it maps nothing.
//! - [`Dockerfile::env_instruction`] finds the `ENV` line that set a variable, for findings
//!   that name one.
//!
//! The input is text and the output is data: nothing is run, fetched or printed, and no input
//! makes it panic.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::fmt;

use serde::{Serialize, Serializer};

mod align;
mod history;
mod parse;
mod words;

#[cfg(test)]
mod tests;

pub use history::{HistoryMap, Mapped, MatchKind, RecordedStep, Strength, map_history};

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dockerfile {
    /// The parser directives at the top (`# syntax=…`, `# escape=…`, `# check=…`).
    pub directives: Vec<Directive>,
    /// The escape character: `\` unless a `# escape=` directive chose `` ` ``.
    pub escape: char,
    /// `ARG`s before the first `FROM`: they only parameterise `FROM` lines.
    pub global_args: Vec<Instruction>,
    /// The build stages in file order; never empty.
    pub stages: Vec<Stage>,
}

/// A parser directive such as `# syntax=docker/dockerfile:1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// Lowercased: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    /// 1-based.
    pub line: u32,
}

/// One build stage: a `FROM` line and the instructions up to the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// Position among the stages, from 0.
    pub index: usize,
    /// The `AS` name, lowercased (stage names are case-insensitive).
    pub name: Option<String>,
    /// The image (or earlier stage) named by `FROM`, as written, variables unexpanded.
    pub base: String,
    /// The earlier stage this one is built on (`FROM <stage name>`), if any.
    pub parent: Option<usize>,
    /// The `FROM` instruction itself.
    pub from: Instruction,
    /// The instructions after `FROM`, in file order.
    pub instructions: Vec<Instruction>,
}

/// One instruction, with continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instruction {
    pub keyword: Keyword,
    /// Leading `--name=value` flags (`--from=build`, `--chown=…`, `--mount=…`), quotes
    /// removed, in order.
    pub flags: Vec<String>,
    /// Everything after the keyword and flags: continuation lines joined (the escape character
    /// and the line break removed, as BuildKit does), comment lines inside removed, trimmed.
    /// With heredocs, each heredoc's body and terminator line follow after a `\n`, so the
    /// first line of `args` is the instruction's own line (see [`Instruction::command_line`]).
    pub args: String,
    /// The JSON array of the exec form (`RUN ["a", "b"]`), for the instructions that have one
    /// (`RUN`, `CMD`, `ENTRYPOINT`, `SHELL`, `COPY`, `ADD`, `VOLUME`).
    pub exec_form: Option<Vec<String>>,
    /// Heredocs of `RUN`, `COPY` and `ADD`, in the order they are named on the line.
    pub heredocs: Vec<Heredoc>,
    /// 1-based line of the keyword.
    pub start_line: u32,
    /// 1-based last line: the last continuation line, or the last heredoc's terminator.
    pub end_line: u32,
}

impl Instruction {
    /// The instruction's own (joined) line, without heredoc bodies.
    pub fn command_line(&self) -> &str {
        self.args.split('\n').next().unwrap_or_default()
    }

    /// The `name=value` pairs of `ENV`, `LABEL` and `ARG`, quotes removed, variables left
    /// unexpanded; `ENV A 1`, the legacy form, gives one pair. `ARG A` gives a pair without a
    /// value. Other instructions give none.
    pub fn assignments(&self, escape: char) -> Vec<KeyValue> {
        words::assignments(&self.keyword, &self.args, escape)
    }
}

/// A name and a value set by `ENV`, `LABEL` or `ARG`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    pub key: String,
    /// `None` for an `ARG` without a default.
    pub value: Option<String>,
}

/// A here-document of a `RUN`, `COPY` or `ADD` instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    /// The terminator word, quotes removed.
    pub name: String,
    /// The lines between the instruction and the terminator, each ending with `\n`, as
    /// written (leading tabs are kept even for `<<-`).
    pub body: String,
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// The name was unquoted, so variables in the body are expanded.
    pub expand: bool,
    /// 1-based line of the terminator.
    pub end_line: u32,
}

/// An instruction keyword. Instructions are case-insensitive; unknown ones are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Keyword {
    From,
    Run,
    Env,
    Copy,
    Add,
    Arg,
    Label,
    Workdir,
    User,
    Expose,
    Volume,
    Cmd,
    Entrypoint,
    Healthcheck,
    Shell,
    Stopsignal,
    Onbuild,
    Maintainer,
    /// Any other word, uppercased.
    Other(String),
}

impl Keyword {
    /// The keyword for an instruction word, in any case.
    pub fn from_word(word: &str) -> Keyword {
        let upper = word.to_ascii_uppercase();
        match upper.as_str() {
            "FROM" => Keyword::From,
            "RUN" => Keyword::Run,
            "ENV" => Keyword::Env,
            "COPY" => Keyword::Copy,
            "ADD" => Keyword::Add,
            "ARG" => Keyword::Arg,
            "LABEL" => Keyword::Label,
            "WORKDIR" => Keyword::Workdir,
            "USER" => Keyword::User,
            "EXPOSE" => Keyword::Expose,
            "VOLUME" => Keyword::Volume,
            "CMD" => Keyword::Cmd,
            "ENTRYPOINT" => Keyword::Entrypoint,
            "HEALTHCHECK" => Keyword::Healthcheck,
            "SHELL" => Keyword::Shell,
            "STOPSIGNAL" => Keyword::Stopsignal,
            "ONBUILD" => Keyword::Onbuild,
            "MAINTAINER" => Keyword::Maintainer,
            _ => Keyword::Other(upper),
        }
    }

    /// The keyword as written in Dockerfiles, uppercase.
    pub fn as_str(&self) -> &str {
        match self {
            Keyword::From => "FROM",
            Keyword::Run => "RUN",
            Keyword::Env => "ENV",
            Keyword::Copy => "COPY",
            Keyword::Add => "ADD",
            Keyword::Arg => "ARG",
            Keyword::Label => "LABEL",
            Keyword::Workdir => "WORKDIR",
            Keyword::User => "USER",
            Keyword::Expose => "EXPOSE",
            Keyword::Volume => "VOLUME",
            Keyword::Cmd => "CMD",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Shell => "SHELL",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Other(word) => word,
        }
    }

    /// Whether the instruction always adds a filesystem layer.
    pub fn makes_layer(&self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// A keyword serializes as its Dockerfile spelling: reports show `"RUN"`, not `{"other": …}`.
impl Serialize for Keyword {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why a Dockerfile could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based; 0 when the problem is the file as a whole (empty, no `FROM`).
    pub line: u32,
    pub message: String,
}

impl Dockerfile {
    /// Parses a Dockerfile. Fails on an empty file or one without `FROM`, on an instruction
    /// other than `ARG` before the first `FROM`, a `FROM` without an image, an invalid
    /// `# escape=` and an unterminated heredoc: BuildKit refuses those too. Unknown
    /// instructions are kept.
    pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
        parse::parse(text)
    }

    /// The stage with this `AS` name (case-insensitive).
    pub fn stage_named(&self, name: &str) -> Option<&Stage> {
        let name = name.to_ascii_lowercase();
        self.stages
            .iter()
            .find(|s| s.name.as_deref() == Some(name.as_str()))
    }

    /// The stage and the stages it is built on through `FROM <stage>`, root first. Empty for
    /// an index out of range.
    pub fn ancestry(&self, stage: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut current = Some(stage);
        while let Some(index) = current {
            let Some(s) = self.stages.get(index) else {
                break;
            };
            chain.push(index);
            // Parents are always earlier stages, so this ends; the check keeps it so.
            current = s.parent.filter(|&p| p < index);
        }
        chain.reverse();
        chain
    }

    /// The last `ENV` instruction of the stage or of the stages it is built on that sets
    /// `variable` (case-sensitive; `ENV A=1 B=2`, `ENV A 1` and quoted names are understood).
    pub fn env_instruction(&self, stage: usize, variable: &str) -> Option<&Instruction> {
        self.ancestry(stage)
            .into_iter()
            .rev()
            .filter_map(|index| self.stages.get(index))
            .flat_map(|s| s.instructions.iter().rev())
            .find(|instruction| {
                instruction.keyword == Keyword::Env
                    && instruction
                        .assignments(self.escape)
                        .iter()
                        .any(|kv| kv.key == variable)
            })
    }
}
