//! Secrets looked for in each regular file while a layer streams past ([`imgaudit_secrets::content`]),
//! within a size cap per file and a budget of bytes per layer.

use std::collections::HashSet;
use std::io::{self, Read};

use imgaudit_secrets::content::{self, FileHit};

use crate::ImagePath;

/// The default budget of bytes inspected in one layer: a layer's text files under the file cap
/// rarely come to a few hundred megabytes, and the detectors stay cheap below it.
pub const DEFAULT_MAX_INSPECTED_BYTES: u64 = 1024 * 1024 * 1024;
/// How many files skipped for the budget one layer lists by path (the rest are counted).
pub const MAX_UNINSPECTED_LISTED: usize = 100;
/// How many hits one layer keeps; beyond, the layer's notes say so.
pub const MAX_HITS_PER_LAYER: usize = 10_000;

/// What to look for secrets in while reading, and how much.
///
/// The budget is per layer, not per image, on purpose: a layer's findings then depend on its
/// bytes and these settings alone (layers are read in parallel, and cached indexes are shared
/// between images), so the same layer always gives the same hits and the same skipped files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspection {
    /// Regular files larger than this are not inspected.
    pub max_file_size: u64,
    /// Bytes inspected in one layer at most; files beyond are listed as not inspected.
    pub max_layer_bytes: u64,
}

impl Default for Inspection {
    fn default() -> Self {
        Inspection {
            max_file_size: content::DEFAULT_MAX_FILE_SIZE,
            max_layer_bytes: DEFAULT_MAX_INSPECTED_BYTES,
        }
    }
}

/// One secret found in a file of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHit {
    pub path: ImagePath,
    pub hit: FileHit,
    /// The path looks like a package's own test fixture ([`content::is_fixture`]).
    pub fixture: bool,
}

/// What inspecting one layer found, and what it left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inspected {
    pub hits: Vec<ContentHit>,
    /// Files under the size cap that the layer's budget left uninspected, the first
    /// [`MAX_UNINSPECTED_LISTED`] of them by path.
    pub uninspected: Vec<ImagePath>,
    /// How many files the budget left uninspected in all.
    pub uninspected_count: u64,
    /// Bytes the detectors looked at.
    pub inspected_bytes: u64,
}

/// Work for the thread that runs the detectors, in tar order.
enum Job {
    /// A regular file's bytes (all of a text file, the head of a binary one).
    File {
        path: ImagePath,
        bytes: Vec<u8>,
        binary: bool,
    },
    /// An entry that is not a regular file replaced whatever was at `path`.
    Replaced(ImagePath),
}

/// Batches of jobs waiting for the detectors, at most. A batch is sent once it holds
/// [`BATCH_JOBS`] jobs or [`BATCH_BYTES`] bytes of files, so with files of at most the size cap
/// the memory in flight per layer stays under `(JOBS_IN_FLIGHT + 2) * (BATCH_BYTES + cap)`.
const JOBS_IN_FLIGHT: usize = 2;
/// Jobs go to the detectors' thread in batches: sent one by one, a layer of a million small
/// files spent a third of its time waking that thread and waiting on the channel's lock.
const BATCH_JOBS: usize = 1024;
/// Bytes of file contents and paths that close a batch early, so that a batch of large files
/// (or of long paths) does not hold many megabytes.
const BATCH_BYTES: usize = 256 * 1024;

/// The inspection state of one layer's walk. The walk reads each file's bytes (it must, to
/// move past them) and hands them to a thread of their own that runs the detectors, so that
/// inspecting does not lengthen the walk, which is the slowest stage of a large layer.
pub(crate) struct Inspector<'scope> {
    settings: Inspection,
    inspected_bytes: u64,
    uninspected: Vec<ImagePath>,
    uninspected_count: u64,
    jobs: Option<std::sync::mpsc::SyncSender<Vec<Job>>>,
    /// Jobs not sent yet, and the bytes of file contents among them.
    batch: Vec<Job>,
    batch_bytes: usize,
    /// Batches sent so far (what the channel costs is per send).
    batches_sent: u64,
    worker: std::thread::ScopedJoinHandle<'scope, Found>,
}

/// What the detectors' thread found.
#[derive(Default)]
struct Found {
    hits: Vec<ContentHit>,
    /// Paths with hits, so that a later entry for the same path drops them (the later wins).
    with_hits: HashSet<ImagePath>,
    dropped_hits: u64,
}

impl Found {
    fn replaced(&mut self, path: &ImagePath) {
        if self.with_hits.remove(path) {
            self.hits.retain(|h| &h.path != path);
        }
    }

    fn run(&mut self, job: Job) {
        match job {
            Job::Replaced(path) => self.replaced(&path),
            Job::File {
                path,
                bytes,
                binary,
            } => {
                self.replaced(&path);
                let hits = if binary {
                    content::inspect_binary(&bytes)
                } else {
                    content::inspect(&path.display(), &bytes)
                };
                if hits.is_empty() {
                    return;
                }
                let fixture = content::is_fixture(&path.display());
                self.with_hits.insert(path.clone());
                for hit in hits {
                    if self.hits.len() >= MAX_HITS_PER_LAYER {
                        self.dropped_hits += 1;
                        continue;
                    }
                    self.hits.push(ContentHit {
                        path: path.clone(),
                        hit,
                        fixture,
                    });
                }
            }
        }
    }
}

impl<'scope> Inspector<'scope> {
    pub(crate) fn new<'env>(
        settings: Inspection,
        scope: &'scope std::thread::Scope<'scope, 'env>,
    ) -> Inspector<'scope> {
        let (jobs, receive) = std::sync::mpsc::sync_channel::<Vec<Job>>(JOBS_IN_FLIGHT);
        let worker = scope.spawn(move || {
            let mut found = Found::default();
            for batch in receive {
                for job in batch {
                    found.run(job);
                }
            }
            found
        });
        Inspector {
            settings,
            inspected_bytes: 0,
            uninspected: Vec::new(),
            uninspected_count: 0,
            jobs: Some(jobs),
            batch: Vec::with_capacity(BATCH_JOBS),
            batch_bytes: 0,
            batches_sent: 0,
            worker,
        }
    }

    /// Queues a job, in tar order; a full batch goes to the detectors' thread. Paths count
    /// towards a batch's bytes too: in a tree thousands of directories deep each is kilobytes.
    fn send(&mut self, job: Job) {
        self.batch_bytes += match &job {
            Job::File { path, bytes, .. } => path.as_bytes().len() + bytes.len(),
            Job::Replaced(path) => path.as_bytes().len(),
        };
        self.batch.push(job);
        if self.batch.len() >= BATCH_JOBS || self.batch_bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_JOBS));
        self.batch_bytes = 0;
        if let Some(jobs) = &self.jobs {
            self.batches_sent += 1;
            // The worker only stops when the sender is dropped (or it panicked, which `finish`
            // passes on).
            let _ = jobs.send(batch);
        }
    }

    /// An entry that is not a regular file replaces whatever an earlier one at `path` held.
    pub(crate) fn replaced(&mut self, path: &ImagePath) {
        self.send(Job::Replaced(path.clone()));
    }

    /// Inspects a regular file of `size` bytes: its captured content when there is one, else
    /// read from `entry` (which the walk then skips past).
    pub(crate) fn inspect_file(
        &mut self,
        path: &ImagePath,
        size: u64,
        captured: Option<&[u8]>,
        entry: &mut impl Read,
    ) -> io::Result<()> {
        if size == 0 || size > self.settings.max_file_size {
            // Nothing to inspect, but an earlier entry's hits at this path are gone.
            self.replaced(path);
            return Ok(());
        }
        if self.inspected_bytes + size > self.settings.max_layer_bytes {
            self.replaced(path);
            self.uninspected_count += 1;
            if self.uninspected.len() < MAX_UNINSPECTED_LISTED {
                self.uninspected.push(path.clone());
            }
            return Ok(());
        }
        let (bytes, binary) = if let Some(captured) = captured {
            let binary = content::is_binary(captured);
            // Only a key store's structure is looked for in a binary file: its head.
            let kept = if binary {
                &captured[..captured.len().min(content::BINARY_PROBE)]
            } else {
                captured
            };
            (kept.to_vec(), binary)
        } else {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            let probe = size.min(content::BINARY_PROBE as u64);
            entry.by_ref().take(probe).read_to_end(&mut bytes)?;
            let binary = content::is_binary(&bytes);
            if !binary {
                entry.read_to_end(&mut bytes)?;
            }
            (bytes, binary)
        };
        self.inspected_bytes += bytes.len() as u64;
        self.send(Job::File {
            path: path.clone(),
            bytes,
            binary,
        });
        Ok(())
    }

    /// What was found, and a note when hits were left out.
    pub(crate) fn finish(mut self) -> (Inspected, Option<String>) {
        self.flush();
        drop(self.jobs.take());
        let found = self
            .worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let note = (found.dropped_hits > 0).then(|| {
            format!(
                "the layer holds more than {MAX_HITS_PER_LAYER} secrets in files; {} more were not listed",
                found.dropped_hits
            )
        });
        (
            Inspected {
                hits: found.hits,
                uninspected: self.uninspected,
                uninspected_count: self.uninspected_count,
                inspected_bytes: self.inspected_bytes,
            },
            note,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer of many small files costs one channel send per batch, not per file, and the
    /// batches keep tar order: a later entry for a path still drops the earlier one's hits.
    #[test]
    fn many_small_files_go_to_the_detectors_in_batches() {
        let files = 20_000;
        let key = imgaudit_testkit::synthetic_private_key("OPENSSH PRIVATE KEY", 0);
        let path = |i: usize| ImagePath::from_tar_name(format!("srv/f{i}.txt").as_bytes()).unwrap();
        let (inspected, batches) = std::thread::scope(|scope| {
            let mut inspector = Inspector::new(Inspection::default(), scope);
            for i in 0..files {
                let content: &[u8] = if i % 5_000 == 0 {
                    key.as_bytes()
                } else {
                    b"plain text\n"
                };
                inspector
                    .inspect_file(&path(i), content.len() as u64, None, &mut &content[..])
                    .unwrap();
                inspector.replaced(&path(files + i));
            }
            // A directory replaces the first key file: its hit goes.
            inspector.replaced(&path(0));
            let batches = inspector.batches_sent;
            (inspector.finish().0, batches)
        });
        let with_hits: Vec<String> = inspected.hits.iter().map(|h| h.path.display()).collect();
        assert_eq!(
            with_hits,
            ["/srv/f5000.txt", "/srv/f10000.txt", "/srv/f15000.txt"]
        );
        let jobs = 2 * files as u64 + 1;
        assert!(
            batches <= jobs / BATCH_JOBS as u64 + 1,
            "{batches} sends for {jobs} jobs"
        );
    }

    /// Long paths close a batch as file contents do: the directories of a tree thousands deep
    /// are kilobytes each, and a thousand of them in one batch held megabytes.
    #[test]
    fn a_batch_of_long_paths_stays_small() {
        let long = "d/".repeat(16 * 1024);
        let (sent, queued) = std::thread::scope(|scope| {
            let mut inspector = Inspector::new(Inspection::default(), scope);
            for i in 0..100 {
                let path = ImagePath::from_tar_name(format!("{long}{i}").as_bytes()).unwrap();
                inspector.replaced(&path);
            }
            let sent = inspector.batches_sent;
            let queued = inspector.batch_bytes;
            inspector.finish();
            (sent, queued)
        });
        // 100 paths of 32 KiB: 3.2 MB, at most 256 KiB and one path a batch.
        assert!(sent >= 11, "{sent} batches");
        assert!(queued < BATCH_BYTES, "{queued} bytes left queued");
    }
}
