//! Mapping an image's history steps to Dockerfile instructions.

use std::collections::HashMap;

use serde::Serialize;

use crate::align::{Alignment, align};
use crate::parse::instruction_from_line;
use crate::words::{clean_path, hash_str, heredoc_words, normalize_ws, soup, split_words, unquote};
use crate::{Dockerfile, Instruction, Keyword};

/// What the image config's `history` records of one step, as lining it up with a Dockerfile
/// needs it (the loader's `HistoryStep` carries more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordedStep<'a> {
    pub created_by: Option<&'a str>,
    /// The step made no layer (metadata such as `ENV`, or an empty change).
    pub empty_layer: bool,
}

impl<'a> RecordedStep<'a> {
    pub fn new(created_by: Option<&'a str>, empty_layer: bool) -> RecordedStep<'a> {
        RecordedStep {
            created_by,
            empty_layer,
        }
    }
}

/// What [`map_history`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryMap {
    /// The stage that built the image (the `--target`, or the last stage).
    pub stage: usize,
    /// One entry per history step, in order. `None` only for base-image steps of a stage
    /// chain that starts `FROM scratch`, which cannot have any.
    pub steps: Vec<Option<Mapped>>,
}

/// Where one history step came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapped {
    /// The stage holding the line (an ancestor of [`HistoryMap::stage`], or that stage).
    pub stage: usize,
    pub start_line: u32,
    pub end_line: u32,
    /// The instruction's keyword; `FROM` for base-image steps. For a step run by an
    /// `ONBUILD` trigger of a parent stage, the trigger's keyword (the lines are the
    /// `ONBUILD` line's).
    pub keyword: Keyword,
    pub how: MatchKind,
    /// How well the step's text matched the instruction; `None` for base-image steps.
    pub strength: Option<Strength>,
}

/// How a history step was tied to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The step was made by this instruction.
    Instruction,
    /// The step comes from the base image; the line is the `FROM` of the root stage.
    BaseImage,
}

/// The evidence behind one matched step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Same keyword, nothing else comparable (a `CMD` in another notation, a `COPY` whose
    /// destination uses variables).
    Weak,
    /// Same keyword and key fields: `COPY`/`ADD` destination, `LABEL`/`ARG` names,
    /// `WORKDIR`, `USER`, `CMD` words.
    Medium,
    /// The `RUN` command text, or the names an `ENV` sets.
    Strong,
}

/// Total alignment cells (history steps × instructions, summed over the candidate stages)
/// worth computing; a stage that would go beyond it is not tried. It bounds the work on
/// hostile input (thousands of chained stages) at about a second; one stage's bits take at
/// most 8 MB.
const MAX_CELLS: usize = 64_000_000;

/// Names of one `ENV`/`LABEL`/`ARG` compared at most; more are ignored.
const MAX_NAMES: usize = 256;

/// Maps each history step to the Dockerfile line that made it.
///
/// Every stage is tried as the build target, with the stages it is built on through `FROM
/// <stage>` in front (and their `ONBUILD` triggers where they fire). The history's trailing
/// steps are aligned with that instruction list, in order: `RUN` by its command text (shell
/// prefix, `|N` build arguments and whitespace differences aside), `ENV` by the names it
/// sets, `COPY`/`ADD` by destination, `WORKDIR`/`USER`/`LABEL`/`ARG` by value or names, the
/// rest mostly by keyword. Instructions may lack a step (builders differ in what they
/// record); steps before the first aligned one are the base image's and map to the root
/// stage's `FROM` line.
///
/// The result is `None` unless the alignment is convincing: from the first matched step on,
/// every step is matched; at least one match is [`Strength::Strong`]; and no step left to the
/// base image matches an instruction the alignment skipped before its first match (that
/// instruction did run, so the history and the Dockerfile disagree). A Dockerfile that did not
/// build the image thus maps nothing. Among accepted stages the best score wins (matches
/// weighted by strength, minus instructions left without a step after the first match); ties
/// go to the later stage.
pub fn map_history(dockerfile: &Dockerfile, history: &[RecordedStep<'_>]) -> Option<HistoryMap> {
    if history.is_empty() {
        return None;
    }
    let escape = dockerfile.escape;
    let shells: Vec<String> = dockerfile
        .stages
        .iter()
        .flat_map(|s| &s.instructions)
        .filter(|i| i.keyword == Keyword::Shell)
        .filter_map(|i| i.exec_form.as_ref())
        .map(|list| normalize_ws(&list.join(" ")))
        .filter(|s| !s.is_empty())
        .collect();
    let steps: Vec<HistFeature> = history
        .iter()
        .map(|step| HistFeature::new(step.created_by, &shells))
        .collect();

    let own: Vec<Vec<Item>> = dockerfile
        .stages
        .iter()
        .map(|stage| {
            stage
                .instructions
                .iter()
                .map(|i| Item::new(stage.index, i, i, escape))
                .collect()
        })
        .collect();
    // A stage's ONBUILD instructions run in the stages built on it, right after their FROM.
    let triggers: Vec<Vec<Item>> = dockerfile
        .stages
        .iter()
        .map(|stage| {
            stage
                .instructions
                .iter()
                .filter(|i| i.keyword == Keyword::Onbuild)
                .map(|i| {
                    let inner = instruction_from_line(&i.args, i.start_line, i.end_line);
                    Item::new(stage.index, i, &inner, escape)
                })
                .collect()
        })
        .collect();

    let mut budget = MAX_CELLS;
    let mut best: Option<(Alignment, usize, Vec<&Item>)> = None;
    for target in (0..dockerfile.stages.len()).rev() {
        let chain = dockerfile.ancestry(target);
        // Walking a stage's ancestry is charged too: thousands of chained stages without
        // instructions have no cells, and walking each one's ancestry is quadratic.
        let Some(left) = budget.checked_sub(chain.len()) else {
            break;
        };
        budget = left;
        let mut items: Vec<&Item> = Vec::new();
        for (pos, &index) in chain.iter().enumerate() {
            if let Some(parent) = pos.checked_sub(1).and_then(|p| chain.get(p)) {
                items.extend(triggers.get(*parent).into_iter().flatten());
            }
            items.extend(own.get(index).into_iter().flatten());
        }
        let cells = steps.len().saturating_mul(items.len());
        if cells > budget {
            continue;
        }
        budget -= cells;
        let index = ItemIndex::new(&items);
        let Some(alignment) = align(
            steps.len(),
            items.len(),
            |j| items.get(j).map_or(0, |item| item.penalty),
            |i| {
                steps
                    .get(i)
                    .map(|step| index.matches(step, &items))
                    .unwrap_or_default()
            },
        ) else {
            continue;
        };
        if !convincing(&alignment, steps.len())
            || base_contradicts(&alignment, &steps, &items, &index)
        {
            continue;
        }
        // Stages are tried last first, so only a strictly better score displaces one.
        if best
            .as_ref()
            .is_none_or(|(b, _, _)| alignment.score > b.score)
        {
            best = Some((alignment, target, items));
        }
    }

    let (alignment, target, items) = best?;
    let root = dockerfile
        .ancestry(target)
        .first()
        .and_then(|&r| dockerfile.stages.get(r))?;
    let first = alignment.pairs.first().map_or(0, |p| p.0);
    let base = if root.base.eq_ignore_ascii_case("scratch") {
        None
    } else {
        Some(Mapped {
            stage: root.index,
            start_line: root.from.start_line,
            end_line: root.from.end_line,
            keyword: Keyword::From,
            how: MatchKind::BaseImage,
            strength: None,
        })
    };
    let mut mapped: Vec<Option<Mapped>> = vec![base; first];
    for &(_, j, strength) in &alignment.pairs {
        let item = items.get(j)?;
        mapped.push(Some(Mapped {
            stage: item.stage,
            start_line: item.start_line,
            end_line: item.end_line,
            keyword: item.feature.keyword.clone(),
            how: MatchKind::Instruction,
            strength: Some(strength),
        }));
    }
    (mapped.len() == history.len()).then_some(HistoryMap {
        stage: target,
        steps: mapped,
    })
}

/// Every step from the first matched one on is matched, and some match is strong.
fn convincing(alignment: &Alignment, steps: usize) -> bool {
    let Some(&(first, _, _)) = alignment.pairs.first() else {
        return false;
    };
    let contiguous = alignment
        .pairs
        .iter()
        .enumerate()
        .all(|(k, &(i, _, _))| i == first + k);
    contiguous
        && first + alignment.pairs.len() == steps
        && alignment.pairs.iter().any(|p| p.2 == Strength::Strong)
}

/// Whether a step counted as the base image's matches (better than by keyword alone) an
/// instruction that the alignment left without a step before its first match. Builders
/// record every instruction but ARG and ONBUILD, so such an instruction did run, and the
/// history disagrees with the Dockerfile (a step was added, changed or reordered): the steps
/// in between cannot honestly be called the base image's.
fn base_contradicts(
    alignment: &Alignment,
    steps: &[HistFeature],
    items: &[&Item],
    index: &ItemIndex,
) -> bool {
    let Some(&(first, j0, _)) = alignment.pairs.first() else {
        return false;
    };
    steps.get(..first).unwrap_or_default().iter().any(|step| {
        index.matches(step, items).into_iter().any(|(j, strength)| {
            j < j0
                && strength >= Strength::Medium
                && items.get(j).is_some_and(|item| item.always_recorded)
        })
    })
}

/// The instructions of one candidate stage, indexed so that a step finds its matches
/// without comparing itself with every instruction.
struct ItemIndex {
    /// RUN texts to the instructions offering them.
    run: HashMap<u64, Vec<(usize, Strength)>>,
    /// ENV/LABEL/ARG instructions by keyword and each name they set: a step can only match
    /// those setting its first name, or those whose names use variables.
    names: HashMap<(Keyword, u64), Vec<usize>>,
    /// Other instructions (and ENV/LABEL/ARG with variable names) by keyword.
    by_keyword: HashMap<Keyword, Vec<usize>>,
}

impl ItemIndex {
    fn new(items: &[&Item]) -> ItemIndex {
        let mut run: HashMap<u64, Vec<(usize, Strength)>> = HashMap::new();
        let mut names: HashMap<(Keyword, u64), Vec<usize>> = HashMap::new();
        let mut by_keyword: HashMap<Keyword, Vec<usize>> = HashMap::new();
        for (j, item) in items.iter().enumerate() {
            match &item.feature.data {
                Data::Run(texts) => {
                    for &(text, strength) in texts {
                        run.entry(text).or_default().push((j, strength));
                    }
                }
                Data::Names {
                    sorted,
                    dynamic: false,
                } => {
                    for &name in sorted {
                        names
                            .entry((item.feature.keyword.clone(), name))
                            .or_default()
                            .push(j);
                    }
                }
                _ => by_keyword
                    .entry(item.feature.keyword.clone())
                    .or_default()
                    .push(j),
            }
        }
        ItemIndex {
            run,
            names,
            by_keyword,
        }
    }

    /// The instructions a step matches, with strengths (an instruction may appear twice).
    fn matches(&self, step: &HistFeature, items: &[&Item]) -> Vec<(usize, Strength)> {
        match (&step.keyword, &step.data) {
            (Some(Keyword::Run), HistData::Run(candidates)) => candidates
                .iter()
                .filter_map(|c| self.run.get(c))
                .flatten()
                .copied()
                .collect(),
            (Some(keyword), data) => {
                let named = match data {
                    HistData::Names {
                        first: Some(first), ..
                    } => self.names.get(&(keyword.clone(), *first)),
                    _ => None,
                };
                named
                    .into_iter()
                    .flatten()
                    .chain(self.by_keyword.get(keyword).into_iter().flatten())
                    .filter_map(|&j| {
                        let item = items.get(j)?;
                        compare(step, item).map(|s| (j, s))
                    })
                    .collect()
            }
            (None, _) => Vec::new(),
        }
    }
}

/// An instruction as a candidate for history steps.
struct Item {
    stage: usize,
    start_line: u32,
    end_line: u32,
    feature: Feature,
    /// Cost of the instruction having no history step once the alignment has started.
    penalty: i64,
    /// Every builder records a step for it.
    always_recorded: bool,
}

impl Item {
    /// `at` gives the lines, `instruction` the content (they differ for ONBUILD triggers).
    fn new(stage: usize, at: &Instruction, instruction: &Instruction, escape: char) -> Item {
        let feature = Feature::new(instruction, escape);
        // The classic builder may not record ARG; BuildKit never records ONBUILD.
        let always_recorded = !matches!(feature.keyword, Keyword::Arg | Keyword::Onbuild);
        let penalty = match feature.keyword {
            Keyword::Run | Keyword::Copy | Keyword::Add => 3,
            _ if always_recorded => 1,
            _ => 0,
        };
        Item {
            stage,
            start_line: at.start_line,
            end_line: at.end_line,
            feature,
            penalty,
            always_recorded,
        }
    }
}

/// What an instruction offers for comparison. Texts are compared by 64-bit hashes so that the
/// O(n·m) loop never compares long strings.
struct Feature {
    keyword: Keyword,
    data: Data,
}

enum Data {
    /// Normalized command texts a history step may show, with what a match is worth.
    Run(Vec<(u64, Strength)>),
    /// Names set by ENV/LABEL/ARG, sorted hashes; `dynamic` when a name uses a variable.
    Names {
        sorted: Vec<u64>,
        dynamic: bool,
    },
    /// A cleaned path (COPY/ADD destination, WORKDIR).
    Path {
        path: String,
        dynamic: bool,
    },
    /// A value compared as is (USER).
    Value {
        hash: u64,
        dynamic: bool,
    },
    /// CMD/ENTRYPOINT: the exec-form list, the words as one text, whether shell form.
    Command {
        list: Option<u64>,
        text: u64,
        shell_form: bool,
    },
    Ports(Vec<u32>),
    /// Anything else: the words without brackets and quotes.
    Soup(u64),
}

impl Feature {
    fn new(instruction: &Instruction, escape: char) -> Feature {
        let args = instruction.args.as_str();
        let data = match instruction.keyword {
            Keyword::Run => Data::Run(run_texts(instruction)),
            Keyword::Env | Keyword::Label | Keyword::Arg => {
                let pairs = instruction.assignments(escape);
                let dynamic = pairs.iter().any(|kv| kv.key.contains('$'));
                let mut sorted: Vec<u64> = pairs
                    .iter()
                    .take(MAX_NAMES)
                    .map(|kv| hash_str(&kv.key))
                    .collect();
                sorted.sort_unstable();
                sorted.dedup();
                Data::Names { sorted, dynamic }
            }
            Keyword::Copy | Keyword::Add => {
                let dest = match &instruction.exec_form {
                    Some(list) => list.last().cloned().unwrap_or_default(),
                    None => split_words(instruction.command_line(), escape)
                        .last()
                        .map(|w| unquote(w, escape))
                        .unwrap_or_default(),
                };
                Data::Path {
                    dynamic: dest.contains('$') || dest.is_empty(),
                    path: clean_path(&dest),
                }
            }
            Keyword::Workdir => {
                let path = unquote(args, escape);
                Data::Path {
                    dynamic: path.contains('$') || path.is_empty(),
                    path: clean_path(&path),
                }
            }
            Keyword::User => {
                let value = unquote(args, escape);
                Data::Value {
                    hash: hash_str(value.trim()),
                    dynamic: value.contains('$'),
                }
            }
            Keyword::Cmd | Keyword::Entrypoint => match &instruction.exec_form {
                Some(list) => Data::Command {
                    list: Some(list_hash(list)),
                    text: hash_str(&normalize_ws(&list.join(" "))),
                    shell_form: false,
                },
                None => Data::Command {
                    list: None,
                    text: hash_str(&normalize_ws(args)),
                    shell_form: true,
                },
            },
            Keyword::Expose => Data::Ports(ports(args)),
            _ => Data::Soup(hash_str(&soup(args))),
        };
        Feature {
            keyword: instruction.keyword.clone(),
            data,
        }
    }
}

/// The texts a RUN instruction's history step may show after the shell prefix.
fn run_texts(instruction: &Instruction) -> Vec<(u64, Strength)> {
    let mut texts = Vec::new();
    let mut push = |text: &str, strength: Strength| {
        let text = normalize_ws(text);
        if !text.is_empty() {
            texts.push((hash_str(&text), strength));
        }
    };
    if let Some(list) = &instruction.exec_form {
        // Exec form: BuildKit and the classic builder record the words joined by spaces.
        push(&list.join(" "), Strength::Strong);
        return texts;
    }
    // Continuation lines joined; with heredocs, `line\nbody…NAME` as BuildKit runs it.
    push(&instruction.args, Strength::Strong);
    if instruction.heredocs.is_empty() {
        return texts;
    }
    let line = instruction.command_line();
    push(line, Strength::Medium);
    let sole = heredoc_words(line).len() == 1 && line.split_whitespace().count() == 1;
    if let (true, Some(doc)) = (sole, instruction.heredocs.first()) {
        // `RUN <<EOF` alone: BuildKit runs the body with the shell, or, when the body starts
        // with `#!`, runs it as a file mounted at /dev/pipes/NAME.
        push(&doc.body, Strength::Strong);
        if doc.body.starts_with("#!") {
            push(&format!("/dev/pipes/{}", doc.name), Strength::Medium);
        }
    }
    texts
}

fn list_hash(list: &[String]) -> u64 {
    hash_str(&list.join("\u{0}"))
}

/// The port numbers named in an EXPOSE text, in any notation (`8080/tcp`, `map[8080/tcp:{}]`).
fn ports(text: &str) -> Vec<u32> {
    let mut ports: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|digits| digits.parse().ok())
        .take(MAX_NAMES)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// What a history step offers for comparison.
struct HistFeature {
    /// `None` when `created_by` is missing or empty: such a step matches nothing.
    keyword: Option<Keyword>,
    data: HistData,
}

enum HistData {
    None,
    /// Hashes of the command texts that may follow the shell prefix.
    Run(Vec<u64>),
    Names {
        sorted: Vec<u64>,
        first: Option<u64>,
    },
    Path(Option<String>),
    Value(u64),
    Command {
        list: Option<u64>,
        last: Option<u64>,
        text: u64,
    },
    Ports(Vec<u32>),
    Soup(u64),
}

impl HistFeature {
    fn new(created_by: Option<&str>, shells: &[String]) -> HistFeature {
        let Some(text) = created_by.map(str::trim).filter(|t| !t.is_empty()) else {
            return HistFeature {
                keyword: None,
                data: HistData::None,
            };
        };
        // Classic builder and buildah: `/bin/sh -c #(nop)  ENV A=1`, for everything but RUN.
        if let Some((before, after)) = text.split_once("#(nop)") {
            if before.split_whitespace().next_back().is_none_or(is_shell_c) {
                let after = after.trim();
                let (word, args) = after.split_once(char::is_whitespace).unwrap_or((after, ""));
                return HistFeature::meta(Keyword::from_word(word), args.trim(), shells);
            }
        }
        // BuildKit and kaniko: `RUN /bin/sh -c make # buildkit`, `ENV A=1`, `COPY . /app`.
        let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        if word.chars().all(|c| c.is_ascii_uppercase()) {
            let keyword = Keyword::from_word(word);
            if !matches!(keyword, Keyword::Other(_)) {
                let rest = rest.trim();
                let args = rest.strip_suffix("# buildkit").unwrap_or(rest).trim();
                return HistFeature::meta(keyword, args, shells);
            }
        }
        // Classic builder and buildah RUN: the command itself, `/bin/sh -c make`.
        HistFeature {
            keyword: Some(Keyword::Run),
            data: HistData::Run(run_candidates(text, shells)),
        }
    }

    fn meta(keyword: Keyword, args: &str, shells: &[String]) -> HistFeature {
        let data = match keyword {
            Keyword::Run => HistData::Run(run_candidates(args, shells)),
            Keyword::Env | Keyword::Label | Keyword::Arg => history_names(&keyword, args),
            Keyword::Copy | Keyword::Add => HistData::Path(history_dest(args).map(clean_path)),
            Keyword::Workdir => {
                HistData::Path(Some(args).filter(|a| !a.is_empty()).map(clean_path))
            }
            Keyword::User => HistData::Value(hash_str(args)),
            Keyword::Cmd | Keyword::Entrypoint => {
                let list = parse_list(args);
                HistData::Command {
                    list: list.as_deref().map(list_hash),
                    last: list
                        .as_ref()
                        .and_then(|l| l.last())
                        .map(|s| hash_str(&normalize_ws(s))),
                    text: hash_str(&normalize_ws(
                        &list
                            .as_ref()
                            .map_or_else(|| args.to_owned(), |l| l.join(" ")),
                    )),
                }
            }
            Keyword::Expose => HistData::Ports(ports(args)),
            _ => HistData::Soup(hash_str(&soup(args))),
        };
        HistFeature {
            keyword: Some(keyword),
            data,
        }
    }
}

/// Compares a step with an instruction.
fn compare(step: &HistFeature, item: &Item) -> Option<Strength> {
    let feature = &item.feature;
    if step.keyword.as_ref() != Some(&feature.keyword) {
        return None;
    }
    match (&step.data, &feature.data) {
        (HistData::Run(candidates), Data::Run(texts)) => texts
            .iter()
            .filter(|(text, _)| candidates.contains(text))
            .map(|&(_, strength)| strength)
            .max(),
        (
            HistData::Names { sorted, first },
            Data::Names {
                sorted: own,
                dynamic,
            },
        ) => {
            // Values may contain spaces and even `X=` words, so the step may show extra
            // names; it must show all of the instruction's, and start with one of them.
            let same = !own.is_empty()
                && first.is_some_and(|f| own.binary_search(&f).is_ok())
                && own.iter().all(|n| sorted.binary_search(n).is_ok());
            if same {
                Some(if feature.keyword == Keyword::Env {
                    Strength::Strong
                } else {
                    Strength::Medium
                })
            } else if *dynamic {
                Some(Strength::Weak)
            } else {
                None
            }
        }
        (HistData::Path(shown), Data::Path { path, dynamic }) => {
            path_strength(shown.as_deref(), path, *dynamic)
        }
        (HistData::Value(shown), Data::Value { hash, dynamic }) => {
            if shown == hash {
                Some(Strength::Medium)
            } else if *dynamic {
                Some(Strength::Weak)
            } else {
                None
            }
        }
        (
            HistData::Command { list, last, text },
            Data::Command {
                list: own_list,
                text: own_text,
                shell_form,
            },
        ) => {
            let same = text == own_text
                || (list.is_some()
                    && (list == own_list || (*shell_form && *last == Some(*own_text))));
            // Builders print CMD in several notations; a mismatch is no proof of difference.
            Some(if same {
                Strength::Medium
            } else {
                Strength::Weak
            })
        }
        (HistData::Ports(shown), Data::Ports(own)) => Some(if !own.is_empty() && shown == own {
            Strength::Medium
        } else {
            Strength::Weak
        }),
        (HistData::Soup(shown), Data::Soup(own)) => Some(if shown == own {
            Strength::Medium
        } else {
            Strength::Weak
        }),
        _ => None,
    }
}

/// Compares a destination or WORKDIR path shown in history with the Dockerfile's (cleaned).
fn path_strength(shown: Option<&str>, path: &str, dynamic: bool) -> Option<Strength> {
    let Some(shown) = shown else {
        return Some(Strength::Weak);
    };
    if shown == path {
        return Some(Strength::Medium);
    }
    if dynamic {
        return Some(Strength::Weak);
    }
    match (shown.starts_with('/'), path.starts_with('/')) {
        // A relative path resolved against the working directory.
        (true, false) => {
            if path == "." || path.split('/').any(|c| c == "..") {
                Some(Strength::Weak)
            } else if shown.ends_with(&format!("/{path}")) {
                Some(Strength::Medium)
            } else {
                None
            }
        }
        (false, true) => Some(Strength::Weak),
        _ => None,
    }
}

/// `-c`, `-ec`, `-euxc`, `/c`, `/C`, `-Command`: the option after which a shell takes its
/// command text.
fn is_shell_c(token: &str) -> bool {
    if token.eq_ignore_ascii_case("/c") || token.eq_ignore_ascii_case("-command") {
        return true;
    }
    token.strip_prefix('-').is_some_and(|letters| {
        letters.ends_with('c') && letters.chars().all(|c| c.is_ascii_alphabetic())
    })
}

/// Whether a token can only be shell syntax, not part of a shell's own command line.
fn is_operator(token: &str) -> bool {
    token.contains([';', '|', '&', '(', ')', '`', '<', '>'])
}

/// The texts a RUN step may hold after its prefix. The prefix can be build arguments
/// (`|2 A=1 B=x y`, values may hold spaces), a shell with options ending in `-c` (or a SHELL
/// of the Dockerfile), both, or nothing (exec form).
fn run_candidates(payload: &str, shells: &[String]) -> Vec<u64> {
    let text = normalize_ws(payload);
    let tokens: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
    let mut out = Vec::new();
    let mut push = |words: &[&str]| {
        if !words.is_empty() {
            let h = hash_str(&words.join(" "));
            if !out.contains(&h) {
                out.push(h);
            }
        }
    };
    push(&tokens);
    let build_args = tokens
        .first()
        .and_then(|t| t.strip_prefix('|'))
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    let rest: &[&str] = if build_args.is_some() {
        tokens.get(1..).unwrap_or_default()
    } else {
        &tokens
    };
    if let Some(count) = build_args {
        // Exec form after build arguments without spaces in their values.
        if let Some(after) = count.parse::<usize>().ok().and_then(|c| rest.get(c..)) {
            push(after);
        }
    }
    let mut found = 0;
    for (k, token) in rest.iter().enumerate() {
        // Without build arguments the shell comes first: operators before `-c` mean this
        // is a command, not a prefix. Build-argument values may contain anything.
        if build_args.is_none() && is_operator(token) {
            break;
        }
        if is_shell_c(token) {
            let command = rest.get(k + 1..).unwrap_or_default();
            push(command);
            // buildah records a RUN's own flags after the shell: `/bin/sh -c --mount=... make`.
            let flags = command
                .iter()
                .take_while(|t| t.starts_with("--") && t.contains('='))
                .count();
            if flags > 0 {
                push(&command[flags..]);
            }
            found += 1;
            if build_args.is_none() || found >= 8 {
                break;
            }
        }
    }
    let joined = rest.join(" ");
    for shell in shells {
        let needle = format!("{shell} ");
        let mut starts: Vec<usize> = joined
            .match_indices(&needle)
            .map(|(pos, _)| pos)
            .filter(|&pos| pos == 0 || joined.get(..pos).is_some_and(|b| b.ends_with(' ')))
            .take(8)
            .collect();
        if build_args.is_none() {
            starts.retain(|&pos| pos == 0);
        }
        for pos in starts {
            if let Some(tail) = joined.get(pos + needle.len()..) {
                let words: Vec<&str> = tail.split(' ').collect();
                push(&words);
            }
        }
    }
    out
}

/// The names an ENV/LABEL/ARG step shows: the part before `=` of each word that has one (a
/// value's words without `=` are skipped); ARG names may come without a value; the legacy
/// `ENV A 1` shows one name.
fn history_names(keyword: &Keyword, args: &str) -> HistData {
    let tokens: Vec<&str> = args.split_whitespace().take(4 * MAX_NAMES).collect();
    let any_pair = tokens.iter().any(|t| t.contains('='));
    let mut names: Vec<u64> = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        let key = match token.split_once('=') {
            Some((key, _)) => key,
            None if *keyword == Keyword::Arg || (!any_pair && k == 0) => token,
            None => continue,
        };
        let key = key.trim_matches(['"', '\'']);
        if !key.is_empty() {
            names.push(hash_str(key));
        }
    }
    let first = names.first().copied();
    names.sort_unstable();
    names.dedup();
    HistData::Names {
        sorted: names,
        first,
    }
}

/// The destination of a COPY/ADD step: after ` in ` in the classic and buildah notation
/// (`COPY file:3a1b… in /app `), the last word otherwise.
fn history_dest(args: &str) -> Option<&str> {
    let classic = args.split_whitespace().any(|t| {
        ["file:", "dir:", "multi:"]
            .iter()
            .any(|prefix| t.starts_with(prefix))
    });
    if classic {
        if let Some(pos) = args.rfind(" in ") {
            let dest = args.get(pos + 4..).unwrap_or_default().trim();
            if !dest.is_empty() {
                return Some(dest);
            }
        }
    }
    args.split_whitespace().next_back()
}

/// A CMD/ENTRYPOINT list as builders print it: JSON (`["a", "b"]`), Go's `%q`
/// (`["a" "b"]`) or bare (`[a b]`).
fn parse_list(text: &str) -> Option<Vec<String>> {
    let text = text.trim();
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    if let Ok(list) = serde_json::from_str::<Vec<String>>(text) {
        return Some(list);
    }
    if !inner.contains('"') {
        return Some(inner.split_whitespace().map(str::to_owned).collect());
    }
    let mut list = Vec::new();
    let mut chars = inner.chars();
    loop {
        let mut next = chars.next();
        while next.is_some_and(|c| c.is_whitespace() || c == ',') {
            next = chars.next();
        }
        match next {
            None => return Some(list),
            Some('"') => {}
            Some(_) => return None,
        }
        let mut item = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    'n' => item.push('\n'),
                    't' => item.push('\t'),
                    'r' => item.push('\r'),
                    other => item.push(other),
                },
                c => item.push(c),
            }
        }
        list.push(item);
    }
}
