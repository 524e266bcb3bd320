//! Running the `imgaudit` binary from the end-to-end tests.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the binary with a cleared environment, feeding `stdin` when given.
pub(crate) fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imgaudit"))
        .args(args)
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
