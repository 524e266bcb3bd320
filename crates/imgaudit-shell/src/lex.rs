//! Words and operators of sh/bash/zsh text.
//!
//! The lexer does the quoting (so that the parser sees `A="x y"` as one word with its value
//! already unquoted), skips comments, line continuations and here-document bodies, and keeps
//! what it cannot evaluate (`$(…)`, `` `…` ``, `$((…))`) as opaque text. It never fails: what
//! is left open at the end of the text is closed there and reported.

use crate::ProblemKind;

/// How deeply `${A:-${B:-…}}` and quotes inside substitutions are followed. Deeper text is
/// kept opaque: it is never meaningful in a start-up file, and unbounded recursion on hostile
/// input would overflow the stack.
const MAX_DEPTH: u32 = 16;

/// A piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text after quote removal. `quoted` is false only for plain unquoted characters: a
    /// backslash-escaped character counts as quoted, like in the shell.
    Lit { text: String, quoted: bool },
    /// `$A`, `${A}`, `${A:-word}`; `$1`, `$-` and other special parameters too.
    Param {
        name: String,
        op: Option<Box<ParamOp>>,
        raw: String,
    },
    /// Text the shell would have to run or compute: `$(…)`, `` `…` ``, `$((…))`, `${#A}`,
    /// `${A%x}`, `(…)` array values, `<(…)`.
    Opaque { raw: String },
}

/// The operator of `${A:-word}` and its siblings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamOp {
    pub(crate) kind: OpKind,
    /// `:-` rather than `-`: an empty value counts as unset.
    pub(crate) colon: bool,
    pub(crate) word: Vec<Part>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// `-`: use `word` when unset.
    Default,
    /// `=`: use `word` when unset, and assign it.
    Assign,
    /// `+`: use `word` when set.
    Alternative,
    /// `?`: fail when unset.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) parts: Vec<Part>,
    /// The source text of the word, quotes included.
    pub(crate) raw: String,
    pub(crate) line: u32,
    pub(crate) end_line: u32,
    /// The `2` of `2>/dev/null`: part of a redirection, not an argument.
    pub(crate) io_number: bool,
}

impl Word {
    /// The text when the word is nothing but literal characters (quoted or not).
    pub(crate) fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit { text, .. } => out.push_str(text),
                _ => return None,
            }
        }
        Some(out)
    }

    /// The text when the word is entirely unquoted literal characters: only such words can
    /// be reserved words (`if`, `fi`, `{`…).
    pub(crate) fn bare(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [
                Part::Lit {
                    text,
                    quoted: false,
                },
            ] => Some(text.as_str()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Newline,
    /// `;`
    Semi,
    /// `&`
    Amp,
    /// `&&`
    AndIf,
    /// `||`
    OrIf,
    /// `|`, `|&`
    Pipe,
    /// `;;`, `;&`, `;;&`
    CaseEnd,
    LParen,
    RParen,
    /// `<`, `>`, `>>`, `<&`, `>&`, `<>`, `>|`, `&>`, `&>>`, `<<<`: the next word is their target.
    Redirect,
    /// `<<`, `<<-`: the next word is the delimiter; the lexer skips the body.
    HereDoc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Word(Word),
    Op(Op, u32),
}

#[derive(Debug)]
pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    pub(crate) problems: Vec<(u32, ProblemKind, String)>,
}

/// Splits `chars` into tokens.
pub(crate) fn lex(chars: &[char]) -> Lexed {
    let mut line_starts = vec![0];
    line_starts.extend(
        chars
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == '\n')
            .map(|(i, _)| i + 1),
    );
    let mut lexer = Lexer {
        scan: Scan::new(chars, 0),
        line_starts,
        tokens: Vec::new(),
        problems: Vec::new(),
        heredocs: Vec::new(),
        expect_delimiter: None,
    };
    lexer.run();
    for (pos, what) in std::mem::take(&mut lexer.scan.open) {
        let line = lexer.line_of(pos);
        lexer.problems.push((
            line,
            ProblemKind::Unterminated,
            format!("{what} still open at the end of the file"),
        ));
    }
    lexer.problems.sort_by_key(|p| p.0);
    Lexed {
        tokens: lexer.tokens,
        problems: lexer.problems,
    }
}

struct Lexer<'a> {
    scan: Scan<'a>,
    /// Index of the first character of each line.
    line_starts: Vec<usize>,
    tokens: Vec<Token>,
    problems: Vec<(u32, ProblemKind, String)>,
    /// Here-documents whose bodies start after the next newline: delimiter, and whether
    /// leading tabs are stripped (`<<-`).
    heredocs: Vec<(Vec<char>, bool)>,
    /// Set after `<<`/`<<-`: the next word is a delimiter.
    expect_delimiter: Option<bool>,
}

impl Lexer<'_> {
    fn line_of(&self, pos: usize) -> u32 {
        let index = self.line_starts.partition_point(|&s| s <= pos);
        u32::try_from(index).unwrap_or(u32::MAX).max(1)
    }

    fn op(&mut self, op: Op, len: usize) {
        let line = self.line_of(self.scan.pos);
        self.scan.pos += len;
        self.tokens.push(Token::Op(op, line));
    }

    fn run(&mut self) {
        loop {
            // Blanks and line continuations between tokens.
            loop {
                match (self.scan.peek(0), self.scan.peek(1)) {
                    (Some(' ' | '\t'), _) => self.scan.pos += 1,
                    (Some('\\'), Some('\n')) => self.scan.pos += 2,
                    _ => break,
                }
            }
            let Some(c) = self.scan.peek(0) else { break };
            let next = self.scan.peek(1);
            let third = self.scan.peek(2);
            match c {
                '\n' => {
                    self.op(Op::Newline, 1);
                    self.expect_delimiter = None;
                    self.heredoc_bodies();
                }
                '#' => {
                    while self.scan.peek(0).is_some_and(|c| c != '\n') {
                        self.scan.pos += 1;
                    }
                }
                '&' => match next {
                    Some('&') => self.op(Op::AndIf, 2),
                    Some('>') if third == Some('>') => self.op(Op::Redirect, 3),
                    Some('>') => self.op(Op::Redirect, 2),
                    _ => self.op(Op::Amp, 1),
                },
                '|' => match next {
                    Some('|') => self.op(Op::OrIf, 2),
                    Some('&') => self.op(Op::Pipe, 2),
                    _ => self.op(Op::Pipe, 1),
                },
                ';' => match (next, third) {
                    (Some(';'), Some('&')) => self.op(Op::CaseEnd, 3),
                    (Some(';' | '&'), _) => self.op(Op::CaseEnd, 2),
                    _ => self.op(Op::Semi, 1),
                },
                '(' if next == Some('(') => {
                    // `(( arithmetic ))` as a command: one opaque word.
                    let start = self.scan.pos;
                    self.scan.pos += 1;
                    self.scan.skip_parens(start);
                    self.push_opaque_word(start);
                }
                '(' => self.op(Op::LParen, 1),
                ')' => self.op(Op::RParen, 1),
                '<' | '>' if next == Some('(') => self.word(),
                '<' => match (next, third) {
                    (Some('<'), Some('<')) => self.op(Op::Redirect, 3),
                    (Some('<'), Some('-')) => {
                        self.op(Op::HereDoc, 3);
                        self.expect_delimiter = Some(true);
                    }
                    (Some('<'), _) => {
                        self.op(Op::HereDoc, 2);
                        self.expect_delimiter = Some(false);
                    }
                    (Some('&' | '>'), _) => self.op(Op::Redirect, 2),
                    _ => self.op(Op::Redirect, 1),
                },
                '>' => match next {
                    Some('>' | '&' | '|') => self.op(Op::Redirect, 2),
                    _ => self.op(Op::Redirect, 1),
                },
                _ => self.word(),
            }
        }
    }

    fn push_opaque_word(&mut self, start: usize) {
        let raw: String = self.scan.s[start..self.scan.pos].iter().collect();
        self.tokens.push(Token::Word(Word {
            parts: vec![Part::Opaque { raw: raw.clone() }],
            raw,
            line: self.line_of(start),
            end_line: self.line_of(self.scan.pos.saturating_sub(1).max(start)),
            io_number: false,
        }));
    }

    fn word(&mut self) {
        let start = self.scan.pos;
        let parts = self.scan.word();
        if self.scan.pos == start {
            // Cannot happen for the characters that lead here; never loop on it regardless.
            self.scan.pos += 1;
            return;
        }
        let raw: String = self.scan.s[start..self.scan.pos].iter().collect();
        let io_number = matches!(self.scan.peek(0), Some('<' | '>'))
            && (raw.bytes().all(|b| b.is_ascii_digit())
                || (raw.starts_with('{') && raw.ends_with('}')));
        if let Some(strip) = self.expect_delimiter.take() {
            // The delimiter is the word after quote removal.
            let mut delimiter = Vec::new();
            for part in &parts {
                match part {
                    Part::Lit { text, .. } => delimiter.extend(text.chars()),
                    Part::Param { raw, .. } | Part::Opaque { raw } => delimiter.extend(raw.chars()),
                }
            }
            self.heredocs.push((delimiter, strip));
        }
        self.tokens.push(Token::Word(Word {
            parts,
            raw,
            line: self.line_of(start),
            end_line: self.line_of(self.scan.pos - 1),
            io_number,
        }));
    }

    /// Skips the bodies of the here-documents opened on the line just ended.
    fn heredoc_bodies(&mut self) {
        for (delimiter, strip) in std::mem::take(&mut self.heredocs) {
            let opened = self.line_of(self.scan.pos);
            loop {
                let s = self.scan.s;
                let pos = self.scan.pos;
                if pos >= s.len() {
                    self.problems.push((
                        opened.saturating_sub(1).max(1),
                        ProblemKind::Unterminated,
                        format!(
                            "here-document without its `{}` line",
                            delimiter.iter().collect::<String>()
                        ),
                    ));
                    break;
                }
                let end = s[pos..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(s.len(), |i| pos + i);
                let mut line = &s[pos..end];
                if strip {
                    while let [first, rest @ ..] = line {
                        if *first != '\t' {
                            break;
                        }
                        line = rest;
                    }
                }
                self.scan.pos = (end + 1).min(s.len());
                if line == delimiter.as_slice() {
                    break;
                }
            }
        }
    }
}

/// Collects the parts of one word, merging neighbouring literal characters.
#[derive(Default)]
struct Builder {
    parts: Vec<Part>,
    lit: String,
    lit_quoted: bool,
}

impl Builder {
    fn ch(&mut self, c: char, quoted: bool) {
        if !self.lit.is_empty() && self.lit_quoted != quoted {
            self.flush();
        }
        self.lit_quoted = quoted;
        self.lit.push(c);
    }

    fn text(&mut self, text: &str, quoted: bool) {
        for c in text.chars() {
            self.ch(c, quoted);
        }
    }

    fn part(&mut self, part: Part) {
        self.flush();
        self.parts.push(part);
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            self.parts.push(Part::Lit {
                text: std::mem::take(&mut self.lit),
                quoted: self.lit_quoted,
            });
        }
    }

    fn finish(mut self) -> Vec<Part> {
        self.flush();
        self.parts
    }

    fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.lit.is_empty()
    }

    /// Whether all there is so far is an unquoted `NAME=` or `NAME+=`: then `(` opens an
    /// array value rather than ending the word.
    fn is_assignment_prefix(&self) -> bool {
        if !self.parts.is_empty() || self.lit_quoted {
            return false;
        }
        let Some(name) = self.lit.strip_suffix('=') else {
            return false;
        };
        crate::shell::is_name(name.strip_suffix('+').unwrap_or(name))
    }

    /// Whether the last character is an unquoted extglob prefix (`@(`, `!(`, `+(`, `*(`, `?(`).
    fn ends_with_extglob_prefix(&self) -> bool {
        !self.lit_quoted && self.lit.ends_with(['@', '!', '+', '*', '?'])
    }
}

/// A cursor over characters: the whole text, or the inside of a `${…}`.
struct Scan<'a> {
    s: &'a [char],
    pos: usize,
    depth: u32,
    /// Constructs left open at the end of the text: where they started, and what they are.
    open: Vec<(usize, &'static str)>,
}

impl<'a> Scan<'a> {
    fn new(s: &'a [char], depth: u32) -> Self {
        Scan {
            s,
            pos: 0,
            depth,
            open: Vec::new(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.s.get(self.pos + ahead).copied()
    }

    fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.s.len());
    }

    fn raw_from(&self, start: usize) -> String {
        self.s[start.min(self.pos)..self.pos].iter().collect()
    }

    fn mark_open(&mut self, start: usize, what: &'static str) {
        if self.open.len() < 8 {
            self.open.push((start, what));
        }
    }

    /// One unquoted word at the top level, up to a blank or an operator.
    fn word(&mut self) -> Vec<Part> {
        let mut b = Builder::default();
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | ')' => break,
                '<' | '>' => {
                    if self.peek(1) == Some('(') && b.is_empty() {
                        // Process substitution.
                        let start = self.pos;
                        self.advance(2);
                        self.skip_parens(start);
                        b.part(Part::Opaque {
                            raw: self.raw_from(start),
                        });
                    } else {
                        break;
                    }
                }
                '(' => {
                    let array = b.is_assignment_prefix();
                    if !array && !b.ends_with_extglob_prefix() {
                        break;
                    }
                    let start = self.pos;
                    self.advance(1);
                    self.skip_parens(start);
                    let raw = self.raw_from(start);
                    if array {
                        b.part(Part::Opaque { raw });
                    } else {
                        b.text(&raw, false);
                    }
                }
                _ => self.word_char(c, &mut b, false),
            }
        }
        b.finish()
    }

    /// All of the text as one word (the `word` of `${A:-word}`): blanks do not split it.
    fn whole_word(&mut self, in_dq: bool) -> Vec<Part> {
        let mut b = Builder::default();
        while let Some(c) = self.peek(0) {
            self.word_char(c, &mut b, in_dq);
        }
        b.finish()
    }

    /// One character (or quoted run) of a word. Always advances.
    fn word_char(&mut self, c: char, b: &mut Builder, in_dq: bool) {
        match c {
            '\\' if in_dq => match self.peek(1) {
                Some('\n') => self.advance(2),
                Some(n @ ('$' | '`' | '"' | '\\' | '}')) => {
                    b.ch(n, true);
                    self.advance(2);
                }
                _ => {
                    b.ch('\\', true);
                    self.advance(1);
                }
            },
            '\\' => match self.peek(1) {
                Some('\n') => self.advance(2),
                Some(n) => {
                    b.ch(n, true);
                    self.advance(2);
                }
                None => {
                    b.ch('\\', false);
                    self.advance(1);
                }
            },
            '\'' if !in_dq => {
                self.advance(1);
                let text = self.single_quoted();
                b.text(&text, true);
            }
            '"' => {
                self.advance(1);
                self.double_quoted(b);
            }
            '$' => self.dollar(in_dq, b),
            '`' => {
                let start = self.pos;
                self.skip_backticks();
                b.part(Part::Opaque {
                    raw: self.raw_from(start),
                });
            }
            _ => {
                b.ch(c, in_dq);
                self.advance(1);
            }
        }
    }

    /// After an opening `'`.
    fn single_quoted(&mut self) -> String {
        let start = self.pos.saturating_sub(1);
        let mut out = String::new();
        while let Some(c) = self.peek(0) {
            self.advance(1);
            if c == '\'' {
                return out;
            }
            out.push(c);
        }
        self.mark_open(start, "a single quote");
        out
    }

    /// After an opening `"`.
    fn double_quoted(&mut self, b: &mut Builder) {
        let start = self.pos.saturating_sub(1);
        loop {
            let Some(c) = self.peek(0) else {
                self.mark_open(start, "a double quote");
                return;
            };
            match c {
                '"' => {
                    self.advance(1);
                    // `""` still makes a (possibly empty) quoted word.
                    return;
                }
                '\\' => match self.peek(1) {
                    Some('\n') => self.advance(2),
                    Some(n @ ('$' | '`' | '"' | '\\')) => {
                        b.ch(n, true);
                        self.advance(2);
                    }
                    _ => {
                        b.ch('\\', true);
                        self.advance(1);
                    }
                },
                '$' if self.peek(1) == Some('"') => {
                    b.ch('$', true);
                    self.advance(1);
                }
                '$' => self.dollar(true, b),
                '`' => {
                    let begin = self.pos;
                    self.skip_backticks();
                    b.part(Part::Opaque {
                        raw: self.raw_from(begin),
                    });
                }
                _ => {
                    b.ch(c, true);
                    self.advance(1);
                }
            }
        }
    }

    /// At a `$`.
    fn dollar(&mut self, in_dq: bool, b: &mut Builder) {
        let start = self.pos;
        match self.peek(1) {
            Some('\'') if !in_dq => {
                self.advance(2);
                let text = self.ansi_c(start);
                b.text(&text, true);
            }
            Some('"') if !in_dq => {
                // `$"…"`: a translatable string, read as a plain double-quoted one.
                self.advance(2);
                self.double_quoted(b);
            }
            Some('(') => {
                self.advance(2);
                self.skip_parens(start);
                b.part(Part::Opaque {
                    raw: self.raw_from(start),
                });
            }
            Some('{') => {
                self.advance(2);
                let part = self.braced(start, in_dq);
                b.part(part);
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                self.advance(1);
                let name_start = self.pos;
                while self
                    .peek(0)
                    .is_some_and(|c| c == '_' || c.is_ascii_alphanumeric())
                {
                    self.advance(1);
                }
                let name = self.raw_from(name_start);
                b.part(Part::Param {
                    name,
                    op: None,
                    raw: self.raw_from(start),
                });
            }
            Some(c) if c.is_ascii_digit() || "@*#?-$!".contains(c) => {
                self.advance(2);
                b.part(Part::Param {
                    name: c.to_string(),
                    op: None,
                    raw: self.raw_from(start),
                });
            }
            _ => {
                b.ch('$', in_dq);
                self.advance(1);
            }
        }
    }

    /// After `$'`: bash's ANSI-C quoting.
    fn ansi_c(&mut self, start: usize) -> String {
        let mut out = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                self.mark_open(start, "a $'…' string");
                return out;
            };
            self.advance(1);
            match c {
                '\'' => return out,
                '\\' => {
                    let Some(e) = self.peek(0) else {
                        out.push('\\');
                        continue;
                    };
                    self.advance(1);
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'a' => out.push('\u{7}'),
                        'b' => out.push('\u{8}'),
                        'e' | 'E' => out.push('\u{1b}'),
                        'f' => out.push('\u{c}'),
                        'v' => out.push('\u{b}'),
                        '\\' | '\'' | '"' | '?' => out.push(e),
                        '0'..='7' => {
                            let mut value = e.to_digit(8).unwrap_or(0);
                            for _ in 0..2 {
                                match self.peek(0).and_then(|d| d.to_digit(8)) {
                                    Some(d) => {
                                        value = value * 8 + d;
                                        self.advance(1);
                                    }
                                    None => break,
                                }
                            }
                            out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
                        }
                        'x' | 'u' | 'U' => {
                            let max = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let mut value = 0u32;
                            let mut digits = 0;
                            while digits < max {
                                match self.peek(0).and_then(|d| d.to_digit(16)) {
                                    Some(d) => {
                                        value = value * 16 + d;
                                        digits += 1;
                                        self.advance(1);
                                    }
                                    None => break,
                                }
                            }
                            if digits == 0 {
                                out.push('\\');
                                out.push(e);
                            } else {
                                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
                            }
                        }
                        'c' => match self.peek(0) {
                            Some(x) => {
                                self.advance(1);
                                out.push(char::from_u32(u32::from(x) & 0x1f).unwrap_or('\u{fffd}'));
                            }
                            None => out.push_str("\\c"),
                        },
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                _ => out.push(c),
            }
        }
    }

    /// After `${`: the parameter and, for the operators the parser evaluates, its word.
    fn braced(&mut self, start: usize, in_dq: bool) -> Part {
        let inner_start = self.pos;
        let mut inner_end = None;
        let mut depth = 1u32;
        while let Some(c) = self.peek(0) {
            match c {
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        inner_end = Some(self.pos);
                        self.advance(1);
                        break;
                    }
                    self.advance(1);
                }
                '\\' => self.advance(2),
                '\'' if !in_dq => {
                    self.advance(1);
                    self.skip_to('\'');
                }
                '"' => {
                    self.advance(1);
                    self.skip_double_quoted();
                }
                '$' if self.peek(1) == Some('{') => {
                    depth += 1;
                    self.advance(2);
                }
                '$' if self.peek(1) == Some('(') => {
                    let begin = self.pos;
                    self.advance(2);
                    self.skip_parens(begin);
                }
                '`' => self.skip_backticks(),
                _ => self.advance(1),
            }
        }
        let raw = self.raw_from(start);
        let Some(inner_end) = inner_end else {
            self.mark_open(start, "a ${…} expansion");
            return Part::Opaque { raw };
        };
        self.param(&self.s[inner_start..inner_end], raw, in_dq)
    }

    /// The inside of `${…}`.
    fn param(&self, inner: &[char], raw: String, in_dq: bool) -> Part {
        let opaque = |raw: String| Part::Opaque { raw };
        let Some(&first) = inner.first() else {
            return opaque(raw);
        };
        let name_len = if first == '_' || first.is_ascii_alphabetic() {
            inner
                .iter()
                .take_while(|c| **c == '_' || c.is_ascii_alphanumeric())
                .count()
        } else if first.is_ascii_digit() {
            inner.iter().take_while(|c| c.is_ascii_digit()).count()
        } else if (first == '#' || first == '!') && inner.len() > 1 {
            // `${#A}` (length), `${!A}` (indirection): computed.
            return opaque(raw);
        } else if "@*#?-$!".contains(first) {
            1
        } else {
            return opaque(raw);
        };
        let name: String = inner[..name_len].iter().collect();
        let rest = &inner[name_len..];
        if rest.is_empty() {
            return Part::Param {
                name,
                op: None,
                raw,
            };
        }
        let (colon, rest) = match rest {
            [':', rest @ ..] => (true, rest),
            _ => (false, rest),
        };
        let kind = match rest.first() {
            Some('-') => OpKind::Default,
            Some('=') => OpKind::Assign,
            Some('+') => OpKind::Alternative,
            Some('?') => OpKind::Error,
            // `${A#x}`, `${A/x/y}`, `${A:1:2}`, `${A^^}`…: the parser does not compute these.
            _ => return opaque(raw),
        };
        if self.depth >= MAX_DEPTH {
            return opaque(raw);
        }
        let mut sub = Scan::new(&rest[1..], self.depth + 1);
        let word = sub.whole_word(in_dq);
        Part::Param {
            name,
            op: Some(Box::new(ParamOp { kind, colon, word })),
            raw,
        }
    }

    /// Moves past the next unescaped `c`, or to the end.
    fn skip_to(&mut self, c: char) {
        while let Some(x) = self.peek(0) {
            self.advance(1);
            if x == c {
                return;
            }
        }
    }

    /// At a backquote: moves past the closing one.
    fn skip_backticks(&mut self) {
        let start = self.pos;
        self.advance(1);
        while let Some(c) = self.peek(0) {
            self.advance(1);
            match c {
                '\\' => self.advance(1),
                '`' => return,
                _ => {}
            }
        }
        self.mark_open(start, "a backquote");
    }

    /// After an opening `"`, when only the extent matters.
    fn skip_double_quoted(&mut self) {
        let start = self.pos.saturating_sub(1);
        self.depth += 1;
        while let Some(c) = self.peek(0) {
            match c {
                '"' => {
                    self.advance(1);
                    self.depth -= 1;
                    return;
                }
                '\\' => self.advance(2),
                '$' if self.peek(1) == Some('(') && self.depth < MAX_DEPTH => {
                    let begin = self.pos;
                    self.advance(2);
                    self.skip_parens(begin);
                }
                '`' => self.skip_backticks(),
                _ => self.advance(1),
            }
        }
        self.depth -= 1;
        self.mark_open(start, "a double quote");
    }

    /// After an opening `(` (of `$(`, `((`, `<(`, `A=(`): moves past the matching `)`.
    fn skip_parens(&mut self, start: usize) {
        self.depth += 1;
        let mut depth = 1u32;
        while let Some(c) = self.peek(0) {
            self.advance(1);
            match c {
                '\\' => self.advance(1),
                '\'' => self.skip_to('\''),
                '"' if self.depth < MAX_DEPTH => self.skip_double_quoted(),
                '"' => self.skip_to('"'),
                '`' => {
                    self.pos -= 1;
                    self.skip_backticks();
                }
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.depth -= 1;
                        return;
                    }
                }
                _ => {}
            }
        }
        self.depth -= 1;
        self.mark_open(start, "a parenthesis");
    }
}
