//! Which way of starting a process reads which start-up file: the table of PIP-SEMANTICS.md §4,
//! measured on Debian 12 (bash 5.2, dash, zsh 5.9, sudo 1.9.13), as data.

use serde::Serialize;

/// A way a process gets started in a container, as the columns of §4 name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryPoint {
    /// Exec-form `CMD`/`ENTRYPOINT`: no shell at all.
    Exec,
    /// `docker exec`.
    DockerExec,
    /// `sh -c`, i.e. dash: shell-form `RUN`/`CMD` on Debian and Ubuntu.
    ShC,
    /// `sh -l` (dash as a login shell): `/etc/profile`, `profile.d` and `~/.profile`
    /// (footnote 6).
    ShLogin,
    /// `bash -c`: non-interactive, non-login.
    BashC,
    /// `bash -l`, including `SHELL ["/bin/bash", "-l", "-c"]`.
    BashLogin,
    /// `bash -i`, as in `docker run -it img bash`.
    BashInteractive,
    /// `su user`: keeps the caller's environment, adds `pam_env`'s.
    Su,
    /// `su - user`: a clean login environment.
    SuLogin,
    /// `sudo -u user` with `env_reset` (the default).
    Sudo,
    /// `sudo -i`: the target's login shell.
    SudoLogin,
    /// `runuser -u user`.
    Runuser,
    /// `runuser -l user`.
    RunuserLogin,
    /// Any zsh, `zsh -c` included (footnote 7). In the `su`, `sudo` and `runuser` columns too
    /// when zsh is the target's shell.
    Zsh,
}

impl EntryPoint {
    /// Every entry point, in table order.
    pub const ALL: [EntryPoint; 14] = [
        EntryPoint::Exec,
        EntryPoint::DockerExec,
        EntryPoint::ShC,
        EntryPoint::ShLogin,
        EntryPoint::BashC,
        EntryPoint::BashLogin,
        EntryPoint::BashInteractive,
        EntryPoint::Su,
        EntryPoint::SuLogin,
        EntryPoint::Sudo,
        EntryPoint::SudoLogin,
        EntryPoint::Runuser,
        EntryPoint::RunuserLogin,
        EntryPoint::Zsh,
    ];

    /// Whether only an interactive shell is meant. Only these get past an interactive guard.
    fn interactive(self) -> bool {
        matches!(self, EntryPoint::BashInteractive | EntryPoint::Zsh)
    }
}

/// A start-up file, as the rows of §4 name them (the facts document's `StartupKind`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "StartupKind")]
pub enum StartupFile {
    /// `/etc/environment`, read by `pam_env` (parse it with
    /// [`parse_environment_file`](crate::parse_environment_file)).
    EtcEnvironment,
    /// `/etc/profile`.
    EtcProfile,
    /// `/etc/profile.d/*.sh`, which Debian's `/etc/profile` sources.
    EtcProfileD,
    /// `/etc/bash.bashrc`.
    EtcBashBashrc,
    /// `~/.bashrc`.
    HomeBashrc,
    /// `~/.profile`.
    HomeProfile,
    /// `~/.bash_profile`.
    HomeBashProfile,
    /// `~/.bash_login`: bash reads the first of `~/.bash_profile`, `~/.bash_login`, `~/.profile`
    /// (footnote 6). Not a row of its own in §4; it stands where `~/.bash_profile` does.
    HomeBashLogin,
    /// `/etc/zsh/zshenv` (Debian's path), `/etc/zshenv` (most other builds) and `~/.zshenv`.
    #[serde(rename = "zshenv")]
    ZshEnv,
    /// The file `$BASH_ENV` names. [`StartupFile::classify`] never returns it: only the
    /// image's `Env` says which file it is.
    BashEnvFile,
}

impl StartupFile {
    /// Every kind of file, in table order.
    pub const ALL: [StartupFile; 10] = [
        StartupFile::EtcEnvironment,
        StartupFile::EtcProfile,
        StartupFile::EtcProfileD,
        StartupFile::EtcBashBashrc,
        StartupFile::HomeBashrc,
        StartupFile::HomeProfile,
        StartupFile::HomeBashProfile,
        StartupFile::HomeBashLogin,
        StartupFile::ZshEnv,
        StartupFile::BashEnvFile,
    ];

    /// Which row of the table an absolute image path belongs to.
    ///
    /// `homes` are home directories from `/etc/passwd`; empty ones are ignored. A relative
    /// path is taken as relative to `/`. Only `*.sh` directly inside `/etc/profile.d` count:
    /// that is the glob Debian's `/etc/profile` sources. Files the table does not cover
    /// (`/etc/bashrc` of Fedora, `~/.zshrc`, `~/.bash_logout`) give `None`.
    pub fn classify(path: &str, homes: &[&str]) -> Option<StartupFile> {
        let path = path.strip_prefix("./").unwrap_or(path);
        let owned;
        let path = if path.starts_with('/') {
            path
        } else {
            owned = format!("/{path}");
            &owned
        };
        match path {
            "/etc/environment" => return Some(StartupFile::EtcEnvironment),
            "/etc/profile" => return Some(StartupFile::EtcProfile),
            "/etc/bash.bashrc" => return Some(StartupFile::EtcBashBashrc),
            "/etc/zsh/zshenv" | "/etc/zshenv" => return Some(StartupFile::ZshEnv),
            _ => {}
        }
        if let Some(name) = path.strip_prefix("/etc/profile.d/") {
            // Debian's `/etc/profile` globs `*.sh`, case and all.
            #[allow(clippy::case_sensitive_file_extension_comparisons)]
            let sourced = name.ends_with(".sh");
            if !name.contains('/') && name.len() > ".sh".len() && sourced {
                return Some(StartupFile::EtcProfileD);
            }
        }
        for home in homes.iter().filter(|h| !h.is_empty()) {
            let home = home.trim_end_matches('/');
            let Some(name) = path.strip_prefix(home).and_then(|r| r.strip_prefix('/')) else {
                continue;
            };
            let kind = match name {
                ".bashrc" => StartupFile::HomeBashrc,
                ".profile" => StartupFile::HomeProfile,
                ".bash_profile" => StartupFile::HomeBashProfile,
                ".bash_login" => StartupFile::HomeBashLogin,
                ".zshenv" => StartupFile::ZshEnv,
                _ => continue,
            };
            return Some(kind);
        }
        None
    }

    /// Whether the file is shell text ([`parse_shell`](crate::parse_shell)) rather than a
    /// `pam_env` file.
    pub fn is_shell(self) -> bool {
        self != StartupFile::EtcEnvironment
    }
}

/// The entry points that read a variable set at one place of a start-up file (§4 ✔ cells and
/// footnotes 1–8).
///
/// - `after_interactive_guard` (from [`Assignment`](crate::Assignment)) leaves only the
///   interactive readers: a user's skel `.bashrc` below `case $- in *i*)` reaches `bash -i`
///   and nothing else (footnote 5).
/// - `is_root_home` names the table's split of the `~/.bashrc` row ("root: all; user: above
///   guard"). The split comes from the files, not from the user: Debian's `/root/.bashrc`
///   has no guard, so its lines come back with `after_interactive_guard: false` and reach
///   `bash -l`, `su -`, `sudo -i` and `runuser -l`; Ubuntu's `/root/.bashrc` does have
///   `[ -z "$PS1" ] && return` and is treated like a user's. So the answer does not depend
///   on it beyond what the guard says.
///
/// Cells marked n/t in the table are not here; [`untested_readers`] lists them. The answer
/// is per file: bash reads only the first of `~/.bash_profile`, `~/.bash_login` and
/// `~/.profile` (footnote 6), and `~/.bashrc` reaches login shells only because Debian's
/// `~/.profile` sources it; checking that the chain is intact is the caller's business.
pub fn readers(
    file: StartupFile,
    is_root_home: bool,
    after_interactive_guard: bool,
) -> Vec<EntryPoint> {
    use EntryPoint as E;
    // Documented above: the guard flag already carries the root/user difference.
    let _ = is_root_home;
    let all: &[EntryPoint] = match file {
        // Footnotes 2 and 3: pam_env, which only su's PAM stack loads on Debian.
        StartupFile::EtcEnvironment => &[E::Su, E::SuLogin],
        // Footnote 6 adds dash's `sh -l`.
        StartupFile::EtcProfile | StartupFile::EtcProfileD | StartupFile::HomeProfile => &[
            E::ShLogin,
            E::BashLogin,
            E::SuLogin,
            E::SudoLogin,
            E::RunuserLogin,
        ],
        // Footnote 4: `bash -l` only with PS1 set, i.e. when it is interactive anyway.
        StartupFile::EtcBashBashrc => &[E::BashInteractive],
        // Footnote 5.
        StartupFile::HomeBashrc => &[
            E::BashLogin,
            E::BashInteractive,
            E::SuLogin,
            E::SudoLogin,
            E::RunuserLogin,
        ],
        StartupFile::HomeBashProfile | StartupFile::HomeBashLogin => &[E::BashLogin],
        // Footnote 7.
        StartupFile::ZshEnv => &[E::Zsh],
        // Footnote 8: every non-interactive bash, `bash -l -c` included; not dash.
        StartupFile::BashEnvFile => &[E::BashC, E::BashLogin],
    };
    all.iter()
        .copied()
        .filter(|e| !after_interactive_guard || !file.is_shell() || e.interactive())
        .collect()
}

/// The entry points whose cell the table marks n/t (not tested) for a file: neither
/// confirmed nor ruled out. Lines after an interactive guard have none.
pub fn untested_readers(
    file: StartupFile,
    is_root_home: bool,
    after_interactive_guard: bool,
) -> Vec<EntryPoint> {
    use EntryPoint as E;
    let _ = is_root_home;
    if after_interactive_guard && file.is_shell() {
        return Vec::new();
    }
    match file {
        StartupFile::HomeBashProfile | StartupFile::HomeBashLogin => {
            vec![E::SuLogin, E::SudoLogin, E::RunuserLogin]
        }
        StartupFile::BashEnvFile => vec![E::Su, E::Sudo, E::Runuser],
        _ => Vec::new(),
    }
}
