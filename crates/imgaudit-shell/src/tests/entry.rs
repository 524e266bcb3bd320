//! The entry-point table of PIP-SEMANTICS.md §4, row by row.

use crate::{EntryPoint as E, StartupFile as F, readers, untested_readers};

/// One row: the file, root's home or not, below a guard or not, and the ✔ cells.
type Row = (&'static str, F, bool, bool, &'static [E]);

const TABLE: &[Row] = &[
    // `/etc/environment`: su ✔², su - ✔², sudo ✘³, everything else ✘.
    (
        "/etc/environment",
        F::EtcEnvironment,
        false,
        false,
        &[E::Su, E::SuLogin],
    ),
    // `/etc/profile`, `/etc/profile.d/*.sh`: bash -l ✔, su - ✔, sudo -i ✔, runuser -l ✔;
    // footnote 6: dash `sh -l` reads them too.
    (
        "/etc/profile",
        F::EtcProfile,
        false,
        false,
        &[
            E::ShLogin,
            E::BashLogin,
            E::SuLogin,
            E::SudoLogin,
            E::RunuserLogin,
        ],
    ),
    (
        "/etc/profile.d/*.sh",
        F::EtcProfileD,
        false,
        false,
        &[
            E::ShLogin,
            E::BashLogin,
            E::SuLogin,
            E::SudoLogin,
            E::RunuserLogin,
        ],
    ),
    // `/etc/bash.bashrc`: bash -i ✔ only; bash -l ✘⁴.
    (
        "/etc/bash.bashrc",
        F::EtcBashBashrc,
        false,
        false,
        &[E::BashInteractive],
    ),
    // `~/.bashrc`, root, no guard: bash -l "root: all", bash -i ✔, su - "root all",
    // sudo -i and runuser -l "above guard" (there is none).
    (
        "~/.bashrc root",
        F::HomeBashrc,
        true,
        false,
        &[
            E::BashLogin,
            E::BashInteractive,
            E::SuLogin,
            E::SudoLogin,
            E::RunuserLogin,
        ],
    ),
    // `~/.bashrc`, user, above the guard: the same cells ("user: above guard").
    (
        "~/.bashrc user above",
        F::HomeBashrc,
        false,
        false,
        &[
            E::BashLogin,
            E::BashInteractive,
            E::SuLogin,
            E::SudoLogin,
            E::RunuserLogin,
        ],
    ),
    // `~/.bashrc`, user, below the guard: only bash -i (footnote 5).
    (
        "~/.bashrc user below",
        F::HomeBashrc,
        false,
        true,
        &[E::BashInteractive],
    ),
    // The same for a root file that has a guard (Ubuntu's).
    (
        "~/.bashrc root below",
        F::HomeBashrc,
        true,
        true,
        &[E::BashInteractive],
    ),
    // `~/.profile`: bash -l ✔⁶, su - ✔, sudo -i ✔, runuser -l ✔; footnote 6: `sh -l`.
    (
        "~/.profile",
        F::HomeProfile,
        false,
        false,
        &[
            E::ShLogin,
            E::BashLogin,
            E::SuLogin,
            E::SudoLogin,
            E::RunuserLogin,
        ],
    ),
    // `~/.bash_profile`: bash -l ✔⁶; su -, sudo, runuser n/t.
    (
        "~/.bash_profile",
        F::HomeBashProfile,
        false,
        false,
        &[E::BashLogin],
    ),
    (
        "~/.bash_login",
        F::HomeBashLogin,
        false,
        false,
        &[E::BashLogin],
    ),
    // `/etc/zsh/zshenv`, `~/.zshenv`: "zsh only", every zsh (footnote 7).
    ("zshenv", F::ZshEnv, false, false, &[E::Zsh]),
    // `$BASH_ENV` file: bash -c ✔, bash -l ✔⁸; sh -c ✘⁸, bash -i ✘, su - ✘.
    (
        "$BASH_ENV",
        F::BashEnvFile,
        false,
        false,
        &[E::BashC, E::BashLogin],
    ),
    // Below a guard a BASH_ENV file is never reached: only non-interactive shells read it.
    ("$BASH_ENV below guard", F::BashEnvFile, false, true, &[]),
    // Below a guard in /etc/profile: no modelled entry point is an interactive login shell.
    ("/etc/profile below guard", F::EtcProfile, false, true, &[]),
];

#[test]
fn readers_follow_the_table() {
    for (row, file, root, guard, expected) in TABLE {
        assert_eq!(readers(*file, *root, *guard), *expected, "row {row}");
    }
}

#[test]
fn nobody_without_a_shell_reads_start_up_files() {
    // The `exec`, `dexec` columns are ✘ for every file, and so is `sh -c` (dash reads no
    // file; `$ENV` only for `sh -i`), and `sudo -u` (env_reset, no login shell).
    for file in F::ALL {
        for guard in [false, true] {
            let reach = readers(file, false, guard);
            for never in [E::Exec, E::DockerExec, E::ShC, E::Sudo, E::Runuser] {
                assert!(!reach.contains(&never), "{file:?} {never:?}");
            }
        }
    }
}

#[test]
fn untested_cells() {
    assert_eq!(
        untested_readers(F::HomeBashProfile, false, false),
        [E::SuLogin, E::SudoLogin, E::RunuserLogin]
    );
    assert_eq!(
        untested_readers(F::BashEnvFile, false, false),
        [E::Su, E::Sudo, E::Runuser]
    );
    assert!(untested_readers(F::EtcProfile, false, false).is_empty());
    assert!(untested_readers(F::BashEnvFile, false, true).is_empty());
}

#[test]
fn classify_paths() {
    let homes = ["/root", "/home/app/", "/"];
    let table: &[(&str, Option<F>)] = &[
        ("/etc/environment", Some(F::EtcEnvironment)),
        ("/etc/profile", Some(F::EtcProfile)),
        ("/etc/profile.d/pip.sh", Some(F::EtcProfileD)),
        ("/etc/profile.d/pip.csh", None),
        ("/etc/profile.d/pip", None),
        ("/etc/profile.d/.sh", None),
        ("/etc/profile.d/sub/x.sh", None),
        ("/etc/bash.bashrc", Some(F::EtcBashBashrc)),
        ("/etc/zsh/zshenv", Some(F::ZshEnv)),
        ("/etc/zshenv", Some(F::ZshEnv)),
        ("/root/.bashrc", Some(F::HomeBashrc)),
        ("/root/.profile", Some(F::HomeProfile)),
        ("/root/.bash_profile", Some(F::HomeBashProfile)),
        ("/root/.bash_login", Some(F::HomeBashLogin)),
        ("/root/.zshenv", Some(F::ZshEnv)),
        ("/home/app/.bashrc", Some(F::HomeBashrc)),
        ("/.profile", Some(F::HomeProfile)),
        ("/home/other/.bashrc", None),
        ("/home/app/sub/.bashrc", None),
        ("/root/.zshrc", None),
        ("/etc/bashrc", None),
        ("etc/profile", Some(F::EtcProfile)),
        ("./etc/environment", Some(F::EtcEnvironment)),
    ];
    for (path, expected) in table {
        assert_eq!(F::classify(path, &homes), *expected, "{path}");
    }
    assert_eq!(F::classify("/home/app/.bashrc", &[]), None);
    assert_eq!(F::classify("/.bashrc", &[""]), None);
}

#[test]
fn serialized_names() {
    fn name<T: serde::Serialize>(value: &T) -> String {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(name)) => name,
            other => panic!("not a string: {other:?}"),
        }
    }
    assert_eq!(name(&F::ZshEnv), "zshenv");
    assert_eq!(name(&F::EtcProfileD), "etc_profile_d");
    assert_eq!(name(&F::BashEnvFile), "bash_env_file");
    assert_eq!(name(&E::BashLogin), "bash_login");
    assert_eq!(name(&E::SuLogin), "su_login");
    assert_eq!(name(&E::ShC), "sh_c");
    assert_eq!(name(&crate::Form::AutoExport), "auto_export");
    let value = serde_json::to_value(crate::Value::Expanded {
        text: "x".into(),
        certain: false,
    })
    .ok();
    assert_eq!(
        value,
        Some(serde_json::json!({"expanded": {"text": "x", "certain": false}}))
    );
}
