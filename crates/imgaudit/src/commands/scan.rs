//! `imgaudit scan IMAGE…` (and `imgaudit IMAGE`): one image, or a batch; `imgaudit facts`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use imgaudit_audit::batch::{self, BatchOptions};
use imgaudit_audit::{Auditor, ReportFormat, render};
use imgaudit_cache::LayerCache;
use imgaudit_facts::Domains;

use super::Report;
use crate::args::{FactsArgs, GlobalArgs, ScanArgs};
use crate::output::to_json;
use crate::printer;
use crate::settings::{self, Reading};

/// Runs the audit and writes its reports; the exit status is 1 when an unsuppressed finding
/// reaches `--fail-on`, whatever `--min-severity` leaves in the reports. Several images (or
/// `--images-from`) make a batch.
pub(crate) fn run(global: &GlobalArgs, args: &ScanArgs) -> anyhow::Result<Report> {
    let images = settings::image_list(args)?;
    if images.len() != 1 || args.images_from.is_some() {
        return run_batch(global, args, &images);
    }
    let outputs = render::outputs(args.outputs.clone(), settings::stdout_format(args))?;
    let auditor = Auditor::new(settings::audit_settings(args)?)?;
    let color = settings::color(args.color);
    let reading = Reading::new(global).with_config(auditor.settings().config.as_ref());
    // The argument is checked before the cache is opened: its errors come first.
    reading.image_spec(&images[0])?;
    let (_, audited) = auditor.audit_image(&reading, &images[0], reading.cache.layers()?, None)?;
    let (stdout, files) = render::render(&audited.audit, &outputs, color);
    let file_name = batch::file_names(&images).remove(0);
    let files: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|(path, text)| (batch::expand(&path, &file_name), text))
        .collect();
    render::write_all_or_none(&files)?;
    let json = outputs
        .iter()
        .any(|o| o.path.is_none() && o.format != ReportFormat::Text);
    Ok(Report {
        text: stdout,
        json,
        status: u8::from(audited.failing > 0),
    })
}

fn run_batch(global: &GlobalArgs, args: &ScanArgs, images: &[String]) -> anyhow::Result<Report> {
    let stdout_format = settings::stdout_format(args);
    let outputs = render::outputs(args.outputs.clone(), stdout_format)?;
    // `render::outputs` puts a text report on standard output when nothing else goes there; a
    // batch puts its summary table there instead.
    let asked_for_stdout = stdout_format.is_some() || args.outputs.iter().any(|o| o.path.is_none());
    let stdout_format = outputs
        .iter()
        .find(|o| o.path.is_none() && asked_for_stdout)
        .map(|o| o.format);
    let files: Vec<_> = outputs.into_iter().filter(|o| o.path.is_some()).collect();
    batch::check_outputs(images, &files, stdout_format)?;
    let auditor = Auditor::new(settings::audit_settings(args)?)?;
    batch::check_names(&auditor, images.len())?;
    let reading = Reading::new(global).with_config(auditor.settings().config.as_ref());
    let show_progress = reading.shows_progress();
    let reading = reading.without_progress();
    let layers = Arc::new(LayerCache::new(
        reading.cache.disk()?,
        args.memory_budget / 4,
    ));
    let options = BatchOptions {
        parallel: usize::try_from(args.parallel_images).unwrap_or(1),
        memory_budget: args.memory_budget,
        outputs: files,
        stdout_format,
        color: settings::color(args.color),
    };
    let started = Instant::now();
    let done = batch::run(
        &auditor,
        images,
        &reading,
        &layers,
        &options,
        &printer::BatchLines { show_progress },
    );
    let mut text: String = done
        .iter()
        .filter_map(|d| d.outcome.as_ref().ok()?.stdout.as_deref())
        .collect();
    let table = batch::summary(
        &done,
        started.elapsed(),
        &auditor.settings().fail_on.to_string(),
    );
    match stdout_format {
        None => text.push_str(&table),
        Some(_) => printer::stderr(&table),
    }
    Ok(Report {
        text,
        // JSON Lines, one report per image; otherwise text reports and the summary table.
        json: stdout_format == Some(ReportFormat::Json),
        status: batch::status(&done),
    })
}

pub(crate) fn facts(global: &GlobalArgs, args: &FactsArgs) -> anyhow::Result<String> {
    let reading = Reading::new(global);
    let spec = reading.image_spec(&args.image)?;
    let domains = Domains::all();
    let capture = imgaudit_audit::facts_capture(&domains)?;
    let image = reading.load_for_facts(&spec, &capture, reading.cache.layers()?)?;
    to_json(&imgaudit_facts::collect(&image, &domains))
}
