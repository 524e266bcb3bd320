//! The Dockerfile parser: lines to instructions (BuildKit's `parser` package), instructions
//! to stages.

use crate::words::{extract_flags, heredoc_words, unquote};
use crate::{Directive, Dockerfile, Heredoc, Instruction, Keyword, ParseError, Stage};

pub(crate) fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // `\r\n` endings are accepted as BuildKit does; a lone `\r` is not a line break.
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut escape = '\\';
    let mut directives: Vec<Directive> = Vec::new();
    let mut in_directives = true;
    let mut instructions = Vec::new();
    let mut next = 0;
    while let Some(&line) = lines.get(next) {
        next += 1;
        let line_no = line_number(next);
        if in_directives {
            if let Some((name, value)) = directive(line) {
                if !directives.iter().any(|d| d.name == name) {
                    if name == "escape" {
                        escape = match value {
                            "\\" => '\\',
                            "`" => '`',
                            _ => {
                                return Err(ParseError {
                                    line: line_no,
                                    message: format!("invalid escape {value:?}: must be ` or \\"),
                                });
                            }
                        };
                    }
                    directives.push(Directive {
                        name,
                        value: value.to_owned(),
                        line: line_no,
                    });
                }
                continue;
            }
            // Directives are only recognised before anything else, comments included.
            in_directives = false;
        }
        let first = line.trim_start();
        if first.starts_with('#') {
            continue;
        }
        let (head, mut ended) = trim_continuation(first, escape);
        if ended && head.trim().is_empty() {
            continue;
        }
        let mut joined = head.to_owned();
        let mut end_line = line_no;
        while !ended {
            let Some(&more) = lines.get(next) else {
                break;
            };
            next += 1;
            // Comment and empty lines do not end a continued instruction; they vanish, and
            // they are not its lines (nor is the empty piece after a final line break).
            let trimmed = more.trim_start();
            if trimmed.starts_with('#') || trimmed.is_empty() {
                continue;
            }
            end_line = line_number(next);
            let (part, e) = trim_continuation(more, escape);
            joined.push_str(part);
            ended = e;
        }
        if joined.trim().is_empty() {
            continue;
        }
        let mut instruction = instruction_from_line(&joined, line_no, end_line);
        if matches!(
            instruction.keyword,
            Keyword::Run | Keyword::Copy | Keyword::Add
        ) && instruction.exec_form.is_none()
            && joined.contains("<<")
        {
            let words = heredoc_words(instruction.command_line());
            for word in words {
                let mut body = String::new();
                let mut terminator = None;
                while let Some(&body_line) = lines.get(next) {
                    next += 1;
                    let candidate = if word.chomp {
                        body_line.trim_start_matches('\t')
                    } else {
                        body_line
                    };
                    if candidate == word.name {
                        terminator = Some(body_line);
                        break;
                    }
                    body.push_str(body_line);
                    body.push('\n');
                }
                let Some(terminator) = terminator else {
                    return Err(ParseError {
                        line: line_no,
                        message: format!("unterminated heredoc <<{}", word.name),
                    });
                };
                instruction.end_line = line_number(next);
                // BuildKit hands `line\nbody…NAME` to the shell for such commands; keeping
                // the same text lets history comparisons see the body.
                instruction.args.push('\n');
                instruction.args.push_str(&body);
                instruction.args.push_str(terminator);
                instruction.heredocs.push(Heredoc {
                    name: word.name,
                    body,
                    chomp: word.chomp,
                    expand: word.expand,
                    end_line: instruction.end_line,
                });
            }
        }
        instructions.push(instruction);
    }
    assemble(instructions, directives, escape)
}

fn line_number(one_based: usize) -> u32 {
    u32::try_from(one_based).unwrap_or(u32::MAX)
}

/// `# name=value` with a known name (BuildKit's `^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*
/// (.+?)[ \t]*$`). Returns the lowercased name and the value.
fn directive(line: &str) -> Option<(String, &str)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let rest = rest.trim_start_matches([' ', '\t']);
    let name_len = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if name_len == 0 {
        return None;
    }
    let (name, rest) = rest.split_at(name_len);
    let value = rest
        .trim_start_matches([' ', '\t'])
        .strip_prefix('=')?
        .trim_matches([' ', '\t']);
    let name = name.to_ascii_lowercase();
    if value.is_empty() || !matches!(name.as_str(), "syntax" | "escape" | "check") {
        return None;
    }
    Some((name, value))
}

/// Removes a trailing escape character (and blanks after it). Returns the text and whether
/// the instruction ends on this line.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(rest) => (rest, false),
        None => (line, true),
    }
}

/// Builds an instruction from its joined line: keyword, flags, arguments, exec form.
pub(crate) fn instruction_from_line(line: &str, start_line: u32, end_line: u32) -> Instruction {
    let trimmed = line.trim();
    let (word, rest) = trimmed
        .split_once(char::is_whitespace)
        .unwrap_or((trimmed, ""));
    let keyword = Keyword::from_word(word);
    let (flags, rest) = extract_flags(rest);
    let args = rest.trim().to_owned();
    let json_capable = matches!(
        keyword,
        Keyword::Run
            | Keyword::Cmd
            | Keyword::Entrypoint
            | Keyword::Shell
            | Keyword::Copy
            | Keyword::Add
            | Keyword::Volume
    );
    let exec_form = if json_capable && args.starts_with('[') {
        serde_json::from_str::<Vec<String>>(&args).ok()
    } else {
        None
    };
    Instruction {
        keyword,
        flags,
        args,
        exec_form,
        heredocs: Vec::new(),
        start_line,
        end_line,
    }
}

/// Groups instructions into stages.
fn assemble(
    instructions: Vec<Instruction>,
    directives: Vec<Directive>,
    escape: char,
) -> Result<Dockerfile, ParseError> {
    if instructions.is_empty() {
        return Err(ParseError {
            line: 0,
            message: "the Dockerfile has no instructions".to_owned(),
        });
    }
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions {
        if instruction.keyword == Keyword::From {
            let stage = stage_from(instruction, stages.len(), &stages, &global_args, escape)?;
            stages.push(stage);
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push(instruction);
        } else if instruction.keyword == Keyword::Arg {
            global_args.push(instruction);
        } else {
            return Err(ParseError {
                line: instruction.start_line,
                message: format!(
                    "{} before the first FROM: only ARG may come first",
                    instruction.keyword
                ),
            });
        }
    }
    if stages.is_empty() {
        return Err(ParseError {
            line: 0,
            message: "the Dockerfile has no FROM instruction".to_owned(),
        });
    }
    Ok(Dockerfile {
        directives,
        escape,
        global_args,
        stages,
    })
}

fn stage_from(
    from: Instruction,
    index: usize,
    earlier: &[Stage],
    global_args: &[Instruction],
    escape: char,
) -> Result<Stage, ParseError> {
    let words: Vec<&str> = from.args.split_whitespace().collect();
    let Some(&base) = words.first() else {
        return Err(ParseError {
            line: from.start_line,
            message: "FROM without an image".to_owned(),
        });
    };
    let name = match words.as_slice() {
        [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("as") => {
            Some(name.to_ascii_lowercase())
        }
        _ => None,
    };
    // `FROM ${BASE}` may name a stage through a global ARG default.
    let resolved = expand_global(base, global_args, escape).to_ascii_lowercase();
    let parent = earlier
        .iter()
        .rposition(|s| s.name.as_deref() == Some(resolved.as_str()));
    Ok(Stage {
        index,
        name,
        base: base.to_owned(),
        parent,
        from,
        instructions: Vec::new(),
    })
}

/// Expands `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}` and
/// `${NAME+word}` with the defaults of the global ARGs; unknown names expand to nothing, as
/// in BuildKit when no build argument is given.
fn expand_global(text: &str, global_args: &[Instruction], escape: char) -> String {
    if !text.contains('$') {
        return unquote(text, escape);
    }
    let lookup = |name: &str| -> Option<String> {
        global_args
            .iter()
            .flat_map(|a| a.assignments(escape))
            .rfind(|kv| kv.key == name)
            .and_then(|kv| kv.value)
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let after = rest.get(pos + 1..).unwrap_or_default();
        if let Some(braced) = after.strip_prefix('{') {
            let Some(close) = braced.find('}') else {
                out.push_str(rest.get(pos..).unwrap_or_default());
                rest = "";
                break;
            };
            let inner = braced.get(..close).unwrap_or_default();
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, modifier) = inner.split_at(name_len);
            let value = lookup(name);
            let set = value.as_deref().is_some_and(|v| !v.is_empty());
            let expanded = if let Some(word) = modifier.strip_prefix(":-") {
                if set { value } else { Some(word.to_owned()) }
            } else if let Some(word) = modifier.strip_prefix('-') {
                if value.is_some() {
                    value
                } else {
                    Some(word.to_owned())
                }
            } else if let Some(word) = modifier.strip_prefix(":+") {
                set.then(|| word.to_owned())
            } else if let Some(word) = modifier.strip_prefix('+') {
                value.is_some().then(|| word.to_owned())
            } else {
                value
            };
            out.push_str(&expanded.unwrap_or_default());
            rest = braced.get(close + 1..).unwrap_or_default();
        } else {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if name_len == 0 {
                out.push('$');
            } else {
                out.push_str(
                    &lookup(after.get(..name_len).unwrap_or_default()).unwrap_or_default(),
                );
            }
            rest = after.get(name_len..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    unquote(&out, escape)
}
