//! No input makes the parsers panic, loop or overflow the stack.

use crate::{parse_environment_file, parse_shell};

/// Text dense in everything the lexer and parser treat specially.
const TRICKY: &str = r#"#!/bin/sh
export A="x \"y\" $B ${C:-"d e"} $(f "g)" h) `i`" B='j'\''k' C=$'l\n\'m' \
  D=${E:=${F:+$((1<<2))}} G=~/h:~i/j
A=(1 2) B+=x C[1]=y 2>&1 >|/dev/null <(x) >(y)
case "$-" in *i*|@(a|b)) ;; (*) return ;; esac
if [[ $x =~ ^(a|b)$ && -o interactive ]]; then { set -a; }; elif ((x++)); then :; else f() ( g ); fi
for ((i=0;i<3;i++)) do local -x Q=1; done; while :; do break; done | cat &
cat <<-EOF <<'E2' ; declare -gix N=1+1
	body $(
	EOF
E2
function g { typeset +x A; unset -v A; export -n B; readonly -x R=1; } && set +o allexport
"#;

fn both(bytes: &[u8]) {
    let _ = parse_shell(bytes);
    let _ = parse_environment_file(bytes);
}

#[test]
fn every_prefix_and_suffix() {
    // Every cut of the dense text; every 7th of the Debian files (8 KiB: all of them take
    // seconds in a debug build, and the dense text covers the constructs).
    for (text, step) in [(TRICKY.to_owned(), 1), (super::debian::samples(), 7)] {
        let bytes = text.as_bytes();
        for end in (0..=bytes.len()).step_by(step) {
            both(&bytes[..end]);
            both(&bytes[end..]);
        }
    }
}

#[test]
fn random_bytes() {
    let mut next = imgaudit_testkit::pseudo_random();
    // Bytes drawn mostly from shell syntax, so that the parser goes deep.
    let alphabet = b"$'\"`\\(){}[]<>|&;#=:-+?~*!@ \t\n\rAxi0-\xff\xc3";
    for _ in 0..3000 {
        let len = usize::try_from(next() % 200).unwrap_or(0);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 4 == 0 {
                    r.to_le_bytes()[1]
                } else {
                    let i = usize::try_from(r % alphabet.len() as u64).unwrap_or(0);
                    alphabet[i]
                }
            })
            .collect();
        both(&bytes);
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = 20_000;
    let cases = [
        format!("export A={}x{}", "${B:-".repeat(deep), "}".repeat(deep)),
        format!("export A={}", "\"${B:-".repeat(deep)),
        format!("export A={}", "$(".repeat(deep)),
        format!("export A={}", "\"$(".repeat(deep)),
        "(".repeat(deep),
        "{ ".repeat(deep),
        "if x; then ".repeat(deep),
        "f() ".repeat(deep),
        "<<A ".repeat(deep),
        format!("{}export A=1", "case x in a) ".repeat(deep)),
    ];
    for text in &cases {
        let file = parse_shell(text.as_bytes());
        assert!(file.problems.len() <= 100);
    }
}

#[test]
fn a_value_that_doubles_on_every_line_stops_at_the_kernels_limit() {
    // Found with a small input fed to the `shell` fuzz target (tests/fuzz): forty doublings of
    // an eight-byte value asked for terabytes. A value no process could be handed (over the
    // 128 KiB of MAX_ARG_STRLEN) is unknown, and so is every value built on it.
    let text = format!(
        "export PIP_A=xxxxxxxx\n{}",
        "PIP_A=$PIP_A$PIP_A\n".repeat(40)
    );
    let file = parse_shell(text.as_bytes());
    assert_eq!(file.assignments.len(), 41);
    let lengths: Vec<Option<usize>> = file
        .assignments
        .iter()
        .map(|a| a.value.text().map(str::len))
        .collect();
    // 8 · 2^14 = 128 KiB is the last value that fits.
    for (k, length) in lengths.iter().enumerate().take(15) {
        assert_eq!(*length, Some(8 << k), "line {}", k + 1);
    }
    assert_eq!(lengths[15], None, "{lengths:?}");
    // What follows refers to a variable whose value is unknown: it stays as written.
    let next = &file.assignments[16].value;
    assert_eq!(next.text(), Some("$PIP_A$PIP_A"));
    assert!(!next.is_certain());
    assert!(lengths.iter().flatten().all(|&n| n <= 128 * 1024));
}

#[test]
fn values_that_grow_a_little_on_every_line_stay_within_a_budget() {
    // A megabyte of `A=$A:xxxxxxxx` lines: each value under the kernel's limit, but together
    // quadratic. Past the file's budget of expanded bytes, values are unknown.
    let text = "A=$A:xxxxxxxx\n".repeat(70_000);
    let file = parse_shell(text.as_bytes());
    assert_eq!(file.assignments.len(), 70_000);
    let known: usize = file
        .assignments
        .iter()
        .filter_map(|a| a.value.text())
        .map(str::len)
        .sum();
    assert!(known <= 32 * 1024 * 1024, "{known} bytes of values kept");
    // The budget runs out after about 2,700 lines of growing values.
    assert!(file.assignments[3_000].value.text().is_none());
    assert_eq!(
        file.assignments[1].value.text(),
        Some("$A:xxxxxxxx:xxxxxxxx"),
        "the first reference is to an unknown variable"
    );
}
