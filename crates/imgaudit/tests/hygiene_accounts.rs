//! End-to-end tests of the accounts rules (IMG001, ACC001, ACC002), the config secret rules
//! (SEC003, SEC005) and rule packs: the real binary on synthetic images written by the test kit.
//! Each rule fires where intended and nowhere else (its traps are in the same images), the
//! findings point at the Dockerfile lines that made them, and no secret value appears in any
//! output, facts included.

use std::path::Path;

use imgaudit_testkit::{LayerBuilder, TestImage};
use serde_json::Value;

mod common;

use common::{
    TempLayout, assert_no_secret, dockerfile_lines, everything_written, fails, finding_ids,
    findings_of as of, image_of, json_of_success, message, run_in, scan_report, stdout_of_success,
};

/// The rules these tests are about, selected by pack.
const PACKS: [&str; 4] = ["--select", "hygiene", "--select", "secrets"];

/// The secrets planted in [`leaky_image`]; none may appear in any output.
const SECRETS: &[&str] = &[
    "ghp_EnvToken0123456789abcdefghijklmnopqr",
    "Db-Pass-Literal-1",
    "npm_ArgToken0123456789abcdefghijklmnopqr",
    "Curl-Pass-2",
    "Url-Pass-3",
];

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
    daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
    toor:x:0:0:second root:/root:/bin/sh\n\
    app:x:1000:1000:App,,,:/home/app:/bin/sh\n\
    web:x:1000:1000:shares app's uid:/srv:/bin/sh\n\
    guest:x:1001:1001::/home/guest:/bin/sh\n\
    this line is broken\n\
    nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

/// guest's field is empty (ACC001); the others are locked or hashed (traps).
const SHADOW: &str = "root:*:19000:0:99999:7:::\n\
    daemon:*:19000:0:99999:7:::\n\
    toor:!:19000:0:99999:7:::\n\
    app:$y$j9T$ShadowSaltSalt$ShadowHashValueThatMustNotShow:19000:0:99999:7:::\n\
    web:!$6$salt$ShadowHashOfWeb:19000:0:99999:7:::\n\
    guest::19000:0:99999:7:::\n\
    nobody:*:19000:0:99999:7:::\n";

const GROUP: &str = "root:x:0:\ndaemon:x:1:\napp:x:1000:web\nguest:x:1001:\nnogroup:x:65534:\n";

fn accounts(passwd: &str, shadow: &str) -> LayerBuilder {
    LayerBuilder::new()
        .dir("etc")
        .file("etc/passwd", passwd.as_bytes())
        .file_with("etc/shadow", shadow.as_bytes(), 0o640, 0, 42)
        .file("etc/group", GROUP.as_bytes())
}

/// Builds `layers` with one history step each (`history` gives their commands, with the empty
/// steps between them).
fn image(layers: Vec<LayerBuilder>, history: &[(&str, bool)], env: &[&str]) -> TestImage {
    image_of(layers, history, env)
}

/// Runs as root (no `User`), with every account and config secret the rules look for, and the
/// traps beside them.
fn leaky_image() -> TestImage {
    image(
        vec![
            accounts(PASSWD, SHADOW),
            LayerBuilder::new().file("srv/app", b"app"),
            LayerBuilder::new().file("srv/deps", b"deps"),
        ],
        &[
            ("/bin/sh -c #(nop) ADD file:base in /", false),
            (
                "/bin/sh -c #(nop)  ENV GITHUB_TOKEN=ghp_EnvToken0123456789abcdefghijklmnopqr DB_PASSWORD=Db-Pass-Literal-1",
                true,
            ),
            ("/bin/sh -c #(nop) ARG NPM_TOKEN", true),
            (
                "|2 NPM_TOKEN=npm_ArgToken0123456789abcdefghijklmnopqr PIP_VERSION=24.0 /bin/sh -c echo \"//r/:_authToken=${NPM_TOKEN}\" > .npmrc && npm ci",
                false,
            ),
            (
                "|2 NPM_TOKEN=npm_ArgToken0123456789abcdefghijklmnopqr PIP_VERSION=24.0 /bin/sh -c curl -u admin:Curl-Pass-2 https://x.example/ -o /srv/deps && pip download --index-url https://u:Url-Pass-3@pkgs.example/simple x",
                false,
            ),
        ],
        &[
            "GITHUB_TOKEN=ghp_EnvToken0123456789abcdefghijklmnopqr",
            "DB_PASSWORD=Db-Pass-Literal-1",
            // Traps.
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
            "PYTHON_SHA256=8c136d199d3637a1fce98a16adc809c1d83c922d02d41f3614b34f8b6e7d38ec",
            "PYTHON_VERSION=3.12.1",
            "PYTHON_PIP_VERSION=24.0",
            "POSTGRES_PASSWORD_FILE=/run/secrets/db",
            "API_TOKEN=${TOKEN}",
            "SECRET_KEY=",
            "PIP_NO_INPUT=1",
            "TOKENIZERS_PARALLELISM=false",
        ],
    )
}

/// Runs as a non-root user, with locked accounts of distinct uids and no secret.
fn clean_image(user: &str) -> TestImage {
    let passwd = "root:x:0:0:root:/root:/bin/bash\napp:x:10001:10001::/home/app:/bin/sh\n";
    let shadow = "root:*:19000:0:99999:7:::\napp:!:19000:0:99999:7:::\n";
    let mut image = image(
        vec![accounts(passwd, shadow)],
        &[
            ("/bin/sh -c #(nop) ADD file:base in /", false),
            (
                "/bin/sh -c #(nop)  ENV POSTGRES_PASSWORD_FILE=/run/secrets/db",
                true,
            ),
            ("/bin/sh -c #(nop)  USER app", true),
        ],
        &[
            "POSTGRES_PASSWORD_FILE=/run/secrets/db",
            "PYTHON_VERSION=3.12.1",
        ],
    );
    image.user = Some(user.to_owned());
    image
}

fn report(image: &TestImage, extra: &[&str]) -> Value {
    scan_report(image, &[PACKS.as_slice(), extra].concat())
}

#[test]
fn each_rule_fires_where_intended_and_nowhere_else() {
    let report = report(&leaky_image(), &[]);
    let ids = finding_ids(&report);
    // Not the traps: no ACC001 for locked or hashed accounts, no SEC003 for GPG_KEY, checksums,
    // versions, *_FILE paths, references, empty values or booleans, no SEC005 for PIP_VERSION.
    assert_eq!(
        ids,
        [
            "ACC001", "ACC002", "ACC002", "IMG001", "SEC003", "SEC003", "SEC005", "SEC005",
            "SEC005"
        ],
        "{report:#}"
    );

    let img001 = of(&report, "IMG001");
    assert!(
        message(img001[0])
            .starts_with("the image config sets no User, so the container runs as root (uid 0)."),
        "{}",
        message(img001[0])
    );
    assert_eq!(img001[0]["severity"], "medium");

    let acc001 = of(&report, "ACC001");
    assert!(
        message(acc001[0]).starts_with(
            "account guest (uid 1001) has an empty password in /etc/shadow line 6 (layer 0"
        ),
        "{}",
        message(acc001[0])
    );

    let mut acc002: Vec<(String, String)> = of(&report, "ACC002")
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_owned(),
                message(f).to_owned(),
            )
        })
        .collect();
    acc002.sort();
    assert_eq!(acc002[0].0, "high");
    assert!(
        acc002[0].1.starts_with(
            "2 accounts have uid 0: root (/etc/passwd line 1), toor (/etc/passwd line 3)."
        ),
        "{acc002:?}"
    );
    assert_eq!(acc002[1].0, "medium");
    assert!(
        acc002[1].1.starts_with("2 accounts have uid 1000: app"),
        "{acc002:?}"
    );

    let mut sec003: Vec<(&str, &str, &str)> = of(&report, "SEC003")
        .iter()
        .map(|f| {
            (
                f["evidence"]["variable"].as_str().unwrap(),
                f["evidence"]["detector"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    sec003.sort_unstable();
    assert_eq!(
        sec003,
        [
            ("DB_PASSWORD", "secret-assignment", "high"),
            ("GITHUB_TOKEN", "github-token", "critical")
        ]
    );
    for f in of(&report, "SEC003") {
        assert_eq!(f["locations"][0]["history_step"], 1, "{f:#}");
    }

    // A command's credential names no variable: the evidence has none.
    let mut sec005: Vec<(String, Option<String>, Value)> = of(&report, "SEC005")
        .iter()
        .map(|f| {
            (
                f["evidence"]["detector"].as_str().unwrap().to_owned(),
                f["evidence"]
                    .get("variable")
                    .map(|v| v.as_str().unwrap().to_owned()),
                f["evidence"]["steps"].clone(),
            )
        })
        .collect();
    sec005.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        sec005,
        [
            ("command-line-user".to_owned(), None, serde_json::json!([4])),
            // The build argument, once for the two steps that record it.
            (
                "npm-token".to_owned(),
                Some("NPM_TOKEN".to_owned()),
                serde_json::json!([3, 4])
            ),
            ("url-password".to_owned(), None, serde_json::json!([4])),
        ]
    );
    let npm = of(&report, "SEC005")
        .into_iter()
        .find(|f| f["evidence"]["variable"] == "NPM_TOKEN")
        .unwrap();
    assert!(
        message(npm).starts_with("history step 3 records the build argument NPM_TOKEN, which a RUN reads (npm_… 40 chars, sha256 "),
        "{}",
        message(npm)
    );
}

#[test]
fn a_non_root_user_with_locked_accounts_has_no_finding() {
    for user in ["app", "10001", "10001:10001", "app:10001"] {
        let clean = report(&clean_image(user), &[]);
        assert_eq!(finding_ids(&clean), [] as [&str; 0], "{user}: {clean:#}");
    }
    // A name that passwd maps to uid 0 is root; so are `0` and `root:…`.
    for user in ["root", "0", "0:10001", "root:app"] {
        let root = report(&clean_image(user), &[]);
        assert_eq!(finding_ids(&root), ["IMG001"], "{user}");
    }
    let toor = "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\n";
    let mut image = clean_image("toor");
    image.layers = vec![accounts(toor, "").finish()];
    let toor_report = report(&image, &["--disable", "ACC002"]);
    let img001 = of(&toor_report, "IMG001");
    assert_eq!(img001.len(), 1);
    assert!(
        message(img001[0]).starts_with("the config's User `toor` is uid 0 in /etc/passwd line 2, so the container runs as root (uid 0) (history step 2: /bin/sh -c #(nop)  USER app)"),
        "{}",
        message(img001[0])
    );
    // A user the image does not have: the runtime refuses to start, nothing runs as root.
    let ghost = report(&clean_image("ghost"), &[]);
    assert_eq!(finding_ids(&ghost), [] as [&str; 0]);
}

#[test]
fn facts_show_every_account_field_but_never_a_hash_or_secret() {
    let layout = TempLayout::new(&leaky_image());
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["facts", &layout.arg], None);
    assert!(output.status.success());
    let written = everything_written(&output, Some(dir.path()));
    assert_no_secret(
        "facts",
        &written,
        &[
            SECRETS,
            &[
                "ShadowHashValueThatMustNotShow",
                "ShadowSaltSalt",
                "ShadowHashOfWeb",
            ],
        ]
        .concat(),
    );
    let facts: Value = serde_json::from_slice(&output.stdout).unwrap();
    let guest = facts["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "guest")
        .unwrap();
    assert_eq!(guest["password"]["state"], "empty");
    assert_eq!(guest["shadow"]["origin"]["line"], 6);
    let app = facts["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "app")
        .unwrap();
    assert_eq!(
        app["password"],
        serde_json::json!({"state": "hash", "scheme": "$y$"})
    );
    assert_eq!(app["gecos"], "App,,,");
    assert_eq!(facts["groups"][2]["members"], serde_json::json!(["web"]));
    assert_eq!(facts["account_notes"][0]["origin"]["line"], 7);
    assert_eq!(facts["runtime"]["is_root"], true);
    assert_eq!(facts["secret_env"].as_array().unwrap().len(), 2);
    assert_eq!(
        facts["secret_env"][0]["shown"],
        serde_json::json!({"prefix": "ghp_", "length": 40, "hash": facts["secret_env"][0]["shown"]["hash"]})
    );
}

#[test]
fn no_secret_in_any_report_and_findings_map_to_the_dockerfile() {
    let layout = TempLayout::new(&leaky_image());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\n\
         ENV GITHUB_TOKEN=ghp_EnvToken0123456789abcdefghijklmnopqr DB_PASSWORD=Db-Pass-Literal-1\n\
         ARG NPM_TOKEN\n\
         RUN echo \"//r/:_authToken=${NPM_TOKEN}\" > .npmrc && npm ci\n\
         RUN curl -u admin:Curl-Pass-2 https://x.example/ -o /srv/deps && pip download --index-url https://u:Url-Pass-3@pkgs.example/simple x\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let mut args = vec![
        "scan",
        layout.arg.as_str(),
        "--fail-on",
        "none",
        "--dockerfile",
        "Dockerfile",
        "-o",
        "sarif=out/report.sarif",
        "-o",
        "text=out/report.txt",
        "-o",
        "codequality=out/report.cq.json",
        "-o",
        "json=-",
    ];
    args.extend(PACKS);
    let output = run_in(dir.path(), &args, None);
    let written = everything_written(&output, Some(&dir.path().join("out")));
    assert_no_secret(&format!("{args:?}"), &written, SECRETS);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let line = |rule: &str| dockerfile_lines(&report, rule);
    assert_eq!(line("SEC003"), [2, 2], "{report:#}");
    assert_eq!(line("SEC005"), [4, 5, 5], "{report:#}");
}

#[test]
fn packs_select_and_disable_their_rules() {
    let set = imgaudit_policy::PolicySet::builtin().unwrap();
    let pack = |name: &str| -> Vec<String> {
        set.rules()
            .iter()
            .filter(|r| r.pack == name)
            .map(|r| r.id.clone())
            .collect()
    };
    for id in ["IMG001", "ACC001", "ACC002"] {
        assert!(pack("hygiene").contains(&id.to_owned()), "{id}");
    }
    for id in ["SEC003", "SEC005"] {
        assert!(pack("secrets").contains(&id.to_owned()), "{id}");
    }
    let layout = TempLayout::new(&leaky_image());
    let listed = |report: &Value, key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            layout.arg.as_str(),
            "--format",
            "json",
            "--fail-on",
            "none",
        ];
        args.extend_from_slice(extra);
        json_of_success(&args)
    };
    // A pack, in any case: exactly its rules run.
    let hygiene = scan(&["--select", "Hygiene"]);
    assert_eq!(listed(&hygiene, "rules"), pack("hygiene"));
    assert!(
        finding_ids(&hygiene)
            .iter()
            .all(|id| pack("hygiene").contains(id))
    );
    let secrets = scan(&["--select", "secrets"]);
    assert_eq!(listed(&secrets, "rules"), pack("secrets"));
    // --disable takes a pack too.
    let without = scan(&[
        "--select",
        "hygiene",
        "--select",
        "secrets",
        "--disable",
        "secrets",
    ]);
    assert_eq!(listed(&without, "disabled"), pack("secrets"));
    assert!(
        finding_ids(&without)
            .iter()
            .all(|id| !id.starts_with("SEC"))
    );
    // And the configuration's [rules].
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("imgaudit.toml"),
        "[rules]\nenable = [\"hygiene\"]\ndisable = [\"ACC002\"]\n",
    )
    .unwrap();
    let output = run_in(
        dir.path(),
        &["scan", &layout.arg, "--format", "json", "--fail-on", "none"],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let configured: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut ids = finding_ids(&configured);
    ids.dedup();
    assert_eq!(ids, ["ACC001", "IMG001"], "{configured:#}");
    // An unknown pack is an error naming it.
    fails(
        &["scan", &layout.arg, "--select", "hygienic"],
        None,
        &["hygienic"],
    );
}

#[test]
fn rule_finds_a_page_by_another_tools_id() {
    let page = stdout_of_success(&["rule", "CIS-DI-0001"]);
    assert_eq!(page, stdout_of_success(&["rule", "IMG001"]));
    assert!(page.starts_with("# runs-as-root (IMG001)"), "{page}");
    for (alias, heading) in [
        ("ds002", "# runs-as-root (IMG001)"),
        ("DKL-LI-0001", "# account-without-password (ACC001)"),
        ("DKL-LI-0002", "# duplicate-uid (ACC002)"),
        ("CIS-DI-0010", "# secret-in-env (SEC003)"),
    ] {
        let page = stdout_of_success(&["rule", alias]);
        assert!(page.starts_with(heading), "{alias}: {page}");
    }
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/hygiene/runs_as_root.md"),
    )
    .unwrap();
    assert!(page_contains_doc(
        &stdout_of_success(&["rule", "CIS-DI-0001"]),
        &doc
    ));
}

/// Whether every prose and code line of a rule's document is on its page.
fn page_contains_doc(page: &str, doc: &str) -> bool {
    doc.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("```"))
        .all(|line| page.contains(line))
}
