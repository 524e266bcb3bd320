//! Hostile configuration files: deep nesting, huge or binary-looking text, and keys that look
//! like uv's but are not, never panic and never make a file look valid when uv would abort.

use imgaudit_uv::{FileFormat, FileState, UvConfigFile, UvVersion};

const NEW: UvVersion = UvVersion::NEWEST_MEASURED;

#[test]
fn deeply_nested_values_are_rejected_without_overflowing_the_stack() {
    for depth in [1_000, 100_000] {
        let text = format!(
            "[pip]\nsystem = {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let file = UvConfigFile::parse(&text, FileFormat::UvToml, NEW);
        assert!(
            matches!(file.state, FileState::Rejected(_)),
            "depth {depth}"
        );
        let inline = format!("a = {}1{}\n", "{b=".repeat(depth), "}".repeat(depth));
        let file = UvConfigFile::parse(&inline, FileFormat::Pyproject, NEW);
        assert!(
            !matches!(file.state, FileState::Valid),
            "inline depth {depth}"
        );
    }
}

#[test]
fn garbage_and_near_miss_keys() {
    for text in [
        "\u{0}\u{1}\u{2}",
        "[pip]\nSystem = true\n",
        "[PIP]\nsystem = true\n",
        "[pip]\nsystem = 1\n",
        "pip = 3\n",
        "[[index]]\nname = \"x\"\n",
    ] {
        let file = UvConfigFile::parse(text, FileFormat::UvToml, NEW);
        assert!(matches!(file.state, FileState::Rejected(_)), "{text:?}");
    }
}
