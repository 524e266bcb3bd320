//! Places the layer reader's hits in the image: provenance, the final tree, removals.

use crate::Location;
use crate::context::{Context, display};
use crate::redact::redacted;
use crate::secrets::model::{SecretFile, SecretShown};
use crate::unjudged::UnjudgedReason;

/// The secrets found in the layers' files, and notes on what was not inspected.
pub(crate) fn collect(ctx: &Context<'_>) -> (Vec<SecretFile>, Vec<String>) {
    let mut notes = Vec::new();
    let Some(inspection) = &ctx.image.inspection else {
        notes.push(
            "the image was loaded without inspecting its files for secrets: secret_files is empty"
                .to_owned(),
        );
        return (Vec::new(), notes);
    };
    let secret_files = inspection
        .hits
        .iter()
        .map(|hit| {
            let path = redacted(&display(&hit.found.path));
            let in_final_tree = ctx
                .image
                .fs
                .get(&hit.found.path)
                .is_some_and(|node| node.layer == hit.layer);
            let origin = Location {
                line: Some(hit.found.hit.line),
                ..ctx.layer_origin(Some(path.clone()), Some(hit.layer))
            };
            SecretFile {
                detector: hit.found.hit.detector.id().to_owned(),
                category: hit.found.hit.category.id().to_owned(),
                description: hit.found.hit.detector.description().to_owned(),
                line: hit.found.hit.line,
                shown: SecretShown::from(&hit.found.hit.shown),
                fixture: hit.found.fixture,
                layer: hit.layer,
                history_step: origin.history_step,
                created_by: origin.created_by.clone(),
                removed_by: hit
                    .removed_by
                    .map(|layer| ctx.layer_origin(Some(path.clone()), Some(layer))),
                in_final_tree,
                origin,
                path,
            }
        })
        .collect();
    // Files the budget left out could hold a secret: each listed one is unjudged (AUD001 says
    // so), and the count says how many more there were.
    let budget = inspection.settings.max_layer_bytes;
    for (layer, path) in &inspection.uninspected {
        ctx.unjudged_file(
            path,
            UnjudgedReason::NotInspected,
            format!(
                "it was not inspected for secrets: layer {layer} holds more than {budget} bytes of files to inspect, the budget of one layer"
            ),
            "secret_files",
            *layer,
        );
    }
    let listed = inspection.uninspected.len() as u64;
    if inspection.uninspected_count > listed {
        notes.push(format!(
            "{} files were not inspected for secrets because their layer's budget of {budget} bytes was spent; the first {listed} are listed as unjudged",
            inspection.uninspected_count
        ));
    }
    (secret_files, notes)
}
