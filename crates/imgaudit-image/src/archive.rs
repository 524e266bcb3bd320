//! Random access to the files of an image container: a directory, or a tar archive indexed once.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use imgaudit_digest::Digest;

use crate::ImageError;

/// The largest manifest or image index read (from a layout, an archive or a registry), checked
/// before it is parsed: registries and containerd refuse manifests over 4 MiB; real ones are a
/// few kilobytes.
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;
/// The largest image config read: real ones are a few kilobytes (those of the test images are
/// under 5 KiB) and grow with their history; one of many megabytes is built to exhaust memory.
pub const MAX_CONFIG_SIZE: u64 = 8 * 1024 * 1024;
/// The largest listing of an archive's images read: `docker save`'s `manifest.json` and
/// `repositories`, an OCI layout's `index.json`, which grow with the number of images and tags
/// an archive holds.
pub const MAX_ARCHIVE_INDEX_SIZE: u64 = 16 * 1024 * 1024;
/// The largest JSON document of any kind read whole.
pub const MAX_METADATA_BLOB: u64 = MAX_ARCHIVE_INDEX_SIZE;
/// The most files and links an archive's index of its members holds: an image archive has a
/// few per image and layer.
const MAX_ARCHIVE_MEMBERS: usize = 1_000_000;
/// Links inside an archive (`<id>/layer.tar -> ../<hex>.tar`) are followed at most this often.
const MAX_ARCHIVE_LINKS: usize = 16;

/// Named files of an image container, opened by relative path.
pub(crate) trait Files: Send + Sync + std::fmt::Debug {
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>, ImageError>;
    /// Opens a blob whose descriptor declares `size`: a file of another size is refused before
    /// a byte of it is read (a sparse terabyte named by a small layer's digest is not hashed for
    /// minutes to find out).
    fn open_sized(
        &self,
        name: &str,
        size: Option<u64>,
    ) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let _ = size;
        self.open(name)
    }
    fn exists(&self, name: &str) -> bool;
    /// The input as the user named it, for error messages.
    fn input(&self) -> &str;
}

/// The files of an OCI layout directory.
#[derive(Debug)]
pub(crate) struct DirFiles {
    pub(crate) root: PathBuf,
    pub(crate) input: String,
}

impl DirFiles {
    fn not_an_image(&self, reason: String) -> ImageError {
        ImageError::NotAnImage {
            input: self.input.clone(),
            reason,
        }
    }

    /// Checks the way to a member before anything is opened: no directory on it is a link (a
    /// `blobs` or `blobs/sha256` linked elsewhere would lead onto the host), and the member
    /// itself is a regular file (a FIFO would block the read, a device never end it). Returns
    /// the member's metadata.
    fn check_path(&self, name: &str) -> Result<std::fs::Metadata, ImageError> {
        let mut path = self.root.clone();
        let mut walked = String::new();
        let mut parts = name.split('/').filter(|p| !p.is_empty()).peekable();
        while let Some(part) = parts.next() {
            if part == ".." || part == "." {
                return Err(
                    self.not_an_image(format!("`{name}` is not a plain path inside the layout"))
                );
            }
            path.push(part);
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(part);
            let metadata = std::fs::symlink_metadata(&path)
                .map_err(|e| missing_or_io(&self.input, name, e))?;
            let kind = metadata.file_type();
            if kind.is_symlink() {
                return Err(self.not_an_image(format!(
                    "`{walked}` is a symbolic link, and imgaudit never follows links inside an image"
                )));
            }
            if parts.peek().is_some() {
                if !kind.is_dir() {
                    return Err(self.not_an_image(format!(
                        "`{walked}` is not a directory, so `{name}` cannot be in it"
                    )));
                }
                continue;
            }
            if kind.is_dir() {
                return Err(
                    self.not_an_image(format!("`{name}` is a directory where a file was expected"))
                );
            }
            if !kind.is_file() {
                return Err(self.not_an_image(format!(
                    "`{name}` is {}, not a regular file",
                    describe_file_type(kind)
                )));
            }
            return Ok(metadata);
        }
        Err(self.not_an_image(format!("`{name}` names no file")))
    }
}

/// What a non-regular file is, for error messages.
pub(crate) fn describe_file_type(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

impl Files for DirFiles {
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        self.open_sized(name, None)
    }

    fn open_sized(
        &self,
        name: &str,
        size: Option<u64>,
    ) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        // A layout's files are the image's: never follow a link out of it onto the host, never
        // open what is not a regular file.
        let checked = self.check_path(name)?;
        if let Some(declared) = size
            && declared != checked.len()
        {
            return Err(ImageError::SizeMismatch {
                input: self.input.clone(),
                what: format!("blob `{name}`"),
                declared,
                actual: checked.len(),
            });
        }
        let file =
            File::open(self.root.join(name)).map_err(|e| missing_or_io(&self.input, name, e))?;
        // What was opened is what was checked, not something swapped in since.
        let opened = file
            .metadata()
            .map_err(|e| missing_or_io(&self.input, name, e))?;
        {
            use std::os::unix::fs::MetadataExt;
            if opened.dev() != checked.dev() || opened.ino() != checked.ino() || !opened.is_file() {
                return Err(
                    self.not_an_image(format!("`{name}` changed while it was being opened"))
                );
            }
        }
        Ok(Box::new(file))
    }

    fn exists(&self, name: &str) -> bool {
        // Anything there counts, so that opening it says what is wrong with it (a link, a FIFO)
        // rather than that it is missing.
        std::fs::symlink_metadata(self.root.join(name)).is_ok_and(|m| !m.is_dir())
    }

    fn input(&self) -> &str {
        &self.input
    }
}

fn missing_or_io(input: &str, name: &str, e: io::Error) -> ImageError {
    if e.kind() == io::ErrorKind::NotFound {
        ImageError::MissingFile {
            input: input.to_owned(),
            name: name.to_owned(),
        }
    } else {
        ImageError::Io {
            input: format!("{input} ({name})"),
            source: e,
        }
    }
}

/// A failure to open the input itself (not a member of it).
fn whole_missing_or_io(input: &str, e: io::Error) -> ImageError {
    if e.kind() == io::ErrorKind::NotFound {
        ImageError::NoSuchImage {
            input: input.to_owned(),
        }
    } else {
        ImageError::Io {
            input: input.to_owned(),
            source: e,
        }
    }
}

#[derive(Debug, Clone)]
enum Item {
    File { offset: u64, size: u64 },
    Link { target: String },
}

/// A tar archive's member files, indexed in one pass over the headers (seeking past the data).
#[derive(Debug)]
pub(crate) struct TarFiles {
    path: PathBuf,
    input: String,
    items: HashMap<String, Item>,
}

/// Normalizes a member name: no `./` prefix, no trailing `/`.
pub(crate) fn member_name(raw: &[u8]) -> String {
    let name = String::from_utf8_lossy(raw);
    let name = name.trim_start_matches("./").trim_end_matches('/');
    name.to_owned()
}

/// Resolves a symlink target relative to the link's directory within the archive.
pub(crate) fn link_target(link_name: &str, target: &str, symbolic: bool) -> String {
    if !symbolic {
        return member_name(target.as_bytes());
    }
    let mut parts: Vec<&str> = link_name.split('/').collect();
    parts.pop();
    if target.starts_with('/') {
        // Inside an archive, `/` is the archive's top.
        parts.clear();
    }
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

impl TarFiles {
    pub(crate) fn open(path: &Path, input: &str) -> Result<TarFiles, ImageError> {
        // The archive is the user's own argument, so a link to it is followed; but what it
        // leads to must be a regular file: a FIFO would block, a device never end (a pipe is
        // read as standard input, `-`).
        let metadata = std::fs::metadata(path).map_err(|e| whole_missing_or_io(input, e))?;
        if metadata.is_dir() {
            return Err(ImageError::NotAnImage {
                input: input.to_owned(),
                reason: "it is a directory, but this transport expects a tar archive".to_owned(),
            });
        }
        if !metadata.is_file() {
            return Err(ImageError::NotAnImage {
                input: input.to_owned(),
                reason: format!(
                    "it is {}, but this transport expects a tar archive in a regular file (pipe a `docker save` stream to `-` instead)",
                    describe_file_type(metadata.file_type())
                ),
            });
        }
        let file = File::open(path).map_err(|e| whole_missing_or_io(input, e))?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(ImageError::NotAnImage {
                input: input.to_owned(),
                reason: "it changed while it was being opened".to_owned(),
            });
        }
        let mut items = HashMap::new();
        imgaudit_tar::for_each_entry_with_seek(file, |entry| -> Result<(), ImageError> {
            let name = member_name(&entry.path_bytes());
            let header = entry.header();
            let item = match header.entry_type() {
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let symbolic = header.entry_type() == tar::EntryType::Symlink;
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .unwrap_or_default();
                    Item::Link {
                        target: link_target(&name, &target, symbolic),
                    }
                }
                t if t.is_file() => Item::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
                _ => return Ok(()),
            };
            if items.len() >= MAX_ARCHIVE_MEMBERS {
                return Err(ImageError::NotAnImage {
                    input: input.to_owned(),
                    reason: format!(
                        "it holds more than {MAX_ARCHIVE_MEMBERS} files and links, far more than an image archive (a tar bomb?)"
                    ),
                });
            }
            items.insert(name, item);
            Ok(())
        })
        .map_err(|e| match e {
            imgaudit_tar::WalkError::Visit(e) => e,
            other => ImageError::NotAnImage {
                input: input.to_owned(),
                reason: format!("it is not a readable tar archive: {other}"),
            },
        })?;
        if items.is_empty() {
            return Err(ImageError::NotAnImage {
                input: input.to_owned(),
                reason: "it is an empty tar archive (or not a tar archive at all)".to_owned(),
            });
        }
        Ok(TarFiles {
            path: path.to_owned(),
            input: input.to_owned(),
            items,
        })
    }

    fn locate(&self, name: &str) -> Option<(u64, u64)> {
        let mut name = name.to_owned();
        for _ in 0..MAX_ARCHIVE_LINKS {
            match self.items.get(&name)? {
                Item::File { offset, size } => return Some((*offset, *size)),
                Item::Link { target } => name.clone_from(target),
            }
        }
        None
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.items.keys().map(String::as_str)
    }
}

impl Files for TarFiles {
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        self.open_sized(name, None)
    }

    fn open_sized(
        &self,
        name: &str,
        declared: Option<u64>,
    ) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let Some((offset, size)) = self.locate(name) else {
            return Err(ImageError::MissingFile {
                input: self.input.clone(),
                name: name.to_owned(),
            });
        };
        if let Some(declared) = declared
            && declared != size
        {
            return Err(ImageError::SizeMismatch {
                input: self.input.clone(),
                what: format!("blob `{name}`"),
                declared,
                actual: size,
            });
        }
        // Each open gets its own descriptor, so layers can be read in parallel.
        let mut file = File::open(&self.path).map_err(|e| missing_or_io(&self.input, name, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| missing_or_io(&self.input, name, e))?;
        Ok(Box::new(file.take(size)))
    }

    fn exists(&self, name: &str) -> bool {
        self.locate(name).is_some()
    }

    fn input(&self) -> &str {
        &self.input
    }
}

/// The member names at the top of a tar archive, to tell a `docker save` tarball from an OCI
/// archive.
pub(crate) fn top_level_names(path: &Path, input: &str) -> Result<Vec<String>, ImageError> {
    let files = TarFiles::open(path, input)?;
    Ok(files
        .names()
        .filter(|n| !n.contains('/'))
        .map(str::to_owned)
        .collect())
}

/// Reads a small file whole, never more than `limit` bytes, verifying it against its
/// descriptor's digest and size when known.
pub(crate) fn read_verified(
    files: &dyn Files,
    name: &str,
    what: &str,
    limit: u64,
    expected: Option<(&Digest, Option<u64>)>,
) -> Result<Vec<u8>, ImageError> {
    let mut bytes = Vec::new();
    files
        .open_sized(name, expected.and_then(|(_, size)| size))?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ImageError::Io {
            input: format!("{} ({name})", files.input()),
            source: e,
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(files.input(), what, limit));
    }
    if let Some((digest, size)) = expected {
        verify_bytes(files.input(), what, &bytes, digest, size)?;
    }
    Ok(bytes)
}

/// The error for a document over its cap.
pub fn too_large(input: &str, what: &str, limit: u64) -> ImageError {
    ImageError::Malformed {
        input: input.to_owned(),
        what: what.to_owned(),
        reason: format!(
            "it is larger than {limit} bytes, the cap on a {what} (a real one is a few kilobytes)"
        ),
    }
}

/// Checks a document against the digest and size its descriptor declares.
pub fn verify_bytes(
    input: &str,
    what: &str,
    bytes: &[u8],
    digest: &Digest,
    size: Option<u64>,
) -> Result<(), ImageError> {
    let actual = Digest::of_bytes(digest.algorithm(), bytes);
    if actual != *digest {
        return Err(ImageError::DigestMismatch {
            input: input.to_owned(),
            what: what.to_owned(),
            expected: digest.to_string(),
            actual: actual.to_string(),
        });
    }
    if let Some(size) = size
        && size != bytes.len() as u64
    {
        return Err(ImageError::SizeMismatch {
            input: input.to_owned(),
            what: what.to_owned(),
            declared: size,
            actual: bytes.len() as u64,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_archive_links_like_skopeo_writes_them() {
        assert_eq!(link_target("abc/layer.tar", "../123.tar", true), "123.tar");
        assert_eq!(
            link_target("abc/layer.tar", "def/layer.tar", false),
            "def/layer.tar"
        );
        assert_eq!(link_target("abc/layer.tar", "/x.tar", true), "x.tar");
    }
}
