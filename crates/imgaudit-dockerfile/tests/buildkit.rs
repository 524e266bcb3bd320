//! Histories written by BuildKit (`docker build` ≥ 23, buildx).

mod common;

use common::{mapped, maps, repeat};

const MULTI_STAGE: &str = r#"# syntax=docker/dockerfile:1
ARG PY=3.12

FROM python:${PY}-slim AS base
ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app

FROM base AS build
ARG VERSION=1.0
ARG COMMIT
RUN --mount=type=cache,target=/root/.cache \
    pip wheel --wheel-dir /wheels \
        # the app and its dependencies
        .
COPY requirements.txt .
RUN pip install -r requirements.txt

FROM golang:1.22 AS tools
RUN go install example.com/tool@latest

FROM build AS final
COPY --from=tools /go/bin/tool /usr/local/bin/
RUN pip install /wheels/*.whl && rm -rf /wheels
USER app
CMD ["python", "-m", "app"]
"#;

/// The history of `python:3.12-slim`, itself built by BuildKit on a debootstrap base.
const PYTHON_BASE: &[(&str, bool)] = &[
    (
        "# debian.sh --arch 'amd64' out/ 'bookworm' '@1717977600'",
        false,
    ),
    (
        "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        true,
    ),
    ("ENV LANG=C.UTF-8", true),
    (
        "RUN /bin/sh -c set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tca-certificates \t\tnetbase \t\ttzdata \t; \trm -rf /var/lib/apt/lists/* # buildkit",
        false,
    ),
    ("ENV GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305", true),
    ("ENV PYTHON_VERSION=3.12.4", true),
    (
        "RUN /bin/sh -c set -eux; \t\tsavedAptMark=\"$(apt-mark showmanual)\"; \tapt-get update; \tmake -j \"$nproc\" # buildkit",
        false,
    ),
    (
        "RUN /bin/sh -c set -eux; \tfor src in idle3 pydoc3 python3 python3-config; do \t\tdst=\"$(echo \"$src\" | tr -d 3)\"; \t\tln -svT \"$src\" \"/usr/local/bin/$dst\"; \tdone # buildkit",
        false,
    ),
    ("CMD [\"python3\"]", true),
];

/// The steps of stages base, build and final, built with `--build-arg VERSION="1.0 beta"`
/// (a value with a space, which the `|2` prefix shows unquoted).
const OWN: &[(&str, bool)] = &[
    ("ENV PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1", true),
    ("WORKDIR /app", false),
    ("ARG VERSION=1.0 beta", true),
    ("ARG COMMIT", true),
    (
        "RUN |2 VERSION=1.0 beta COMMIT= /bin/sh -c pip wheel --wheel-dir /wheels         . # buildkit",
        false,
    ),
    ("COPY requirements.txt . # buildkit", false),
    (
        "RUN |2 VERSION=1.0 beta COMMIT= /bin/sh -c pip install -r requirements.txt # buildkit",
        false,
    ),
    ("COPY /go/bin/tool /usr/local/bin/ # buildkit", false),
    (
        "RUN |2 VERSION=1.0 beta COMMIT= /bin/sh -c pip install /wheels/*.whl && rm -rf /wheels # buildkit",
        false,
    ),
    ("USER app", true),
    ("CMD [\"python\" \"-m\" \"app\"]", true),
];

fn history(own_steps: usize) -> Vec<(&'static str, bool)> {
    PYTHON_BASE
        .iter()
        .chain(&OWN[..own_steps])
        .copied()
        .collect()
}

fn expected(own_steps: usize) -> Vec<String> {
    let mut lines = repeat("base L4 s0", PYTHON_BASE.len());
    let own = [
        "ENV L5-6 s0",
        "WORKDIR L7-7 s0",
        "ARG L10-10 s1",
        "ARG L11-11 s1",
        "RUN L12-15 s1",
        "COPY L16-16 s1",
        "RUN L17-17 s1",
        "COPY L23-23 s3",
        "RUN L24-24 s3",
        "USER L25-25 s3",
        "CMD L26-26 s3",
    ];
    lines.extend(own[..own_steps].iter().map(|s| (*s).to_owned()));
    lines
}

#[test]
fn final_stage_through_a_from_stage_chain() {
    let (stage, lines) = mapped(MULTI_STAGE, &history(OWN.len()));
    assert_eq!(stage, 3);
    assert_eq!(lines, expected(OWN.len()));
}

#[test]
fn target_of_a_middle_stage() {
    // `--target build`: the history stops after the build stage.
    let (stage, lines) = mapped(MULTI_STAGE, &history(7));
    assert_eq!(stage, 1);
    assert_eq!(lines, expected(7));
}

#[test]
fn target_of_the_first_stage() {
    let (stage, lines) = mapped(MULTI_STAGE, &history(2));
    assert_eq!(stage, 0);
    assert_eq!(lines, expected(2));
}

#[test]
fn target_of_an_unrelated_stage() {
    let history = [
        (
            "# debian.sh --arch 'amd64' out/ 'bookworm' '@1717977600'",
            false,
        ),
        ("ENV GOLANG_VERSION=1.22.5", true),
        (
            "RUN /bin/sh -c set -eux; now=\"$(date '+%s')\" # buildkit",
            false,
        ),
        ("WORKDIR /go", false),
        (
            "RUN /bin/sh -c go install example.com/tool@latest # buildkit",
            false,
        ),
    ];
    let (stage, lines) = mapped(MULTI_STAGE, &history);
    assert_eq!(stage, 2);
    assert_eq!(
        lines,
        [
            "base L19 s2",
            "base L19 s2",
            "base L19 s2",
            "base L19 s2",
            "RUN L20-20 s2"
        ]
    );
}

#[test]
fn older_buildkit_copy_with_from_flag() {
    let mut history = history(OWN.len());
    history[PYTHON_BASE.len() + 7].0 = "COPY --from=tools /go/bin/tool /usr/local/bin/ # buildkit";
    let (_, lines) = mapped(MULTI_STAGE, &history);
    assert_eq!(lines, expected(OWN.len()));
}

#[test]
fn build_args_without_spaces() {
    let history: Vec<(&str, bool)> = history(7)
        .into_iter()
        .map(|(c, e)| match c {
            "ARG VERSION=1.0 beta" => ("ARG VERSION=1.0", e),
            _ if c.starts_with("RUN |2") => {
                let leaked: &'static str = Box::leak(c.replace("1.0 beta", "1.0").into_boxed_str());
                (leaked, e)
            }
            _ => (c, e),
        })
        .collect();
    let (stage, lines) = mapped(MULTI_STAGE, &history);
    assert_eq!(stage, 1);
    assert_eq!(lines, expected(7));
}

#[test]
fn heredocs() {
    let dockerfile = "# syntax=docker/dockerfile:1
FROM alpine:3.20
RUN <<EOF
set -e
apk add --no-cache python3
EOF
COPY <<-\"CONF\" /etc/app.conf
\tkey = $value
\tCONF
RUN cat <<A > /a.txt && cat <<B > /b.txt
alpha
A
beta
B
RUN <<EOT
#!/usr/bin/env python3
print(\"hi\")
EOT
RUN <<-EOF bash
\techo chomped
\tEOF
";
    let history = [
        (
            "ADD alpine-minirootfs-3.20.1-x86_64.tar.gz / # buildkit",
            false,
        ),
        ("CMD [\"/bin/sh\"]", true),
        (
            "RUN /bin/sh -c set -e\napk add --no-cache python3\n # buildkit",
            false,
        ),
        ("COPY <<CONF /etc/app.conf # buildkit", false),
        (
            "RUN /bin/sh -c cat <<A > /a.txt && cat <<B > /b.txt\nalpha\nA\nbeta\nB # buildkit",
            false,
        ),
        ("RUN /bin/sh -c /dev/pipes/EOT # buildkit", false),
        (
            "RUN /bin/sh -c <<-EOF bash\n\techo chomped\nEOF # buildkit",
            false,
        ),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(
        lines,
        [
            "base L2 s0",
            "base L2 s0",
            "RUN L3-6 s0",
            "COPY L7-9 s0",
            "RUN L10-14 s0",
            "RUN L15-18 s0",
            "RUN L19-21 s0",
        ]
    );
}

#[test]
fn heredoc_recorded_as_its_first_line_only() {
    // Be tolerant of builders that keep only the instruction line.
    let dockerfile = "FROM alpine\nENV A=1\nRUN <<EOF\napk add x\nEOF\n";
    let history = [
        ("ADD rootfs.tar / # buildkit", false),
        ("ENV A=1", true),
        ("RUN /bin/sh -c <<EOF # buildkit", false),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(lines, ["base L1 s0", "ENV L2-2 s0", "RUN L3-5 s0"]);
}

#[test]
fn shell_instruction_changes_the_prefix() {
    let dockerfile = r#"FROM ubuntu:24.04
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/install.sh | bash
SHELL ["/bin/sh", "-ec"]
RUN echo two
SHELL ["powershell", "-NoProfile", "-Command", "$ErrorActionPreference = 'Stop';"]
RUN Write-Host three
"#;
    let history = [
        ("ADD file:0d5a7b7e in / ", false),
        ("CMD [\"/bin/bash\"]", true),
        ("SHELL [/bin/bash -o pipefail -c]", true),
        (
            "RUN /bin/bash -o pipefail -c curl -fsSL https://example.com/install.sh | bash # buildkit",
            false,
        ),
        ("SHELL [/bin/sh -ec]", true),
        ("RUN /bin/sh -ec echo two # buildkit", false),
        (
            "SHELL [powershell -NoProfile -Command $ErrorActionPreference = 'Stop';]",
            true,
        ),
        (
            "RUN powershell -NoProfile -Command $ErrorActionPreference = 'Stop'; Write-Host three # buildkit",
            false,
        ),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(
        lines,
        [
            "base L1 s0",
            "base L1 s0",
            "SHELL L2-2 s0",
            "RUN L3-3 s0",
            "SHELL L4-4 s0",
            "RUN L5-5 s0",
            "SHELL L6-6 s0",
            "RUN L7-7 s0",
        ]
    );
}

#[test]
fn exec_form_run_and_metadata() {
    let dockerfile = r#"FROM python:3.12-slim
LABEL org.opencontainers.image.title="app" \
      org.opencontainers.image.version="1.0"
RUN ["python", "-m", "pip", "install", "--no-cache-dir", "six"]
EXPOSE 8080/tcp 9090
VOLUME /data
HEALTHCHECK --interval=30s CMD curl -f http://localhost:8080/ || exit 1
STOPSIGNAL SIGINT
ENTRYPOINT ["python"]
CMD python -m app
"#;
    let history = [
        (
            "# debian.sh --arch 'amd64' out/ 'bookworm' '@1717977600'",
            false,
        ),
        ("CMD [\"python3\"]", true),
        (
            "LABEL org.opencontainers.image.title=app org.opencontainers.image.version=1.0",
            true,
        ),
        (
            "RUN python -m pip install --no-cache-dir six # buildkit",
            false,
        ),
        ("EXPOSE map[8080/tcp:{} 9090/tcp:{}]", true),
        ("VOLUME [/data]", true),
        (
            "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost:8080/ || exit 1\"] \"30s\" \"0s\" \"0s\" \"0s\" '\\x00'}",
            true,
        ),
        ("STOPSIGNAL SIGINT", true),
        ("ENTRYPOINT [\"python\"]", true),
        ("CMD [\"/bin/sh\" \"-c\" \"python -m app\"]", true),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(
        lines,
        [
            "base L1 s0",
            "base L1 s0",
            "LABEL L2-3 s0",
            "RUN L4-4 s0",
            "EXPOSE L5-5 s0",
            "VOLUME L6-6 s0",
            "HEALTHCHECK L7-7 s0",
            "STOPSIGNAL L8-8 s0",
            "ENTRYPOINT L9-9 s0",
            "CMD L10-10 s0",
        ]
    );
}

#[test]
fn env_with_expanded_values_and_legacy_form() {
    let dockerfile = "FROM debian:bookworm
ENV APP_HOME /srv/app
ENV PATH=$APP_HOME/bin:$PATH \\
    GREETING=\"hello world\"
WORKDIR $APP_HOME
WORKDIR data
COPY bin/ ./bin/
RUN make install
";
    let history = [
        (
            "# debian.sh --arch 'amd64' out/ 'bookworm' '@1717977600'",
            false,
        ),
        ("ENV APP_HOME=/srv/app", true),
        (
            "ENV PATH=/srv/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GREETING=hello world",
            true,
        ),
        ("WORKDIR /srv/app", false),
        ("WORKDIR /srv/app/data", false),
        ("COPY bin/ ./bin/ # buildkit", false),
        ("RUN /bin/sh -c make install # buildkit", false),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(
        lines,
        [
            "base L1 s0",
            "ENV L2-2 s0",
            "ENV L3-4 s0",
            "WORKDIR L5-5 s0",
            "WORKDIR L6-6 s0",
            "COPY L7-7 s0",
            "RUN L8-8 s0",
        ]
    );
}

#[test]
fn onbuild_triggers_map_to_the_onbuild_line() {
    let dockerfile = "FROM node:20 AS base
ONBUILD COPY package.json /app/
ONBUILD RUN npm ci
RUN npm config set fund false

FROM base
COPY . /app
";
    let history = [
        (
            "# debian.sh --arch 'amd64' out/ 'bookworm' '@1717977600'",
            false,
        ),
        ("CMD [\"node\"]", true),
        ("RUN /bin/sh -c npm config set fund false # buildkit", false),
        ("COPY package.json /app/ # buildkit", false),
        ("RUN /bin/sh -c npm ci # buildkit", false),
        ("COPY . /app # buildkit", false),
    ];
    let (stage, lines) = mapped(dockerfile, &history);
    assert_eq!(stage, 1);
    assert_eq!(
        lines,
        [
            "base L1 s0",
            "base L1 s0",
            "RUN L4-4 s0",
            "COPY L2-2 s0",
            "RUN L3-3 s0",
            "COPY L7-7 s1",
        ]
    );
}

#[test]
fn kaniko_notation() {
    // kaniko writes the instruction without a shell prefix or `# buildkit`.
    let dockerfile = "FROM alpine\nENV A=1\nRUN apk add curl\nCOPY app /app\n";
    let history = [
        ("ADD file:abc in / ", false),
        ("ENV A=1", true),
        ("RUN apk add curl", false),
        ("COPY app /app", false),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(
        lines,
        ["base L1 s0", "ENV L2-2 s0", "RUN L3-3 s0", "COPY L4-4 s0"]
    );
}

#[test]
fn a_stale_dockerfile_with_an_extra_run_still_maps_what_it_can() {
    // The Dockerfile gained a RUN after the image was built: that line has no step, the
    // others keep theirs.
    let dockerfile = "FROM alpine\nRUN apk add curl\nRUN apk add jq\nCMD [\"sh\"]\n";
    let history = [
        ("ADD file:abc in / ", false),
        ("RUN /bin/sh -c apk add curl # buildkit", false),
        ("CMD [\"sh\"]", true),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(lines, ["base L1 s0", "RUN L2-2 s0", "CMD L4-4 s0"]);
    // But a step the Dockerfile lacks is not papered over.
    let history = [
        ("ADD file:abc in / ", false),
        ("RUN /bin/sh -c apk add curl # buildkit", false),
        ("RUN /bin/sh -c apk add git # buildkit", false),
        ("RUN /bin/sh -c apk add jq # buildkit", false),
        ("CMD [\"sh\"]", true),
    ];
    assert!(!maps(dockerfile, &history));
}

#[test]
fn ties_go_to_the_last_stage() {
    // Two stages that would build the same image: the later one is reported.
    let dockerfile = "FROM alpine AS one\nARG A\nARG B\nRUN make\n\nFROM alpine AS two\nARG A\nARG B\nRUN make\n";
    let history = [
        ("ADD file:abc in / ", false),
        ("ARG A=1", true),
        ("ARG B=2", true),
        ("RUN |2 A=1 B=2 /bin/sh -c make # buildkit", false),
    ];
    let (stage, lines) = mapped(dockerfile, &history);
    assert_eq!(stage, 1);
    assert_eq!(
        lines,
        ["base L6 s1", "ARG L7-7 s1", "ARG L8-8 s1", "RUN L9-9 s1"]
    );
}
