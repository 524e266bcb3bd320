//! Word splitting and quote removal, the small subset of BuildKit's shell lexer that reading
//! Dockerfiles needs.

use crate::{KeyValue, Keyword};

/// Collapses every run of whitespace into one space and trims: builders join continuation
/// lines and heredocs differently, and only the words matter for comparing commands.
pub(crate) fn normalize_ws(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Splits on unquoted whitespace, keeping quotes and escapes in the words (BuildKit's
/// `parseWords`, used for `ENV`, `LABEL` and `ARG`).
pub(crate) fn split_words(text: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        match quote {
            None => {
                if ch.is_whitespace() {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                    word.push(ch);
                } else if ch == escape {
                    // An escaped character, quote or not, stays part of the word as is.
                    if let Some(next) = chars.next() {
                        word.push(ch);
                        word.push(next);
                    }
                } else {
                    word.push(ch);
                }
            }
            Some(q) => {
                word.push(ch);
                if ch == q {
                    quote = None;
                } else if ch == escape && q != '\'' {
                    if let Some(next) = chars.next() {
                        word.push(next);
                    }
                }
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Removes quotes and escapes from one word the way the shell lexer does, without expanding
/// variables.
pub(crate) fn unquote(word: &str, escape: char) -> String {
    let mut out = String::with_capacity(word.len());
    let mut quote: Option<char> = None;
    let mut chars = word.chars().peekable();
    while let Some(ch) = chars.next() {
        match quote {
            None => {
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                } else if ch == escape {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else {
                    out.push(ch);
                }
            }
            Some('\'') => {
                if ch == '\'' {
                    quote = None;
                } else {
                    out.push(ch);
                }
            }
            Some(q) => {
                if ch == q {
                    quote = None;
                } else if ch == escape {
                    // Inside double quotes only `"`, `$` and the escape character itself
                    // are escaped; elsewhere the escape character stays.
                    match chars.peek() {
                        Some(&next) if next == '"' || next == '$' || next == escape => {
                            out.push(next);
                            chars.next();
                        }
                        _ => out.push(ch),
                    }
                } else {
                    out.push(ch);
                }
            }
        }
    }
    out
}

/// The pairs of `ENV`, `LABEL` and `ARG` arguments.
pub(crate) fn assignments(keyword: &Keyword, args: &str, escape: char) -> Vec<KeyValue> {
    let args = args.trim();
    let words = split_words(args, escape);
    match keyword {
        Keyword::Env | Keyword::Label => {
            let Some(first) = words.first() else {
                return Vec::new();
            };
            if !first.contains('=') {
                // Legacy `ENV NAME value with spaces`: one pair, the rest of the line is the
                // value. Without a value BuildKit refuses the line, so it sets nothing.
                let mut parts = args.splitn(2, char::is_whitespace);
                let name = parts.next().unwrap_or_default();
                let value = parts.next().unwrap_or_default().trim();
                if name.is_empty() || value.is_empty() {
                    return Vec::new();
                }
                return vec![KeyValue {
                    key: unquote(name, escape),
                    value: Some(unquote(value, escape)),
                }];
            }
            words
                .iter()
                .filter_map(|word| {
                    let (key, value) = word.split_once('=')?;
                    Some(KeyValue {
                        key: unquote(key, escape),
                        value: Some(unquote(value, escape)),
                    })
                })
                .collect()
        }
        Keyword::Arg => words
            .iter()
            .map(|word| match word.split_once('=') {
                Some((key, value)) => KeyValue {
                    key: unquote(key, escape),
                    value: Some(unquote(value, escape)),
                },
                None => KeyValue {
                    key: unquote(word, escape),
                    value: None,
                },
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Splits the leading `--flag` words off an instruction's arguments, as BuildKit's
/// `extractBuilderFlags` does: quotes are removed from flags, a lone `--` ends them.
/// Returns the flags and the rest of the text.
pub(crate) fn extract_flags(text: &str) -> (Vec<String>, &str) {
    let mut flags = Vec::new();
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        if !trimmed.starts_with("--") {
            return (flags, trimmed);
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        let mut end = trimmed.len();
        let mut chars = trimmed.char_indices();
        while let Some((i, ch)) = chars.next() {
            match quote {
                None if ch.is_whitespace() => {
                    end = i;
                    break;
                }
                None if ch == '\'' || ch == '"' => quote = Some(ch),
                Some(q) if ch == q => quote = None,
                _ if ch == '\\' => {
                    if let Some((_, next)) = chars.next() {
                        word.push(next);
                    }
                }
                _ => word.push(ch),
            }
        }
        let after = trimmed.get(end..).unwrap_or_default();
        if word == "--" {
            return (flags, after.trim_start());
        }
        flags.push(word);
        rest = after;
    }
}

/// A here-document named on an instruction line.
pub(crate) struct HeredocWord {
    pub(crate) name: String,
    pub(crate) chomp: bool,
    pub(crate) expand: bool,
}

/// The heredocs named on a line: words (split on unquoted whitespace, `\` escaping) of the
/// form `[digits]<<[-]NAME`, where NAME may be quoted, as BuildKit's `heredocsFromLine`.
pub(crate) fn heredoc_words(line: &str) -> Vec<HeredocWord> {
    split_words(line, '\\')
        .iter()
        .filter_map(|word| {
            let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
            let rest = rest.strip_prefix("<<")?;
            let (chomp, rest) = match rest.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, rest),
            };
            if rest.contains('<') {
                return None;
            }
            let name = unquote(rest, '\\');
            if name.is_empty() {
                return None;
            }
            Some(HeredocWord {
                expand: name == rest,
                name,
                chomp,
            })
        })
        .collect()
}

/// Cleans a path for comparison: repeated and trailing slashes, `.` and (for absolute paths)
/// `..` components go.
pub(crate) fn clean_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if absolute => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// A stable 64-bit hash for comparing texts in the alignment's inner loop.
pub(crate) fn hash_str(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // `DefaultHasher::new()` has fixed keys, so hashes are equal across calls.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// The words of a text with brackets, quotes and commas dropped: `CMD ["a", "b"]`, `CMD
/// ["a" "b"]` and `CMD [a b]` all become `a b`.
pub(crate) fn soup(text: &str) -> String {
    let stripped: String = text
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | '"' | '\'' | ',' | '{' | '}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    normalize_ws(&stripped)
}
