//! Every rule of layer application, on synthetic layers read by the real layer reader.

use imgaudit_digest::Algorithm;
use imgaudit_fs::{AssembleError, Filesystem, RemovalCause, ResolveError};
use imgaudit_layer::{
    Budget, CaptureRules, Change, Entry, EntryKind, ImagePath, ReadOptions, read_layer,
};
use imgaudit_testkit::LayerBuilder;
use imgaudit_testkit::scale::{deep_tree_bottom, deep_tree_layer};

fn assemble(layers: Vec<LayerBuilder>) -> Result<Filesystem, AssembleError> {
    let capture = CaptureRules::new(&["/**"], 1024).unwrap();
    let budget = Budget::default();
    let options = ReadOptions {
        capture: &capture,
        budget: &budget,
        blob_algorithm: Algorithm::Sha256,
        diff_id_algorithm: Algorithm::Sha256,
        hash_uncompressed: true,
    };
    let indexes: Vec<_> = layers
        .into_iter()
        .map(|l| read_layer(&l.finish()[..], &options).unwrap())
        .collect();
    Filesystem::assemble(indexes.iter().map(|i| &i.changes[..]))
}

fn assemble_tars(tars: &[Vec<u8>]) -> Result<Filesystem, AssembleError> {
    let capture = CaptureRules::new(&["/**"], 1024).unwrap();
    let budget = Budget::default();
    let options = ReadOptions {
        capture: &capture,
        budget: &budget,
        blob_algorithm: Algorithm::Sha256,
        diff_id_algorithm: Algorithm::Sha256,
        hash_uncompressed: false,
    };
    let indexes: Vec<_> = tars
        .iter()
        .map(|tar| read_layer(&tar[..], &options).unwrap())
        .collect();
    Filesystem::assemble(indexes.iter().map(|i| &i.changes[..]))
}

fn p(path: &str) -> ImagePath {
    ImagePath::from_tar_name(path.trim_start_matches('/').as_bytes()).unwrap()
}

/// The final tree as `path kind layer` lines, after checking the invariant resolution relies
/// on: every path's parent is a directory of the tree.
fn tree(fs: &Filesystem) -> Vec<String> {
    assert_parents_are_directories(fs);
    fs.iter()
        .map(|(path, node)| format!("{path} {} {}", node.kind().letter(), node.layer))
        .collect()
}

fn assert_parents_are_directories(fs: &Filesystem) {
    for (path, _) in fs.iter() {
        let parent = path.parent();
        assert!(
            fs.get(&parent).is_some_and(|n| n.kind() == EntryKind::Dir),
            "{path} is in the tree but its parent is not a directory of it"
        );
    }
}

fn removed(fs: &Filesystem) -> Vec<String> {
    fs.removed()
        .map(|(path, r)| {
            format!(
                "{path} by {} ({:?}) from {}",
                r.layer, r.cause, r.written_by
            )
        })
        .collect()
}

fn base() -> LayerBuilder {
    LayerBuilder::new()
        .dir("usr")
        .dir("usr/lib")
        .dir("usr/lib/python3.11")
        .file("usr/lib/python3.11/os.py", b"# os")
        .file(
            "usr/lib/python3.11/EXTERNALLY-MANAGED",
            b"[externally-managed]\n",
        )
        .dir("usr/share")
        .dir("usr/share/doc")
        .file("usr/share/doc/a", b"a")
        .dir("usr/share/doc/pkg")
        .file("usr/share/doc/pkg/b", b"b")
        // Sorts between `doc` and `doc/` in byte order: must survive what happens to `doc`.
        .dir("usr/share/doc-base")
        .file("usr/share/doc-base/c", b"c")
}

#[test]
fn a_whiteout_removes_a_lower_file_and_records_who_removed_it() {
    let fs = assemble(vec![
        base(),
        LayerBuilder::new().whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED"),
    ])
    .unwrap();
    assert!(
        fs.get(&p("/usr/lib/python3.11/EXTERNALLY-MANAGED"))
            .is_none()
    );
    assert_eq!(
        removed(&fs),
        ["/usr/lib/python3.11/EXTERNALLY-MANAGED by 1 (Whiteout) from 0"]
    );
    assert!(fs.get(&p("/usr/lib/python3.11/os.py")).is_some());
}

#[test]
fn a_whiteout_of_a_directory_removes_its_subtree() {
    let fs = assemble(vec![base(), LayerBuilder::new().whiteout("usr/share/doc")]).unwrap();
    assert_eq!(
        tree(&fs),
        [
            "/usr d 0",
            "/usr/lib d 0",
            "/usr/lib/python3.11 d 0",
            "/usr/lib/python3.11/EXTERNALLY-MANAGED - 0",
            "/usr/lib/python3.11/os.py - 0",
            "/usr/share d 0",
            "/usr/share/doc-base d 0",
            "/usr/share/doc-base/c - 0",
        ]
    );
    assert_eq!(
        removed(&fs),
        [
            "/usr/share/doc by 1 (Whiteout) from 0",
            "/usr/share/doc/a by 1 (Whiteout) from 0",
            "/usr/share/doc/pkg by 1 (Whiteout) from 0",
            "/usr/share/doc/pkg/b by 1 (Whiteout) from 0",
        ]
    );
}

/// overlay writes one opaque marker; vfs and fuse-overlayfs one whiteout per removed entry;
/// umoci writes whiteouts without their parents' entries. All three give the same tree.
#[test]
fn opaque_markers_per_file_whiteouts_and_parentless_whiteouts_agree() {
    let overlay = LayerBuilder::new()
        .dir("usr/share/doc")
        .file("usr/share/doc/new", b"n")
        .opaque("usr/share/doc");
    let vfs = LayerBuilder::new()
        .dir("usr")
        .dir("usr/share")
        .dir("usr/share/doc")
        .whiteout("usr/share/doc/a")
        .whiteout("usr/share/doc/pkg")
        .file("usr/share/doc/new", b"n");
    let umoci = LayerBuilder::new()
        .whiteout("usr/share/doc/a")
        .whiteout("usr/share/doc/pkg")
        .file("usr/share/doc/new", b"n");
    let trees: Vec<Vec<String>> = [overlay, vfs, umoci]
        .into_iter()
        .map(|top| {
            let fs = assemble(vec![base(), top]).unwrap();
            fs.iter()
                .filter(|(path, _)| path.starts_with(&p("/usr/share/doc")))
                .map(|(path, node)| format!("{path} {}", node.kind().letter()))
                .collect()
        })
        .collect();
    assert_eq!(trees[0], ["/usr/share/doc d", "/usr/share/doc/new -"]);
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[0], trees[2]);
}

#[test]
fn an_opaque_marker_hides_only_lower_layers_wherever_it_stands_in_the_stream() {
    // The marker comes after the layer's own child in tar order: the child must survive.
    let fs = assemble(vec![
        base(),
        LayerBuilder::new()
            .file("usr/share/doc/-early", b"sorted before the marker")
            .opaque("usr/share/doc")
            .file("usr/share/doc/zz", b"z"),
    ])
    .unwrap();
    let doc: Vec<_> = fs
        .children(&p("/usr/share/doc"))
        .map(|(path, _)| path.display())
        .collect();
    assert_eq!(doc, ["/usr/share/doc/-early", "/usr/share/doc/zz"]);
    assert_eq!(
        fs.removal(&p("/usr/share/doc/pkg/b")).unwrap().cause,
        RemovalCause::OpaqueDirectory
    );
}

#[test]
fn a_whiteout_does_not_hide_an_entry_of_its_own_layer() {
    let fs = assemble(vec![
        base(),
        LayerBuilder::new()
            .file("usr/share/doc/a", b"rewritten")
            .whiteout("usr/share/doc/a"),
    ])
    .unwrap();
    let node = fs.get(&p("/usr/share/doc/a")).unwrap();
    assert_eq!((node.layer, node.content()), (1, Some(&b"rewritten"[..])));
}

#[test]
fn a_directory_replaced_by_a_file_and_back() {
    let fs = assemble(vec![
        base(),
        LayerBuilder::new().file("usr/share/doc", b"now a file"),
        LayerBuilder::new()
            .dir("usr/share/doc")
            .file("usr/share/doc/c", b"c"),
    ])
    .unwrap();
    let doc: Vec<_> = fs
        .descendants(&p("/usr/share/doc"))
        .map(|(path, node)| format!("{path} {}", node.layer))
        .collect();
    assert_eq!(doc, ["/usr/share/doc/c 2"]);
    assert_eq!(fs.get(&p("/usr/share/doc")).unwrap().kind(), EntryKind::Dir);
    let old = fs.removal(&p("/usr/share/doc/pkg/b")).unwrap();
    assert_eq!((old.layer, old.cause), (1, RemovalCause::ReplacedParent));
}

#[test]
fn the_last_duplicate_entry_in_a_layer_wins() {
    let fs = assemble(vec![
        LayerBuilder::new()
            .file("etc/pip.conf", b"[global]\nuser = true\n")
            .file("etc/pip.conf", b"[global]\nuser = false\n"),
    ])
    .unwrap();
    assert_eq!(
        fs.get(&p("/etc/pip.conf")).unwrap().content(),
        Some(&b"[global]\nuser = false\n"[..])
    );
    // `etc` had no entry of its own: it exists implicitly.
    assert!(fs.get(&p("/etc")).unwrap().implicit);
}

#[test]
fn hard_links_share_their_targets_metadata_within_and_across_layers() {
    let fs = assemble(vec![
        LayerBuilder::new()
            .file_with("usr/bin/python3.11", b"ELF", 0o755, 0, 0)
            .hardlink("usr/bin/python3", "usr/bin/python3.11"),
        LayerBuilder::new().hardlink("opt/py", "usr/bin/python3.11"),
    ])
    .unwrap();
    for (path, layer) in [("/usr/bin/python3", 0), ("/opt/py", 1)] {
        let node = fs.get(&p(path)).unwrap();
        assert_eq!(node.kind(), EntryKind::File, "{path}");
        assert_eq!((node.entry.mode, node.entry.size), (0o755, 3));
        assert_eq!(node.content(), Some(&b"ELF"[..]));
        assert_eq!(node.layer, layer);
        assert_eq!(
            node.entry.hardlink_target.as_ref().unwrap().display(),
            "/usr/bin/python3.11"
        );
    }
}

#[test]
fn a_hard_link_to_nothing_is_an_error() {
    let err = assemble(vec![LayerBuilder::new().hardlink("a", "missing")]).unwrap_err();
    assert!(
        matches!(err, AssembleError::DanglingHardlink { layer: 0, .. }),
        "{err}"
    );
    // A target removed by a whiteout in the same layer's stack is gone too.
    let err = assemble(vec![
        LayerBuilder::new().file("t", b"t"),
        LayerBuilder::new().whiteout("t").hardlink("l", "t"),
    ])
    .unwrap_err();
    assert!(matches!(
        err,
        AssembleError::DanglingHardlink { layer: 1, .. }
    ));
}

#[test]
fn symlinks_resolve_inside_the_image_root_only() {
    let fs = assemble(vec![
        LayerBuilder::new()
            .dir("usr/lib/python3.11")
            .file("usr/lib/python3.11/os.py", b"")
            .symlink("lib", "usr/lib")
            .symlink("usr/bin/python3", "/usr/lib/python3.11/os.py")
            .symlink("etc/dots", "/../../usr/lib")
            .symlink("etc/loop-a", "loop-b")
            .symlink("etc/loop-b", "loop-a"),
    ])
    .unwrap();
    let resolve = |path: &str| fs.resolve(&p(path), true).map(|r| r.display());
    assert_eq!(
        resolve("/lib/python3.11/os.py").unwrap(),
        "/usr/lib/python3.11/os.py"
    );
    assert_eq!(
        resolve("/usr/bin/python3").unwrap(),
        "/usr/lib/python3.11/os.py"
    );
    // `..` at the root stays at the root: the absolute target cannot reach the host.
    assert_eq!(
        resolve("/etc/dots/python3.11").unwrap(),
        "/usr/lib/python3.11"
    );
    assert_eq!(
        fs.resolve(&p("/usr/bin/python3"), false).unwrap().display(),
        "/usr/bin/python3"
    );
    assert!(matches!(
        fs.resolve(&p("/etc/loop-a"), true),
        Err(ResolveError::TooManyLinks { .. })
    ));
    assert!(matches!(
        fs.resolve(&p("/lib/missing/x"), true),
        Err(ResolveError::NotFound { .. })
    ));
    assert!(matches!(
        fs.resolve(&p("/usr/lib/python3.11/os.py/x"), true),
        Err(ResolveError::NotADirectory { .. })
    ));
}

#[test]
fn an_overlong_symlink_chain_is_detected() {
    let chain = (0..45).fold(LayerBuilder::new().file("end", b""), |b, i| {
        b.symlink(
            &format!("l{i}"),
            &if i == 0 {
                "end".to_owned()
            } else {
                format!("l{}", i - 1)
            },
        )
    });
    let fs = assemble(vec![chain]).unwrap();
    assert_eq!(fs.resolve(&p("/l39"), true).unwrap().display(), "/end");
    assert!(matches!(
        fs.resolve(&p("/l44"), true),
        Err(ResolveError::TooManyLinks { .. })
    ));
}

#[test]
fn entries_below_a_symlinked_directory_land_where_it_points() {
    let fs = assemble(vec![
        LayerBuilder::new().dir("usr/lib").symlink("lib", "usr/lib"),
        LayerBuilder::new().file("lib/libx.so", b"x"),
    ])
    .unwrap();
    assert_eq!(fs.get(&p("/usr/lib/libx.so")).unwrap().layer, 1);
    assert_eq!(fs.get(&p("/lib")).unwrap().kind(), EntryKind::Symlink);
    assert!(fs.get(&p("/lib/libx.so")).is_none());
}

#[test]
fn the_last_writer_of_each_path_is_recorded() {
    let fs = assemble(vec![
        base(),
        LayerBuilder::new().file("usr/lib/python3.11/os.py", b"# patched"),
        LayerBuilder::new().dir("usr/lib"),
    ])
    .unwrap();
    assert_eq!(fs.get(&p("/usr/lib/python3.11/os.py")).unwrap().layer, 1);
    assert_eq!(fs.get(&p("/usr/lib")).unwrap().layer, 2);
    assert_eq!(fs.get(&p("/usr/lib/python3.11")).unwrap().layer, 0);
    // Re-adding a removed path clears its removal record.
    let fs = assemble(vec![
        base(),
        LayerBuilder::new().whiteout("usr/share/doc/a"),
        LayerBuilder::new().file("usr/share/doc/a", b"again"),
    ])
    .unwrap();
    assert!(fs.removal(&p("/usr/share/doc/a")).is_none());
}

#[test]
fn a_file_in_the_way_of_a_child_is_replaced_by_a_directory_and_noted() {
    let fs = assemble(vec![
        LayerBuilder::new().file("opt/app", b"file"),
        LayerBuilder::new().file("opt/app/config", b"c"),
    ])
    .unwrap();
    assert_eq!(fs.get(&p("/opt/app")).unwrap().kind(), EntryKind::Dir);
    assert_eq!(fs.notes().len(), 1);
}

#[test]
fn the_root_takes_the_metadata_of_its_latest_directory_entry() {
    let untouched = assemble(vec![base()]).unwrap();
    let root = untouched.root();
    assert!(root.implicit);
    assert_eq!((root.entry.mode, root.entry.uid, root.layer), (0o755, 0, 0));

    // kaniko writes `./` (or `/`) in every layer; the root is never listed among the paths.
    let fs = assemble(vec![
        base().raw(b"./", tar::EntryType::Directory, b"", b""),
        LayerBuilder::new()
            .raw(b"/", tar::EntryType::Directory, b"", b"")
            .file("etc/hostname", b"box\n"),
        LayerBuilder::new().file("etc/motd", b"hi\n"),
    ])
    .unwrap();
    let root = fs.root();
    assert!(!root.implicit);
    assert_eq!(root.layer, 1);
    assert_eq!((root.kind(), root.entry.mode), (EntryKind::Dir, 0o644));
    assert_eq!(fs.get(&ImagePath::root()), Some(root));
    assert_eq!(fs.lookup(&p("/usr/.."), true).unwrap().1, Some(root));
    assert!(fs.iter().all(|(path, _)| !path.is_root()));
    // Applying the root's metadata removes nothing below it.
    assert_eq!(fs.len(), untouched.len() + 3);
    assert!(removed(&fs).is_empty());
}

#[test]
fn a_root_entry_that_is_not_a_directory_does_not_assemble() {
    let file = Entry {
        kind: EntryKind::File,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: 0,
        symlink_target: None,
        hardlink_target: None,
        device: None,
        content: None,
    };
    let changes = [Change::Add {
        path: ImagePath::root(),
        entry: file,
    }];
    let err = Filesystem::assemble([&changes[..]]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 0: the entry for the image root is a File, not a directory"
    );
}

#[test]
fn absolute_names_land_where_relative_ones_do() {
    let absolute = assemble(vec![
        LayerBuilder::new()
            .raw(b"/etc/passwd", tar::EntryType::Regular, b"", b"root:x\n")
            .raw(b"/etc/passwd-", tar::EntryType::Link, b"/etc/passwd", b""),
    ])
    .unwrap();
    let relative = assemble(vec![
        LayerBuilder::new()
            .raw(b"etc/passwd", tar::EntryType::Regular, b"", b"root:x\n")
            .raw(b"etc/passwd-", tar::EntryType::Link, b"etc/passwd", b""),
    ])
    .unwrap();
    assert_eq!(
        tree(&absolute),
        ["/etc d 0", "/etc/passwd - 0", "/etc/passwd- - 0"]
    );
    assert_eq!(tree(&absolute), tree(&relative));
    assert_eq!(
        absolute.get(&p("/etc/passwd-")).unwrap().content(),
        Some(&b"root:x\n"[..])
    );
}

#[test]
fn a_symlink_that_climbs_above_the_root_stops_at_the_root() {
    let fs = assemble(vec![
        LayerBuilder::new()
            .file("etc/passwd", b"root:x\n")
            .raw(
                b"usr/lib/x",
                tar::EntryType::Symlink,
                b"../../../../etc/passwd",
                b"",
            )
            .symlink("usr/up", "../../../..")
            .raw(
                b"usr/lib/d",
                tar::EntryType::Symlink,
                b"../../../../etc",
                b"",
            ),
        // A later layer writes through the climbing directory link: it lands in `/etc`.
        LayerBuilder::new().file("usr/lib/d/hostname", b"box\n"),
    ])
    .unwrap();
    let (resolved, node) = fs.lookup(&p("/usr/lib/x"), true).unwrap();
    assert_eq!(resolved.display(), "/etc/passwd");
    assert_eq!(node.unwrap().content(), Some(&b"root:x\n"[..]));
    assert_eq!(
        fs.resolve(&p("/usr/up/etc/passwd"), true)
            .unwrap()
            .display(),
        "/etc/passwd"
    );
    assert_eq!(fs.resolve(&p("/usr/up"), true).unwrap(), ImagePath::root());
    assert_eq!(fs.get(&p("/etc/hostname")).unwrap().layer, 1);
    // Not following the last component leaves the link itself, stored as written.
    let link = fs.get(&p("/usr/lib/x")).unwrap();
    assert_eq!(
        link.entry.symlink_target.as_deref(),
        Some(&b"../../../../etc/passwd"[..])
    );
}

#[test]
fn loops_through_links_that_climb_above_the_root_end_in_an_error() {
    let fs = assemble(vec![
        LayerBuilder::new()
            .raw(
                b"a/loop",
                tar::EntryType::Symlink,
                b"../../../../b/loop",
                b"",
            )
            .raw(b"b/loop", tar::EntryType::Symlink, b"../../../a/loop", b"")
            .raw(
                b"c/self",
                tar::EntryType::Symlink,
                b"../../../c/self/x",
                b"",
            ),
    ])
    .unwrap();
    for path in ["/a/loop", "/b/loop/x", "/c/self"] {
        assert!(
            matches!(
                fs.resolve(&p(path), true),
                Err(ResolveError::TooManyLinks { .. })
            ),
            "{path}"
        );
    }
    assert!(matches!(
        fs.lookup(&p("/a/loop"), true),
        Err(ResolveError::TooManyLinks { .. })
    ));
    // Not following the last link is no lookup through the loop.
    assert_eq!(
        fs.lookup(&p("/a/loop"), false).unwrap().0.display(),
        "/a/loop"
    );

    // A later layer that writes below the loop gets the same error, not a hang.
    let err = assemble(vec![
        LayerBuilder::new()
            .raw(
                b"a/loop",
                tar::EntryType::Symlink,
                b"../../../../b/loop",
                b"",
            )
            .raw(b"b/loop", tar::EntryType::Symlink, b"../../../a/loop", b""),
        LayerBuilder::new().file("a/loop/file", b""),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            AssembleError::Unresolvable {
                layer: 1,
                source: ResolveError::TooManyLinks { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_long_chain_of_climbing_links_ends_at_the_limit() {
    // Each link climbs above the root to reach the previous one.
    let chain = (0..45).fold(LayerBuilder::new().file("end", b""), |b, i| {
        let target = if i == 0 {
            "../../end".to_owned()
        } else {
            format!("../../l{}", i - 1)
        };
        b.raw(
            format!("l{i}").as_bytes(),
            tar::EntryType::Symlink,
            target.as_bytes(),
            b"",
        )
    });
    let fs = assemble(vec![chain]).unwrap();
    assert_eq!(fs.resolve(&p("/l39"), true).unwrap().display(), "/end");
    assert!(matches!(
        fs.resolve(&p("/l40"), true),
        Err(ResolveError::TooManyLinks { .. })
    ));
}

#[test]
fn a_tree_thousands_of_directories_deep_assembles() {
    // Each entry costs about its name's length: resolving a parent used to walk (and copy) it
    // one component at a time, quadratic per entry and cubic for the layer. (4,000 levels keep
    // the test cheap in debug builds: the layer holds 16 MB of names.)
    let depth = 4_000;
    let fs = assemble_tars(&[deep_tree_layer(depth)]).unwrap();
    assert_eq!(fs.len(), depth + 1);
    assert_parents_are_directories(&fs);
    let bottom = p(&deep_tree_bottom(depth));
    assert_eq!(
        fs.get(&bottom).unwrap().content(),
        Some(&b"at the bottom\n"[..])
    );
    assert_eq!(fs.resolve(&bottom, true).unwrap(), bottom);
}

#[test]
fn a_deep_file_without_parent_entries_gets_every_parent_at_once() {
    let depth = 10_000;
    let bottom = deep_tree_bottom(depth);
    let layer = LayerBuilder::new().file(&bottom, b"alone").finish();
    // A second file at the same depth through a symlink, and one below a file in the way.
    let upper = LayerBuilder::new()
        .symlink("link", "d/d")
        .file(
            &format!("link/{}", deep_tree_bottom(depth - 2)).replace("/bottom", "/second"),
            b"2",
        )
        .finish();
    let fs = assemble_tars(&[layer, upper]).unwrap();
    assert_parents_are_directories(&fs);
    // `d` repeated `depth` times, `bottom`, `link`, and `second` beside `bottom`.
    assert_eq!(fs.len(), depth + 3);
    let node = fs.get(&p(&bottom)).unwrap();
    assert_eq!((node.content(), node.layer), (Some(&b"alone"[..]), 0));
    let second = p(&bottom.replace("/bottom", "/second"));
    assert_eq!(fs.get(&second).unwrap().layer, 1);
    assert!(fs.get(&p("d/d/d")).unwrap().implicit);
}

#[test]
fn deep_paths_resolve_through_links_as_shallow_ones_do() {
    let depth = 2_000;
    let chain = deep_tree_bottom(depth).replace("/bottom", "");
    let layer = LayerBuilder::new()
        .dir(&chain)
        .symlink(&format!("{chain}/up"), &"../".repeat(depth + 5))
        .symlink(&format!("{chain}/abs"), "/d/d")
        .file(&format!("{chain}/file"), b"f")
        .finish();
    let fs = assemble_tars(&[layer]).unwrap();
    let at = |rest: &str| p(&format!("{chain}/{rest}"));
    // `..` stops at the root, however many there are.
    assert_eq!(fs.resolve(&at("up/etc"), true).unwrap(), p("etc"));
    assert_eq!(fs.resolve(&at("abs/d"), true).unwrap(), p("d/d/d"));
    assert_eq!(
        fs.resolve(&at("file/x"), true),
        Err(ResolveError::NotADirectory { at: at("file") })
    );
    assert_eq!(
        fs.resolve(&at("missing/x"), true),
        Err(ResolveError::NotFound { at: at("missing") })
    );
    assert_eq!(fs.resolve(&at("missing"), true).unwrap(), at("missing"));
    assert_eq!(fs.resolve(&at("up"), false).unwrap(), at("up"));
}

#[test]
fn a_tree_taken_apart_comes_back_whole_and_broken_parts_are_refused() {
    let fs = assemble(vec![
        base(),
        LayerBuilder::new()
            .whiteout("etc/passwd")
            .file("opt/app/run", b"#!/bin/sh\n"),
    ])
    .unwrap();
    let nodes: Vec<_> = fs.iter().map(|(p, n)| (p.clone(), n.clone())).collect();
    let removals: Vec<_> = fs.removed().map(|(p, r)| (p.clone(), r.clone())).collect();
    let back = Filesystem::from_parts(
        fs.root().clone(),
        nodes.clone(),
        removals,
        fs.notes().to_vec(),
    )
    .unwrap();
    assert_eq!(tree(&back), tree(&fs));
    assert_eq!(removed(&back), removed(&fs));
    // The remembered tree takes the next layer as the assembled one does.
    let top = read_layer(
        LayerBuilder::new()
            .file("opt/app/conf", b"x")
            .finish()
            .as_slice(),
        &ReadOptions {
            capture: &CaptureRules::none(),
            budget: &Budget::default(),
            blob_algorithm: Algorithm::Sha256,
            diff_id_algorithm: Algorithm::Sha256,
            hash_uncompressed: true,
        },
    )
    .unwrap();
    let (mut a, mut b) = (fs.clone(), back);
    a.apply_layer(2, &top.changes).unwrap();
    b.apply_layer(2, &top.changes).unwrap();
    assert_eq!(tree(&a), tree(&b));

    let file_root = {
        let mut root = fs.root().clone();
        root.entry.kind = EntryKind::File;
        root
    };
    assert!(Filesystem::from_parts(file_root, nodes.clone(), vec![], vec![]).is_err());
    let mut twice = nodes.clone();
    twice.push(nodes[0].clone());
    assert!(Filesystem::from_parts(fs.root().clone(), twice, vec![], vec![]).is_err());
    let orphans: Vec<_> = nodes
        .iter()
        .filter(|(p, _)| p.as_bytes() != b"opt")
        .cloned()
        .collect();
    let refused = Filesystem::from_parts(fs.root().clone(), orphans, vec![], vec![]);
    assert!(refused.unwrap_err().contains("opt/app"));
}
