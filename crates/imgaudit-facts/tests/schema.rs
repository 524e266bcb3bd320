//! The published schema of the policy input (`docs/policy-input.schema.json`) is the one the
//! code produces. `IMGAUDIT_BLESS=1 cargo test -p imgaudit-facts --test schema` rewrites it.

use std::path::PathBuf;

#[test]
fn published_schema_is_current() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy-input.schema.json");
    let mut current = serde_json::to_string_pretty(&imgaudit_facts::input_schema()).unwrap();
    current.push('\n');
    if std::env::var_os("IMGAUDIT_BLESS").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == current,
        "{} is stale: run IMGAUDIT_BLESS=1 cargo test -p imgaudit-facts --test schema",
        path.display()
    );
}
