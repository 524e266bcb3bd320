//! Walks the tokens of a shell file like a shell would, without running anything: tracks the
//! compound commands it is inside, which variables are exported, what values they hold, and
//! records every assignment the shell itself makes.

use std::collections::HashMap;

use crate::lex::{self, Op, OpKind, Part, Token, Word};
use crate::{Assignment, Form, Problem, ProblemKind, ShellFile, Unset, UnsetKind, Value, evidence};

/// Reads the variable assignments of a POSIX sh, bash or zsh start-up file.
///
/// Never fails and never panics; see the crate docs for what is understood. Decisions worth
/// knowing when reading the result:
/// - Only assignments the shell itself keeps are recorded: prefix assignments (`A=1 cmd`),
///   assignments in `( … )` subshells, in pipelines (`… | while …`) and in background commands
///   are skipped, as are here-document bodies and comments.
/// - `export A` marks the assignments that may hold `A`'s value at that point (the last
///   unconditional one and any conditional ones after it) as exported, sets their
///   [`Assignment::export_line`], and makes them conditional or guarded if the `export` is.
///   Of a name the file never assigned, it records an [`Value::Unknown`] assignment (the
///   inherited value goes on to children); after an `unset A` it records nothing.
/// - `local` and `declare` inside a function (without `-g`) are recorded but do not change
///   what later lines see.
/// - Not followed: `.`/`source`, `eval`, aliases, command substitutions, function calls
///   (function bodies are read once, as conditional, where they are defined).
/// - Not modelled: a compound command piped into another (`while …; done | cat` still
///   records), the `(( … ))` vs `( ( … ) )` ambiguity, `case` or a here-document with
///   unbalanced parentheses inside `$( … )`, dash's
///   POSIX rule that prefix assignments before special builtins persist (`A=1 :`), and word
///   splitting of unquoted `export A=$B` in old dash.
/// - A carriage return is an ordinary character to the shell, so a CRLF file yields values
///   that end in `\r`, and `fi\r` is not `fi` (reported as unclosed).
pub fn parse_shell(text: &[u8]) -> ShellFile {
    let text = String::from_utf8_lossy(text);
    let chars: Vec<char> = text.chars().collect();
    let lexed = lex::lex(&chars);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut parser = Parser::new(&lines);
    parser.problems.extend(
        lexed
            .problems
            .into_iter()
            .map(|(line, kind, message)| Problem {
                line,
                kind,
                message,
            }),
    );
    parser.run(&lexed.tokens);
    let mut problems = parser.problems;
    problems.sort_by_key(|p| p.line);
    ShellFile {
        assignments: parser.assignments,
        unsets: parser.unsets,
        problems,
    }
}

/// Whether `s` is a valid shell variable name.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Deeper nesting than this is read as flat (and reported).
const MAX_FRAMES: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    If,
    Case,
    Loop,
    Brace,
    Subshell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `if`/`elif` … `then`.
    Condition,
    /// `case` before its word.
    Subject,
    /// `case WORD` before `in`.
    In,
    /// `case`: reading patterns up to `)`.
    Pattern,
    /// Commands.
    Body,
}

/// Where the current command sits in its and-or list and pipeline.
#[derive(Debug, Clone, Copy, Default)]
struct ListState {
    /// How many commands came before in this `a && b || c` list.
    position: usize,
    /// An earlier command of the list tests for an interactive shell (`[ -z "$PS1" ]`).
    interactive_test: bool,
    /// After a `|`: the command runs in a subshell.
    piped: bool,
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    phase: Phase,
    // The next three hold for this frame or one around it, so that a command asks the top
    // frame only: hostile nesting must not make every command walk the stack.
    /// The commands inside may not run.
    conditional: bool,
    /// What the commands inside assign dies with a subshell.
    subshell: bool,
    /// Inside a function body: `return` leaves the function, not the file.
    in_function: bool,
    /// The `if` condition or `case` word tests for an interactive shell.
    interactive_test: bool,
    /// A `return` or `exit` directly inside.
    returns: bool,
    /// The list state outside, restored at the end.
    outer: ListState,
    line: u32,
}

/// What the file tells about a variable's value at some point.
#[derive(Debug, Clone)]
enum Knowledge {
    Set {
        text: String,
        certain: bool,
    },
    Unset {
        certain: bool,
    },
    /// Inherited, or computed by something the parser does not run.
    Unknown,
}

#[derive(Debug, Clone)]
struct Var {
    value: Knowledge,
    /// Exported by this file, by which form, and whether surely.
    export: Option<(Form, bool)>,
    /// Assignments (indices) that may hold the current value: the last unconditional one and
    /// the conditional ones after it.
    holders: Vec<usize>,
}

impl Default for Var {
    fn default() -> Self {
        Var {
            value: Knowledge::Unknown,
            export: None,
            holders: Vec::new(),
        }
    }
}

/// The circumstances of one simple command.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    conditional: bool,
    guard: bool,
    in_function: bool,
    first_line: u32,
}

/// An `A=value` word taken apart.
struct AssignWord<'w> {
    name: String,
    append: bool,
    value: Vec<Part>,
    raw_value: &'w str,
    word: &'w Word,
}

/// The longest value an expansion may produce: the kernel refuses an environment string longer
/// than `MAX_ARG_STRLEN` (128 KiB), so no process could be handed a longer one. Without it,
/// `A=$A$A` forty times is a terabyte.
const MAX_VALUE: usize = 128 * 1024;
/// The expanded bytes one file may produce in all: a megabyte of `A=$A` lines would otherwise
/// keep gigabytes of values.
const MAX_EXPANDED: usize = 32 * 1024 * 1024;

struct Parser<'a, 't> {
    lines: &'a [&'a str],
    /// What expansions may still produce ([`MAX_EXPANDED`] at the start).
    expansion_budget: usize,
    frames: Vec<Frame>,
    list: ListState,
    words: Vec<&'t Word>,
    /// Inside `[[ … ]]`: operators there are not command separators.
    in_test: bool,
    /// The next compound command is a function body.
    pending_function: bool,
    /// An interactive guard has been passed.
    guard: bool,
    /// `set -a` is on: `Some(conditional)`.
    allexport: Option<bool>,
    vars: HashMap<String, Var>,
    seq: u32,
    assignments: Vec<Assignment>,
    unsets: Vec<Unset>,
    problems: Vec<Problem>,
}

impl<'a, 't> Parser<'a, 't> {
    fn new(lines: &'a [&'a str]) -> Self {
        Parser {
            lines,
            expansion_budget: MAX_EXPANDED,
            frames: Vec::new(),
            list: ListState::default(),
            words: Vec::new(),
            in_test: false,
            pending_function: false,
            guard: false,
            allexport: None,
            vars: HashMap::new(),
            seq: 0,
            assignments: Vec::new(),
            unsets: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, line: u32, kind: ProblemKind, message: impl Into<String>) {
        // A hostile file could have a problem on every line; a few tell the story.
        if self.problems.len() < 100 {
            self.problems.push(Problem {
                line,
                kind,
                message: message.into(),
            });
        }
    }

    fn run(&mut self, tokens: &'t [Token]) {
        let mut i = 0;
        while i < tokens.len() {
            i = match &tokens[i] {
                Token::Word(word) => self.word(tokens, i, word),
                Token::Op(op, line) => self.op(tokens, i, *op, *line),
            };
        }
        self.end_command(None);
        while let Some(frame) = self.frames.pop() {
            let what = match frame.kind {
                Kind::If => "`if` without `fi`",
                Kind::Case => "`case` without `esac`",
                Kind::Loop => "loop without `done`",
                Kind::Brace => "`{` without `}`",
                Kind::Subshell => "`(` without `)`",
            };
            self.problem(frame.line, ProblemKind::Unclosed, what);
        }
    }

    fn top_phase(&self, kind: Kind) -> Option<Phase> {
        self.frames
            .last()
            .filter(|f| f.kind == kind)
            .map(|f| f.phase)
    }

    fn set_top_phase(&mut self, phase: Phase) {
        if let Some(frame) = self.frames.last_mut() {
            frame.phase = phase;
        }
    }

    /// Handles a word token; returns the index of the next token to read.
    fn word(&mut self, tokens: &'t [Token], i: usize, word: &'t Word) -> usize {
        if word.io_number {
            return i + 1;
        }
        if self.in_test {
            self.words.push(word);
            if word.bare() == Some("]]") {
                self.in_test = false;
            }
            return i + 1;
        }
        match self.top_phase(Kind::Case) {
            Some(Phase::Subject) => {
                if mentions_interactive(word) {
                    if let Some(frame) = self.frames.last_mut() {
                        frame.interactive_test = true;
                    }
                }
                self.set_top_phase(Phase::In);
                return i + 1;
            }
            Some(Phase::In) => {
                // `in`, or zsh's `{`; anything else is a syntax error: read on as patterns.
                self.set_top_phase(Phase::Pattern);
                if matches!(word.bare(), Some("in" | "{")) {
                    return i + 1;
                }
                return self.word(tokens, i, word);
            }
            Some(Phase::Pattern) => {
                if word.bare() == Some("esac") {
                    self.close(Kind::Case, word.line);
                }
                return i + 1;
            }
            _ => {}
        }
        if self.words.is_empty() {
            if let Some(next) = self.reserved_word(tokens, i, word) {
                return next;
            }
            // `name() compound-command`.
            if let (Some(Token::Op(Op::LParen, _)), Some(Token::Op(Op::RParen, _))) =
                (tokens.get(i + 1), tokens.get(i + 2))
            {
                self.pending_function = true;
                return i + 3;
            }
        }
        self.words.push(word);
        i + 1
    }

    /// Handles a reserved word in command position; `None` when `word` is not one.
    fn reserved_word(&mut self, tokens: &'t [Token], i: usize, word: &'t Word) -> Option<usize> {
        let line = word.line;
        match word.bare()? {
            "if" => self.push(Kind::If, Phase::Condition, line),
            "then" => self.continue_if(Phase::Body, "then", line),
            "elif" => self.continue_if(Phase::Condition, "elif", line),
            "else" => self.continue_if(Phase::Body, "else", line),
            "fi" => self.close(Kind::If, line),
            "while" | "until" => self.push(Kind::Loop, Phase::Body, line),
            "for" | "select" => {
                self.push(Kind::Loop, Phase::Body, line);
                return Some(skip_loop_header(tokens, i));
            }
            "do" => {
                if self.frames.iter().any(|f| f.kind == Kind::Loop) {
                    self.list = ListState::default();
                } else {
                    self.problem(line, ProblemKind::Unexpected, "`do` outside a loop");
                }
            }
            "done" => self.close(Kind::Loop, line),
            "case" => self.push(Kind::Case, Phase::Subject, line),
            "esac" => self.close(Kind::Case, line),
            "{" => self.push(Kind::Brace, Phase::Body, line),
            "}" => self.close(Kind::Brace, line),
            "!" | "time" => {}
            "[[" => {
                self.in_test = true;
                self.words.push(word);
            }
            "function" => {
                // `function name`, optionally `()`, then the body.
                let mut next = i + 2;
                if let (Some(Token::Op(Op::LParen, _)), Some(Token::Op(Op::RParen, _))) =
                    (tokens.get(next), tokens.get(next + 1))
                {
                    next += 2;
                }
                self.pending_function = true;
                return Some(next.min(tokens.len()));
            }
            _ => return None,
        }
        Some(i + 1)
    }

    /// Handles an operator token; returns the index of the next token to read.
    fn op(&mut self, tokens: &'t [Token], i: usize, op: Op, line: u32) -> usize {
        if self.in_test {
            if op == Op::Newline {
                // An unclosed `[[` ends with its line rather than swallowing the file.
                self.in_test = false;
            } else {
                return i + 1;
            }
        }
        if let Some(phase @ (Phase::Subject | Phase::In | Phase::Pattern)) =
            self.top_phase(Kind::Case)
        {
            if phase == Phase::Pattern && op == Op::RParen {
                self.set_top_phase(Phase::Body);
                self.list = ListState::default();
            }
            // Newlines, `(` and the `|` between patterns.
            return i + 1;
        }
        match op {
            Op::Redirect | Op::HereDoc => {
                if matches!(tokens.get(i + 1), Some(Token::Word(_))) {
                    return i + 2;
                }
            }
            Op::Newline | Op::Semi | Op::Amp => {
                self.end_command(Some(op));
                self.list = ListState::default();
            }
            Op::AndIf | Op::OrIf => {
                self.end_command(Some(op));
                self.list.position += 1;
                self.list.piped = false;
            }
            Op::Pipe => {
                self.end_command(Some(op));
                self.list.piped = true;
            }
            Op::CaseEnd => {
                self.end_command(Some(op));
                self.list = ListState::default();
                if self.top_phase(Kind::Case) == Some(Phase::Body) {
                    self.set_top_phase(Phase::Pattern);
                } else {
                    self.problem(line, ProblemKind::Unexpected, "`;;` outside a `case`");
                }
            }
            Op::LParen => {
                if self.words.is_empty() {
                    self.push(Kind::Subshell, Phase::Body, line);
                } else {
                    self.problem(line, ProblemKind::Unexpected, "`(` inside a command");
                }
            }
            Op::RParen => {
                if self.frames.iter().any(|f| f.kind == Kind::Subshell) {
                    self.end_command(Some(op));
                    self.close(Kind::Subshell, line);
                } else {
                    self.problem(line, ProblemKind::Unexpected, "`)` without `(`");
                }
            }
        }
        i + 1
    }

    fn push(&mut self, kind: Kind, phase: Phase, line: u32) {
        let function = std::mem::take(&mut self.pending_function);
        if self.frames.len() >= MAX_FRAMES {
            // Only hostile text nests this deep; keep the cost of closing frames bounded.
            self.problem(
                line,
                ProblemKind::Unexpected,
                "nesting too deep: read as flat",
            );
            return;
        }
        let outer = self.frames.last();
        let frame = Frame {
            kind,
            phase,
            conditional: outer.is_some_and(|f| f.conditional)
                || function
                || self.list.position > 0
                || matches!(kind, Kind::If | Kind::Case | Kind::Loop),
            subshell: outer.is_some_and(|f| f.subshell)
                || kind == Kind::Subshell
                || self.list.piped,
            in_function: outer.is_some_and(|f| f.in_function) || function,
            interactive_test: false,
            returns: false,
            outer: self.list,
            line,
        };
        self.frames.push(frame);
        self.list = ListState::default();
    }

    fn continue_if(&mut self, phase: Phase, what: &str, line: u32) {
        if self.top_phase(Kind::If).is_some() {
            self.set_top_phase(phase);
            self.list = ListState::default();
        } else {
            self.problem(
                line,
                ProblemKind::Unexpected,
                format!("`{what}` outside an `if`"),
            );
        }
    }

    /// Ends the innermost `kind` frame (and, tolerantly, any left open inside it).
    fn close(&mut self, kind: Kind, line: u32) {
        let Some(index) = self.frames.iter().rposition(|f| f.kind == kind) else {
            let what = match kind {
                Kind::If => "`fi` without `if`",
                Kind::Case => "`esac` without `case`",
                Kind::Loop => "`done` without a loop",
                Kind::Brace => "`}` without `{`",
                Kind::Subshell => "`)` without `(`",
            };
            self.problem(line, ProblemKind::Unexpected, what);
            return;
        };
        while self.frames.len() > index {
            let Some(frame) = self.frames.pop() else {
                break;
            };
            if self.frames.len() > index {
                self.problem(
                    frame.line,
                    ProblemKind::Unclosed,
                    "construct closed by an outer end",
                );
            }
            self.list = frame.outer;
            // `if [ -z "$PS1" ]; then return; fi`, `case $- in *i*) ;; *) return;; esac`.
            if frame.interactive_test && frame.returns && !self.in_function() && !self.subshell() {
                self.guard = true;
            }
        }
    }

    fn in_function(&self) -> bool {
        self.frames.last().is_some_and(|f| f.in_function)
    }

    fn subshell(&self) -> bool {
        self.frames.last().is_some_and(|f| f.subshell)
    }

    /// Ends the simple command collected so far; `terminator` is the operator after it.
    fn end_command(&mut self, terminator: Option<Op>) {
        let words = std::mem::take(&mut self.words);
        self.in_test = false;
        let Some(first) = words.first() else {
            return;
        };
        // `name()` followed by a simple command is not valid; forget it.
        self.pending_function = false;
        if words.iter().any(|w| mentions_interactive(w)) {
            self.list.interactive_test = true;
            if let Some(frame) = self.frames.last_mut() {
                if frame.kind == Kind::If && frame.phase == Phase::Condition {
                    frame.interactive_test = true;
                }
            }
        }
        let subshell =
            self.subshell() || self.list.piped || matches!(terminator, Some(Op::Pipe | Op::Amp));
        if subshell {
            return;
        }
        let ctx = Ctx {
            conditional: self.list.position > 0
                || self.frames.last().is_some_and(|f| f.conditional),
            guard: self.guard,
            in_function: self.in_function(),
            first_line: first.line,
        };
        // Array elements (`A[1]=x`) are assignments too, though never exported: skipped.
        let assignments = words
            .iter()
            .take_while(|w| split_assignment(w, false).is_some() || is_element_assignment(w))
            .count();
        if assignments == words.len() {
            for word in &words {
                if let Some(a) = split_assignment(word, false) {
                    self.assign(&a, ctx, None, false, false);
                }
            }
            return;
        }
        // Prefix assignments (`A=1 cmd`) only reach `cmd`: skipped.
        self.command(&words[assignments..], ctx);
    }

    fn command(&mut self, words: &[&'t Word], ctx: Ctx) {
        let Some(name) = words.first().and_then(|w| w.literal()) else {
            return;
        };
        let args = &words[1..];
        match name.as_str() {
            "export" => self.export(args, ctx),
            "declare" | "typeset" => self.declare(args, ctx, Builtin::Declare),
            "local" => self.declare(args, ctx, Builtin::Local),
            "readonly" => self.declare(args, ctx, Builtin::Readonly),
            "set" => self.set(args, ctx),
            "unset" => self.unset(args, ctx),
            "builtin" | "command"
                if args
                    .first()
                    .and_then(|w| w.literal())
                    .is_some_and(|a| !a.starts_with('-')) =>
            {
                self.command(args, ctx);
            }
            "return" | "exit" => {
                if ctx.in_function {
                    return;
                }
                // `[ -z "$PS1" ] && return`, `[[ $- != *i* ]] && return`.
                if self.list.position > 0 && self.list.interactive_test {
                    self.guard = true;
                }
                if let Some(frame) = self.frames.last_mut() {
                    frame.returns = true;
                }
            }
            _ => {}
        }
    }

    fn export(&mut self, args: &[&'t Word], ctx: Ctx) {
        let mut unexport = false;
        let mut options = true;
        for word in args {
            if options {
                if let Some(arg) = word.literal().filter(|a| a.starts_with('-')) {
                    match arg.as_str() {
                        "--" => options = false,
                        // `-f`: functions; `-p`: print.
                        _ if arg.contains(['f', 'p']) => return,
                        _ if arg.contains('n') => unexport = true,
                        _ => {}
                    }
                    continue;
                }
                options = false;
            }
            if let Some(a) = split_assignment(word, true) {
                let export = (!unexport).then_some(Form::Export);
                self.assign(&a, ctx, export, unexport, false);
            } else if let Some(name) = word.literal().filter(|n| is_name(n)) {
                if unexport {
                    self.unexport(name, word, ctx);
                } else {
                    self.export_name(&name, word, ctx, Form::Export);
                }
            }
        }
    }

    fn declare(&mut self, args: &[&'t Word], ctx: Ctx, builtin: Builtin) {
        let mut export = None;
        let mut global = false;
        let mut integer = false;
        let mut options = true;
        for word in args {
            if options {
                if let Some(arg) = word
                    .literal()
                    .filter(|a| a.len() > 1 && a.starts_with(['-', '+']))
                {
                    if arg == "--" {
                        options = false;
                        continue;
                    }
                    let on = arg.starts_with('-');
                    for flag in arg.chars().skip(1) {
                        match flag {
                            'x' => export = Some(on),
                            'g' => global = on,
                            'i' => integer = on,
                            // Functions, printing, arrays and namerefs never reach the
                            // environment as variables.
                            'f' | 'F' | 'p' | 'a' | 'A' | 'n' => return,
                            _ => {}
                        }
                    }
                    continue;
                }
                options = false;
            }
            let scoped = match builtin {
                Builtin::Local => true,
                Builtin::Declare => ctx.in_function && !global,
                Builtin::Readonly => false,
            };
            if let Some(mut a) = split_assignment(word, true) {
                if integer {
                    // Arithmetic evaluation: only a plain number is known.
                    let digits = matches!(a.value.as_slice(), [Part::Lit { text, .. }]
                        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()));
                    if !digits {
                        a.value = vec![Part::Opaque {
                            raw: a.raw_value.to_owned(),
                        }];
                    }
                }
                let form = (export == Some(true)).then_some(Form::Declare);
                self.assign(&a, ctx, form, export == Some(false), scoped);
            } else if let Some(name) = word.literal().filter(|n| is_name(n)) {
                if scoped {
                    continue;
                }
                match export {
                    Some(true) => self.export_name(&name, word, ctx, Form::Declare),
                    Some(false) => self.unexport(name, word, ctx),
                    None => {}
                }
            }
        }
    }

    fn set(&mut self, args: &[&'t Word], ctx: Ctx) {
        let mut iter = args.iter().filter_map(|w| w.literal());
        while let Some(arg) = iter.next() {
            if arg == "-" || arg == "--" || !arg.starts_with(['-', '+']) {
                // Positional parameters from here on.
                break;
            }
            let on = arg.starts_with('-');
            let mut named = Vec::new();
            for flag in arg.chars().skip(1) {
                match flag {
                    'a' => self.allexport(on, ctx),
                    'o' => named.push(iter.next().unwrap_or_default()),
                    _ => {}
                }
            }
            if named.iter().any(|n| n == "allexport") {
                self.allexport(on, ctx);
            }
        }
    }

    fn allexport(&mut self, on: bool, ctx: Ctx) {
        self.allexport = match (on, self.allexport, ctx.conditional) {
            (true, Some(false), _) => Some(false),
            (true, _, conditional) => Some(conditional),
            // Perhaps turned off: assignments after it are perhaps exported.
            (false, Some(_), true) => Some(true),
            (false, _, _) => None,
        };
    }

    fn unset(&mut self, args: &[&'t Word], ctx: Ctx) {
        for word in args {
            let Some(arg) = word.literal() else {
                continue;
            };
            match arg.as_str() {
                "-f" => return,
                "-v" | "--" => {}
                _ if is_name(&arg) => self.remove(arg, word, ctx, UnsetKind::Unset),
                _ => {}
            }
        }
    }

    fn unexport(&mut self, name: String, word: &Word, ctx: Ctx) {
        self.remove(name, word, ctx, UnsetKind::Unexport);
    }

    fn remove(&mut self, name: String, word: &Word, ctx: Ctx, kind: UnsetKind) {
        let seq = self.next_seq();
        self.unsets.push(Unset {
            name: name.clone(),
            line: word.line,
            kind,
            conditional: ctx.conditional,
            after_interactive_guard: ctx.guard,
            source_line: self.source(ctx.first_line, word.end_line),
            seq,
        });
        let var = self.vars.entry(name).or_default();
        if ctx.conditional {
            if let Some((_, certain)) = &mut var.export {
                *certain = false;
            }
            if kind == UnsetKind::Unset {
                var.value = match &var.value {
                    Knowledge::Set { text, .. } => Knowledge::Set {
                        text: text.clone(),
                        certain: false,
                    },
                    _ => Knowledge::Unknown,
                };
            }
        } else {
            var.export = None;
            if kind == UnsetKind::Unset {
                var.value = Knowledge::Unset { certain: true };
                var.holders.clear();
            }
        }
    }

    /// `export A`, `declare -x A`: exports whatever `A` holds.
    fn export_name(&mut self, name: &str, word: &Word, ctx: Ctx, form: Form) {
        let var = self.vars.entry(name.to_owned()).or_default();
        let certain = !ctx.conditional || var.export.is_some_and(|(_, c)| c);
        var.export = Some((form, certain));
        if !var.holders.is_empty() {
            for &index in &var.holders {
                let Some(a) = self.assignments.get_mut(index) else {
                    continue;
                };
                if !a.exported {
                    a.exported = true;
                    a.form = form;
                    a.export_line = Some(word.line);
                    a.conditional |= ctx.conditional;
                    a.after_interactive_guard |= ctx.guard;
                }
            }
            return;
        }
        if matches!(var.value, Knowledge::Unset { certain: true }) {
            // Exported without a value: nothing reaches the environment until assigned.
            return;
        }
        let value = Value::Unknown {
            raw: format!("${name}"),
        };
        let index = self.record(name.to_owned(), value, word, ctx, true, form);
        if let Some(var) = self.vars.get_mut(name) {
            var.holders.push(index);
        }
    }

    /// Records an assignment and updates what later lines see.
    ///
    /// `export`: the command itself exports (`export A=1`, `declare -x A=1`); `unexport`:
    /// it removes the export attribute (`export -n A=1`, `declare +x A=1`); `scoped`: `local`
    /// and function-local `declare`, which later lines do not see.
    fn assign(
        &mut self,
        a: &AssignWord<'_>,
        ctx: Ctx,
        export: Option<Form>,
        unexport: bool,
        scoped: bool,
    ) {
        let mut value = self.eval(&a.value, a.raw_value);
        let var = self.vars.get(&a.name).cloned().unwrap_or_default();
        if a.append {
            value = append(&a.name, &var.value, value);
        }
        let (exported, form, uncertain_export) = if unexport {
            (false, Form::Plain, false)
        } else if let Some(form) = export {
            (true, form, false)
        } else if scoped {
            (false, Form::Plain, false)
        } else if let Some((form, certain)) = var.export {
            (true, form, !certain)
        } else if let Some(conditional) = self.allexport {
            (true, Form::AutoExport, conditional)
        } else {
            (false, Form::Plain, false)
        };
        let conditional = ctx.conditional || uncertain_export;
        let index = self.record(
            a.name.clone(),
            value.clone(),
            a.word,
            Ctx { conditional, ..ctx },
            exported,
            form,
        );
        if scoped {
            return;
        }
        let var = self.vars.entry(a.name.clone()).or_default();
        var.value = match value {
            Value::Literal(text) => Knowledge::Set {
                text,
                certain: !ctx.conditional,
            },
            Value::Expanded { text, certain } => Knowledge::Set {
                text,
                certain: certain && !ctx.conditional,
            },
            Value::Unknown { .. } => Knowledge::Unknown,
        };
        if ctx.conditional {
            var.holders.push(index);
        } else {
            var.holders = vec![index];
        }
        if unexport {
            if !ctx.conditional {
                var.export = None;
            }
        } else if let Some(form) = export {
            let certain = !ctx.conditional || var.export.is_some_and(|(_, c)| c);
            var.export = Some((form, certain));
        }
    }

    fn record(
        &mut self,
        name: String,
        value: Value,
        word: &Word,
        ctx: Ctx,
        exported: bool,
        form: Form,
    ) -> usize {
        let seq = self.next_seq();
        self.assignments.push(Assignment {
            name,
            value,
            line: word.line,
            exported,
            form,
            conditional: ctx.conditional,
            after_interactive_guard: ctx.guard,
            source_line: self.source(ctx.first_line, word.end_line),
            export_line: None,
            seq,
        });
        self.assignments.len() - 1
    }

    fn next_seq(&mut self) -> u32 {
        let seq = self.seq;
        self.seq = self.seq.saturating_add(1);
        seq
    }

    /// The trimmed source lines `from..=to` (1-based), for evidence.
    fn source(&self, from: u32, to: u32) -> String {
        let from = usize::try_from(from.max(1) - 1).unwrap_or(usize::MAX);
        let to = usize::try_from(to.max(1)).unwrap_or(usize::MAX);
        let lines = self
            .lines
            .get(from..to.min(self.lines.len()))
            .unwrap_or(&[]);
        let joined = lines
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join("\n");
        evidence(&joined)
    }

    /// The value of an assignment, with what the file assigned so far.
    /// A value longer than [`MAX_VALUE`], or beyond what is left of [`MAX_EXPANDED`], is
    /// unknown: no shell could hand it on.
    fn eval(&mut self, parts: &[Part], raw: &str) -> Value {
        let mut out = Expansion::default();
        let fits = self.expand(parts, true, &mut out).is_some()
            && (!out.expanded || out.text.len() <= self.expansion_budget);
        if !fits {
            return Value::Unknown {
                raw: raw.to_owned(),
            };
        }
        if out.expanded {
            self.expansion_budget -= out.text.len();
            Value::Expanded {
                text: out.text,
                certain: out.certain,
            }
        } else {
            Value::Literal(out.text)
        }
    }

    /// Appends the expansion of `parts` to `out`; `None` when it needs something run.
    /// `tilde`: `~` at the start and after unquoted `:` is expanded, as in assignments.
    fn expand(&mut self, parts: &[Part], tilde: bool, out: &mut Expansion) -> Option<()> {
        for (index, part) in parts.iter().enumerate() {
            match part {
                Part::Lit {
                    text,
                    quoted: false,
                } if tilde && text.contains('~') => {
                    self.expand_tildes(text, index == 0, out);
                    if out.text.len() > MAX_VALUE {
                        return None;
                    }
                }
                Part::Lit { text, .. } => out.text.push_str(text),
                Part::Opaque { .. } => return None,
                Part::Param { name, op, raw } => {
                    out.expanded = true;
                    let known = self.lookup(name);
                    let Some(op) = op else {
                        match known {
                            Knowledge::Set { text, certain } => {
                                out.text.push_str(&text);
                                out.certain &= certain;
                            }
                            Knowledge::Unset { certain } => out.certain &= certain,
                            Knowledge::Unknown => {
                                out.text.push_str(raw);
                                out.certain = false;
                            }
                        }
                        if out.text.len() > MAX_VALUE {
                            return None;
                        }
                        continue;
                    };
                    // Whether the parameter counts as set for the operator, if known.
                    let set = match &known {
                        Knowledge::Set { text, certain } => {
                            Some((!op.colon || !text.is_empty(), *certain))
                        }
                        Knowledge::Unset { certain } => Some((false, *certain)),
                        Knowledge::Unknown => None,
                    };
                    let value = match &known {
                        Knowledge::Set { text, .. } => text.as_str(),
                        _ => "",
                    };
                    match (op.kind, set) {
                        (OpKind::Default | OpKind::Assign | OpKind::Error, Some((true, c))) => {
                            out.text.push_str(value);
                            out.certain &= c;
                        }
                        (OpKind::Default | OpKind::Assign, _) => {
                            let before = out.text.len();
                            self.expand(&op.word, false, out)?;
                            out.certain &= set.is_some_and(|(_, c)| c);
                            if op.kind == OpKind::Assign && is_name(name) {
                                let text = out.text[before..].to_owned();
                                let certain = out.certain;
                                self.vars.entry(name.clone()).or_default().value =
                                    Knowledge::Set { text, certain };
                            }
                        }
                        (OpKind::Alternative, Some((true, c))) => {
                            self.expand(&op.word, false, out)?;
                            out.certain &= c;
                        }
                        (OpKind::Alternative, None) => {
                            self.expand(&op.word, false, out)?;
                            out.certain = false;
                        }
                        (OpKind::Alternative, Some((false, c))) => out.certain &= c,
                        (OpKind::Error, _) => {
                            // The shell would stop here with an error.
                            out.text.push_str(raw);
                            out.certain = false;
                        }
                    }
                    if out.text.len() > MAX_VALUE {
                        return None;
                    }
                }
            }
        }
        Some(())
    }

    /// `~` and `~/x` become `$HOME`; `~user` stays as written.
    fn expand_tildes(&mut self, text: &str, at_start: bool, out: &mut Expansion) {
        for (i, segment) in text.split(':').enumerate() {
            if i > 0 {
                out.text.push(':');
            }
            let Some(rest) = segment.strip_prefix('~').filter(|_| i > 0 || at_start) else {
                out.text.push_str(segment);
                continue;
            };
            out.expanded = true;
            let (user, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            if let ("", Knowledge::Set { text, certain }) = (user, self.lookup("HOME")) {
                out.text.push_str(&text);
                out.certain &= certain;
            } else {
                out.text.push('~');
                out.text.push_str(user);
                out.certain = false;
            }
            out.text.push_str(path);
            if out.text.len() > MAX_VALUE {
                return;
            }
        }
    }

    fn lookup(&self, name: &str) -> Knowledge {
        self.vars
            .get(name)
            .map_or(Knowledge::Unknown, |v| v.value.clone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Declare,
    Local,
    Readonly,
}

/// An expansion in progress.
#[derive(Debug)]
struct Expansion {
    text: String,
    certain: bool,
    /// Something was looked up: the result is [`Value::Expanded`].
    expanded: bool,
}

impl Default for Expansion {
    fn default() -> Self {
        Expansion {
            text: String::new(),
            certain: true,
            expanded: false,
        }
    }
}

/// `A+=x`: the old value with `x` after it.
fn append(name: &str, old: &Knowledge, new: Value) -> Value {
    let (prefix, certain) = match old {
        Knowledge::Set { text, certain } => (text.clone(), *certain),
        Knowledge::Unset { certain } => (String::new(), *certain),
        Knowledge::Unknown => (format!("${name}"), false),
    };
    match new {
        Value::Literal(text) => Value::Expanded {
            text: prefix + &text,
            certain,
        },
        Value::Expanded { text, certain: c } => Value::Expanded {
            text: prefix + &text,
            certain: certain && c,
        },
        unknown @ Value::Unknown { .. } => unknown,
    }
}

/// Whether a word of a test tests for an interactive shell: `$-`, `PS1`, `-o interactive`.
fn mentions_interactive(word: &Word) -> bool {
    word.raw.contains("PS1")
        || word.raw.contains("$-")
        || word.raw.contains("${-")
        || word.raw == "interactive"
}

/// After `for`/`select`: the index just past the `do` that starts the body.
fn skip_loop_header(tokens: &[Token], i: usize) -> usize {
    let mut j = i + 1;
    while j < tokens.len() {
        if let Token::Word(w) = &tokens[j] {
            if w.bare() == Some("do") {
                let after_separator = matches!(
                    tokens.get(j - 1),
                    Some(Token::Op(Op::Semi | Op::Newline, _))
                );
                let after_arith = j == i + 2
                    && matches!(&tokens[j - 1], Token::Word(a) if a.raw.starts_with("(("));
                if after_separator || after_arith {
                    return j + 1;
                }
            }
        }
        j += 1;
    }
    tokens.len()
}

/// `NAME[subscript]=value` or `NAME[subscript]+=value`, name unquoted.
fn is_element_assignment(word: &Word) -> bool {
    let unquoted_start = matches!(word.parts.first(), Some(Part::Lit { quoted: false, .. }));
    let Some((name, rest)) = word.raw.split_once('[') else {
        return false;
    };
    unquoted_start
        && is_name(name)
        && rest
            .find(']')
            .is_some_and(|close| rest[close + 1..].starts_with(['=', '+']))
}

/// Takes `NAME=value` apart. At the start of a command (`builtin_arg` false), the name and `=`
/// must be unquoted; as an argument of `export`/`declare`, quoting does not matter
/// (`export "A=1"` works).
fn split_assignment(word: &Word, builtin_arg: bool) -> Option<AssignWord<'_>> {
    let mut prefix = String::new();
    for (index, part) in word.parts.iter().enumerate() {
        let Part::Lit { text, quoted } = part else {
            return None;
        };
        if *quoted && !builtin_arg {
            return None;
        }
        let Some(eq) = text.find('=') else {
            prefix.push_str(text);
            continue;
        };
        prefix.push_str(&text[..eq]);
        let (name, append) = match prefix.strip_suffix('+') {
            Some(name) => (name, true),
            None => (prefix.as_str(), false),
        };
        if !is_name(name) {
            return None;
        }
        let mut value = Vec::new();
        let rest = &text[eq + 1..];
        if !rest.is_empty() {
            value.push(Part::Lit {
                text: rest.to_owned(),
                quoted: *quoted,
            });
        }
        value.extend(word.parts[index + 1..].iter().cloned());
        let raw_value = word.raw.split_once('=').map_or("", |(_, v)| v);
        return Some(AssignWord {
            name: name.to_owned(),
            append,
            value,
            raw_value,
            word,
        });
    }
    None
}
