//! Read access to a loaded image for the fact extractors: files by path (never following a link
//! outside the image root), their provenance, and the config's environment. Every file an
//! extractor asks for and cannot read is remembered: the loader reads those it can from their
//! layers again, and the rest become `unjudged` facts.

use std::cell::RefCell;
use std::collections::BTreeMap;

use imgaudit_fs::{Node, ResolveError};
use imgaudit_layer::{EntryKind, ImagePath};
use imgaudit_loader::LoadedImage;

use crate::Location;
use crate::redact::redacted;
use crate::unjudged::{Unjudged, UnjudgedReason};

pub(crate) struct Context<'a> {
    pub(crate) image: &'a LoadedImage,
    /// The config's `Env` split into names and values, in order.
    pub(crate) env: Vec<(String, String)>,
    /// For each `Env` entry, the history step that set it last, when history says.
    pub(crate) env_steps: Vec<Option<usize>>,
    /// Files asked for whose content is unknown, by the path asked for, with where their links
    /// led (the file the loader could read again).
    misses: RefCell<BTreeMap<String, (Option<ImagePath>, Unjudged)>>,
}

/// A path as an [`ImagePath`]; `None` for text that cannot name a file in the image.
pub(crate) fn image_path(path: &str) -> Option<ImagePath> {
    ImagePath::from_tar_name(path.trim_start_matches('/').as_bytes()).ok()
}

/// The absolute, printable form of an image path.
pub(crate) fn display(path: &ImagePath) -> String {
    path.display()
}

impl<'a> Context<'a> {
    pub(crate) fn new(image: &'a LoadedImage) -> Context<'a> {
        let env: Vec<(String, String)> = image
            .meta
            .config
            .config()
            .as_ref()
            .and_then(|c| c.env().clone())
            .unwrap_or_default()
            .iter()
            .map(|entry| match entry.split_once('=') {
                Some((name, value)) => (name.to_owned(), value.to_owned()),
                None => (entry.clone(), String::new()),
            })
            .collect();
        let steps = env_steps(image);
        let env_steps = env
            .iter()
            .map(|(name, _)| steps.get(name.as_str()).copied())
            .collect();
        Context {
            image,
            env,
            env_steps,
            misses: RefCell::new(BTreeMap::new()),
        }
    }

    /// The files asked for that could not be read, by path.
    pub(crate) fn unjudged(&self) -> Vec<Unjudged> {
        self.misses
            .borrow()
            .values()
            .map(|(_, unjudged)| unjudged.clone())
            .collect()
    }

    /// The regular files (links resolved) asked for whose content was not captured and may
    /// still be read from their layers.
    pub(crate) fn wanted(&self) -> Vec<ImagePath> {
        self.misses
            .borrow()
            .values()
            .filter_map(|(resolved, _)| resolved.clone())
            .collect()
    }

    /// The value of a variable in the config's `Env`: the first one, as `getenv` finds it
    /// (builders write each name once; a hand-made config may not).
    pub(crate) fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The node at `path` after resolving links in its directories (and in the last component
    /// when `follow_last`), inside the image root.
    pub(crate) fn node(&self, path: &ImagePath, follow_last: bool) -> Option<&'a Node> {
        match self.image.fs.lookup(path, follow_last) {
            Ok((_, node)) => node,
            Err(_) => None,
        }
    }

    /// The content of a regular file (links followed inside the image), which the facts in
    /// `needed_by` read. A file that is there but cannot be read (not captured, too large, its
    /// links looping) is remembered as unjudged; an absent one is simply absent, as for the
    /// program that would read it.
    pub(crate) fn content(&self, path: &ImagePath, needed_by: &'static str) -> Option<&'a [u8]> {
        let (resolved, node) = match self.image.fs.lookup(path, true) {
            Ok((resolved, Some(node))) if node.kind() == EntryKind::File => (resolved, node),
            Err(ResolveError::TooManyLinks { .. }) => {
                let link_layer = self.image.fs.get(path).map(|node| node.layer);
                self.miss(
                    path,
                    None,
                    None,
                    UnjudgedReason::LinkLoop,
                    format!(
                        "resolving it takes more than {} links (a loop or an overlong chain)",
                        imgaudit_fs::MAX_SYMLINK_HOPS
                    ),
                    needed_by,
                    link_layer,
                );
                return None;
            }
            Ok(_) | Err(_) => return None,
        };
        if let Some(content) = node.content() {
            return Some(content);
        }
        let (reason, detail) = match self.image.unread.get(&resolved) {
            Some(unread) => (UnjudgedReason::of(unread), unread.to_string()),
            None => (
                UnjudgedReason::NotCaptured,
                "its content was not captured".to_owned(),
            ),
        };
        // A hard link's bytes are its target's: that is where it leads.
        let leads_to = node.entry.hardlink_target.as_ref().unwrap_or(&resolved);
        self.miss(
            path,
            Some(leads_to),
            Some(resolved.clone()),
            reason,
            detail,
            needed_by,
            Some(node.layer),
        );
        None
    }

    /// Remembers `path` as unjudged: `leads_to` is the file its links lead to (shown), `wanted`
    /// the node of the tree whose content is missing.
    #[allow(clippy::too_many_arguments)]
    fn miss(
        &self,
        path: &ImagePath,
        leads_to: Option<&ImagePath>,
        wanted: Option<ImagePath>,
        reason: UnjudgedReason,
        detail: String,
        needed_by: &'static str,
        layer: Option<usize>,
    ) {
        let shown = display(path);
        let unjudged = Unjudged {
            path: redacted(&shown),
            resolved: leads_to
                .map(display)
                .filter(|r| *r != shown)
                .map(|r| redacted(&r)),
            reason,
            detail,
            needed_by: needed_by.to_owned(),
            origin: self.layer_origin(Some(redacted(&shown)), layer),
        };
        self.misses
            .borrow_mut()
            .entry(shown)
            .or_insert((wanted, unjudged));
    }

    /// Remembers a file a domain needed and could not judge for a reason of its own (a
    /// budget), written by `layer`: never one the loader should read again.
    pub(crate) fn unjudged_file(
        &self,
        path: &ImagePath,
        reason: UnjudgedReason,
        detail: String,
        needed_by: &'static str,
        layer: usize,
    ) {
        self.miss(path, None, None, reason, detail, needed_by, Some(layer));
    }

    pub(crate) fn is_dir(&self, path: &ImagePath) -> bool {
        self.node(path, true)
            .is_some_and(|node| node.kind() == EntryKind::Dir)
    }

    pub(crate) fn exists(&self, path: &ImagePath) -> bool {
        self.node(path, true).is_some()
    }

    /// The history step that made a layer.
    pub(crate) fn layer_step(&self, layer: usize) -> Option<usize> {
        self.image.layers.get(layer).and_then(|l| l.history_step)
    }

    pub(crate) fn step_command(&self, step: Option<usize>) -> Option<String> {
        let step = step?;
        self.image
            .history
            .get(step)
            .and_then(|h| h.created_by.as_deref())
            .map(redacted)
    }

    /// Where the file at `path` came from, as the tree has it now.
    pub(crate) fn file_origin(&self, path: &ImagePath) -> Location {
        let layer = self.image.fs.get(path).map(|node| node.layer);
        self.layer_origin(Some(display(path)), layer)
    }

    pub(crate) fn layer_origin(&self, path: Option<String>, layer: Option<usize>) -> Location {
        let history_step = layer.and_then(|l| self.layer_step(l));
        Location {
            path,
            layer,
            history_step,
            created_by: self.step_command(history_step),
            ..Location::default()
        }
    }

    pub(crate) fn env_origin(&self, index: usize) -> Location {
        let history_step = self.env_steps.get(index).copied().flatten();
        Location {
            history_step,
            created_by: self.step_command(history_step),
            ..Location::default()
        }
    }
}

/// For each variable, the last history step whose `ENV` instruction sets it. Builders record
/// `ENV A=1 B=2` (BuildKit) or `/bin/sh -c #(nop) ENV A=1` (classic builder, buildah).
fn env_steps(image: &LoadedImage) -> std::collections::HashMap<&str, usize> {
    let mut steps = std::collections::HashMap::new();
    for (i, step) in image.history.iter().enumerate() {
        let Some(command) = step.created_by.as_deref() else {
            continue;
        };
        let Some(at) = command.find("ENV ") else {
            continue;
        };
        for word in command[at + 4..].split_whitespace() {
            steps.insert(word.split_once('=').map_or(word, |(n, _)| n), i);
        }
    }
    steps
}
