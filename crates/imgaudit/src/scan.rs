//! `imgaudit scan IMAGE` (and `imgaudit IMAGE`): configuration, facts, policies, findings,
//! reports; `imgaudit facts`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use imgaudit_cache::LayerCache;
use imgaudit_config::Config;
use imgaudit_dockerfile::{Dockerfile, HistoryMap, MatchKind};
use imgaudit_facts::redact::redact;
use imgaudit_layer::CaptureRules;
use imgaudit_loader::LoadedImage;
use imgaudit_policy::{Finding, PolicySet, Rule, Severity};
use imgaudit_report::{
    AppliedSuppression, Audit, DockerfileUse, Gate, ImageInfo, InImage, LineMatch, Reported,
    RuleInfo, SourceLines, Subject, SuppressionState, SuppressionStatus, Tool,
};
use serde_json::Value as Json;

use crate::Report;
use crate::args::{
    ColorChoice, FactsArgs, GlobalArgs, OutputTarget, ReportFormat, ScanArgs, Threshold,
};
use crate::output::to_json;

const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Loads an image with everything the facts need captured, remembering its layers in `layers`.
fn load_for_facts(
    global: &GlobalArgs,
    image: &imgaudit_image::ImageSpec,
    layers: Option<Arc<LayerCache>>,
) -> anyhow::Result<LoadedImage> {
    let capture = CaptureRules::new(
        &imgaudit_facts::capture_patterns(),
        imgaudit_layer::DEFAULT_MAX_CAPTURE_SIZE,
    )?;
    global.load_in(image, capture, Some(imgaudit_facts::config_paths), layers)
}

/// The built-in policies plus the user's directories.
pub(crate) fn policy_set(dirs: &[PathBuf]) -> anyhow::Result<PolicySet> {
    let mut set = PolicySet::builtin().context("the built-in policies do not load")?;
    for dir in dirs {
        set.add_dir(dir)
            .with_context(|| format!("cannot load the policies in {}", dir.display()))?;
    }
    Ok(set)
}

/// The scan's settings: flags over the configuration file over defaults.
struct Settings {
    config: Option<Config>,
    fail_on: Threshold,
    min_severity: Severity,
    policy_dirs: Vec<PathBuf>,
    dockerfile: Option<DockerfileChoice>,
    image_name: Option<String>,
    category: Option<String>,
}

impl Settings {
    fn new(args: &ScanArgs) -> anyhow::Result<Settings> {
        let config = if args.no_config {
            None
        } else if let Some(path) = &args.config {
            Some(Config::load(path)?)
        } else {
            let cwd = std::env::current_dir().context("cannot read the working directory")?;
            Config::discover(&cwd)
                .map(|path| Config::load(&path))
                .transpose()?
        };
        let file = config.as_ref();
        let mut policy_dirs: Vec<PathBuf> = file.map(|c| c.policies.clone()).unwrap_or_default();
        policy_dirs.extend(args.policies.policy_dirs.iter().cloned());
        // An explicit Dockerfile must be usable; a discovered one is used only if it is.
        let dockerfile = args
            .dockerfile
            .clone()
            .or_else(|| file.and_then(|c| c.dockerfile.clone()))
            .map(|path| DockerfileChoice { path, named: true })
            .or_else(|| {
                ["Dockerfile", "Containerfile"]
                    .into_iter()
                    .map(PathBuf::from)
                    .find(|path| path.is_file())
                    .map(|path| DockerfileChoice { path, named: false })
            });
        Ok(Settings {
            fail_on: args
                .fail_on
                .or_else(|| file.and_then(|c| c.fail_on))
                .unwrap_or(Threshold::AtOrAbove(Severity::High)),
            min_severity: args
                .min_severity
                .or_else(|| file.and_then(|c| c.min_severity))
                .unwrap_or(Severity::Info),
            policy_dirs,
            dockerfile,
            image_name: args
                .image_name
                .clone()
                .or_else(|| file.and_then(|c| c.image_name.clone())),
            category: args
                .sarif_category
                .clone()
                .or_else(|| file.and_then(|c| c.sarif_category.clone())),
            config,
        })
    }
}

/// The Dockerfile to map findings to, and whether the user named it (then it must be usable;
/// a discovered one is used only if it is).
struct DockerfileChoice {
    path: PathBuf,
    named: bool,
}

/// The rules to evaluate and the severities they report with.
struct Selection {
    disabled: Vec<String>,
    severity: BTreeMap<String, Severity>,
}

fn select_rules(
    set: &PolicySet,
    settings: &Settings,
    args: &ScanArgs,
) -> anyhow::Result<Selection> {
    let mut disabled: Vec<String> = Vec::new();
    let mut severity = BTreeMap::new();
    if let Some(config) = &settings.config {
        let known: Vec<imgaudit_config::RuleKey<'_>> = set
            .rules()
            .iter()
            .map(|rule| imgaudit_config::RuleKey {
                id: &rule.id,
                name: &rule.name,
            })
            .collect();
        let resolved = config.resolve_rules(&known)?;
        disabled.extend(resolved.disabled);
        severity = resolved.severity;
    }
    // `--disable` adds to the file's list; an unknown name is an error before the image is read.
    for key in &args.policies.disable {
        match set.find_rule(key) {
            Some(rule) => disabled.push(rule.id.clone()),
            // The policy crate's error lists the known ids.
            None => set.compile(std::slice::from_ref(key)).map(|_| ())?,
        }
    }
    disabled.sort();
    disabled.dedup();
    Ok(Selection { disabled, severity })
}

/// What every image of a scan shares: settings, policies, the Dockerfile. Everything that can
/// be checked without an image is checked here, first: a typo costs nothing.
pub(crate) struct Prepared {
    settings: Settings,
    set: PolicySet,
    selection: Selection,
    engine: imgaudit_policy::Engine,
    dockerfile: Option<(String, Dockerfile)>,
    notes: Vec<String>,
    color: bool,
}

impl Prepared {
    pub(crate) fn new(args: &ScanArgs) -> anyhow::Result<Prepared> {
        let settings = Settings::new(args)?;
        let set = policy_set(&settings.policy_dirs)?;
        let selection = select_rules(&set, &settings, args)?;
        let engine = set.compile(&selection.disabled)?;
        let mut notes: Vec<String> = Vec::new();
        let dockerfile = match &settings.dockerfile {
            Some(choice) => read_dockerfile(choice, &mut notes)?,
            None => None,
        };
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Ok(Prepared {
            settings,
            set,
            selection,
            engine,
            dockerfile,
            notes,
            color,
        })
    }

    pub(crate) fn color(&self) -> bool {
        self.color
    }

    /// The gate's threshold (`high`, `none`, …).
    pub(crate) fn fail_on(&self) -> String {
        self.settings.fail_on.to_string()
    }

    /// Whether the reports name the image themselves (`--image-name`, `--sarif-category`, from
    /// the flags or the configuration file): right for one image, a clash for many.
    pub(crate) fn names_the_image(&self) -> Option<&'static str> {
        if self.settings.image_name.is_some() {
            Some("an image name (--image-name or image-name)")
        } else if self.settings.category.is_some() {
            Some("a SARIF category (--sarif-category or sarif-category)")
        } else {
            None
        }
    }
}

/// One image's audit, and what the exit status and the batch summary need of it.
pub(crate) struct Audited {
    pub(crate) audit: Audit,
    /// Unsuppressed findings at or above `--fail-on`.
    pub(crate) failing: usize,
    pub(crate) layers: Vec<imgaudit_loader::Origin>,
}

/// Runs the audit and writes its reports; the exit status is 1 when an unsuppressed finding
/// reaches `--fail-on`, whatever `--min-severity` leaves in the reports. Several images (or
/// `--images-from`) make a batch.
pub(crate) fn run(global: &GlobalArgs, args: &ScanArgs) -> anyhow::Result<Report> {
    let images = crate::batch::image_list(args)?;
    if images.len() != 1 || args.images_from.is_some() {
        return crate::batch::run(global, args, &images);
    }
    let outputs = outputs(args)?;
    let prepared = Prepared::new(args)?;
    let spec = global.image_spec(&images[0])?;
    let audited = audit(global, &prepared, &spec, global.cache.layers()?, None)?;
    let (stdout, files) = render(&prepared, &audited.audit, &outputs);
    let file_name = crate::batch::file_names(&images).remove(0);
    let files: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|(path, text)| (crate::batch::expand(&path, &file_name), text))
        .collect();
    write_all_or_none(&files)?;
    Ok(Report {
        text: stdout,
        status: u8::from(audited.failing > 0),
    })
}

/// Reads one image and evaluates the policies over its facts. `category` stands in for the
/// default SARIF category (a batch gives each image its own).
pub(crate) fn audit(
    global: &GlobalArgs,
    prepared: &Prepared,
    spec: &imgaudit_image::ImageSpec,
    layers: Option<Arc<LayerCache>>,
    category: Option<String>,
) -> anyhow::Result<Audited> {
    let Prepared {
        settings,
        set,
        selection,
        engine,
        dockerfile,
        ..
    } = prepared;
    let mut notes = prepared.notes.clone();
    let image = load_for_facts(global, spec, layers)?;
    let facts = imgaudit_facts::collect(&image);
    let input = serde_json::to_value(&facts)?;
    let mut findings = engine.evaluate(&input)?;
    for finding in &mut findings {
        if let Some(severity) = selection.severity.get(&finding.rule_id) {
            finding.severity = *severity;
        }
    }

    // A name given with a tag or digest is used without them: reports must not change per tag.
    let repository = match &settings.image_name {
        Some(name) => imgaudit_image::repository(name)
            .with_context(|| format!("--image-name: `{name}` names no repository"))?,
        None => imgaudit_image::image_repository(&image.meta, spec, &mut notes),
    };
    let history_map = dockerfile.as_ref().and_then(|(_, file)| {
        let steps: Vec<imgaudit_dockerfile::HistoryStep<'_>> = image
            .history
            .iter()
            .map(|step| imgaudit_dockerfile::HistoryStep {
                created_by: step.created_by.as_deref(),
                empty_layer: step.empty_layer,
            })
            .collect();
        imgaudit_dockerfile::map_history(file, &steps)
    });
    let platform = image.meta.platform.to_string();
    let today = imgaudit_config::Date::today_utc();
    let suppressions = settings
        .config
        .as_ref()
        .map_or(&[][..], |c| c.suppressions.as_slice());
    let mut matched = vec![0usize; suppressions.len()];

    let mut reported: Vec<Reported> = Vec::with_capacity(findings.len());
    for finding in findings {
        let subject = Subject::of(&finding);
        let fingerprint =
            imgaudit_report::fingerprint(&finding.rule_id, &repository, &platform, &subject);
        let in_image = in_image(&image, &finding);
        let lines = dockerfile
            .as_ref()
            .zip(history_map.as_ref())
            .and_then(|((uri, file), map)| {
                source_lines(uri, file, map, &in_image, &subject, &finding)
            });
        let mut suppressed = None;
        for (index, suppression) in suppressions.iter().enumerate() {
            if suppression.matches(
                &finding.rule_id,
                &finding.rule_name,
                &repository,
                &subject.targets(),
            ) {
                matched[index] += 1;
                if suppressed.is_none() && !suppression.is_expired(today) {
                    suppressed = Some(AppliedSuppression {
                        reason: suppression.reason.clone(),
                        expires: suppression.expires.map(|d| d.to_string()),
                        line: suppression.line,
                    });
                }
            }
        }
        reported.push(Reported {
            finding,
            subject,
            fingerprint,
            in_image,
            dockerfile: lines,
            suppressed,
        });
    }

    imgaudit_report::fingerprint::disambiguate(&mut reported);
    let failing = reported
        .iter()
        .filter(|r| r.suppressed.is_none() && settings.fail_on.is_reached_by(r.finding.severity))
        .count();
    reported.retain(|r| r.finding.severity >= settings.min_severity);

    notes.extend(image.notes.iter().cloned());
    notes.extend(facts.notes.iter().cloned());
    if let Some((uri, _)) = dockerfile.as_ref().filter(|_| history_map.is_none()) {
        notes.push(format!(
            "the history of the image does not match {uri}: findings point into the image instead"
        ));
    }
    notes.extend(set.warnings().iter().map(ToString::to_string));
    let suppression_status = suppressions
        .iter()
        .zip(&matched)
        .map(|(s, &matched)| SuppressionStatus {
            rule: s.rule.clone(),
            image: s.image.clone(),
            target: s.target.clone(),
            reason: s.reason.clone(),
            expires: s.expires.map(|d| d.to_string()),
            line: s.line,
            status: if s.is_expired(today) {
                SuppressionState::Expired
            } else if matched == 0 {
                SuppressionState::Unused
            } else {
                SuppressionState::Used
            },
            matched,
        })
        .collect();
    let rules: Vec<RuleInfo> = set
        .rules()
        .iter()
        .filter(|rule| !selection.disabled.contains(&rule.id))
        .map(|rule| rule_info(rule, selection.severity.get(&rule.id).copied()))
        .collect();
    let meta = &image.meta;
    let audit = Audit {
        tool: Tool {
            name: "imgaudit".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            information_uri: REPOSITORY.to_owned(),
        },
        image: ImageInfo {
            source: meta.source.clone(),
            transport: meta.transport,
            name: meta.name.clone(),
            manifest_digest: meta.manifest_digest.as_ref().map(ToString::to_string),
            config_digest: meta.config_digest.to_string(),
            platform,
            repository: repository.clone(),
        },
        rules,
        disabled: selection.disabled.clone(),
        findings: reported,
        gate: Gate {
            fail_on: settings.fail_on.to_string(),
            failing,
        },
        suppressions: suppression_status,
        dockerfile: dockerfile.as_ref().map(|(uri, _)| DockerfileUse {
            file: uri.clone(),
            matched: history_map.is_some(),
            stage: history_map.as_ref().map(|m| m.stage),
        }),
        category: settings
            .category
            .clone()
            .or(category)
            .unwrap_or_else(|| imgaudit_report::default_category(&repository)),
        notes,
        config_file: settings
            .config
            .as_ref()
            .map(|c| c.path.display().to_string()),
    };
    Ok(Audited {
        audit,
        failing,
        layers: image.layers.iter().map(|l| l.origin).collect(),
    })
}

/// Renders the reports `outputs` ask for: the one for standard output, and the files (redacted;
/// standard output is redacted when printed). Everything is rendered before anything is
/// written, so that a failure leaves no half report.
pub(crate) fn render(
    prepared: &Prepared,
    audit: &Audit,
    outputs: &[OutputTarget],
) -> (String, Vec<(PathBuf, String)>) {
    let mut stdout = String::new();
    let mut files = Vec::new();
    for target in outputs {
        let to_stdout = target.path.is_none();
        let text = render_one(audit, target.format, prepared.color && to_stdout);
        match &target.path {
            None => stdout = text,
            Some(path) => files.push((path.clone(), redact(&text).into_owned())),
        }
    }
    (stdout, files)
}

pub(crate) fn render_one(audit: &Audit, format: ReportFormat, color: bool) -> String {
    match format {
        ReportFormat::Text => imgaudit_report::text::render(audit, color),
        ReportFormat::Json => imgaudit_report::json::render(audit),
        ReportFormat::Sarif => imgaudit_report::sarif::render(audit),
        ReportFormat::Codequality => imgaudit_report::codequality::render(audit),
    }
}

/// The reports to write: `--output`s, plus `--format` (or text) on standard output when no
/// `--output` goes there.
pub(crate) fn outputs(args: &ScanArgs) -> anyhow::Result<Vec<OutputTarget>> {
    let mut outputs = args.outputs.clone();
    if let Some(format) = args.format {
        outputs.push(OutputTarget { format, path: None });
    } else if outputs.is_empty() {
        outputs.push(OutputTarget {
            format: ReportFormat::Text,
            path: None,
        });
    }
    if outputs.iter().filter(|o| o.path.is_none()).count() > 1 {
        anyhow::bail!(
            "only one report can go to standard output: give the others a file with --output FORMAT=PATH"
        );
    }
    let mut seen: Vec<&Path> = Vec::new();
    for path in outputs.iter().filter_map(|o| o.path.as_deref()) {
        if seen.contains(&path) {
            anyhow::bail!("--output names {} twice", path.display());
        }
        seen.push(path);
    }
    Ok(outputs)
}

/// Writes every report to a temporary file beside its destination, then renames them all into
/// place: a reader never sees half a report, and when one cannot be written none is replaced.
pub(crate) fn write_all_or_none(files: &[(PathBuf, String)]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut staged = Vec::with_capacity(files.len());
    for (path, text) in files {
        let context = || format!("cannot write the report {}", path.display());
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
        // Reports are for whoever reads the CI's artifacts: keep a replaced file's mode, else
        // the usual 0644 (a temporary file starts as 0600).
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        let mut temp = tempfile::Builder::new()
            .prefix(".imgaudit-")
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(dir)
            .with_context(context)?;
        std::io::Write::write_all(&mut temp, text.as_bytes()).with_context(context)?;
        staged.push((temp, path));
    }
    for (temp, path) in staged {
        temp.persist(path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    Ok(())
}

/// Reads and parses the Dockerfile; returns its URI (relative to the working directory) too.
/// A discovered file that cannot be used is skipped; one the user named is an error.
fn read_dockerfile(
    choice: &DockerfileChoice,
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<(String, Dockerfile)>> {
    let path = &choice.path;
    let parsed = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the Dockerfile {}", path.display()))
        .and_then(|text| {
            Dockerfile::parse(&text).map_err(|e| match e.line {
                0 => anyhow::anyhow!("{}: {}", path.display(), e.message),
                line => anyhow::anyhow!("{}:{line}: {}", path.display(), e.message),
            })
        })
        .and_then(|file| Ok((relative_uri(path)?, file)));
    match parsed {
        Ok(found) => Ok(Some(found)),
        Err(error) if choice.named => Err(error),
        Err(error) => {
            notes.push(format!("{error:#}; findings point into the image instead"));
            Ok(None)
        }
    }
}

/// `path` relative to the working directory with `/` separators: what code scanning matches
/// against the files of the repository.
fn relative_uri(path: &Path) -> anyhow::Result<String> {
    let cwd = std::env::current_dir()?.canonicalize()?;
    let absolute = path
        .canonicalize()
        .with_context(|| format!("cannot read the Dockerfile {}", path.display()))?;
    let relative = absolute.strip_prefix(&cwd).map_err(|_| {
        anyhow::anyhow!(
            "the Dockerfile {} is outside the working directory {}: run imgaudit from the repository's root so that findings can point at it",
            path.display(),
            cwd.display()
        )
    })?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

/// Where the finding's first location is in the image, with the layer's digest.
fn in_image(image: &LoadedImage, finding: &Finding) -> InImage {
    let Some(location) = finding.locations.first() else {
        return InImage::default();
    };
    let text = |key: &str| location.get(key).and_then(Json::as_str).map(str::to_owned);
    let number = |key: &str| location.get(key).and_then(Json::as_u64);
    let layer = number("layer").and_then(|n| usize::try_from(n).ok());
    InImage {
        path: text("path"),
        line: number("line")
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n >= 1),
        layer,
        layer_digest: layer
            .and_then(|index| image.meta.layers.get(index))
            .map(|layer| layer.digest.as_ref().unwrap_or(&layer.diff_id).to_string()),
        history_step: number("history_step").and_then(|n| usize::try_from(n).ok()),
        created_by: text("created_by"),
    }
}

/// The Dockerfile lines of a finding: its history step's instruction, else (for a variable of
/// the image's Env) the `ENV` that sets it.
fn source_lines(
    uri: &str,
    file: &Dockerfile,
    map: &HistoryMap,
    in_image: &InImage,
    subject: &Subject,
    finding: &Finding,
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
    let from_env = finding.evidence.get("source").and_then(Json::as_str) == Some("env");
    let variable = subject.variable.as_deref().filter(|_| from_env)?;
    let instruction = file.env_instruction(map.stage, variable)?;
    Some(SourceLines {
        file: uri.to_owned(),
        start_line: instruction.start_line,
        end_line: instruction.end_line,
        instruction: instruction.keyword.to_string(),
        how: LineMatch::Env,
    })
}

fn rule_info(rule: &Rule, severity: Option<Severity>) -> RuleInfo {
    let builtin = matches!(rule.origin, imgaudit_policy::Origin::Builtin);
    let help_uri = if builtin {
        let doc = rule.path.strip_suffix(".rego").unwrap_or(&rule.path);
        format!("{REPOSITORY}/blob/main/{doc}.md")
    } else {
        rule.references
            .first()
            .cloned()
            .unwrap_or_else(|| REPOSITORY.to_owned())
    };
    RuleInfo {
        id: rule.id.clone(),
        name: rule.name.clone(),
        title: rule.title.clone(),
        description: rule.description.clone(),
        severity: severity.unwrap_or(rule.severity),
        remediation: rule.remediation.clone(),
        doc: rule.doc.clone(),
        help_text: imgaudit_policy::render_doc_text(rule),
        help_uri,
        // The directory the rule sits in: `pip`, `python`, or the user's own grouping.
        category: Path::new(&rule.path)
            .parent()
            .and_then(Path::file_name)
            .map(|dir| dir.to_string_lossy().into_owned()),
    }
}

pub(crate) fn facts(global: &GlobalArgs, args: &FactsArgs) -> anyhow::Result<String> {
    let image = load_for_facts(
        global,
        &global.image_spec(&args.image)?,
        global.cache.layers()?,
    )?;
    to_json(&imgaudit_facts::collect(&image))
}
