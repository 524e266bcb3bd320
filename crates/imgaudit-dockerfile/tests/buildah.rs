//! Histories written by buildah / `podman build` (the real python-rules image has its own
//! file), and the histories that must map nothing.

mod common;

use common::{mapped, maps, parse, repeat, steps};
use imgaudit_dockerfile::{MatchKind, RecordedStep, map_history};

const DOCKERFILE: &str = r#"FROM registry.fedoraproject.org/fedora:40 AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG PYVER=3.12
RUN dnf install -y python${PYVER} \
    && dnf clean all
COPY --chown=1000:1000 wheels/ /wheels/
RUN pip install --user --no-index --find-links /wheels six==1.15.0
ENV PIP_NO_USER=1 \
    PIP_INDEX_URL="https://pypi.internal.example/simple"

FROM build AS final
LABEL io.example.role="app"
USER 1000
"#;

fn fedora_base(n: usize) -> Vec<(&'static str, bool)> {
    // Base images made by image-builder/kiwi have a step with no or odd created_by.
    let mut base = vec![("", false)];
    base.extend(std::iter::repeat_n(
        ("/bin/sh -c #(nop) LABEL maintainer=\"Clement Verna\"", true),
        n,
    ));
    base.push(("/bin/sh -c #(nop)  CMD [\"/bin/bash\"]", true));
    base
}

const OWN: &[(&str, bool)] = &[
    (
        "/bin/bash -o pipefail -c #(nop) SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
        true,
    ),
    ("/bin/bash -o pipefail -c #(nop) ARG PYVER=3.12", true),
    (
        "|1 PYVER=3.12 /bin/bash -o pipefail -c dnf install -y python${PYVER}     && dnf clean all",
        false,
    ),
    (
        "/bin/bash -o pipefail -c #(nop) COPY --chown=1000:1000 dir:2472a757b0c3 in /wheels/ ",
        false,
    ),
    (
        "|1 PYVER=3.12 /bin/bash -o pipefail -c pip install --user --no-index --find-links /wheels six==1.15.0",
        false,
    ),
    (
        "/bin/bash -o pipefail -c #(nop) ENV PIP_NO_USER=1 PIP_INDEX_URL=\"https://pypi.internal.example/simple\"",
        true,
    ),
    (
        "/bin/bash -o pipefail -c #(nop) LABEL io.example.role=\"app\"",
        true,
    ),
    ("/bin/bash -o pipefail -c #(nop) USER 1000", true),
];

fn history(base: usize, own: usize) -> Vec<(&'static str, bool)> {
    let mut h = fedora_base(base);
    h.extend_from_slice(&OWN[..own]);
    h
}

fn expected(base: usize, own: usize) -> Vec<String> {
    let mut lines = repeat("base L1 s0", base + 2);
    let own_lines = [
        "SHELL L2-2 s0",
        "ARG L3-3 s0",
        "RUN L4-5 s0",
        "COPY L6-6 s0",
        "RUN L7-7 s0",
        "ENV L8-9 s0",
        "LABEL L12-12 s1",
        "USER L13-13 s1",
    ];
    lines.extend(own_lines[..own].iter().map(|s| (*s).to_owned()));
    lines
}

#[test]
fn shell_and_build_args_in_buildah_notation() {
    let (stage, lines) = mapped(DOCKERFILE, &history(1, OWN.len()));
    assert_eq!(stage, 1);
    assert_eq!(lines, expected(1, OWN.len()));
}

#[test]
fn many_base_steps_map_to_from() {
    let (stage, lines) = mapped(DOCKERFILE, &history(60, OWN.len()));
    assert_eq!(stage, 1);
    assert_eq!(lines, expected(60, OWN.len()));
}

#[test]
fn target_build() {
    let (stage, lines) = mapped(DOCKERFILE, &history(1, 6));
    assert_eq!(stage, 0);
    assert_eq!(lines, expected(1, 6));
}

#[test]
fn no_base_history_at_all() {
    // A base image without history: the Dockerfile's steps are all there is.
    let (_, lines) = mapped(DOCKERFILE, &OWN[..6]);
    assert_eq!(lines, expected(0, 6)[2..]);
}

#[test]
fn created_by_none_in_the_base_part() {
    let d = parse(DOCKERFILE);
    let mut history = vec![
        RecordedStep::new(None, false),
        RecordedStep::new(None, true),
    ];
    history.extend(steps(OWN));
    let map = map_history(&d, &history).expect("maps");
    let base = map.steps[0].as_ref().expect("base");
    assert_eq!(base.how, MatchKind::BaseImage);
    assert_eq!(base.start_line, 1);
    assert_eq!(map.steps[1], map.steps[0]);
    assert_eq!(map.steps[2].as_ref().map(|m| m.start_line), Some(2));
}

#[test]
fn created_by_none_after_the_first_match_refuses() {
    let d = parse(DOCKERFILE);
    let mut with_none = steps(&history(1, OWN.len()));
    with_none[6] = RecordedStep::new(None, false);
    assert_eq!(map_history(&d, &with_none), None);
    // Also for an empty-layer step with an empty text.
    let mut with_empty = steps(&history(1, OWN.len()));
    with_empty[7] = RecordedStep::new(Some(""), true);
    assert_eq!(map_history(&d, &with_empty), None);
}

#[test]
fn empty_and_unrelated_histories_map_nothing() {
    assert!(!maps(DOCKERFILE, &[]));
    assert!(!maps(DOCKERFILE, &fedora_base(3)));
    let d = parse(DOCKERFILE);
    assert_eq!(map_history(&d, &[RecordedStep::default(); 4]), None);
    // The python-rules image's history against this Dockerfile.
    let other = [
        ("/bin/sh", false),
        ("/bin/sh -c #(nop) COPY dir:2472a757 in /wheels/ ", false),
        ("/bin/sh -c #(nop) ENV PIP_BREAK_SYSTEM_PACKAGES=1", true),
        (
            "/bin/sh -c pip install --no-index --find-links /wheels six==1.16.0",
            false,
        ),
        ("/bin/sh -c #(nop) ENV PIP_NO_USER=1", true),
    ];
    assert!(!maps(DOCKERFILE, &other));
}

#[test]
fn weak_evidence_alone_maps_nothing() {
    // Keyword, destination and label matches, but no RUN text or ENV names: not convincing.
    let dockerfile = "FROM alpine\nLABEL a=b\nCOPY . /app\nCMD [\"/app/run\"]\n";
    let history = [
        ("/bin/sh -c #(nop) ADD file:abc in / ", false),
        ("/bin/sh -c #(nop) LABEL a=b", true),
        ("/bin/sh -c #(nop) COPY dir:def in /app ", false),
        ("/bin/sh -c #(nop) CMD [\"/app/run\"]", true),
    ];
    assert!(!maps(dockerfile, &history));
    // One strong match makes the whole alignment acceptable.
    let dockerfile = "FROM alpine\nLABEL a=b\nCOPY . /app\nRUN /app/setup\nCMD [\"/app/run\"]\n";
    let history = [
        ("/bin/sh -c #(nop) ADD file:abc in / ", false),
        ("/bin/sh -c #(nop) LABEL a=b", true),
        ("/bin/sh -c #(nop) COPY dir:def in /app ", false),
        ("/bin/sh -c /app/setup", false),
        ("/bin/sh -c #(nop) CMD [\"/app/run\"]", true),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(
        lines,
        [
            "base L1 s0",
            "LABEL L2-2 s0",
            "COPY L3-3 s0",
            "RUN L4-4 s0",
            "CMD L5-5 s0"
        ]
    );
}

#[test]
fn from_scratch_has_no_base_steps_to_map() {
    let dockerfile = "FROM scratch\nCOPY rootfs/ /\nRUN [\"/bin/busybox\", \"--install\"]\n";
    let history = [
        ("/bin/sh -c #(nop) LABEL stray=1", true),
        ("/bin/sh -c #(nop) COPY dir:abc in / ", false),
        ("/bin/busybox --install", false),
    ];
    let (_, lines) = mapped(dockerfile, &history);
    assert_eq!(lines, ["-", "COPY L2-2 s0", "RUN L3-3 s0"]);
}

#[test]
fn run_flags_that_buildah_records_after_the_shell() {
    // buildah 1.28 keeps a RUN's `--mount=...` in the history, between `-c` and the command.
    const MOUNTS: &str = "FROM localhost/base:test
RUN echo one > /one
RUN --mount=type=bind,source=keys,target=/mnt/k \\
    mkdir -p /opt/b && cp /mnt/k/k /opt/b/k
RUN --mount=type=cache,target=/root/.cache --network=none echo two > /two
";
    let history = [
        ("/bin/sh", false),
        ("/bin/sh -c echo one > /one", false),
        (
            "/bin/sh -c --mount=type=bind,source=keys,target=/mnt/k     mkdir -p /opt/b && cp /mnt/k/k /opt/b/k",
            false,
        ),
        (
            "/bin/sh -c --mount=type=cache,target=/root/.cache --network=none echo two > /two",
            false,
        ),
    ];
    let (_, lines) = mapped(MOUNTS, &history);
    assert_eq!(
        lines,
        ["base L1 s0", "RUN L2-2 s0", "RUN L3-4 s0", "RUN L5-5 s0"]
    );
}
