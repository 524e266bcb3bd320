//! Facts of images hostile by their shape rather than their content. The one bound on time is
//! generous: the costs it guards against took minutes.

mod common;

use std::time::{Duration, Instant};

use common::{facts_of, image};
use imgaudit_testkit::LayerBuilder;

/// A `.env` at every level of a tree 4,000 directories deep (one level is a `node_modules`),
/// and a `.git` directory at the bottom with a `.env` inside it. Whether a leftover lies inside
/// another or inside a dependency is read from its ancestors' names; building each ancestor's
/// path instead made this cost the depth cubed (minutes in a debug build).
#[test]
fn leftovers_deep_in_a_tree_cost_their_path_length() {
    let depth = 4_000;
    let dependency_level = 10;
    let mut layer = LayerBuilder::new();
    let mut path = String::new();
    for level in 0..depth {
        if level > 0 {
            path.push('/');
        }
        path.push_str(if level == dependency_level {
            "node_modules"
        } else {
            "d"
        });
        layer = layer.dir(&path).file(&format!("{path}/.env"), b"LEVEL=1\n");
    }
    layer = layer
        .dir(&format!("{path}/.git"))
        .file(&format!("{path}/.git/.env"), b"INSIDE=1\n");

    let started = Instant::now();
    let facts = facts_of(&image(vec![layer], &[]));
    let elapsed = started.elapsed();

    let files = facts
        .files
        .as_ref()
        .expect("the files domain was collected");
    // In path order a level's `.env` comes before the next level's directory; the first
    // thousand are listed, and the one inside `.git` is part of `.git`, not counted apart.
    assert_eq!(files.leftovers.len(), 1_000);
    assert_eq!(files.leftovers[0].path, "/d/.env");
    assert_eq!(
        files.leftovers[dependency_level - 1].inside_dependency,
        None
    );
    for leftover in &files.leftovers[dependency_level..] {
        assert_eq!(leftover.inside_dependency.as_deref(), Some("node_modules"));
    }
    let unlisted = depth + 1 - 1_000;
    assert!(
        facts
            .notes
            .iter()
            .any(|n| n.starts_with(&format!("{unlisted} more leftovers"))),
        "{:?}",
        facts.notes
    );
    assert!(
        elapsed < Duration::from_secs(30),
        "facts of a 4,000-deep tree took {elapsed:?}"
    );
}
