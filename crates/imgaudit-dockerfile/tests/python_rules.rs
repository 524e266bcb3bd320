//! The real `python-rules` test image (tests/real-images/python-rules in the repository),
//! built by buildah from a debootstrap base: its Dockerfile and history, copied verbatim (the
//! history as `imgaudit inspect` lists it, with the fake token that inspect redacts).

use imgaudit_dockerfile::{Dockerfile, Keyword, MatchKind, RecordedStep, Strength, map_history};

const DOCKERFILE: &str = r#"# Fixture for imgaudit's Python rules: every rule fires here, each for one
# reason set up by one step. Built by ../build.sh from the debootstrap base
# (Debian 12: python3 3.11, pip 23.0.1 with its PEP 668 marker). Nothing is
# fetched inside RUN: build.sh puts the wheels into the context.
FROM localhost/imgaudit-test/base:test

LABEL io.imgaudit.fixture="python-rules"
COPY wheels/ /wheels/

# PIP003: the PEP 668 bypass left on for every later pip run.
ENV PIP_BREAK_SYSTEM_PACKAGES=1

# PY004: pip installs into Debian's Python (dist-packages under /usr/local).
RUN pip install --no-index --find-links /wheels six==1.16.0

# PY002 and PY003: a user site holding another version of the same package,
# which every python3.11 of root imports first.
RUN pip install --user --no-index --find-links /wheels six==1.15.0

# PY001: the distribution's marker removed.
RUN rm /usr/lib/python3.11/EXTERNALLY-MANAGED

# PY005: a conda-style prefix (conda-meta/, no pyvenv.cfg) with a copy of the
# stdlib and of pip, as a conda environment lays them out. No conda channel is
# reachable from this machine, so the prefix is assembled from Debian's files.
RUN mkdir -p /opt/conda/conda-meta /opt/conda/bin /opt/conda/lib/python3.11/site-packages \
 && cp -a /usr/lib/python3.11/. /opt/conda/lib/python3.11/ \
 && rm -f /opt/conda/lib/python3.11/EXTERNALLY-MANAGED \
 && cp -a /usr/lib/python3/dist-packages/pip /usr/lib/python3/dist-packages/pip-*.dist-info \
      /opt/conda/lib/python3.11/site-packages/ \
 && echo '==> 2024-01-01 00:00:00 <==' > /opt/conda/conda-meta/history \
 && ln -s /usr/bin/python3.11 /opt/conda/bin/python

# PIP001 (and PY005 through it): the inverted PIP_NO_USER.
ENV PIP_NO_USER=1

# PIP004: a token in an index URL (a fake one; it must never be printed).
ENV PIP_EXTRA_INDEX_URL=https://ci-bot:hunter2-not-a-real-token@pypi.internal.example/simple

# PIP001 again, from a start-up file and only inside a conditional (low precision).
RUN printf 'if [ -n "$CI" ]; then\n    export PIP_USER=yes\nfi\n' > /etc/profile.d/pip-user.sh

# PIP001 again, from the XDG pip config every user's pip reads.
RUN mkdir -p /etc/xdg/pip && printf '[global]\nuser = true\n' > /etc/xdg/pip/pip.conf

# PIP002: a value pip cannot read as a boolean, for login shells (bash -l, su -).
RUN printf 'export PIP_USER=enabled\n' > /etc/profile.d/pip-broken.sh
"#;

/// `(created_by, empty_layer)` of steps 0..=12.
const HISTORY: &[(&str, bool)] = &[
    (r"/bin/sh", false),
    (
        r#"/bin/sh -c #(nop) LABEL io.imgaudit.fixture="python-rules""#,
        true,
    ),
    (
        r"/bin/sh -c #(nop) COPY dir:2472a757b0c341d5cf92a7868e31d9d6199d263877e1a5b3ad203a887b763386 in /wheels/ ",
        false,
    ),
    (r"/bin/sh -c #(nop) ENV PIP_BREAK_SYSTEM_PACKAGES=1", true),
    (
        r"/bin/sh -c pip install --no-index --find-links /wheels six==1.16.0",
        false,
    ),
    (
        r"/bin/sh -c pip install --user --no-index --find-links /wheels six==1.15.0",
        false,
    ),
    (
        r"/bin/sh -c rm /usr/lib/python3.11/EXTERNALLY-MANAGED",
        false,
    ),
    (
        r"/bin/sh -c mkdir -p /opt/conda/conda-meta /opt/conda/bin /opt/conda/lib/python3.11/site-packages  && cp -a /usr/lib/python3.11/. /opt/conda/lib/python3.11/  && rm -f /opt/conda/lib/python3.11/EXTERNALLY-MANAGED  && cp -a /usr/lib/python3/dist-packages/pip /usr/lib/python3/dist-packages/pip-*.dist-info       /opt/conda/lib/python3.11/site-packages/  && echo '==> 2024-01-01 00:00:00 <==' > /opt/conda/conda-meta/history  && ln -s /usr/bin/python3.11 /opt/conda/bin/python",
        false,
    ),
    (r"/bin/sh -c #(nop) ENV PIP_NO_USER=1", true),
    (
        r"/bin/sh -c #(nop) ENV PIP_EXTRA_INDEX_URL=https://ci-bot:hunter2-not-a-real-token@pypi.internal.example/simple",
        true,
    ),
    (
        r#"/bin/sh -c printf 'if [ -n "$CI" ]; then\n    export PIP_USER=yes\nfi\n' > /etc/profile.d/pip-user.sh"#,
        false,
    ),
    (
        r"/bin/sh -c mkdir -p /etc/xdg/pip && printf '[global]\nuser = true\n' > /etc/xdg/pip/pip.conf",
        false,
    ),
    (
        r"/bin/sh -c printf 'export PIP_USER=enabled\n' > /etc/profile.d/pip-broken.sh",
        false,
    ),
];

fn steps(history: &[(&'static str, bool)]) -> Vec<RecordedStep<'static>> {
    history
        .iter()
        .map(|&(created_by, empty)| RecordedStep::new(Some(created_by), empty))
        .collect()
}

/// The lines each instruction step maps to, from step 1 (LABEL) on.
const LINES: &[(u32, u32, Keyword)] = &[
    (7, 7, Keyword::Label),
    (8, 8, Keyword::Copy),
    (11, 11, Keyword::Env),
    (14, 14, Keyword::Run),
    (18, 18, Keyword::Run),
    (21, 21, Keyword::Run),
    (26, 32, Keyword::Run),
    (35, 35, Keyword::Env),
    (38, 38, Keyword::Env),
    (41, 41, Keyword::Run),
    (44, 44, Keyword::Run),
    (47, 47, Keyword::Run),
];

fn check(history: &[(&'static str, bool)], expected: &[(u32, u32, Keyword)]) {
    let dockerfile = Dockerfile::parse(DOCKERFILE).expect("parses");
    let map = map_history(&dockerfile, &steps(history)).expect("maps");
    assert_eq!(map.stage, 0);
    assert_eq!(map.steps.len(), history.len());
    let base = map.steps[0].as_ref().expect("base step mapped");
    assert_eq!(base.how, MatchKind::BaseImage);
    assert_eq!((base.start_line, base.end_line), (5, 5));
    assert_eq!(base.keyword, Keyword::From);
    let got: Vec<(u32, u32, Keyword)> = map.steps[1..]
        .iter()
        .map(|m| {
            let m = m.as_ref().expect("instruction step mapped");
            assert_eq!(m.how, MatchKind::Instruction);
            (m.start_line, m.end_line, m.keyword.clone())
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn buildah_history_maps_to_every_line() {
    check(HISTORY, LINES);
}

#[test]
fn without_the_label_step() {
    // Whether buildah records the LABEL as its own step depends on the version; without it,
    // the LABEL line simply has no step.
    let mut history = HISTORY.to_vec();
    history.remove(1);
    check(&history, &LINES[1..]);
}

#[test]
fn strengths() {
    use Strength::{Medium, Strong};
    let dockerfile = Dockerfile::parse(DOCKERFILE).expect("parses");
    let map = map_history(&dockerfile, &steps(HISTORY)).expect("maps");
    let strengths: Vec<Option<Strength>> = map
        .steps
        .iter()
        .map(|m| m.as_ref().and_then(|m| m.strength))
        .collect();
    assert_eq!(
        strengths,
        [
            None,
            Some(Medium),
            Some(Medium),
            Some(Strong),
            Some(Strong),
            Some(Strong),
            Some(Strong),
            Some(Strong),
            Some(Strong),
            Some(Strong),
            Some(Strong),
            Some(Strong),
            Some(Strong),
        ]
    );
}

#[test]
fn multi_line_run_is_joined_exactly_as_buildah_records_it() {
    // The escape character and the line break go; the blanks on both sides stay. The
    // comparison collapses whitespace anyway, but the join itself is byte-exact.
    let dockerfile = Dockerfile::parse(DOCKERFILE).expect("parses");
    let run = &dockerfile.stages[0].instructions[6];
    assert_eq!((run.start_line, run.end_line), (26, 32));
    let recorded = HISTORY[7]
        .0
        .strip_prefix("/bin/sh -c ")
        .expect("shell prefix");
    assert_eq!(run.args, recorded);
}

#[test]
fn redacted_token_still_maps() {
    // `imgaudit inspect` shows the token as `****`; ENV steps compare by names.
    let mut history = HISTORY.to_vec();
    history[9].0 = "/bin/sh -c #(nop) ENV PIP_EXTRA_INDEX_URL=https://ci-bot:****@pypi.internal.example/simple";
    check(&history, LINES);
}

#[test]
fn env_lines_for_findings() {
    let dockerfile = Dockerfile::parse(DOCKERFILE).expect("parses");
    let line = |name: &str| dockerfile.env_instruction(0, name).map(|i| i.start_line);
    assert_eq!(line("PIP_BREAK_SYSTEM_PACKAGES"), Some(11));
    assert_eq!(line("PIP_NO_USER"), Some(35));
    assert_eq!(line("PIP_EXTRA_INDEX_URL"), Some(38));
    assert_eq!(line("PIP_USER"), None);
}

#[test]
fn a_later_extra_step_refuses_the_mapping() {
    // A step the Dockerfile cannot explain after its own steps: the image is not this
    // Dockerfile's build (say, committed later), so nothing is mapped.
    let mut history = HISTORY.to_vec();
    history.push(("/bin/sh -c touch /extra", false));
    let dockerfile = Dockerfile::parse(DOCKERFILE).expect("parses");
    assert_eq!(map_history(&dockerfile, &steps(&history)), None);
}
