//! No input makes the parser or the mapping panic, and big inputs stay fast.

use crate::{Dockerfile, RecordedStep, map_history};

/// Text dense in everything the parser treats specially.
const TRICKY: &str = "\u{feff}# escape=`\r\n# syntax=x\n# check=skip=all\nARG A=${B:-c}\n\
FROM --platform=$X ${A} AS \u{e9}t\u{e9}\nRUN <<-EOF <<'E2' cat `\n  # c\n\n  && x\n\tbody\n\tEOF\n\
E2\nCOPY [\"a\", \"b\"] <<X /d\nENV A=\"x` \\\" ${y}\" B 'c\nLABEL \"k\"=v ONBUILD RUN y\n\
ONBUILD ONBUILD RUN z `\nFROM \u{e9}t\u{e9} AS z\nRUN [\"\u{1f600}\", 1]\nWORKDIR ..\nCMD `\n";

fn history_of(text: &str) -> Vec<RecordedStep<'_>> {
    text.lines()
        .enumerate()
        .map(|(k, line)| RecordedStep::new((k % 5 != 0).then_some(line), k % 3 == 0))
        .collect()
}

fn exercise(text: &str) {
    if let Ok(d) = Dockerfile::parse(text) {
        for stage in 0..d.stages.len() {
            let _ = d.env_instruction(stage, "A");
            for i in &d.stages[stage].instructions {
                let _ = i.assignments(d.escape);
            }
        }
        let _ = map_history(&d, &history_of(text));
        let _ = map_history(&d, &history_of(TRICKY));
    }
}

#[test]
fn every_prefix_and_suffix() {
    for (i, _) in TRICKY.char_indices() {
        exercise(&TRICKY[..i]);
        exercise(&TRICKY[i..]);
    }
}

#[test]
fn random_text() {
    let mut next = imgaudit_testkit::pseudo_random();
    let words = [
        "FROM ",
        "RUN ",
        "ENV ",
        "COPY ",
        "ONBUILD ",
        "AS ",
        "a",
        "=",
        "\\",
        "`",
        "\n",
        " ",
        "\t",
        "#",
        "# escape=`\n",
        "<<EOF",
        "<<-E",
        "EOF\n",
        "\"",
        "'",
        "[",
        "]",
        "$",
        "${",
        "}",
        "--flag=",
        "#(nop) ",
        "/bin/sh -c ",
        "|1 ",
        "\u{e9}",
        "\r\n",
        ",",
    ];
    for _ in 0..3000 {
        let len = next() % 60;
        let mut text = String::new();
        for _ in 0..len {
            let k = usize::try_from(next() % words.len() as u64).unwrap_or(0);
            text.push_str(words[k]);
        }
        exercise(&text);
    }
}

#[test]
fn long_lines_and_many_instructions() {
    let long = format!(
        "FROM a\nRUN {}done\nENV {}\n",
        "x \\\n".repeat(50_000),
        "A=1 ".repeat(50_000)
    );
    let d = Dockerfile::parse(&long).expect("parses");
    assert_eq!(d.stages[0].instructions.len(), 2);
    assert_eq!(d.stages[0].instructions[0].end_line, 50_002);
    let _ = map_history(&d, &[RecordedStep::new(Some("ENV A=1"), true)]);
}
