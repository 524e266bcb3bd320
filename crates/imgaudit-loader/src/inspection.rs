//! The secrets the layer reader found in files, gathered over the image: which layer holds
//! each, and which later layer removed or replaced it.

use std::collections::HashMap;

use imgaudit_layer::{Change, ContentHit, EntryKind, ImagePath, Inspection, LayerIndex};

/// What inspecting the files of every layer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInspection {
    /// The settings the layers were inspected with.
    pub settings: Inspection,
    /// Every hit, by layer, in each layer's tar order.
    pub hits: Vec<LayerHit>,
    /// Files the per-layer budget left uninspected, by layer (the first few of each layer).
    pub uninspected: Vec<(usize, ImagePath)>,
    /// How many files the budget left uninspected in all (listed or not).
    pub uninspected_count: u64,
    /// Bytes the detectors looked at, over all layers.
    pub inspected_bytes: u64,
}

/// One secret in a file of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerHit {
    pub layer: usize,
    pub found: ContentHit,
    /// The first later layer that removed the file (a whiteout of it or of a directory above
    /// it, an opaque directory above it) or replaced it (an entry at its path, or a non-directory
    /// at a directory above it); `None` when no later layer touched it.
    pub removed_by: Option<usize>,
}

/// Gathers the layers' inspections; `None` unless every layer was inspected (with the same
/// settings, which the capture rules of one load give them all).
pub(crate) fn gather<'a>(
    settings: Option<&Inspection>,
    layers: impl ExactSizeIterator<Item = &'a LayerIndex> + Clone,
) -> Option<ImageInspection> {
    let settings = *settings?;
    let mut image = ImageInspection {
        settings,
        hits: Vec::new(),
        uninspected: Vec::new(),
        uninspected_count: 0,
        inspected_bytes: 0,
    };
    for (layer, index) in layers.clone().enumerate() {
        let inspected = index.inspected.as_ref()?;
        image
            .hits
            .extend(inspected.hits.iter().map(|found| LayerHit {
                layer,
                found: found.clone(),
                removed_by: None,
            }));
        image
            .uninspected
            .extend(inspected.uninspected.iter().map(|p| (layer, p.clone())));
        image.uninspected_count += inspected.uninspected_count;
        image.inspected_bytes += inspected.inspected_bytes;
    }
    mark_removals(&mut image.hits, layers);
    Some(image)
}

/// Sets `removed_by` for each hit: one pass over the changes of the layers, each change looked
/// up once among the paths of the hits and their ancestors.
fn mark_removals<'a>(hits: &mut [LayerHit], layers: impl Iterator<Item = &'a LayerIndex>) {
    if hits.is_empty() {
        return;
    }
    // For each path: the hits at it (`true`) and the hits below it (`false`).
    let mut watched: HashMap<ImagePath, Vec<(usize, bool)>> = HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        watched
            .entry(hit.found.path.clone())
            .or_default()
            .push((i, true));
        let mut ancestor = hit.found.path.clone();
        while !ancestor.is_root() {
            ancestor = ancestor.parent();
            watched
                .entry(ancestor.clone())
                .or_default()
                .push((i, false));
        }
    }
    for (layer, index) in layers.enumerate() {
        for change in &index.changes {
            let Some(affected) = watched.get(change.path()) else {
                continue;
            };
            for &(i, at_path) in affected {
                let hit = &mut hits[i];
                if hit.layer >= layer || hit.removed_by.is_some() {
                    continue;
                }
                let removes = match change {
                    Change::Add { entry, .. } => at_path || entry.kind != EntryKind::Dir,
                    Change::Whiteout { .. } => true,
                    Change::Opaque { .. } => !at_path,
                };
                if removes {
                    hit.removed_by = Some(layer);
                }
            }
        }
    }
}
