//! Accounts from `/etc/passwd` and the user a container runs as.

use crate::Location;
use crate::accounts::model::{Runtime, User};
use crate::context::{Context, image_path};
use crate::redact::redacted;

/// One `/etc/passwd` line: `name:password:uid:gid:gecos:home:shell`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PasswdEntry {
    pub(crate) name: String,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) home: String,
    pub(crate) shell: String,
    pub(crate) line: u32,
}

/// Parses passwd text, skipping comments, NIS `+`/`-` lines and malformed lines.
pub(crate) fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            if line.starts_with('#') || line.starts_with('+') || line.starts_with('-') {
                return None;
            }
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() < 7 || fields[0].is_empty() {
                return None;
            }
            Some(PasswdEntry {
                name: fields[0].to_owned(),
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
                home: fields[5].to_owned(),
                shell: fields[6].to_owned(),
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// The config's `User` (`""`, `app`, `1000`, `app:staff`, `1000:1000`) resolved against the
/// passwd entries: the uid, and the entry when there is one.
pub(crate) fn resolve_user<'p>(
    user: &str,
    passwd: &'p [PasswdEntry],
) -> (Option<u64>, Option<&'p PasswdEntry>) {
    let name = user.split(':').next().unwrap_or_default();
    if name.is_empty() {
        return (Some(0), passwd.iter().find(|e| e.uid == 0));
    }
    if let Ok(uid) = name.parse::<u64>() {
        return (Some(uid), passwd.iter().find(|e| e.uid == uid));
    }
    match passwd.iter().find(|e| e.name == name) {
        Some(entry) => (Some(entry.uid), Some(entry)),
        None => (None, None),
    }
}

pub(crate) struct Accounts {
    pub(crate) users: Vec<User>,
    pub(crate) runtime: Runtime,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn collect(ctx: &Context<'_>) -> Accounts {
    let mut notes = Vec::new();
    let passwd_path = image_path("/etc/passwd").expect("a valid path");
    let passwd = if let Some(bytes) = ctx.content(&passwd_path, "users") {
        parse_passwd(&String::from_utf8_lossy(bytes))
    } else {
        notes.push("no /etc/passwd in the image: homes are taken from HOME alone".to_owned());
        Vec::new()
    };
    let config_user = ctx
        .image
        .meta
        .config
        .config()
        .as_ref()
        .and_then(|c| c.user().clone())
        .unwrap_or_default();
    let (uid, entry) = resolve_user(&config_user, &passwd);
    if uid.is_none() {
        notes.push(format!(
            "the config's User `{config_user}` is not in /etc/passwd: the container would not start"
        ));
    }
    let file_origin = ctx.file_origin(&passwd_path);
    let users = passwd
        .iter()
        .map(|e| User {
            name: e.name.clone(),
            uid: e.uid,
            gid: e.gid,
            home: e.home.clone(),
            shell: e.shell.clone(),
            runtime: entry.is_some_and(|r| r.line == e.line),
            origin: Location {
                line: Some(e.line),
                ..file_origin.clone()
            },
        })
        .collect();
    // Runtimes set HOME from the passwd entry of the user unless the config sets it (`/` when
    // there is no entry).
    let home = match ctx.env_var("HOME") {
        Some(home) if !home.is_empty() => home.to_owned(),
        _ => entry.map_or_else(|| "/".to_owned(), |e| e.home.clone()),
    };
    Accounts {
        users,
        runtime: Runtime {
            uid,
            gid: config_user
                .split_once(':')
                .and_then(|(_, group)| group.parse().ok())
                .or_else(|| entry.map(|e| e.gid)),
            user_name: entry.map(|e| e.name.clone()),
            is_root: uid == Some(0),
            home: redacted(&home),
            python: None,
        },
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        # a comment\n\
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
        broken line\n\
        app:x:1000:1000:,,,:/home/app:/bin/sh\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

    #[test]
    fn parses_passwd_lines_with_their_line_numbers() {
        let entries = parse_passwd(PASSWD);
        let names: Vec<_> = entries.iter().map(|e| (e.name.as_str(), e.line)).collect();
        assert_eq!(
            names,
            [("root", 1), ("daemon", 3), ("app", 5), ("nobody", 6)]
        );
        assert_eq!(entries[2].home, "/home/app");
        assert_eq!(entries[2].uid, 1000);
    }

    #[test]
    fn resolves_the_config_user() {
        let entries = parse_passwd(PASSWD);
        for (user, uid, name) in [
            ("", Some(0), Some("root")),
            ("root", Some(0), Some("root")),
            ("app", Some(1000), Some("app")),
            ("app:app", Some(1000), Some("app")),
            ("1000:1000", Some(1000), Some("app")),
            ("4242", Some(4242), None),
            ("ghost", None, None),
        ] {
            let (got_uid, entry) = resolve_user(user, &entries);
            assert_eq!(got_uid, uid, "{user}");
            assert_eq!(entry.map(|e| e.name.as_str()), name, "{user}");
        }
    }
}
