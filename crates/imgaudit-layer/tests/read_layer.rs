//! One pass over synthetic layer blobs: compression, digests, whiteouts, capture, hostile input.

use imgaudit_digest::Algorithm;
use imgaudit_layer::{
    Budget, CaptureRules, Change, Compression, EntryKind, ImagePath, LayerError, LayerIndex,
    ReadOptions, read_layer,
};
use imgaudit_testkit::{Compress, LayerBuilder, sha256};

fn read_with(
    blob: &[u8],
    capture: &CaptureRules,
    budget: &Budget,
) -> Result<LayerIndex, LayerError> {
    read_layer(
        blob,
        &ReadOptions {
            capture,
            budget,
            blob_algorithm: Algorithm::Sha256,
            diff_id_algorithm: Algorithm::Sha256,
            hash_uncompressed: true,
        },
    )
}

fn read(blob: &[u8]) -> Result<LayerIndex, LayerError> {
    read_with(blob, &CaptureRules::none(), &Budget::default())
}

fn sample_layer() -> Vec<u8> {
    LayerBuilder::new()
        .dir("etc")
        .file("etc/pip.conf", b"[global]\nuser = true\n")
        .file("etc/big.conf", &[b'x'; 64])
        .symlink("etc/alias", "/usr/bin/python3")
        .hardlink("etc/pip.conf.hard", "etc/pip.conf")
        .fifo("run/fifo")
        .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
        .opaque("usr/share/doc")
        .file(".wh..wh.plnk/123.456", b"")
        .finish()
}

fn paths(index: &LayerIndex) -> Vec<String> {
    index
        .changes
        .iter()
        .map(|c| match c {
            Change::Add { path, .. } => format!("+{path}"),
            Change::Whiteout { path } => format!("-{path}"),
            Change::Opaque { dir } => format!("opaque {dir}"),
        })
        .collect()
}

#[test]
fn every_compression_gives_the_same_index_and_digests() {
    let tar = sample_layer();
    let plain = read(&tar).unwrap();
    for compress in [Compress::None, Compress::Gzip, Compress::Zstd] {
        let blob = compress.apply(&tar);
        let index = read(&blob).unwrap();
        assert_eq!(index.diff_id, Some(sha256(&tar)), "{compress:?}");
        assert_eq!(index.uncompressed_size, tar.len() as u64);
        assert_eq!(index.blob_digest, sha256(&blob));
        assert_eq!(index.blob_size, blob.len() as u64);
        assert_eq!(index.changes, plain.changes);
    }
    assert_eq!(
        read(&Compress::Zstd.apply(&tar)).unwrap().compression,
        Compression::Zstd
    );
    assert_eq!(
        read(&Compress::Gzip.apply(&tar)).unwrap().compression,
        Compression::Gzip
    );
    assert_eq!(plain.compression, Compression::None);
}

#[test]
fn whiteouts_and_opaque_markers_become_typed_changes() {
    let index = read(&sample_layer()).unwrap();
    assert_eq!(
        paths(&index),
        [
            "+/etc",
            "+/etc/pip.conf",
            "+/etc/big.conf",
            "+/etc/alias",
            "+/etc/pip.conf.hard",
            "+/run/fifo",
            "-/usr/lib/python3.11/EXTERNALLY-MANAGED",
            "opaque /usr/share/doc",
        ]
    );
    assert_eq!(index.whiteout_count(), 2);
    let Change::Add { entry, .. } = &index.changes[4] else {
        panic!()
    };
    assert_eq!(entry.kind, EntryKind::Hardlink);
    assert_eq!(
        entry.hardlink_target.as_ref().unwrap().display(),
        "/etc/pip.conf"
    );
    let Change::Add { entry, .. } = &index.changes[3] else {
        panic!()
    };
    assert_eq!(
        entry.symlink_target.as_deref(),
        Some(&b"/usr/bin/python3"[..])
    );
}

#[test]
fn captures_only_requested_files_under_the_size_cap() {
    let capture = CaptureRules::new(&["/etc/*.conf"], 32).unwrap();
    let index = read_with(
        &Compress::Gzip.apply(&sample_layer()),
        &capture,
        &Budget::default(),
    )
    .unwrap();
    let contents: Vec<(String, Option<Vec<u8>>)> = index
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Add { path, entry } if entry.kind == EntryKind::File => {
                Some((path.display(), entry.content.as_deref().map(<[u8]>::to_vec)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        contents,
        [
            (
                "/etc/pip.conf".to_owned(),
                Some(b"[global]\nuser = true\n".to_vec())
            ),
            // 64 bytes: over the 32-byte cap, so metadata only.
            ("/etc/big.conf".to_owned(), None),
        ]
    );
}

#[test]
fn keeps_owners_modes_long_and_non_utf8_names() {
    let long = format!("opt/{}/file", "d".repeat(150));
    let tar = LayerBuilder::new()
        .file_with("usr/bin/sudo", b"#", 0o4755, 0, 0)
        .file_with("home/app/x", b"#", 0o600, 1234, 5678)
        .file(&long, b"long")
        .file_with_pax_ids("big-ids", 3_000_000, 4_000_000)
        .raw(b"tmp/caf\xe9", tar::EntryType::Regular, b"", b"latin-1")
        .finish();
    let index = read(&tar).unwrap();
    let adds: Vec<_> = index
        .changes
        .iter()
        .map(|c| match c {
            Change::Add { path, entry } => (path.display(), entry.mode, entry.uid, entry.gid),
            _ => panic!("unexpected {c:?}"),
        })
        .collect();
    assert_eq!(adds[0], ("/usr/bin/sudo".to_owned(), 0o4755, 0, 0));
    assert_eq!(adds[1], ("/home/app/x".to_owned(), 0o600, 1234, 5678));
    assert_eq!(adds[2].0, format!("/{long}"));
    assert_eq!((adds[3].2, adds[3].3), (3_000_000, 4_000_000));
    assert_eq!(adds[4].0, "/tmp/caf\\xe9");
}

#[test]
fn refuses_names_that_leave_the_root() {
    // containerd and Docker refuse these too: a name or hard-link target whose `..` components
    // climb above the root, however it starts.
    let cases: [(&[u8], tar::EntryType, &[u8]); 5] = [
        (b"../escape", tar::EntryType::Regular, b""),
        (b"/../etc/passwd", tar::EntryType::Regular, b""),
        (b"usr/../../x", tar::EntryType::Directory, b""),
        (
            b"etc/shadow-link",
            tar::EntryType::Link,
            b"../../etc/shadow",
        ),
        (b"etc/shadow-link", tar::EntryType::Link, b"/../etc/shadow"),
    ];
    for (name, kind, link) in cases {
        let tar = LayerBuilder::new().raw(name, kind, link, b"").finish();
        let err = read(&tar).unwrap_err();
        assert!(
            matches!(
                err,
                LayerError::UnsafeName { .. } | LayerError::HardlinkEscape { .. }
            ),
            "{}: {err}",
            String::from_utf8_lossy(name)
        );
    }
    let err = read(
        &LayerBuilder::new()
            .raw(
                b"etc/shadow-link",
                tar::EntryType::Link,
                b"../../etc/shadow",
                b"",
            )
            .finish(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the hard link `/etc/shadow-link` points at `../../etc/shadow`, which leaves the image root: its `..` components climb above the image root"
    );
    // Absolute symlink targets resolve from the image root and are fine; so are relative ones
    // that stay inside.
    let ok = LayerBuilder::new()
        .symlink("lib64/ld.so", "../lib/x86_64/ld.so")
        .symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
        .finish();
    let index = read(&ok).unwrap();
    assert_eq!(index.changes.len(), 2);
    assert!(index.notes.is_empty(), "{:?}", index.notes);
}

/// The entry a `Change::Add` carries, for tests that know it is one.
fn added(change: &Change) -> (String, &imgaudit_layer::Entry) {
    match change {
        Change::Add { path, entry } => (path.display(), entry),
        other => panic!("not an addition: {other:?}"),
    }
}

#[test]
fn a_directory_entry_for_the_root_describes_the_root() {
    // kaniko writes the root as `./` or `/`; other tools as `.`.
    for name in [&b"/"[..], b"./", b".", b"/./"] {
        let tar = LayerBuilder::new()
            .raw(name, tar::EntryType::Directory, b"", b"")
            .file("etc/hostname", b"box\n")
            .finish();
        let index = read(&tar).unwrap();
        let (path, entry) = added(&index.changes[0]);
        assert_eq!(path, "/", "{}", String::from_utf8_lossy(name));
        assert_eq!(entry.kind, EntryKind::Dir);
        // `raw` writes mode 0644 and a fixed time: the root keeps what its entry says.
        assert_eq!(
            (entry.mode, entry.uid, entry.mtime),
            (0o644, 0, 1_700_000_000)
        );
        assert_eq!(index.added_count(), 2);
    }
}

#[test]
fn a_root_entry_that_is_not_a_directory_is_an_error() {
    let cases: [(&[u8], tar::EntryType, &[u8]); 4] = [
        (b"/", tar::EntryType::Regular, b""),
        (b"./", tar::EntryType::Symlink, b"etc"),
        (b".", tar::EntryType::Fifo, b""),
        (b"/", tar::EntryType::Link, b"etc/hostname"),
    ];
    for (name, kind, link) in cases {
        let tar = LayerBuilder::new()
            .file("etc/hostname", b"box\n")
            .raw(name, kind, link, b"")
            .finish();
        let err = read(&tar).unwrap_err();
        assert!(
            matches!(err, LayerError::RootNotDirectory { .. }),
            "{}: {err}",
            String::from_utf8_lossy(name)
        );
    }
    let tar = LayerBuilder::new()
        .raw(b"/", tar::EntryType::Regular, b"", b"")
        .finish();
    assert_eq!(
        read(&tar).unwrap_err().to_string(),
        "the tar entry `/` names the image root but is a File; the root can only be a directory"
    );
}

#[test]
fn absolute_names_are_read_from_the_root_with_one_note_per_layer() {
    let tar = LayerBuilder::new()
        .raw(
            b"/etc/passwd",
            tar::EntryType::Regular,
            b"",
            b"root:x:0:0\n",
        )
        .raw(
            b"//etc/./group",
            tar::EntryType::Regular,
            b"",
            b"root:x:0:\n",
        )
        .raw(b"/etc/passwd-", tar::EntryType::Link, b"/etc/passwd", b"")
        .file("etc/relative", b"")
        .finish();
    let index = read(&tar).unwrap();
    assert_eq!(
        paths(&index),
        [
            "+/etc/passwd",
            "+/etc/group",
            "+/etc/passwd-",
            "+/etc/relative"
        ]
    );
    let (_, link) = added(&index.changes[2]);
    assert_eq!(
        link.hardlink_target.as_ref().map(ImagePath::display),
        Some("/etc/passwd".to_owned())
    );
    assert_eq!(
        index.notes,
        [
            "the layer names entries with absolute paths (the first is `/etc/passwd`); they were read relative to the image root, as Docker and containerd apply them"
        ]
    );
    // The same layer written with relative names gives the same changes and no note.
    let relative = LayerBuilder::new()
        .raw(b"etc/passwd", tar::EntryType::Regular, b"", b"root:x:0:0\n")
        .raw(b"etc/group", tar::EntryType::Regular, b"", b"root:x:0:\n")
        .raw(b"etc/passwd-", tar::EntryType::Link, b"etc/passwd", b"")
        .file("etc/relative", b"")
        .finish();
    let relative = read(&relative).unwrap();
    assert_eq!(relative.changes, index.changes);
    assert!(relative.notes.is_empty());
}

#[test]
fn symlinks_that_climb_above_the_root_are_kept_as_written_and_noted() {
    let tar = LayerBuilder::new()
        .raw(
            b"usr/lib/x",
            tar::EntryType::Symlink,
            b"../../../../etc/passwd",
            b"",
        )
        .symlink("up", "..")
        .symlink("usr/ok", "../etc/passwd")
        .finish();
    let index = read(&tar).unwrap();
    let (path, entry) = added(&index.changes[0]);
    assert_eq!(path, "/usr/lib/x");
    assert_eq!(
        entry.symlink_target.as_deref(),
        Some(&b"../../../../etc/passwd"[..])
    );
    assert_eq!(
        index.notes,
        [
            "the symlink `/usr/lib/x` -> `../../../../etc/passwd` climbs above the image root; it is kept as written and resolves with `..` stopping at `/`, as in a container",
            "the symlink `/up` -> `..` climbs above the image root; it is kept as written and resolves with `..` stopping at `/`, as in a container",
        ]
    );
}

#[test]
fn truncated_and_corrupt_layers_are_errors() {
    let tar = LayerBuilder::new()
        .file("a", &vec![7u8; 20_000])
        .file("b", b"b")
        .finish();
    for compress in [Compress::None, Compress::Gzip, Compress::Zstd] {
        let blob = compress.apply(&tar);
        let cut = &blob[..blob.len() / 2];
        let err = read(cut).unwrap_err();
        assert!(
            matches!(
                err,
                LayerError::Truncated(_) | LayerError::Decompression { .. }
            ),
            "{compress:?}: {err}"
        );
    }
    let mut gz = Compress::Gzip.apply(&tar);
    let middle = gz.len() / 2;
    for byte in &mut gz[20..middle] {
        *byte ^= 0x5a;
    }
    assert!(matches!(
        read(&gz).unwrap_err(),
        LayerError::Decompression { .. } | LayerError::Truncated(_)
    ));
    let garbage = b"this is not a tar archive at all, but long enough to look at...".repeat(20);
    assert!(matches!(read(&garbage).unwrap_err(), LayerError::Tar(_)));
}

#[test]
fn budget_stops_decompression_bombs() {
    let tar = LayerBuilder::new()
        .file("zeros", &vec![0u8; 4 << 20])
        .finish();
    let bomb = Compress::Gzip.apply(&tar);
    assert!(bomb.len() < 64 << 10);
    let err = read_with(&bomb, &CaptureRules::none(), &Budget::new(1 << 20, 100)).unwrap_err();
    assert!(
        matches!(err, LayerError::TooManyBytes { limit } if limit == 1 << 20),
        "{err}"
    );

    let many = (0..50).fold(LayerBuilder::new(), |b, i| b.file(&format!("f{i}"), b""));
    let err = read_with(
        &many.finish(),
        &CaptureRules::none(),
        &Budget::new(1 << 30, 10),
    )
    .unwrap_err();
    assert!(
        matches!(err, LayerError::TooManyEntries { limit: 10 }),
        "{err}"
    );
}

#[test]
fn detects_compression_from_bytes_not_names() {
    assert_eq!(Compression::detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
    assert_eq!(
        Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd]),
        Compression::Zstd
    );
    assert_eq!(
        Compression::detect(&[0x50, 0x2a, 0x4d, 0x18]),
        Compression::Zstd
    );
    assert_eq!(Compression::detect(b"usr/"), Compression::None);
    assert_eq!(
        Compression::from_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip"),
        Some(Compression::Gzip)
    );
    assert_eq!(
        Compression::from_media_type("application/vnd.oci.image.layer.v1.tar+zstd"),
        Some(Compression::Zstd)
    );
    assert_eq!(Compression::from_media_type("text/plain"), None);
}

/// A tar header block of `kind` whose content is `size` bytes long (the content itself is the
/// caller's to write).
fn raw_header(name: &str, kind: tar::EntryType, size: u64) -> [u8; 512] {
    let mut header = tar::Header::new_gnu();
    header.set_path(name).unwrap();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_cksum();
    *header.as_bytes()
}

/// A gzip layer: a regular file `etc/passwd`, then an extension header of `kind` whose content
/// is `size` bytes, then the file it describes. Gzip keeps the blob small however large the
/// header, so reading it whole would take `size` bytes of memory.
fn layer_with_extension(kind: tar::EntryType, size: u64) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(
        &LayerBuilder::new()
            .file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
            .finish()[..1024],
    )
    .unwrap();
    gz.write_all(&raw_header("././@LongLink", kind, size))
        .unwrap();
    let content = if kind == tar::EntryType::XHeader {
        b"30 comment=aaaaaaaaaaaaaaaaaa\n".to_vec()
    } else {
        vec![b'a'; 64 * 1024]
    };
    let mut left = size;
    while left > 0 {
        let n = usize::try_from(left.min(content.len() as u64)).unwrap();
        gz.write_all(&content[..n]).unwrap();
        left -= n as u64;
    }
    gz.write_all(&vec![0; usize::try_from((512 - size % 512) % 512).unwrap()])
        .unwrap();
    gz.write_all(&raw_header("short", tar::EntryType::Regular, 0))
        .unwrap();
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap()
}

#[test]
fn extension_headers_over_their_caps_are_refused_before_they_are_buffered() {
    let cases = [
        (
            tar::EntryType::GNULongName,
            "GNU long name",
            imgaudit_layer::MAX_LONG_NAME,
        ),
        (
            tar::EntryType::GNULongLink,
            "GNU long link",
            imgaudit_layer::MAX_LONG_NAME,
        ),
        (
            tar::EntryType::XHeader,
            "PAX header",
            imgaudit_layer::MAX_PAX_HEADER,
        ),
    ];
    for (kind, what, cap) in cases {
        // 64 MiB of header, which the tar reader would hold whole.
        let size = 64 << 20;
        let blob = layer_with_extension(kind, size);
        assert!(blob.len() < 1 << 20, "{what}: the blob stays small");
        let err = read(&blob).unwrap_err();
        assert!(
            matches!(err, LayerError::HeaderTooLarge { .. }),
            "{what}: {err}"
        );
        let message = err.to_string();
        for part in [
            what,
            &size.to_string(),
            &cap.to_string(),
            "after `etc/passwd`",
        ] {
            assert!(
                message.contains(part),
                "{what}: `{part}` missing from: {message}"
            );
        }

        // A header that declares gigabytes but holds nothing is refused as it is seen.
        let mut tar = raw_header("././@LongLink", kind, 4 << 30).to_vec();
        tar.extend_from_slice(&[b'a'; 4096]);
        let err = read(&tar).unwrap_err();
        assert!(
            err.to_string().contains("4294967296")
                && err.to_string().contains("the first tar entry"),
            "{what}: {err}"
        );
    }
}

#[test]
fn long_names_links_and_pax_headers_under_their_caps_are_read() {
    let long = format!("{}/file", "d".repeat(60 * 1024));
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(3);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder
        .append_data(&mut header, &long, &b"abc"[..])
        .unwrap();
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    link.set_mode(0o777);
    link.set_uid(0);
    link.set_gid(0);
    link.set_mtime(0);
    builder.append_link(&mut link, "link", &long).unwrap();
    // A PAX header of 600 KiB (a large extended attribute), under its cap.
    let value = "x".repeat(600 * 1024);
    let record_body = format!(" SCHILY.xattr.user.big={value}\n");
    let mut length = record_body.len();
    while format!("{length}{record_body}").len() != length {
        length = format!("{length}{record_body}").len();
    }
    let record = format!("{length}{record_body}");
    let mut tar = builder.into_inner().unwrap();
    tar.truncate(tar.len() - 1024);
    tar.extend_from_slice(&raw_header(
        "PaxHeaders/with-xattr",
        tar::EntryType::XHeader,
        record.len() as u64,
    ));
    tar.extend_from_slice(record.as_bytes());
    tar.resize(tar.len().div_ceil(512) * 512, 0);
    tar.extend_from_slice(&raw_header("with-xattr", tar::EntryType::Regular, 0));
    tar.extend_from_slice(&[0; 1024]);
    for blob in [tar.clone(), Compress::Gzip.apply(&tar)] {
        let index = read(&blob).unwrap();
        let paths = paths(&index);
        assert_eq!(paths.len(), 3, "{paths:?}");
        assert_eq!(paths[0], format!("+/{long}"));
        assert_eq!(paths[2], "+/with-xattr");
    }
}

#[test]
fn a_sparse_map_without_end_is_refused() {
    // A GNU sparse file whose map of holes continues block after block: the tar reader reads
    // the whole map before it yields the entry.
    let mut header = tar::Header::new_gnu();
    header.set_path("sparse").unwrap();
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_size(0);
    header.set_mode(0o644);
    header.as_gnu_mut().unwrap().isextended[0] = 1;
    header.set_cksum();
    let mut tar = header.as_bytes().to_vec();
    let mut extension = [0u8; 512];
    extension[504] = 1;
    for _ in 0..(8 << 20) / 512 {
        tar.extend_from_slice(&extension);
    }
    let err = read(&Compress::Gzip.apply(&tar)).unwrap_err();
    assert!(
        matches!(err, LayerError::HeaderTooLarge { .. }) && err.to_string().contains("4194304"),
        "{err}"
    );
}

#[test]
fn captured_bytes_are_capped_over_the_image() {
    let layer = (0..10).fold(LayerBuilder::new(), |b, i| {
        b.file(&format!("etc/conf.d/{i}.conf"), &[b'x'; 100])
    });
    let tar = layer.finish();
    let rules = CaptureRules::new(&["/etc/conf.d/*.conf"], 1000).unwrap();
    let read_capped = |cap: u64| {
        read_with(
            &tar,
            &rules,
            &Budget::default().with_max_captured_bytes(cap),
        )
    };
    let index = read_capped(1000).unwrap();
    assert_eq!(index.captured_bytes(), 1000);
    let err = read_capped(999).unwrap_err();
    assert!(
        matches!(err, LayerError::TooManyCapturedBytes { limit: 999 }),
        "{err}"
    );
    // Layers read in parallel share one budget.
    let shared = Budget::default().with_max_captured_bytes(1500);
    read_with(&tar, &rules, &shared).unwrap();
    assert!(matches!(
        read_with(&tar, &rules, &shared).unwrap_err(),
        LayerError::TooManyCapturedBytes { limit: 1500 }
    ));
    // A remembered layer is charged the same.
    let shared = Budget::default().with_max_captured_bytes(1500);
    shared.charge_layer(0, 0, index.captured_bytes()).unwrap();
    assert!(shared.charge_layer(0, 0, index.captured_bytes()).is_err());
}

#[test]
fn zstd_windows_over_the_cap_are_refused_naming_both() {
    let tar = LayerBuilder::new()
        .file(
            "data",
            &(0..400_000u32)
                .flat_map(|i| (i % 241).to_le_bytes())
                .collect::<Vec<_>>(),
        )
        .finish();
    let compress = |window_log: u32| {
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        encoder.window_log(window_log).unwrap();
        encoder.long_distance_matching(true).unwrap();
        std::io::copy(&mut &tar[..], &mut encoder).unwrap();
        encoder.finish().unwrap()
    };
    let cap = 1u64 << imgaudit_layer::MAX_ZSTD_WINDOW_LOG;
    let index = read(&compress(imgaudit_layer::MAX_ZSTD_WINDOW_LOG)).unwrap();
    assert_eq!(index.diff_id, Some(sha256(&tar)));
    let err = read(&compress(27)).unwrap_err();
    assert!(
        matches!(err, LayerError::ZstdWindowTooLarge { window: Some(w) } if w == 1 << 27),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&(1u64 << 27).to_string()) && message.contains(&cap.to_string()),
        "{message}"
    );
}
