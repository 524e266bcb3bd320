use super::{all, parse, render};
use crate::{Dockerfile, KeyValue, Keyword, ParseError};

#[test]
fn instructions_lines_and_keywords() {
    let d = parse(
        "from alpine:3.20\n\
         \n\
         run echo hi\n\
         Env A=1\n\
         FROBNICATE the widgets\n\
         healthcheck --interval=5s CMD true\n",
    );
    assert_eq!(
        all(&d),
        [
            "FROM L1-1 | alpine:3.20",
            "RUN L3-3 | echo hi",
            "ENV L4-4 | A=1",
            "FROBNICATE L5-5 | the widgets",
            "HEALTHCHECK L6-6 --interval=5s | CMD true",
        ]
    );
    assert_eq!(
        d.stages[0].instructions[2].keyword,
        Keyword::Other("FROBNICATE".to_owned())
    );
    assert_eq!(d.escape, '\\');
}

#[test]
fn continuation_skips_comments_and_empty_lines() {
    let text = "FROM debian\n\
                RUN apt-get update \\\n\
                \x20   # a comment inside the command\n\
                \n\
                \x20&& apt-get install -y \\\n\
                #another comment\n\
                \x20     curl \\  \n\
                \x20\x20\n\
                \x20&& true\n\
                CMD [\"bash\"]\n";
    let d = parse(text);
    assert_eq!(
        all(&d),
        [
            "FROM L1-1 | debian",
            "RUN L2-9 | apt-get update  && apt-get install -y       curl  && true",
            "CMD L10-10 | [\"bash\"]",
        ]
    );
}

#[test]
fn comments_and_blank_lines_between_instructions() {
    let d = parse("# a comment\n\n   # indented comment\nFROM a\n\t\nRUN x # not a comment\n");
    assert_eq!(all(&d), ["FROM L4-4 | a", "RUN L6-6 | x # not a comment"]);
    // `# a comment` is no directive: none recorded.
    assert!(d.directives.is_empty());
}

#[test]
fn continuation_at_end_of_file() {
    let d = parse("FROM a\nRUN one \\\n two \\\n");
    // The empty piece after the final line break is no line of the instruction.
    assert_eq!(all(&d), ["FROM L1-1 | a", "RUN L2-3 | one  two"]);
}

#[test]
fn escape_directive() {
    let text = "# escape=`\n\
                # syntax=docker/dockerfile:1\n\
                FROM mcr.microsoft.com/windows/servercore:ltsc2022\n\
                RUN dir C:\\ `\n\
                \x20   && echo done\n\
                COPY app C:\\app\\\n\
                WORKDIR C:\\app\n";
    let d = parse(text);
    assert_eq!(d.escape, '`');
    assert_eq!(d.directives.len(), 2);
    assert_eq!(d.directives[0].name, "escape");
    assert_eq!(d.directives[1].value, "docker/dockerfile:1");
    assert_eq!(
        all(&d),
        [
            "FROM L3-3 | mcr.microsoft.com/windows/servercore:ltsc2022",
            "RUN L4-5 | dir C:\\     && echo done",
            "COPY L6-6 | app C:\\app\\",
            "WORKDIR L7-7 | C:\\app",
        ]
    );
}

#[test]
fn directives_only_at_the_top() {
    // After a comment, an empty line or an instruction, `# escape=` is a comment.
    for text in [
        "# hello\n# escape=`\nFROM a\nRUN x \\\n y\n",
        "\n# escape=`\nFROM a\nRUN x \\\n y\n",
        "FROM a\n# escape=`\nRUN x \\\n y\n",
    ] {
        let d = parse(text);
        assert_eq!(d.escape, '\\', "{text}");
        assert!(d.directives.is_empty(), "{text}");
        assert_eq!(d.stages[0].instructions[0].args, "x  y", "{text}");
    }
    // Spacing and case inside a directive are free; an unknown directive ends them.
    let d = parse("#  ESCAPE = `\n# foo=bar\n# syntax=x\nFROM a\n");
    assert_eq!(d.escape, '`');
    assert_eq!(d.directives.len(), 1);
}

#[test]
fn invalid_escape_is_an_error() {
    assert_eq!(
        Dockerfile::parse("# escape=x\nFROM a\n"),
        Err(ParseError {
            line: 1,
            message: "invalid escape \"x\": must be ` or \\".to_owned()
        })
    );
}

#[test]
fn bom_and_crlf() {
    let d = parse("\u{feff}# escape=`\r\nFROM a\r\nRUN x `\r\n  y\r\n");
    assert_eq!(d.escape, '`');
    assert_eq!(all(&d), ["FROM L2-2 | a", "RUN L3-4 | x   y"]);
}

#[test]
fn heredoc_run() {
    let d = parse("FROM a\nRUN <<EOF\nset -e\n  apk add x # keep\n\nEOF\nRUN after\n");
    let run = &d.stages[0].instructions[0];
    assert_eq!((run.start_line, run.end_line), (2, 6));
    assert_eq!(run.command_line(), "<<EOF");
    assert_eq!(run.args, "<<EOF\nset -e\n  apk add x # keep\n\nEOF");
    assert_eq!(run.heredocs.len(), 1);
    let doc = &run.heredocs[0];
    assert_eq!(doc.name, "EOF");
    assert_eq!(doc.body, "set -e\n  apk add x # keep\n\n");
    assert!(!doc.chomp);
    assert!(doc.expand);
    assert_eq!(doc.end_line, 6);
    assert_eq!(render(&d.stages[0].instructions[1]), "RUN L7-7 | after");
}

#[test]
fn heredoc_chomp_quoted_and_several() {
    let text = "FROM a\n\
                COPY --chmod=644 <<-\"CONF\" /etc/app.conf\n\
                \tkey = $value\n\
                \tCONF\n\
                RUN cat <<A > /a && cat <<'B' > /b\n\
                alpha\n\
                A\n\
                beta\n\
                B\n\
                RUN 3<<X python3 -\n\
                print(1)\n\
                X\n";
    let d = parse(text);
    let [copy, run, fd] = &d.stages[0].instructions[..] else {
        panic!("three instructions");
    };
    assert_eq!((copy.start_line, copy.end_line), (2, 4));
    assert_eq!(copy.flags, ["--chmod=644"]);
    assert_eq!(copy.heredocs[0].name, "CONF");
    assert!(copy.heredocs[0].chomp);
    assert!(!copy.heredocs[0].expand);
    assert_eq!(copy.heredocs[0].body, "\tkey = $value\n");
    assert_eq!((run.start_line, run.end_line), (5, 9));
    let names: Vec<&str> = run.heredocs.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    assert_eq!(run.heredocs[0].end_line, 7);
    assert!(run.heredocs[0].expand);
    assert!(!run.heredocs[1].expand);
    assert_eq!(
        run.args,
        "cat <<A > /a && cat <<'B' > /b\nalpha\nA\nbeta\nB"
    );
    assert_eq!((fd.start_line, fd.end_line), (10, 12));
    assert_eq!(fd.heredocs[0].name, "X");
}

#[test]
fn not_heredocs() {
    // Quoted, part of a word, a here-string, exec form, another instruction.
    let d = parse(
        "FROM a\n\
         RUN echo \"<<EOF\"\n\
         RUN cat<<EOF\n\
         RUN cat <<<EOF\n\
         RUN [\"sh\", \"-c\", \"cat <<EOF\"]\n\
         ENV X=<<EOF\n\
         LABEL done=1\n",
    );
    assert_eq!(d.stages[0].instructions.len(), 6);
    assert!(
        d.stages[0]
            .instructions
            .iter()
            .all(|i| i.heredocs.is_empty())
    );
    assert!(
        d.stages[0]
            .instructions
            .iter()
            .all(|i| i.start_line == i.end_line)
    );
}

#[test]
fn unterminated_heredoc_is_an_error() {
    assert_eq!(
        Dockerfile::parse("FROM a\nRUN <<EOF\necho\n EOF\nEOF \n"),
        Err(ParseError {
            line: 2,
            message: "unterminated heredoc <<EOF".to_owned()
        })
    );
}

#[test]
fn heredoc_after_continuation() {
    let d = parse("FROM a\nRUN --mount=type=cache,target=/c \\\n  <<EOF\nmake\nEOF\nCMD x\n");
    let run = &d.stages[0].instructions[0];
    assert_eq!(run.flags, ["--mount=type=cache,target=/c"]);
    assert_eq!((run.start_line, run.end_line), (2, 5));
    assert_eq!(run.heredocs[0].body, "make\n");
}

#[test]
fn exec_form() {
    let d = parse(
        "FROM a\n\
         RUN [\"python\", \"-m\", \"pip\", \"install\", \"x\"]\n\
         CMD [ \"a b\" ]\n\
         ENTRYPOINT [\"x\", 1]\n\
         RUN [not json\n\
         ENV A=[\"x\"]\n",
    );
    let i = &d.stages[0].instructions;
    assert_eq!(
        i[0].exec_form.as_deref(),
        Some(&["python", "-m", "pip", "install", "x"].map(str::to_owned)[..])
    );
    assert_eq!(i[1].exec_form.as_deref(), Some(&["a b".to_owned()][..]));
    assert_eq!(i[2].exec_form, None);
    assert_eq!(i[3].exec_form, None);
    assert_eq!(i[4].exec_form, None);
}

#[test]
fn stages_names_and_parents() {
    let text = "# syntax=docker/dockerfile:1\n\
                ARG BASE=python:3.12-slim\n\
                ARG STAGE=Build\n\
                FROM --platform=$BUILDPLATFORM ${BASE} AS Base\n\
                RUN one\n\
                FROM base as build\n\
                RUN two\n\
                FROM alpine AS other\n\
                FROM ${STAGE} AS final\n\
                RUN three\n\
                FROM final\n";
    let d = parse(text);
    assert_eq!(d.global_args.len(), 2);
    let summary: Vec<(Option<&str>, &str, Option<usize>)> = d
        .stages
        .iter()
        .map(|s| (s.name.as_deref(), s.base.as_str(), s.parent))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("base"), "${BASE}", None),
            (Some("build"), "base", Some(0)),
            (Some("other"), "alpine", None),
            (Some("final"), "${STAGE}", Some(1)),
            (None, "final", Some(3)),
        ]
    );
    assert_eq!(d.stages[0].from.flags, ["--platform=$BUILDPLATFORM"]);
    assert_eq!(d.ancestry(4), [0, 1, 3, 4]);
    assert_eq!(d.ancestry(2), [2]);
    assert!(d.ancestry(9).is_empty());
    assert_eq!(d.stage_named("BUILD").map(|s| s.index), Some(1));
    // A stage cannot name itself or a later stage as its base.
    let d = parse("FROM later AS later\nFROM x AS y\n");
    assert_eq!(d.stages[0].parent, None);
}

#[test]
fn parse_errors() {
    let err = |text: &str| Dockerfile::parse(text).err().map(|e| (e.line, e.message));
    assert_eq!(
        err(""),
        Some((0, "the Dockerfile has no instructions".to_owned()))
    );
    assert_eq!(
        err("# just\n\n# comments\n"),
        Some((0, "the Dockerfile has no instructions".to_owned()))
    );
    assert_eq!(
        err("ARG A=1\n"),
        Some((0, "the Dockerfile has no FROM instruction".to_owned()))
    );
    assert_eq!(
        err("ARG A=1\nRUN x\nFROM a\n"),
        Some((
            2,
            "RUN before the first FROM: only ARG may come first".to_owned()
        ))
    );
    assert_eq!(
        err("FROM a\nFROM\n"),
        Some((2, "FROM without an image".to_owned()))
    );
    assert_eq!(
        Dockerfile::parse("FROM\n").map_err(|e| e.to_string()),
        Err("line 1: FROM without an image".to_owned())
    );
}

fn kv(key: &str, value: Option<&str>) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: value.map(str::to_owned),
    }
}

#[test]
fn assignments() {
    let d = parse(
        "FROM a\n\
         ENV A=1 B=\"x y\" C='$D' E=a\\ b \"F\"=2\n\
         ENV LEGACY the rest  of \"the\" line\n\
         ENV NOVALUE\n\
         ARG V=1 W\n\
         LABEL \"com.example.vendor\"=ACME org.opencontainers.image.title=\"App\"\n\
         RUN A=1\n",
    );
    let got: Vec<Vec<KeyValue>> = d.stages[0]
        .instructions
        .iter()
        .map(|i| i.assignments(d.escape))
        .collect();
    assert_eq!(
        got,
        [
            vec![
                kv("A", Some("1")),
                kv("B", Some("x y")),
                kv("C", Some("$D")),
                kv("E", Some("a b")),
                kv("F", Some("2")),
            ],
            vec![kv("LEGACY", Some("the rest  of the line"))],
            vec![],
            vec![kv("V", Some("1")), kv("W", None)],
            vec![
                kv("com.example.vendor", Some("ACME")),
                kv("org.opencontainers.image.title", Some("App")),
            ],
            vec![],
        ]
    );
}

#[test]
fn env_instruction_follows_stage_ancestry() {
    let d = parse(
        "FROM python AS base\n\
         ENV PIP_NO_CACHE_DIR=1 PIP_USER=1\n\
         ARG PIP_INDEX_URL=x\n\
         FROM base AS build\n\
         ENV PIP_USER 0\n\
         FROM alpine AS other\n\
         ENV PIP_USER=2\n\
         FROM build\n\
         ENV \"PIP_TARGET\"=/t OTHER=1\n",
    );
    let line = |stage, name| d.env_instruction(stage, name).map(|i| i.start_line);
    assert_eq!(line(3, "PIP_USER"), Some(5));
    assert_eq!(line(3, "PIP_NO_CACHE_DIR"), Some(2));
    assert_eq!(line(3, "PIP_TARGET"), Some(9));
    assert_eq!(line(0, "PIP_USER"), Some(2));
    assert_eq!(line(2, "PIP_USER"), Some(7));
    assert_eq!(line(2, "PIP_NO_CACHE_DIR"), None);
    // ARG is not ENV; names are case-sensitive; unknown stages have none.
    assert_eq!(line(3, "PIP_INDEX_URL"), None);
    assert_eq!(line(3, "pip_user"), None);
    assert_eq!(line(7, "PIP_USER"), None);
}

#[test]
fn onbuild_keeps_its_trigger_text() {
    let d = parse("FROM a\nONBUILD RUN --mount=type=secret,id=x make\n");
    let i = &d.stages[0].instructions[0];
    assert_eq!(i.keyword, Keyword::Onbuild);
    assert!(i.flags.is_empty());
    assert_eq!(i.args, "RUN --mount=type=secret,id=x make");
}

#[test]
fn serializes_keywords_as_words() {
    let d = parse("FROM a\nfrobnicate x\n");
    let json = serde_json::to_value(&d).expect("serializes");
    assert_eq!(json["stages"][0]["from"]["keyword"], "FROM");
    assert_eq!(
        json["stages"][0]["instructions"][0]["keyword"],
        "FROBNICATE"
    );
}
