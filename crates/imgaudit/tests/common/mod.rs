//! Running the `imgaudit` binary from the end-to-end tests.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs the binary with a cleared environment, feeding `stdin` when given.
pub(crate) fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_in(Path::new("."), args, stdin)
}

/// [`run`] in the working directory `dir` (where `imgaudit.toml` and the Dockerfile are found).
pub(crate) fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imgaudit"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must fail with exit code 2, an error naming every one of `names`, and
/// nothing on stdout (never a partial report); returns the message.
pub(crate) fn fails(args: &[&str], stdin: Option<&[u8]>, names: &[&str]) -> String {
    let output = run(args, stdin);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
    assert!(
        output.stdout.is_empty(),
        "{args:?} printed a partial report"
    );
    assert!(message.starts_with("error: "), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    for name in names {
        assert!(
            message.contains(name),
            "{args:?}: `{name}` not in: {message}"
        );
    }
    message
}

/// Compares `text` with the committed snapshot `tests/snapshots/NAME`; `IMGAUDIT_BLESS=1`
/// writes it instead. A missing snapshot fails (CI never blesses).
pub(crate) fn assert_snapshot(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("IMGAUDIT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {} cannot be read ({e}); run with IMGAUDIT_BLESS=1 to write it",
            path.display()
        )
    });
    if expected != text {
        let first = expected
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(text.lines().count()));
        panic!(
            "{name} differs from its snapshot from line {}:\n--- snapshot\n{}\n--- now\n{}\n(IMGAUDIT_BLESS=1 rewrites it after a review)",
            first + 1,
            expected
                .lines()
                .skip(first)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
            text.lines()
                .skip(first)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}

/// The directory of real images `tests/real-images/build.sh` made (`IMGAUDIT_REAL_IMAGES`);
/// tests that need it fail loudly without it.
pub(crate) fn images_dir() -> PathBuf {
    let dir = std::env::var_os("IMGAUDIT_REAL_IMAGES").expect(
        "IMGAUDIT_REAL_IMAGES is not set: run tests/real-images/build.sh DIR first (ci/test.sh does)",
    );
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("images.json").is_file(),
        "{} has no images.json: run tests/real-images/build.sh",
        dir.display()
    );
    dir
}
