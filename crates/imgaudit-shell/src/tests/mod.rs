//! Tests. Most compare a one-line rendering of each assignment (see [`render`]) so that the
//! tables stay readable.

mod debian;
mod entry;
mod envfile;
mod forms;
mod robust;
mod structure;

use crate::{Assignment, Form, ShellFile, UnsetKind, Value, parse_shell};

fn parse(text: &str) -> ShellFile {
    parse_shell(text.as_bytes())
}

/// `NAME=VALUE FORM[ cond][ guard] L<line>`, where VALUE is `'text'` (literal), `~'text'`
/// (expanded, certain), `?'text'` (expanded, uncertain) or `!raw` (unknown), and FORM is
/// `export`, `declare`, `auto`, `pam` or `plain` (exported unless `plain`).
fn render(a: &Assignment) -> String {
    assert_eq!(a.exported, a.form != Form::Plain, "exported vs form: {a:?}");
    let value = match &a.value {
        Value::Literal(t) => format!("'{t}'"),
        Value::Expanded {
            text,
            certain: true,
        } => format!("~'{text}'"),
        Value::Expanded {
            text,
            certain: false,
        } => format!("?'{text}'"),
        Value::Unknown { raw } => format!("!{raw}"),
    };
    let form = match a.form {
        Form::Export => "export",
        Form::Declare => "declare",
        Form::AutoExport => "auto",
        Form::PamEnv => "pam",
        Form::Plain => "plain",
    };
    let cond = if a.conditional { " cond" } else { "" };
    let guard = if a.after_interactive_guard {
        " guard"
    } else {
        ""
    };
    format!("{}={value} {form}{cond}{guard} L{}", a.name, a.line)
}

fn rendered(file: &ShellFile) -> Vec<String> {
    file.assignments.iter().map(render).collect()
}

/// `unset NAME L<line>[ cond][ guard]` or `unexport …`.
fn rendered_unsets(file: &ShellFile) -> Vec<String> {
    file.unsets
        .iter()
        .map(|u| {
            let kind = match u.kind {
                UnsetKind::Unset => "unset",
                UnsetKind::Unexport => "unexport",
            };
            let cond = if u.conditional { " cond" } else { "" };
            let guard = if u.after_interactive_guard {
                " guard"
            } else {
                ""
            };
            format!("{kind} {} L{}{cond}{guard}", u.name, u.line)
        })
        .collect()
}

/// Checks each `(source, expected renderings)` row; the message names the failing source.
fn check(table: &[(&str, &[&str])]) {
    for (source, expected) in table {
        let file = parse(source);
        assert_eq!(
            rendered(&file),
            *expected,
            "\n--- source:\n{source}\n--- problems: {:?}",
            file.problems
        );
    }
}

/// The single assignment of `name`.
fn one<'f>(file: &'f ShellFile, name: &str) -> &'f Assignment {
    let found: Vec<_> = file.assignments.iter().filter(|a| a.name == name).collect();
    assert_eq!(found.len(), 1, "{name} in {:#?}", file.assignments);
    found[0]
}
