//! The cache directory and the shared layers, on indexes the real layer reader produced.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use imgaudit_cache::{
    DiskCache, LayerCache, LayerKey, LayerOrigin, Lookup, Prune, captures_enough,
};
use imgaudit_digest::{Algorithm, Digest};
use imgaudit_layer::{Budget, CaptureRules, LayerIndex, ReadOptions, read_layer};
use imgaudit_testkit::{LayerBuilder, gzip};

fn rules() -> CaptureRules {
    CaptureRules::new(&["/etc/pip.conf", "**/EXTERNALLY-MANAGED"], 1024).unwrap()
}

fn layer(seed: &str) -> Vec<u8> {
    gzip(
        &LayerBuilder::new()
            // The root's own entry, a top-level opaque marker and a symlink that climbs above
            // the root (which the reader notes) must come back too.
            .raw(b"./", tar::EntryType::Directory, b"", b"")
            .raw(b".wh..wh..opq", tar::EntryType::Regular, b"", b"")
            .symlink("etc/up", "../../etc/shadow")
            .dir("etc")
            .file(
                "etc/pip.conf",
                format!("[global]\nuser = {seed}\n").as_bytes(),
            )
            .file("etc/bash_env", b"export PIP_USER=1\n")
            .symlink("etc/alt", "../usr/bin/python3")
            .hardlink("etc/pip2.conf", "etc/pip.conf")
            .fifo("run/fifo")
            .whiteout("usr/lib/old")
            .opaque("var/cache")
            .file(
                "usr/lib/python3.11/EXTERNALLY-MANAGED",
                b"[externally-managed]\n",
            )
            .finish(),
    )
}

fn read(blob: &[u8], capture: &CaptureRules) -> LayerIndex {
    read_layer(
        blob,
        &ReadOptions {
            capture,
            budget: &Budget::default(),
            blob_algorithm: Algorithm::Sha256,
            diff_id_algorithm: Algorithm::Sha256,
            hash_uncompressed: true,
        },
    )
    .unwrap()
}

fn key_of(index: &LayerIndex, capture: &CaptureRules) -> LayerKey {
    LayerKey::new(
        Some(&index.blob_digest),
        index.diff_id.as_ref().unwrap(),
        capture,
    )
}

fn assert_same(a: &LayerIndex, b: &LayerIndex) {
    assert_eq!(a.changes, b.changes);
    assert_eq!(a.notes, b.notes);
    assert_eq!(a.blob_digest, b.blob_digest);
    assert_eq!(a.diff_id, b.diff_id);
    assert_eq!(a.blob_size, b.blob_size);
    assert_eq!(a.uncompressed_size, b.uncompressed_size);
    assert_eq!(a.compression, b.compression);
    assert_eq!(a.inspected, b.inspected);
}

fn entry_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(root.join("layers-v1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn an_entry_gives_back_exactly_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::open(dir.path(), 1 << 30).unwrap();
    let index = read(&layer("a"), &rules());
    assert!(index.changes.len() >= 8, "{:?}", index.changes);
    assert!(index.changes[0].path().is_root());
    assert_eq!(index.notes.len(), 1, "{:?}", index.notes);
    let key = key_of(&index, &rules());
    assert!(matches!(cache.get(&key), Lookup::Miss));
    cache.put(&key, &index).unwrap();
    let Lookup::Hit(back) = cache.get(&key) else {
        panic!("no hit")
    };
    assert_same(&back, &index);
    assert!(dir.path().join("CACHEDIR.TAG").is_file());
}

#[test]
fn the_secrets_found_in_files_come_back_and_inspection_changes_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::open(dir.path(), 1 << 30).unwrap();
    let inspecting = rules().with_inspection(imgaudit_layer::Inspection {
        max_file_size: 1 << 20,
        // Room for the key and the npmrc, not for the last file: the skipped one comes back.
        max_layer_bytes: 500,
    });
    let blob = gzip(
        &LayerBuilder::new()
            .file(
                "usr/lib/python3.11/test/key.pem",
                imgaudit_testkit::synthetic_private_key("RSA PRIVATE KEY", 3).as_bytes(),
            )
            .file("root/.npmrc", b"_auth=dXNlcjpwYXNz\n")
            .file("etc/pip.conf", &[b'x'; 200])
            .finish(),
    );
    let index = read(&blob, &inspecting);
    let inspected = index.inspected.as_ref().unwrap();
    assert_eq!(inspected.hits.len(), 2, "{inspected:?}");
    assert!(inspected.hits[0].fixture);
    assert_eq!(inspected.uninspected_count, 1);
    let key = key_of(&index, &inspecting);
    assert_ne!(key, key_of(&index, &rules()));
    cache.put(&key, &index).unwrap();
    let Lookup::Hit(back) = cache.get(&key) else {
        panic!("no hit")
    };
    assert_same(&back, &index);
    // A layer remembered without inspection is not what an inspecting reader asks for.
    let plain = read(&blob, &rules());
    assert_eq!(plain.inspected, None);
    cache.put(&key_of(&plain, &rules()), &plain).unwrap();
    let Lookup::Hit(back) = cache.get(&key) else {
        panic!("no hit")
    };
    assert!(back.inspected.is_some());
}

#[test]
fn the_key_changes_with_the_content_and_the_capture_set() {
    let rules = rules();
    let a = read(&layer("a"), &rules);
    let b = read(&layer("b"), &rules);
    assert_ne!(key_of(&a, &rules), key_of(&b, &rules));
    let wider = rules.with_paths(&["/etc/bash_env"]).unwrap();
    assert_ne!(key_of(&a, &rules), key_of(&a, &wider));
    let by_diff_id = LayerKey::new(None, a.diff_id.as_ref().unwrap(), &rules);
    assert_ne!(key_of(&a, &rules), by_diff_id);
    assert!(
        key_of(&a, &rules)
            .as_str()
            .contains(imgaudit_layer::READER_VERSION)
    );
}

#[test]
fn every_damaged_byte_is_detected_deleted_and_never_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::open(dir.path(), 1 << 30).unwrap();
    let index = read(&layer("a"), &rules());
    let key = key_of(&index, &rules());
    cache.put(&key, &index).unwrap();
    let path = entry_files(dir.path()).pop().unwrap();
    let good = fs::read(&path).unwrap();
    // Every byte flipped, and every length cut short: all are damage, none a hit.
    for at in (0..good.len()).step_by(7).chain([good.len() - 1]) {
        let mut bad = good.clone();
        bad[at] ^= 0x40;
        fs::write(&path, &bad).unwrap();
        assert!(
            matches!(cache.get(&key), Lookup::Damaged(_)),
            "a flipped byte at {at} was not noticed"
        );
        assert!(!path.exists(), "the damaged entry at {at} was kept");
    }
    for len in [0, 10, 59, 60, good.len() / 2, good.len() - 1] {
        fs::write(&path, &good[..len]).unwrap();
        assert!(
            matches!(cache.get(&key), Lookup::Damaged(_)),
            "cut at {len}"
        );
    }
    // An entry filed under another key's name is not that key's.
    let other = read(&layer("b"), &rules());
    let other_key = key_of(&other, &rules());
    cache.put(&other_key, &other).unwrap();
    let other_path = entry_files(dir.path()).pop().unwrap();
    fs::rename(&other_path, &path).unwrap();
    match cache.get(&key) {
        Lookup::Damaged(reason) => assert!(reason.contains("another key"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_damaged_entry_is_rebuilt_by_the_next_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let blob = layer("a");
    let index = read(&blob, &rules());
    let key = key_of(&index, &rules());
    let fetch = |cache: &LayerCache| {
        cache
            .fetch(
                &key,
                |_| true,
                || Ok::<_, ()>((read(&blob, &rules()), true)),
            )
            .unwrap()
    };
    let first = fetch(&LayerCache::new(
        Some(DiskCache::open(dir.path(), 1 << 30).unwrap()),
        0,
    ));
    assert_eq!(first.origin, LayerOrigin::Read);
    let path = entry_files(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&path, &bytes).unwrap();
    let second = fetch(&LayerCache::new(
        Some(DiskCache::open(dir.path(), 1 << 30).unwrap()),
        0,
    ));
    assert_eq!(second.origin, LayerOrigin::Read);
    assert!(second.notes[0].contains("damaged"), "{:?}", second.notes);
    assert_same(&second.index, &index);
    let third = fetch(&LayerCache::new(
        Some(DiskCache::open(dir.path(), 1 << 30).unwrap()),
        0,
    ));
    assert_eq!(third.origin, LayerOrigin::Disk);
    assert!(third.notes.is_empty());
}

#[test]
fn concurrent_writers_and_readers_never_see_a_torn_entry() {
    let dir = tempfile::tempdir().unwrap();
    let indexes: Vec<LayerIndex> = (0..4)
        .map(|i| read(&layer(&i.to_string()), &rules()))
        .collect();
    let hits = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for worker in 0..8 {
            let (dir, indexes, hits) = (dir.path(), &indexes, &hits);
            scope.spawn(move || {
                // Each worker opens its own handle, as separate CI jobs would.
                let cache = DiskCache::open(dir, 1 << 30).unwrap();
                for round in 0..50 {
                    let index = &indexes[(worker + round) % indexes.len()];
                    let key = key_of(index, &rules());
                    match cache.get(&key) {
                        Lookup::Hit(back) => {
                            assert_same(&back, index);
                            hits.fetch_add(1, Ordering::Relaxed);
                        }
                        Lookup::Miss => cache.put(&key, index).unwrap(),
                        Lookup::Damaged(reason) | Lookup::Unreadable(reason) => {
                            panic!("torn entry: {reason}")
                        }
                    }
                }
            });
        }
    });
    assert!(hits.load(Ordering::Relaxed) > 300);
    assert_eq!(entry_files(dir.path()).len(), 4);
    assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
}

#[test]
fn the_least_recently_used_entries_go_first_beyond_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let indexes: Vec<LayerIndex> = (0..6)
        .map(|i| read(&layer(&i.to_string()), &rules()))
        .collect();
    let keys: Vec<LayerKey> = indexes.iter().map(|i| key_of(i, &rules())).collect();
    let unlimited = DiskCache::open(dir.path(), u64::MAX).unwrap();
    for (key, index) in keys.iter().zip(&indexes) {
        unlimited.put(key, index).unwrap();
    }
    let one = fs::metadata(&entry_files(dir.path())[0]).unwrap().len();
    // Make the order of use explicit: entry i was last used i hours ago, then use entry 5 now.
    let now = SystemTime::now();
    for (i, key) in keys.iter().enumerate() {
        let path = dir
            .path()
            .join("layers-v1")
            .join(file_name_of(dir.path(), key));
        let file = fs::File::options().write(true).open(path).unwrap();
        file.set_modified(now - Duration::from_secs(3600 * i as u64))
            .unwrap();
    }
    assert!(matches!(unlimited.get(&keys[5]), Lookup::Hit(_)));
    // A cap of four entries: the next write evicts down to 90% of it, oldest use first.
    let capped = DiskCache::open(dir.path(), one * 4 + one / 2).unwrap();
    let extra = read(&layer("extra"), &rules());
    capped.put(&key_of(&extra, &rules()), &extra).unwrap();
    let present = |key: &LayerKey| matches!(unlimited.get(key), Lookup::Hit(_));
    assert!(
        present(&key_of(&extra, &rules())),
        "the new entry was evicted"
    );
    assert!(present(&keys[5]), "the entry used just now was evicted");
    assert!(present(&keys[0]) && present(&keys[1]));
    assert!(!present(&keys[4]) && !present(&keys[3]) && !present(&keys[2]));
}

/// The entry file of a key, found by content (the naming is the cache's business).
fn file_name_of(root: &Path, key: &LayerKey) -> String {
    for path in entry_files(root) {
        let bytes = fs::read(&path).unwrap();
        if bytes
            .windows(key.as_str().len())
            .any(|w| w == key.as_str().as_bytes())
        {
            return path.file_name().unwrap().to_string_lossy().into_owned();
        }
    }
    panic!("no entry for {}", key.as_str())
}

#[test]
fn info_counts_and_prune_removes() {
    let dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::open(dir.path(), 1 << 30).unwrap();
    for i in 0..3 {
        let index = read(&layer(&i.to_string()), &rules());
        cache.put(&key_of(&index, &rules()), &index).unwrap();
    }
    fs::write(dir.path().join("layers-v1/junk"), b"not an entry").unwrap();
    let stale = dir.path().join("tmp/entry-dead");
    fs::write(&stale, b"half").unwrap();
    fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    let fresh = dir.path().join("tmp/entry-writing");
    fs::write(&fresh, b"half").unwrap();
    let info = cache.info().unwrap();
    assert_eq!(
        (info.entries, info.current_entries, info.unreadable),
        (4, 3, 1)
    );
    assert!(info.size > 0 && info.oldest_use.is_some());

    let pruned = cache.prune(&Prune::default()).unwrap();
    assert_eq!((pruned.removed, pruned.kept), (1, 3));
    assert!(!stale.exists(), "a dead writer's file was kept");
    assert!(fresh.exists(), "a live writer's file was removed");

    let pruned = cache
        .prune(&Prune {
            max_size: Some(1),
            ..Prune::default()
        })
        .unwrap();
    assert_eq!(pruned.kept, 0);
    let index = read(&layer("x"), &rules());
    cache.put(&key_of(&index, &rules()), &index).unwrap();
    let pruned = cache
        .prune(&Prune {
            unused_for: Some(Duration::from_secs(3600)),
            ..Prune::default()
        })
        .unwrap();
    assert_eq!(pruned.kept, 1);
    let pruned = cache
        .prune(&Prune {
            all: true,
            ..Prune::default()
        })
        .unwrap();
    assert_eq!((pruned.removed, pruned.kept), (1, 0));
    assert!(dir.path().join("CACHEDIR.TAG").exists());
}

#[test]
fn the_default_directory_follows_xdg() {
    assert_eq!(
        DiskCache::default_dir(Some("/x/cache"), Some("/home/u")),
        Some("/x/cache/imgaudit".into())
    );
    // A relative XDG_CACHE_HOME is invalid per the spec and ignored.
    assert_eq!(
        DiskCache::default_dir(Some("rel"), Some("/home/u")),
        Some("/home/u/.cache/imgaudit".into())
    );
    assert_eq!(DiskCache::default_dir(None, None), None);
}

#[test]
fn a_shared_layer_is_read_once_by_concurrent_images() {
    let blob = layer("shared");
    let index = read(&blob, &rules());
    let key = key_of(&index, &rules());
    let reads = AtomicUsize::new(0);
    let cache = LayerCache::new(None, 1 << 30);
    let origins: Vec<LayerOrigin> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    cache
                        .fetch(
                            &key,
                            |_| true,
                            || {
                                reads.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(50));
                                Ok::<_, ()>((read(&blob, &rules()), true))
                            },
                        )
                        .unwrap()
                        .origin
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(reads.load(Ordering::SeqCst), 1);
    assert_eq!(
        origins.iter().filter(|o| **o == LayerOrigin::Read).count(),
        1
    );
    assert_eq!(
        origins
            .iter()
            .filter(|o| **o == LayerOrigin::Memory)
            .count(),
        5
    );
}

#[test]
fn unusable_or_unstored_indexes_are_read_again_and_memory_stays_under_its_limit() {
    let rules = rules();
    let blobs: Vec<Vec<u8>> = (0..3).map(|i| layer(&i.to_string())).collect();
    let indexes: Vec<LayerIndex> = blobs.iter().map(|b| read(b, &rules)).collect();
    let one = indexes[0].approximate_size();
    let cache = LayerCache::new(None, one * 2 + one / 2);
    let reads = AtomicUsize::new(0);
    let fetch = |i: usize, usable: bool, store: bool| {
        cache
            .fetch(
                &key_of(&indexes[i], &rules),
                |_| usable,
                || {
                    reads.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>((read(&blobs[i], &rules), store))
                },
            )
            .unwrap()
            .origin
    };
    assert_eq!(fetch(0, true, false), LayerOrigin::Read);
    assert_eq!(fetch(0, true, true), LayerOrigin::Read);
    assert_eq!(fetch(0, true, true), LayerOrigin::Memory);
    assert_eq!(fetch(0, false, true), LayerOrigin::Read);
    assert_eq!(reads.load(Ordering::SeqCst), 3);
    fetch(1, true, true);
    fetch(2, true, true);
    assert!(cache.memory_in_use() <= one * 2 + one / 2);
    // 0 was used least recently: forgotten; 2 is remembered.
    assert_eq!(fetch(2, true, true), LayerOrigin::Memory);
    assert_eq!(fetch(0, true, true), LayerOrigin::Read);
}

#[test]
fn captures_enough_sees_uncaptured_files_the_wider_rules_want() {
    let rules = rules();
    let index = read(&layer("a"), &rules);
    assert!(captures_enough(&index, &rules));
    let wider = rules.with_paths(&["/etc/bash_env"]).unwrap();
    assert!(!captures_enough(&index, &wider));
    let elsewhere = rules.with_paths(&["/opt/not/here"]).unwrap();
    assert!(captures_enough(&index, &elsewhere));
    let _ = Digest::of_bytes(Algorithm::Sha256, b"");
}

/// The tree of two layers of the shapes the reader and the assembly meet: whiteouts, opaque
/// directories, hard links, captured contents, notes.
fn tree() -> imgaudit_cache::Filesystem {
    let lower = read(&layer("a"), &rules());
    let upper = read(
        &gzip(
            &LayerBuilder::new()
                .whiteout("etc/alt")
                .opaque("etc")
                .file("etc/pip.conf", b"[global]\nuser = false\n")
                .file("usr/lib/old", b"back")
                .finish(),
        ),
        &rules(),
    );
    imgaudit_cache::Filesystem::assemble([&lower.changes[..], &upper.changes[..]]).unwrap()
}

fn assert_same_tree(a: &imgaudit_cache::Filesystem, b: &imgaudit_cache::Filesystem) {
    assert_eq!(a.root(), b.root());
    assert!(a.iter().eq(b.iter()));
    assert!(a.removed().eq(b.removed()));
    assert_eq!(a.notes(), b.notes());
}

fn kind_files(root: &Path, dir: &str) -> Vec<std::path::PathBuf> {
    fs::read_dir(root.join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn a_tree_and_a_document_come_back_exactly_and_damage_is_never_used() {
    let dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::open(dir.path(), 1 << 30).unwrap();
    let tree = tree();
    assert!(tree.removed().count() > 0 && tree.len() > 5);
    let tree_key = imgaudit_cache::DerivedKey::new("tree of the test");
    let doc_key = imgaudit_cache::DerivedKey::new("facts of the test");
    assert!(matches!(cache.get_tree(&tree_key), Lookup::Miss));
    assert!(matches!(cache.get_document(&doc_key), Lookup::Miss));
    cache.put_tree(&tree_key, &tree).unwrap();
    cache.put_document(&doc_key, b"{\"facts\": true}").unwrap();
    match cache.get_tree(&tree_key) {
        Lookup::Hit(back) => assert_same_tree(&back, &tree),
        other => panic!("{other:?}"),
    }
    match cache.get_document(&doc_key) {
        Lookup::Hit(back) => assert_eq!(back, b"{\"facts\": true}"),
        other => panic!("{other:?}"),
    }
    let info = cache.info().unwrap();
    assert_eq!((info.entries, info.trees, info.documents), (2, 1, 1));

    // Every flipped byte and every cut is damage: the entry is deleted and never used.
    for (dir_name, check) in [
        (
            "trees-v1",
            &(|c: &DiskCache| matches!(c.get_tree(&tree_key), Lookup::Damaged(_)))
                as &dyn Fn(&DiskCache) -> bool,
        ),
        ("documents-v1", &|c: &DiskCache| {
            matches!(c.get_document(&doc_key), Lookup::Damaged(_))
        }),
    ] {
        let path = kind_files(dir.path(), dir_name).pop().unwrap();
        let good = fs::read(&path).unwrap();
        for at in (0..good.len()).step_by(5).chain([good.len() - 1]) {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            fs::write(&path, &bad).unwrap();
            assert!(check(&cache), "{dir_name}: a flipped byte at {at}");
            assert!(
                !path.exists(),
                "{dir_name}: the damaged entry at {at} was kept"
            );
        }
        for len in [0, 20, 36, good.len() / 2, good.len() - 1] {
            fs::write(&path, &good[..len]).unwrap();
            assert!(check(&cache), "{dir_name}: cut at {len}");
        }
    }
    // A document filed under another key's name is not that key's.
    let other = imgaudit_cache::DerivedKey::new("facts of another image");
    cache.put_document(&other, b"{}").unwrap();
    let other_path = kind_files(dir.path(), "documents-v1").pop().unwrap();
    fs::rename(
        &other_path,
        other_path.with_file_name(
            imgaudit_digest::Digest::of_bytes(Algorithm::Sha256, doc_key.as_str().as_bytes()).hex(),
        ),
    )
    .unwrap();
    match cache.get_document(&doc_key) {
        Lookup::Damaged(reason) => assert!(reason.contains("another key"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // The reader's version is part of every key.
    assert!(doc_key.as_str().contains(imgaudit_layer::READER_VERSION));
    // An entry another imgaudit wrote in another format version is no damage: it is replaced
    // without a word.
    cache.put_document(&doc_key, b"{}").unwrap();
    let path = kind_files(dir.path(), "documents-v1").pop().unwrap();
    let mut bytes = fs::read(&path).unwrap();
    bytes[16] = bytes[16].wrapping_add(1);
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(cache.get_document(&doc_key), Lookup::Miss));
    assert!(!path.exists());
}

#[test]
fn the_ledger_spares_writes_a_listing_and_eviction_counts_every_kind() {
    let dir = tempfile::tempdir().unwrap();
    let tree = tree();
    let one = {
        let cache = DiskCache::open(dir.path(), 1 << 30).unwrap();
        cache
            .put_tree(&imgaudit_cache::DerivedKey::new("size"), &tree)
            .unwrap();
        cache.info().unwrap().size
    };
    // A cap of ten trees: writing thirty (as thirty runs would) keeps the directory under it,
    // the least recently used going first, whatever their kind.
    for n in 0..30 {
        let run = DiskCache::open(dir.path(), one * 10).unwrap();
        run.put_tree(&imgaudit_cache::DerivedKey::new(format!("tree {n}")), &tree)
            .unwrap();
        run.put_document(&imgaudit_cache::DerivedKey::new(format!("doc {n}")), b"{}")
            .unwrap();
        assert!(run.info().unwrap().size <= one * 10, "after run {n}");
    }
    let cache = DiskCache::open(dir.path(), one * 10).unwrap();
    assert!(matches!(
        cache.get_tree(&imgaudit_cache::DerivedKey::new("tree 29")),
        Lookup::Hit(_)
    ));
    assert!(matches!(
        cache.get_tree(&imgaudit_cache::DerivedKey::new("tree 0")),
        Lookup::Miss
    ));
}
