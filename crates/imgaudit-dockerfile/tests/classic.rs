//! Histories written by the classic Docker builder (`DOCKER_BUILDKIT=0`): metadata as
//! `/bin/sh -c #(nop)  KEYWORD …`, RUN as the shell command line, COPY/ADD as `file:<hash> in
//! <dest>`.

mod common;

use common::{mapped, maps};

const DOCKERFILE: &str = r#"FROM debian:bookworm
LABEL maintainer="ops@example.com"
ARG DEBIAN_FRONTEND=noninteractive
ENV APP_HOME /srv/app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
COPY app.py $APP_HOME/
ADD https://example.com/data.tar.gz /opt/data/
WORKDIR $APP_HOME
USER 1000
EXPOSE 8080
CMD python3 app.py
"#;

const BASE: &[(&str, bool)] = &[
    (
        "/bin/sh -c #(nop) ADD file:9b5e2f7f1c4a0b3e6d7c8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d in / ",
        false,
    ),
    ("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
];

const OWN: &[(&str, bool)] = &[
    ("/bin/sh -c #(nop)  LABEL maintainer=ops@example.com", true),
    (
        "/bin/sh -c #(nop)  ARG DEBIAN_FRONTEND=noninteractive",
        true,
    ),
    ("/bin/sh -c #(nop)  ENV APP_HOME=/srv/app", true),
    (
        "|1 DEBIAN_FRONTEND=noninteractive /bin/sh -c apt-get update  && apt-get install -y --no-install-recommends python3  && rm -rf /var/lib/apt/lists/*",
        false,
    ),
    (
        "/bin/sh -c #(nop) COPY file:5c1e0f3a2b4d6c8e0a1b3c5d7e9f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f in /srv/app/ ",
        false,
    ),
    (
        "/bin/sh -c #(nop) ADD 8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0 in /opt/data/ ",
        false,
    ),
    ("/bin/sh -c #(nop) WORKDIR /srv/app", true),
    ("/bin/sh -c #(nop)  USER 1000", true),
    ("/bin/sh -c #(nop)  EXPOSE 8080", true),
    (
        "/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"python3 app.py\"]",
        true,
    ),
];

const EXPECTED: &[&str] = &[
    "base L1 s0",
    "base L1 s0",
    "LABEL L2-2 s0",
    "ARG L3-3 s0",
    "ENV L4-4 s0",
    "RUN L5-7 s0",
    "COPY L8-8 s0",
    "ADD L9-9 s0",
    "WORKDIR L10-10 s0",
    "USER L11-11 s0",
    "EXPOSE L12-12 s0",
    "CMD L13-13 s0",
];

fn history() -> Vec<(&'static str, bool)> {
    BASE.iter().chain(OWN).copied().collect()
}

#[test]
fn classic_history() {
    let (stage, lines) = mapped(DOCKERFILE, &history());
    assert_eq!(stage, 0);
    assert_eq!(lines, EXPECTED);
}

#[test]
fn without_arg_steps() {
    // Builders that do not record ARG: the line simply has no step.
    let mut history = history();
    history.remove(3);
    let (_, lines) = mapped(DOCKERFILE, &history);
    let mut expected = EXPECTED.to_vec();
    expected.remove(3);
    assert_eq!(lines, expected);
}

#[test]
fn run_without_build_args() {
    // Before ARG existed in the stage (or with the ARG moved below the RUN).
    let mut history = history();
    history[5].0 = "/bin/sh -c apt-get update  && apt-get install -y --no-install-recommends python3  && rm -rf /var/lib/apt/lists/*";
    let (_, lines) = mapped(DOCKERFILE, &history);
    assert_eq!(lines, EXPECTED);
}

#[test]
fn a_different_run_is_refused() {
    let mut history = history();
    history[5].0 = "|1 DEBIAN_FRONTEND=noninteractive /bin/sh -c apt-get update && apt-get install -y python3-pip";
    assert!(!maps(DOCKERFILE, &history));
}

#[test]
fn a_different_copy_destination_is_refused() {
    let mut history = history();
    history[7].0 = "/bin/sh -c #(nop) ADD file:8f1e2d3c in /srv/other/ ";
    assert!(!maps(DOCKERFILE, &history));
}

#[test]
fn a_different_env_name_is_refused() {
    let mut history = history();
    history[4].0 = "/bin/sh -c #(nop)  ENV APP_ROOT=/srv/app";
    assert!(!maps(DOCKERFILE, &history));
}

#[test]
fn windows_escape_directive_and_cmd_shell() {
    let dockerfile = "# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN powershell -Command `
    Invoke-WebRequest https://example.com/x.zip -OutFile C:\\x.zip ; `
    Expand-Archive C:\\x.zip -DestinationPath C:\\x
COPY app C:\\app\\
WORKDIR C:\\app
";
    let history = [
        ("Apply image 10.0.20348.2527", false),
        ("Install update 10.0.20348.2582", false),
        (
            "cmd /S /C powershell -Command     Invoke-WebRequest https://example.com/x.zip -OutFile C:\\x.zip ;     Expand-Archive C:\\x.zip -DestinationPath C:\\x",
            false,
        ),
        ("cmd /S /C #(nop) COPY dir:0a1b2c3d in C:\\app\\ ", false),
        ("cmd /S /C #(nop) WORKDIR C:\\app", false),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(
        lines,
        [
            "base L2 s0",
            "base L2 s0",
            "RUN L3-5 s0",
            "COPY L6-6 s0",
            "WORKDIR L7-7 s0",
        ]
    );
}
