//! `/etc/environment` as PAM's `pam_env` reads it (`readenv=1`, the default, for `su`, `su -`
//! and `login` on Debian).
//!
//! Followed: Linux-PAM's `modules/pam_env/pam_env.c`, functions `_assemble_line` and
//! `_parse_env_file`, as in the 1.x releases Debian and Ubuntu ship:
//!
//! 1. Lines are assembled first. Leading blanks (space, tab) are skipped; a line that is then
//!    empty or starts with `#` is skipped entirely, even in the middle of a continuation.
//!    Everything from the first `#` on is dropped, wherever it is, quotes or not. A line
//!    whose last non-blank character is `\` continues on the next line: the `\` becomes a
//!    space, the next line is appended as is. A continuation still open at the end of the
//!    file is dropped.
//! 2. In the assembled line, leading blanks are skipped and one leading `export ` (with
//!    exactly one space) is removed.
//! 3. The key runs to the first `=`; it must be non-empty and made of ASCII letters, digits
//!    and `_` (a leading digit is accepted), or the line is ignored.
//! 4. No `=` at all: a request to delete the variable (recorded as an [`Unset`]).
//! 5. The value is everything after `=`, trailing blanks included. If its first character
//!    is `"` or `'`, that character is dropped, and so is its last character if it is a
//!    quote of either kind; quotes in between stay. Nothing else is interpreted: no `$`
//!    expansion (that is `pam_env.conf`'s syntax, not this file's), no backslash escapes.
//!
//! Not modelled: the fixed-size line buffer of older releases (very long lines), and the
//! libeconf-based reader some distributions build instead (it also merges
//! `/usr/etc/environment`). A NUL byte stops the file, as the C string handling does.

use crate::{
    Assignment, Form, Problem, ProblemKind, ShellFile, Unset, UnsetKind, Value, evidence,
    line_number,
};

/// Reads the assignments of a `pam_env` environment file such as `/etc/environment`.
///
/// Every assignment is [`Form::PamEnv`], exported, unconditional, with a
/// [`Value::Literal`] value (decoded lossily). Lines `pam_env` ignores are reported in
/// [`ShellFile::problems`].
pub fn parse_environment_file(text: &[u8]) -> ShellFile {
    let mut out = ShellFile::default();
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let mut seq = 0u32;
    let mut next = 0;
    while next < lines.len() {
        let first = next;
        let mut buffer: Vec<u8> = Vec::new();
        let mut complete = false;
        while next < lines.len() {
            let line = lines[next];
            next += 1;
            if let Some(nul) = line.iter().position(|&b| b == 0) {
                out.problems.push(Problem {
                    line: line_number(next - 1),
                    kind: ProblemKind::Stopped,
                    message: format!("NUL byte at column {}: pam_env stops reading here", nul + 1),
                });
                return out;
            }
            let blanks = line
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
            let rest = &line[blanks..];
            if rest.is_empty() || rest[0] == b'#' {
                continue;
            }
            if let Some(hash) = rest.iter().position(|&b| b == b'#') {
                buffer.extend_from_slice(&line[..blanks + hash]);
                complete = true;
                break;
            }
            let trimmed = rest.len()
                - rest
                    .iter()
                    .rev()
                    .take_while(|&&b| b == b' ' || b == b'\t')
                    .count();
            if trimmed > 0 && rest[trimmed - 1] == b'\\' {
                buffer.extend_from_slice(&line[..blanks + trimmed - 1]);
                buffer.push(b' ');
                continue;
            }
            buffer.extend_from_slice(line);
            complete = true;
            break;
        }
        if !complete {
            if !buffer.is_empty() {
                out.problems.push(Problem {
                    line: line_number(first),
                    kind: ProblemKind::Unterminated,
                    message: "continuation still open at the end of the file: pam_env drops it"
                        .into(),
                });
            }
            break;
        }
        // The physical lines that made this one, for the line number and evidence.
        let start = (first..next)
            .find(|&i| {
                let l = lines[i];
                let rest = &l[l.iter().take_while(|&&b| b == b' ' || b == b'\t').count()..];
                !rest.is_empty() && rest[0] != b'#'
            })
            .unwrap_or(first);
        let source = evidence(
            &lines[start..next]
                .iter()
                .map(|l| String::from_utf8_lossy(l).trim().to_owned())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let line = line_number(start);
        match parse_line(&buffer) {
            Parsed::Skip => {}
            Parsed::Invalid(why) => out.problems.push(Problem {
                line,
                kind: ProblemKind::InvalidLine,
                message: why.into(),
            }),
            Parsed::Delete(name) => {
                out.unsets.push(Unset {
                    name,
                    line,
                    kind: UnsetKind::Unset,
                    conditional: false,
                    after_interactive_guard: false,
                    source_line: source,
                    seq,
                });
                seq = seq.saturating_add(1);
            }
            Parsed::Set(name, value) => {
                out.assignments.push(Assignment {
                    name,
                    value: Value::Literal(value),
                    line,
                    exported: true,
                    form: Form::PamEnv,
                    conditional: false,
                    after_interactive_guard: false,
                    source_line: source,
                    export_line: None,
                    seq,
                });
                seq = seq.saturating_add(1);
            }
        }
    }
    out
}

enum Parsed {
    Skip,
    Invalid(&'static str),
    Delete(String),
    Set(String, String),
}

/// `_parse_env_file`'s handling of one assembled line.
fn parse_line(buffer: &[u8]) -> Parsed {
    let blanks = buffer
        .iter()
        .take_while(|&&b| matches!(b, b' ' | b'\t' | b'\n'))
        .count();
    let mut key = &buffer[blanks..];
    if key.first() == Some(&b'#') {
        return Parsed::Skip;
    }
    if let Some(rest) = key.strip_prefix(b"export ") {
        key = rest;
    }
    if let Some(end) = key.iter().position(|&b| b == b'\n' || b == b'#') {
        key = &key[..end];
    }
    if key.is_empty() {
        return Parsed::Skip;
    }
    if key[0] == b'=' {
        return Parsed::Invalid("missing key name: pam_env ignores the line");
    }
    let eq = key.iter().position(|&b| b == b'=');
    let name = &key[..eq.unwrap_or(key.len())];
    if !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') {
        return Parsed::Invalid("non-alphanumeric key: pam_env ignores the line");
    }
    let name = String::from_utf8_lossy(name).into_owned();
    let Some(eq) = eq else {
        return Parsed::Delete(name);
    };
    let value = &key[eq + 1..];
    let value: Vec<u8> = match value.first() {
        Some(b'"' | b'\'') => {
            let inner = &value[1..];
            let last = inner.len().saturating_sub(1);
            inner
                .iter()
                .enumerate()
                .filter(|&(i, b)| !(i == last && matches!(b, b'"' | b'\'')))
                .map(|(_, b)| *b)
                .collect()
        }
        _ => value.to_vec(),
    };
    Parsed::Set(name, String::from_utf8_lossy(&value).into_owned())
}
