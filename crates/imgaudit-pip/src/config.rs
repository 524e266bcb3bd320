//! pip.conf as Python 3.11's `configparser.RawConfigParser` reads it (defaults: `=`/`:`
//! delimiters, `#`/`;` full-line comments only, indented continuation lines, blank lines kept
//! inside values, `strict=True`, `[DEFAULT]` inherited by every section). pip reads each file
//! with it (PIP-SEMANTICS.md §1.2, §1.6); `EXTERNALLY-MANAGED` uses the same reader (§2.2).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::boolean::{py_is_space, py_rstrip, py_strip};
use crate::environ::normalize_option_name;

/// One `key = value` of a section, with what configparser makes of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigEntry {
    /// The key as written (trailing whitespace removed, case kept).
    pub raw_key: String,
    /// The key after configparser's `optionxform` (lower-cased).
    pub key: String,
    /// The value as configparser returns it: stripped, continuation lines joined with `\n`.
    pub value: String,
    /// 1-based line of the `key = value` line.
    pub line: usize,
    /// 1-based line of the last continuation line (equal to `line` for one-line values).
    pub end_line: usize,
}

/// A `[section]` with its entries in first-appearance order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigSection {
    /// The name between the brackets, case kept (section names are case-sensitive).
    pub name: String,
    /// 1-based line of the (first) header.
    pub line: usize,
    pub entries: Vec<ConfigEntry>,
}

/// What is wrong with a line, named after the exception configparser raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ProblemKind {
    /// Text before the first section header (`MissingSectionHeaderError`, raised at once).
    MissingSectionHeader,
    /// A section header repeated within the file (`DuplicateSectionError`, raised at once).
    DuplicateSection,
    /// A key repeated within one section of the file, after lower-casing
    /// (`DuplicateOptionError`, raised at once).
    DuplicateOption,
    /// A line that is neither header, option nor continuation, or an empty key (`ParsingError`,
    /// collected and raised at the end of the file).
    ParsingError,
}

impl ProblemKind {
    /// The Python exception class.
    pub const fn python_exception(self) -> &'static str {
        match self {
            Self::MissingSectionHeader => "MissingSectionHeaderError",
            Self::DuplicateSection => "DuplicateSectionError",
            Self::DuplicateOption => "DuplicateOptionError",
            Self::ParsingError => "ParsingError",
        }
    }

    /// Raised as soon as it is met, so configparser reads nothing after it.
    pub const fn stops_parsing(self) -> bool {
        !matches!(self, Self::ParsingError)
    }

    /// A subclass of `configparser.ParsingError` (pip's PEP 668 reader catches those, §2.2).
    pub const fn is_parsing_error(self) -> bool {
        matches!(self, Self::MissingSectionHeader | Self::ParsingError)
    }
}

/// A parse problem kept as data; the parser carries on past it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseProblem {
    pub kind: ProblemKind,
    /// 1-based line.
    pub line: usize,
    /// The offending line as written.
    pub text: String,
}

/// An entry as `RawConfigParser.items(section)` yields it: `[DEFAULT]` entries first, then the
/// section's own, the section overriding a default of the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRef<'a> {
    pub entry: &'a ConfigEntry,
    /// Written under `[DEFAULT]` and inherited by this section.
    pub from_default: bool,
}

/// A parsed pip configuration file. Parsing never fails: problems are recorded and parsing
/// continues where configparser would have stopped, so callers can show everything; what pip
/// does with such a file is given by [`PipConfigFile::python_error`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PipConfigFile {
    defaults: Vec<ConfigEntry>,
    default_line: Option<usize>,
    sections: Vec<ConfigSection>,
    problems: Vec<ParseProblem>,
}

/// Where the option being filled lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Defaults,
    Section(usize),
}

struct Pending {
    slot: Slot,
    entry: usize,
    lines: Vec<String>,
}

impl PipConfigFile {
    /// Parses `text` the way `RawConfigParser.read()` reads a file opened in text mode
    /// (universal newlines: `\n`, `\r\n` and `\r` end lines). The caller decodes the bytes; a
    /// UTF-8 BOM must be kept, because configparser does not skip it (the first header then
    /// fails with `MissingSectionHeaderError`).
    pub fn parse(text: &str) -> Self {
        let mut file = Self::default();
        let mut cursect: Option<Slot> = None;
        let mut sectname = String::new();
        let mut pending: Option<Pending> = None;
        // Keys configparser has seen in this file, for `strict` duplicate detection.
        let mut added_sections: HashSet<String> = HashSet::new();
        let mut added_options: HashSet<(String, String)> = HashSet::new();
        // Where each section and each key of a slot is, so that a file of a hundred thousand
        // lines (a hostile image's) costs linear time, as in configparser's dicts.
        let mut section_index: HashMap<String, usize> = HashMap::new();
        let mut entry_index: HashMap<(Slot, String), usize> = HashMap::new();
        let mut indent_level = 0_usize;

        for (index, line) in universal_lines(text).enumerate() {
            let lineno = index + 1;
            let stripped = py_strip(line);
            let is_comment = stripped.starts_with('#') || stripped.starts_with(';');
            let value = if is_comment { "" } else { stripped };
            if value.is_empty() {
                // Blank lines (not comments) are kept inside a value being read.
                if !is_comment && cursect.is_some() {
                    if let Some(p) = pending.as_mut() {
                        p.lines.push(String::new());
                    }
                }
                continue;
            }
            let cur_indent = line.chars().take_while(|c| py_is_space(*c)).count();
            if cursect.is_some() && cur_indent > indent_level {
                if let Some(p) = pending.as_mut() {
                    p.lines.push(value.to_owned());
                    file.entry_mut(p.slot, p.entry).end_line = lineno;
                    continue;
                }
            }
            indent_level = cur_indent;
            if let Some(header) = section_header(value) {
                file.flush(pending.take());
                if let Some(&pos) = section_index.get(header) {
                    if added_sections.contains(header) {
                        file.problem(ProblemKind::DuplicateSection, lineno, line);
                    }
                    cursect = Some(Slot::Section(pos));
                } else if header == "DEFAULT" {
                    file.default_line.get_or_insert(lineno);
                    cursect = Some(Slot::Defaults);
                } else {
                    file.sections.push(ConfigSection {
                        name: header.to_owned(),
                        line: lineno,
                        entries: Vec::new(),
                    });
                    section_index.insert(header.to_owned(), file.sections.len() - 1);
                    cursect = Some(Slot::Section(file.sections.len() - 1));
                }
                if header != "DEFAULT" && !added_sections.contains(header) {
                    added_sections.insert(header.to_owned());
                }
                header.clone_into(&mut sectname);
                continue;
            }
            let Some(slot) = cursect else {
                file.problem(ProblemKind::MissingSectionHeader, lineno, line);
                continue;
            };
            let Some((raw_key, option_value)) = split_option(value) else {
                // configparser records the line and keeps the previous option open.
                file.problem(ProblemKind::ParsingError, lineno, line);
                continue;
            };
            if raw_key.is_empty() {
                file.problem(ProblemKind::ParsingError, lineno, line);
            }
            file.flush(pending.take());
            let key = raw_key.to_lowercase();
            let pair = (sectname.clone(), key.clone());
            if !added_options.insert(pair) {
                file.problem(ProblemKind::DuplicateOption, lineno, line);
            }
            let entry = ConfigEntry {
                raw_key: raw_key.to_owned(),
                key,
                value: option_value.to_owned(),
                line: lineno,
                end_line: lineno,
            };
            let entries = file.entries_mut(slot);
            // Like configparser's dict: a repeated key keeps its place and takes the new value.
            let position = match entry_index.entry((slot, entry.key.clone())) {
                std::collections::hash_map::Entry::Occupied(at) => {
                    entries[*at.get()] = entry;
                    *at.get()
                }
                std::collections::hash_map::Entry::Vacant(at) => {
                    entries.push(entry);
                    *at.insert(entries.len() - 1)
                }
            };
            // An empty key is falsy in configparser, so it takes no continuation lines.
            pending = (!raw_key.is_empty()).then(|| Pending {
                slot,
                entry: position,
                lines: vec![option_value.to_owned()],
            });
        }
        file.flush(pending.take());
        file
    }

    fn problem(&mut self, kind: ProblemKind, line: usize, text: &str) {
        self.problems.push(ParseProblem {
            kind,
            line,
            text: text.to_owned(),
        });
    }

    fn entries_mut(&mut self, slot: Slot) -> &mut Vec<ConfigEntry> {
        match slot {
            Slot::Defaults => &mut self.defaults,
            Slot::Section(i) => &mut self.sections[i].entries,
        }
    }

    fn entry_mut(&mut self, slot: Slot, entry: usize) -> &mut ConfigEntry {
        &mut self.entries_mut(slot)[entry]
    }

    /// `_join_multiline_values`: lines joined with `\n`, trailing whitespace (and so trailing
    /// blank lines) removed.
    fn flush(&mut self, pending: Option<Pending>) {
        if let Some(p) = pending {
            let joined = p.lines.join("\n");
            py_rstrip(&joined).clone_into(&mut self.entry_mut(p.slot, p.entry).value);
        }
    }

    /// The sections in first-appearance order, `[DEFAULT]` excluded (as `parser.sections()`).
    pub fn sections(&self) -> &[ConfigSection] {
        &self.sections
    }

    /// The section named exactly `name` (section names are case-sensitive).
    pub fn section(&self, name: &str) -> Option<&ConfigSection> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The `[DEFAULT]` entries, which every section inherits.
    pub fn defaults(&self) -> &[ConfigEntry] {
        &self.defaults
    }

    /// Every problem met, in line order.
    pub fn problems(&self) -> &[ParseProblem] {
        &self.problems
    }

    /// What `RawConfigParser.read()` raises for this file, if anything: the first problem that
    /// stops parsing, else the first collected `ParsingError` (raised at end of file). pip ≥ 10
    /// then exits 2 with "Configuration file could not be loaded"; pip 9 crashes.
    pub fn python_error(&self) -> Option<&ParseProblem> {
        self.problems
            .iter()
            .find(|p| p.kind.stops_parsing())
            .or_else(|| self.problems.first())
    }

    /// `RawConfigParser.items(section)`: inherited `[DEFAULT]` entries first, then the section's
    /// own, a section entry replacing the default of the same key in place. Empty when the
    /// section does not exist (pip only iterates `parser.sections()`).
    pub fn items(&self, section: &str) -> Vec<ItemRef<'_>> {
        let Some(sect) = self.section(section) else {
            return Vec::new();
        };
        let mut out: Vec<ItemRef<'_>> = self
            .defaults
            .iter()
            .map(|entry| ItemRef {
                entry,
                from_default: true,
            })
            .collect();
        // Keys are unique within the defaults and within a section (the parser keeps one entry
        // per key), so only a default can be overridden.
        let defaults: HashMap<&str, usize> = self
            .defaults
            .iter()
            .enumerate()
            .map(|(i, entry)| (entry.key.as_str(), i))
            .collect();
        for entry in &sect.entries {
            let item = ItemRef {
                entry,
                from_default: false,
            };
            match defaults.get(entry.key.as_str()) {
                Some(&at) => out[at] = item,
                None => out.push(item),
            }
        }
        out
    }

    /// The entry pip would take for `key` in `section`: keys compared the way pip normalizes
    /// them (case-insensitive, `_` ≡ `-`, a leading `--` dropped); of several matches (e.g.
    /// `no_user` and `no-user`) the last in `items()` order wins, as in pip's dict. Use
    /// `"DEFAULT"` to look at the `[DEFAULT]` block itself.
    pub fn get(&self, section: &str, key: &str) -> Option<&ConfigEntry> {
        let wanted = normalize_option_name(key);
        if section == "DEFAULT" {
            return self
                .defaults
                .iter()
                .rev()
                .find(|e| normalize_option_name(&e.key) == wanted);
        }
        self.items(section)
            .into_iter()
            .rev()
            .find(|item| normalize_option_name(&item.entry.key) == wanted)
            .map(|item| item.entry)
    }

    /// 1-based line of the first `[DEFAULT]` header, if any.
    pub fn default_line(&self) -> Option<usize> {
        self.default_line
    }
}

/// Splits text into lines the way Python's universal-newline text mode does.
fn universal_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some(pos) = rest.find(['\n', '\r']) {
            let line = &rest[..pos];
            let skip = if rest[pos..].starts_with("\r\n") {
                2
            } else {
                1
            };
            rest = &rest[pos + skip..];
            Some(line)
        } else {
            let line = rest;
            rest = "";
            Some(line)
        }
    })
}

/// `SECTCRE = r"\[(?P<header>.+)\]"` matched at the start of the stripped line: the header runs
/// to the *last* `]` (greedy), and text after it is ignored.
fn section_header(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('[')?;
    let close = inner.rfind(']')?;
    if close == 0 {
        return None;
    }
    Some(&inner[..close])
}

/// `OPTCRE`: the key is everything before the first `=` or `:` (trailing whitespace removed),
/// the value everything after it, stripped.
fn split_option(value: &str) -> Option<(&str, &str)> {
    let pos = value.find(['=', ':'])?;
    let key = py_rstrip(&value[..pos]);
    let val = py_strip(&value[pos + 1..]);
    Some((key, val))
}
