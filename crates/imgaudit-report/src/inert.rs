//! What reaches a terminal or a CI log from an image is made inert: control characters cannot
//! move the cursor, retitle the window or open a GitLab log section, bidirectional overrides
//! cannot reorder what a reader sees, and no line can be taken for a CI runner's command
//! (GitHub's `::warning::…`, the older `##[…]`).

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character but line feed and tab shown as an escape (`\x1b`),
/// bidirectional controls too (`\u{202e}`), and a backslash before any line that starts like a
/// workflow command. With `keep_colour`, the colour sequences the text report writes
/// (`ESC [ digits and semicolons m`) pass unchanged: they move nothing.
pub fn for_terminal(text: &str, keep_colour: bool) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) && !text.lines().any(looks_like_a_command) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    let mut line_start = true;
    while let Some(c) = rest.chars().next() {
        if line_start && looks_like_a_command(rest) {
            out.push('\\');
        }
        if keep_colour && let Some(len) = colour_sequence(rest) {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            line_start = false;
            continue;
        }
        if needs_escape(c) {
            let _ = if u32::from(c) < 0x100 {
                write!(out, "\\x{:02x}", u32::from(c))
            } else {
                write!(out, "\\u{{{:x}}}", u32::from(c))
            };
        } else {
            out.push(c);
        }
        line_start = c == '\n';
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// `json` (serde_json's output) with the characters it leaves raw inside strings and a terminal
/// would act on (DEL, C1 controls, bidirectional controls) written as JSON escapes (`\u009b`):
/// still the same JSON. serde_json already escapes the C0 controls, and no line of its output
/// starts like a workflow command.
pub fn for_terminal_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(needs_escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// GitHub Actions reads `::command::` at the start of a line (after white space), and the
/// older `##[command]` form.
fn looks_like_a_command(line: &str) -> bool {
    let line = line.trim_start_matches([' ', '\t']);
    line.starts_with("::") || line.starts_with("##[")
}

/// The length of an SGR colour sequence at the start of `text`, if one is there.
fn colour_sequence(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\u{1b}[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "PIP001 user-install-forced\n  /etc/pip.conf:2\tlayer 1\n";
        assert!(matches!(for_terminal(text, false), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn control_characters_and_bidi_overrides_are_shown_escaped() {
        assert_eq!(
            for_terminal("a\u{1b}]0;pwned\u{7}b\rc\u{0}d", false),
            "a\\x1b]0;pwned\\x07b\\x0dc\\x00d"
        );
        assert_eq!(
            for_terminal("x\u{202e}y\u{9b}z", false),
            "x\\u{202e}y\\x9bz"
        );
        // GitLab's collapsible sections need an escape and a carriage return.
        assert_eq!(
            for_terminal("section_start:1:x\r\u{1b}[0K", true),
            "section_start:1:x\\x0d\\x1b[0K"
        );
    }

    #[test]
    fn colour_passes_only_when_asked_and_only_colour() {
        let red = "\u{1b}[1;31mhigh\u{1b}[0m";
        assert_eq!(for_terminal(red, true), red);
        assert_eq!(for_terminal(red, false), "\\x1b[1;31mhigh\\x1b[0m");
        assert_eq!(for_terminal("\u{1b}[2J", true), "\\x1b[2J");
    }

    #[test]
    fn json_keeps_its_meaning_and_validity() {
        let value = serde_json::json!({"a": "x\u{7f}\u{9b}\u{202e}y\u{1b}z"});
        let text = serde_json::to_string(&value).unwrap();
        let inert = for_terminal_json(&text);
        assert!(!inert.chars().any(needs_escape), "{inert}");
        let back: serde_json::Value = serde_json::from_str(&inert).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn no_line_starts_like_a_workflow_command() {
        assert_eq!(
            for_terminal("created by: x\n::set-env name=A::1\n  ##[error]no\n", false),
            "created by: x\n\\::set-env name=A::1\n\\  ##[error]no\n"
        );
        assert_eq!(for_terminal("::warning::x", false), "\\::warning::x");
    }
}
