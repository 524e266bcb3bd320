//! Unit tests of the parser and its word handling. The history mapping is tested through the
//! public API in `tests/`.

mod parse;
mod robust;
mod words;

use crate::{Dockerfile, Instruction};

fn parse(text: &str) -> Dockerfile {
    match Dockerfile::parse(text) {
        Ok(d) => d,
        Err(e) => panic!("{e}\n{text}"),
    }
}

/// `KEYWORD L<start>-<end> [flags] args` for compact assertions.
fn render(i: &Instruction) -> String {
    let mut out = format!("{} L{}-{}", i.keyword, i.start_line, i.end_line);
    for flag in &i.flags {
        out.push(' ');
        out.push_str(flag);
    }
    out.push_str(" | ");
    out.push_str(&i.args);
    out
}

/// Every instruction of every stage, FROM lines included, rendered.
fn all(d: &Dockerfile) -> Vec<String> {
    d.global_args
        .iter()
        .chain(
            d.stages
                .iter()
                .flat_map(|s| std::iter::once(&s.from).chain(&s.instructions)),
        )
        .map(render)
        .collect()
}
