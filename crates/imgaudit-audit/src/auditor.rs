//! One image's audit: facts, evaluation, severities, fingerprints, locations, Dockerfile lines,
//! suppressions and the gate.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use imgaudit_cache::{DiskCache, LayerCache, LayerOrigin, Lookup};
use imgaudit_config::Date;
use imgaudit_dockerfile::Dockerfile;
use imgaudit_facts::{Domain, Domains};
use imgaudit_finding::Severity;
use imgaudit_image::{ImageMeta, ImageSpec};
use imgaudit_layer::CaptureRules;
use imgaudit_loader::{HistoryStep, LoadedImage, Opening};
use imgaudit_policy::{Engine, PolicySet, Rule};
use imgaudit_report::{
    AppliedSuppression, Audit, DockerfileUse, Gate, Reported, RuleInfo, Subject, SuppressionState,
    SuppressionStatus, Tool,
};

use crate::locate::{in_image, source_lines};
use crate::remember::{RememberedFacts, facts_key};
use crate::{AuditSettings, DockerfileChoice, REPOSITORY, Selection, policy_set};

/// The files the facts of `domains` read, as capture rules for the loader (with file inspection
/// when the secrets domain is among them). Load with these,
/// and with [`imgaudit_facts::config_paths`] as the loader's `capture_from_config`.
pub fn facts_capture(domains: &Domains) -> anyhow::Result<CaptureRules> {
    Ok(domains.capture_rules(imgaudit_layer::DEFAULT_MAX_CAPTURE_SIZE)?)
}

/// The domains `rule` names; `None` when it names none (then it may read any).
fn rule_domains(rule: &Rule) -> anyhow::Result<Option<Vec<Domain>>> {
    if rule.domains.is_empty() {
        return Ok(None);
    }
    let domains = rule.domains.iter().map(|name| {
        Domain::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Domain::ALL.iter().map(|d| d.name()).collect();
            anyhow::anyhow!(
                "{}: METADATA: `custom.domains` names `{name}`, which is not a fact domain ({})",
                rule.display_path(),
                known.join(", ")
            )
        })
    });
    Ok(Some(domains.collect::<anyhow::Result<_>>()?))
}

/// The fact domains the `enabled` rules read, once every loaded rule's domains are known to be
/// domains (a typo is an error whichever rules run).
fn domains_read(all: &[Rule], enabled: &[&Rule]) -> anyhow::Result<Domains> {
    for rule in all {
        rule_domains(rule)?;
    }
    let mut domains = Vec::new();
    for rule in enabled {
        match rule_domains(rule)? {
            Some(named) => domains.extend(named),
            None => return Ok(Domains::all()),
        }
    }
    Ok(Domains::of(domains))
}

/// What every image of a scan shares: settings, policies, the compiled engine, the Dockerfile.
#[derive(Debug)]
pub struct Auditor {
    settings: AuditSettings,
    set: PolicySet,
    selection: Selection,
    engine: Engine,
    /// The fact domains the enabled rules read: the only ones collected.
    domains: Domains,
    capture: CaptureRules,
    dockerfile: Option<(String, Dockerfile)>,
    notes: Vec<String>,
}

/// One image's audit, and what the exit status and a batch's summary need of it.
#[derive(Debug)]
pub struct Audited {
    pub audit: Audit,
    /// Unsuppressed findings at or above the gate's threshold.
    pub failing: usize,
    /// Where each layer's index came from: read, or remembered.
    pub layers: Vec<LayerOrigin>,
    /// Whether the image's facts were remembered from an earlier run (then no layer was read).
    pub facts_remembered: bool,
}

/// Reads the images an audit judges: the caller knows where they come from (files, registries,
/// daemons), this crate does not.
pub trait ImageLoader: Sync {
    /// Opens the image `argument` names: its manifest and config read and verified, no layer
    /// read (for a stream, nothing yet).
    fn open(&self, argument: &str) -> anyhow::Result<(ImageSpec, Opening)>;
    /// Reads the layers of what `open` gave with `capture` (and
    /// [`imgaudit_facts::config_paths`], and [`imgaudit_facts::wanted_files`]), remembering
    /// them in `layers`.
    fn load(
        &self,
        spec: &ImageSpec,
        opening: Opening,
        capture: &CaptureRules,
        layers: Option<Arc<LayerCache>>,
    ) -> anyhow::Result<LoadedImage>;
    /// What, besides the image and the capture rules, changes what `load` gives
    /// ([`imgaudit_loader::LoadOptions::fingerprint`]).
    fn load_fingerprint(&self) -> String;
}

/// What judging an image needs of it besides its facts.
struct ImageView<'a> {
    meta: &'a ImageMeta,
    history: &'a [HistoryStep],
    notes: Vec<String>,
    layers: Vec<LayerOrigin>,
}

impl Auditor {
    /// Loads the policies, selects the rules, compiles them and reads the Dockerfile: every
    /// mistake that needs no image is an error now.
    pub fn new(settings: AuditSettings) -> anyhow::Result<Auditor> {
        let set = policy_set(&settings.policy_dirs)?;
        let selection = Selection::new(&set, &settings)?;
        let engine = set.compile(&selection.excluded())?;
        let enabled: Vec<&Rule> = set
            .rules()
            .iter()
            .filter(|rule| selection.is_enabled(rule))
            .collect();
        let domains = domains_read(set.rules(), &enabled)?;
        let capture = facts_capture(&domains)?;
        let mut notes = Vec::new();
        let dockerfile = match &settings.dockerfile {
            Some(choice) => read_dockerfile(choice, &mut notes)?,
            None => None,
        };
        Ok(Auditor {
            settings,
            set,
            selection,
            engine,
            domains,
            capture,
            dockerfile,
            notes,
        })
    }

    /// The fact domains this audit collects.
    pub fn domains(&self) -> &Domains {
        &self.domains
    }

    /// What the loader must capture for this audit's facts (with
    /// [`imgaudit_facts::config_paths`] as its `capture_from_config`).
    pub fn capture(&self) -> &CaptureRules {
        &self.capture
    }

    pub fn settings(&self) -> &AuditSettings {
        &self.settings
    }

    /// The rules evaluated and those left out.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// Whether the reports name the image themselves (an image name or a SARIF category, from
    /// the flags or the configuration file): right for one image, a clash for many.
    pub fn names_the_image(&self) -> Option<&'static str> {
        if self.settings.image_name.is_some() {
            Some("an image name (--image-name or image-name)")
        } else if self.settings.category.is_some() {
            Some("a SARIF category (--sarif-category or sarif-category)")
        } else {
            None
        }
    }

    /// Opens the image `argument` names and judges it: straight from its remembered facts when
    /// `layers` has a cache directory that holds them, else from its layers (read or
    /// remembered), remembering its facts for the next run.
    pub fn audit_image(
        &self,
        loader: &dyn ImageLoader,
        argument: &str,
        layers: Option<Arc<LayerCache>>,
        category: Option<String>,
    ) -> anyhow::Result<(ImageSpec, Audited)> {
        let (spec, opening) = loader.open(argument)?;
        let disk = layers.as_deref().and_then(LayerCache::disk).cloned();
        let key = match (&opening, &disk) {
            (Opening::Opened { image, .. }, Some(_)) => Some(facts_key(
                &image.meta,
                &self.domains,
                &self.capture,
                &loader.load_fingerprint(),
            )),
            _ => None,
        };
        let mut cache_notes = Vec::new();
        if let (Some(disk), Some(key), Opening::Opened { image, note }) = (&disk, &key, &opening)
            && let Some(remembered) = remembered(disk, key, &mut cache_notes)
        {
            let meta = &image.meta;
            let (history, _, history_notes) = imgaudit_loader::history_of(meta);
            let notes = [note.as_slice(), &meta.notes, &remembered.content_notes]
                .into_iter()
                .flatten()
                .chain(&history_notes)
                .chain(&cache_notes)
                .cloned()
                .collect();
            let mut document = remembered.document;
            imgaudit_facts::reidentify(&mut document, meta);
            let view = ImageView {
                meta,
                history: &history,
                notes,
                layers: vec![LayerOrigin::Disk; meta.layers.len()],
            };
            let mut audited = self.judge(&view, &document, &spec, category)?;
            audited.facts_remembered = true;
            return Ok((spec, audited));
        }
        let mut image = loader.load(&spec, opening, &self.capture, layers)?;
        image.notes.extend(cache_notes);
        let facts = imgaudit_facts::collect(&image, &self.domains);
        let document = serde_json::to_value(&facts)?;
        drop(facts);
        if let (Some(disk), Some(key)) = (&disk, &key)
            && let Err(error) = disk.put_document(
                key,
                &RememberedFacts::encode(&document, &image.content_notes),
            )
        {
            image
                .notes
                .push(format!("the image's facts were not cached: {error}"));
        }
        let audited = self.judge(&ImageView::of(&image), &document, &spec, category)?;
        Ok((spec, audited))
    }

    /// Judges one loaded image. `spec` is what it was loaded from (it names the repository
    /// when the image does not); `category` stands in for the default SARIF category (a batch
    /// gives each image its own).
    pub fn audit(
        &self,
        image: &LoadedImage,
        spec: &ImageSpec,
        category: Option<String>,
    ) -> anyhow::Result<Audited> {
        let facts = imgaudit_facts::collect(image, &self.domains);
        let document = serde_json::to_value(&facts)?;
        self.judge(&ImageView::of(image), &document, spec, category)
    }

    /// Evaluates the rules on an image's facts document and makes the audit of what they find.
    fn judge(
        &self,
        image: &ImageView<'_>,
        input: &serde_json::Value,
        spec: &ImageSpec,
        category: Option<String>,
    ) -> anyhow::Result<Audited> {
        let settings = &self.settings;
        let mut notes = self.notes.clone();
        let mut findings = self.engine.evaluate(input)?;
        for finding in &mut findings {
            if let Some(severity) = self.selection.severity.get(&finding.rule_id) {
                finding.severity = *severity;
            }
        }

        // A name given with a tag or digest is used without them: reports must not change per
        // tag.
        let repository = match &settings.image_name {
            Some(name) => imgaudit_image::repository(name)
                .with_context(|| format!("--image-name: `{name}` names no repository"))?,
            None => imgaudit_image::image_repository(image.meta, spec, &mut notes),
        };
        let history_map = self.dockerfile.as_ref().and_then(|(_, file)| {
            let steps: Vec<imgaudit_dockerfile::RecordedStep<'_>> = image
                .history
                .iter()
                .map(|step| imgaudit_dockerfile::RecordedStep {
                    created_by: step.created_by.as_deref(),
                    empty_layer: step.empty_layer,
                })
                .collect();
            imgaudit_dockerfile::map_history(file, &steps)
        });
        let platform = image.meta.platform.to_string();
        let today = Date::today_utc();
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
            let in_image = in_image(image.meta, &finding);
            let lines =
                self.dockerfile.as_ref().zip(history_map.as_ref()).and_then(
                    |((uri, file), map)| source_lines(uri, file, map, &in_image, &subject),
                );
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
            .filter(|r| {
                r.suppressed.is_none() && settings.fail_on.is_reached_by(r.finding.severity)
            })
            .count();
        reported.retain(|r| r.finding.severity >= settings.min_severity);

        notes.extend(image.notes.iter().cloned());
        // The facts' own notes, as the document holds them.
        notes.extend(
            input
                .get("notes")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_str)
                .map(str::to_owned),
        );
        if let Some((uri, _)) = self.dockerfile.as_ref().filter(|_| history_map.is_none()) {
            notes.push(format!(
                "the history of the image does not match {uri}: findings point into the image instead"
            ));
        }
        notes.extend(self.set.warnings().iter().map(ToString::to_string));
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
        let rules: Vec<RuleInfo> = self
            .set
            .rules()
            .iter()
            .filter(|rule| self.selection.is_enabled(rule))
            .map(|rule| rule_info(rule, self.selection.severity.get(&rule.id).copied()))
            .collect();
        let audit = Audit {
            tool: Tool {
                name: "imgaudit".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                information_uri: REPOSITORY.to_owned(),
            },
            image: image.meta.identity(),
            repository: repository.clone(),
            rules,
            disabled: self.selection.disabled.clone(),
            findings: reported,
            gate: Gate {
                fail_on: settings.fail_on.to_string(),
                failing,
            },
            suppressions: suppression_status,
            dockerfile: self.dockerfile.as_ref().map(|(uri, _)| DockerfileUse {
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
            layers: image.layers.clone(),
            facts_remembered: false,
        })
    }
}

impl<'a> ImageView<'a> {
    fn of(image: &'a LoadedImage) -> ImageView<'a> {
        ImageView {
            meta: &image.meta,
            history: &image.history,
            notes: image.notes.clone(),
            layers: image.layers.iter().map(|l| l.origin).collect(),
        }
    }
}

/// The facts the cache directory remembers under `key`; what went wrong with the entry, if
/// anything, goes to `notes` (the facts are then collected again).
fn remembered(
    disk: &DiskCache,
    key: &imgaudit_cache::DerivedKey,
    notes: &mut Vec<String>,
) -> Option<RememberedFacts> {
    let reason = match disk.get_document(key) {
        Lookup::Hit(bytes) => match RememberedFacts::from_bytes(&bytes) {
            Ok(remembered) => return Some(remembered),
            Err(error) => format!("it is not a facts document: {error}"),
        },
        Lookup::Miss => return None,
        Lookup::Damaged(reason) => reason,
        Lookup::Unreadable(reason) => {
            notes.push(format!(
                "the layer cache's facts of this image cannot be read ({reason}): they were collected again"
            ));
            return None;
        }
    };
    notes.push(format!(
        "the layer cache's facts of this image were damaged ({reason}): they were collected again"
    ));
    None
}

/// Reads and parses the Dockerfile; returns its URI (relative to the working directory) too.
/// A discovered file that cannot be used is skipped; one the user named is an error.
fn read_dockerfile(
    choice: &DockerfileChoice,
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<(String, Dockerfile)>> {
    let path = &choice.path;
    let parsed = imgaudit_config::read_file_capped(path)
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
        })
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

fn rule_info(rule: &Rule, severity: Option<Severity>) -> RuleInfo {
    let builtin = matches!(rule.origin, imgaudit_policy::RuleOrigin::Builtin);
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
