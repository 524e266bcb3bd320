//! Where a finding is: this module is where a finding's place in the image and in the
//! Dockerfile is made.
//!
//! A policy passes on the facts' [`Location`](imgaudit_finding::Location)s in its finding; the
//! first one is where reports point. [`in_image`] adds the digest of the layer it names;
//! [`source_lines`] maps its history step to the Dockerfile instruction that made it (or, for a
//! variable of the image's `Env`, the `ENV` that sets it), through the history map
//! `imgaudit-dockerfile` builds.

use imgaudit_dockerfile::{Dockerfile, HistoryMap, MatchKind};
use imgaudit_image::ImageMeta;
use imgaudit_policy::Finding;
use imgaudit_report::{InImage, LineMatch, SourceLines, Subject};

/// Where the finding's first location is in the image, with the layer's digest (its blob's,
/// else its `diff_id`).
pub fn in_image(meta: &ImageMeta, finding: &Finding) -> InImage {
    let Some(location) = finding.location() else {
        return InImage::default();
    };
    InImage::new(location, |index| {
        meta.layers
            .get(index)
            .map(|layer| layer.digest.as_ref().unwrap_or(&layer.diff_id).to_string())
    })
}

/// The Dockerfile lines of a finding: its history step's instruction, else (for a variable of
/// the image's Env) the `ENV` that sets it.
pub fn source_lines(
    uri: &str,
    file: &Dockerfile,
    map: &HistoryMap,
    in_image: &InImage,
    subject: &Subject,
) -> Option<SourceLines> {
    if let Some(mapped) = in_image
        .history_step
        .and_then(|step| map.steps.get(step))
        .and_then(Option::as_ref)
    {
        return Some(SourceLines {
            file: uri.to_owned(),
            start_line: mapped.start_line,
            end_line: mapped.end_line,
            instruction: mapped.keyword.to_string(),
            how: match mapped.how {
                MatchKind::BaseImage => LineMatch::BaseImage,
                MatchKind::Instruction => LineMatch::Instruction,
            },
        });
    }
    let variable = subject.variable.as_deref().filter(|_| subject.from_env)?;
    let instruction = file.env_instruction(map.stage, variable)?;
    Some(SourceLines {
        file: uri.to_owned(),
        start_line: instruction.start_line,
        end_line: instruction.end_line,
        instruction: instruction.keyword.to_string(),
        how: LineMatch::Env,
    })
}
