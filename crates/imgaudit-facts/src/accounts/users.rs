//! Accounts from `/etc/passwd`, `/etc/shadow` and `/etc/group`, and the user a container runs
//! as.

use crate::Location;
use crate::accounts::model::{AccountNote, Group, PasswordState, Runtime, Shadow, SharedUid, User};
use crate::accounts::parse::{
    GroupEntry, Malformed, PasswdEntry, ShadowEntry, parse_group, parse_passwd, parse_shadow,
};
use crate::context::{Context, image_path};
use crate::redact::redacted;

/// The most skipped lines noted per file: a hostile file of a million bad lines says so in
/// one more note rather than a million.
const MAX_NOTED_LINES: usize = 50;

/// The config's `User` resolved as runc (and crun) resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved<'p> {
    pub(crate) uid: Option<u64>,
    pub(crate) gid: Option<u64>,
    pub(crate) entry: Option<&'p PasswdEntry>,
    pub(crate) group: Option<&'p GroupEntry>,
    /// Why the runtime refuses to start the container.
    pub(crate) refused: Option<String>,
}

/// The config's `User` (`""`, `app`, `1000`, `app:staff`, `1000:1000`) resolved against the
/// passwd and group entries, as runc does: a name must have an entry (the first with that
/// name), a number need not (its primary group is then 0); the group after `:` is a gid or a
/// group name that must have an entry, else the user's entry's gid.
pub(crate) fn resolve_user<'p>(
    user: &str,
    passwd: &'p [PasswdEntry],
    groups: &'p [GroupEntry],
) -> Resolved<'p> {
    let (name, group) = match user.split_once(':') {
        Some((name, group)) => (name, Some(group)),
        None => (user, None),
    };
    let mut refused = None;
    let (uid, entry) = if name.is_empty() {
        (Some(0), passwd.iter().find(|e| e.uid == 0))
    } else if let Ok(uid) = name.parse::<u64>() {
        (Some(uid), passwd.iter().find(|e| e.uid == uid))
    } else if let Some(entry) = passwd.iter().find(|e| e.name == name) {
        (Some(entry.uid), Some(entry))
    } else {
        refused = Some(format!(
            "unable to find user {name}: no matching entries in passwd file"
        ));
        (None, None)
    };
    let (gid, group) = if let Some(group) = group.filter(|g| !g.is_empty()) {
        if let Ok(gid) = group.parse::<u64>() {
            (Some(gid), groups.iter().find(|g| g.gid == gid))
        } else if let Some(entry) = groups.iter().find(|g| g.name == group) {
            (Some(entry.gid), Some(entry))
        } else {
            refused.get_or_insert_with(|| {
                format!("unable to find group {group}: no matching entries in group file")
            });
            (None, None)
        }
    } else {
        // A number without an entry runs in group 0, as runc's default.
        let gid = match (entry, uid) {
            (Some(entry), _) => Some(entry.gid),
            (None, Some(_)) => Some(0),
            (None, None) => None,
        };
        (
            gid,
            gid.and_then(|gid| groups.iter().find(|g| g.gid == gid)),
        )
    };
    Resolved {
        uid,
        gid,
        entry,
        group,
        refused,
    }
}

pub(crate) struct Accounts {
    pub(crate) users: Vec<User>,
    pub(crate) groups: Vec<Group>,
    pub(crate) shared_uids: Vec<SharedUid>,
    pub(crate) runtime: Runtime,
    pub(crate) account_notes: Vec<AccountNote>,
    pub(crate) notes: Vec<String>,
}

/// An account file's text, `None` when absent or unreadable (unjudged then, by the context).
fn read(ctx: &Context<'_>, path: &str, needed_by: &'static str) -> Option<String> {
    let path = image_path(path).expect("a valid path");
    ctx.content(&path, needed_by)
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

/// The notes of a file's skipped lines, at most [`MAX_NOTED_LINES`] and one saying how many
/// more.
fn note_malformed(ctx: &Context<'_>, path: &str, malformed: &[Malformed]) -> Vec<AccountNote> {
    let origin = ctx.file_origin(&image_path(path).expect("a valid path"));
    let mut notes: Vec<AccountNote> = malformed
        .iter()
        .take(MAX_NOTED_LINES)
        .map(|m| AccountNote {
            problem: format!("line skipped: {}", redacted(&m.problem)),
            origin: Location {
                line: Some(m.line),
                ..origin.clone()
            },
        })
        .collect();
    if malformed.len() > MAX_NOTED_LINES {
        notes.push(AccountNote {
            problem: format!(
                "{} more lines skipped, not listed",
                malformed.len() - MAX_NOTED_LINES
            ),
            origin,
        });
    }
    notes
}

pub(crate) fn collect(ctx: &Context<'_>) -> Accounts {
    let mut notes = Vec::new();
    let passwd_text = read(ctx, "/etc/passwd", "users");
    if passwd_text.is_none() {
        notes.push(
            "no readable /etc/passwd in the image: homes are taken from HOME alone".to_owned(),
        );
    }
    let passwd = passwd_text.as_deref().map(parse_passwd).unwrap_or_default();
    let shadow = read(ctx, "/etc/shadow", "users")
        .as_deref()
        .map(parse_shadow)
        .unwrap_or_default();
    let group_text = read(ctx, "/etc/group", "groups");
    let groups = group_text.as_deref().map(parse_group).unwrap_or_default();
    let mut account_notes = note_malformed(ctx, "/etc/passwd", &passwd.malformed);
    account_notes.extend(note_malformed(ctx, "/etc/shadow", &shadow.malformed));
    account_notes.extend(note_malformed(ctx, "/etc/group", &groups.malformed));

    let config_user = ctx
        .image
        .meta
        .config
        .config()
        .as_ref()
        .and_then(|c| c.user().clone())
        .unwrap_or_default();
    let resolved = resolve_user(&config_user, &passwd.entries, &groups.entries);
    if let Some(why) = &resolved.refused {
        // Without the file the facts cannot tell a missing entry from an unread one.
        let known = passwd_text.is_some() && (group_text.is_some() || !why.contains("group"));
        notes.push(if known {
            format!(
                "the config's User `{config_user}` cannot be resolved: {why}; the container would not start"
            )
        } else {
            format!(
                "the config's User `{config_user}` could not be resolved: the account files were not read"
            )
        });
    }

    let passwd_origin = ctx.file_origin(&image_path("/etc/passwd").expect("a valid path"));
    let shadow_origin = ctx.file_origin(&image_path("/etc/shadow").expect("a valid path"));
    let group_origin = ctx.file_origin(&image_path("/etc/group").expect("a valid path"));
    // glibc's getspnam returns the first entry with the name.
    let mut shadow_by_name: std::collections::HashMap<&str, &ShadowEntry> =
        std::collections::HashMap::new();
    for entry in &shadow.entries {
        shadow_by_name.entry(entry.name.as_str()).or_insert(entry);
    }
    let is_runtime = |e: &PasswdEntry| resolved.entry.is_some_and(|r| r.line == e.line);
    let password_of = |e: &PasswdEntry| match &e.password {
        PasswordState::Shadowed => shadow_by_name
            .get(e.name.as_str())
            .map(|s| s.password.clone()),
        other => Some(other.clone()),
    };
    let shared_uids = shared_uids(&passwd.entries, &passwd_origin);
    let (kept, total) = bounded(passwd.entries.iter().collect(), |e| {
        is_runtime(e) || password_of(e) == Some(PasswordState::Empty)
    });
    if total > kept.len() {
        notes.push(format!(
            "/etc/passwd has {total} accounts: `users` lists the first {MAX_ACCOUNTS} and, past them, only the runtime user and accounts with an empty password ({} in all)",
            kept.len()
        ));
    }
    let users: Vec<User> = kept
        .into_iter()
        .map(|e| {
            let shadow = shadow_by_name.get(e.name.as_str()).map(|s| Shadow {
                password: s.password.clone(),
                last_change: s.last_change,
                min_days: s.min_days,
                max_days: s.max_days,
                warn_days: s.warn_days,
                inactive_days: s.inactive_days,
                expire: s.expire,
                origin: Location {
                    line: Some(s.line),
                    ..shadow_origin.clone()
                },
            });
            User {
                name: redacted(&e.name),
                uid: e.uid,
                gid: e.gid,
                gecos: redacted(&e.gecos),
                home: redacted(&e.home),
                shell: redacted(&e.shell),
                passwd_password: e.password.clone(),
                shadow,
                password: password_of(e),
                runtime: is_runtime(e),
                origin: Location {
                    line: Some(e.line),
                    ..passwd_origin.clone()
                },
            }
        })
        .collect();
    if groups.entries.len() > MAX_ACCOUNTS {
        notes.push(format!(
            "/etc/group has {} groups: only the first {MAX_ACCOUNTS} are listed in `groups`",
            groups.entries.len()
        ));
    }
    let group_facts: Vec<Group> = groups
        .entries
        .iter()
        .take(MAX_ACCOUNTS)
        .map(|g| Group {
            name: redacted(&g.name),
            gid: g.gid,
            members: g.members.iter().map(|m| redacted(m)).collect(),
            origin: Location {
                line: Some(g.line),
                ..group_origin.clone()
            },
        })
        .collect();
    // Runtimes set HOME from the passwd entry of the user unless the config sets it (`/` when
    // there is no entry).
    let home = match ctx.env_var("HOME") {
        Some(home) if !home.is_empty() => home.to_owned(),
        _ => resolved
            .entry
            .map_or_else(|| "/".to_owned(), |e| e.home.clone()),
    };
    Accounts {
        users,
        groups: group_facts,
        shared_uids,
        runtime: Runtime {
            uid: resolved.uid,
            gid: resolved.gid,
            user_name: resolved.entry.map(|e| redacted(&e.name)),
            group_name: resolved.group.map(|g| redacted(&g.name)),
            is_root: resolved.uid == Some(0),
            start_refused: resolved.refused.as_deref().map(redacted),
            home: redacted(&home),
            origin: user_origin(ctx),
            python: None,
        },
        account_notes,
        notes,
    }
}

/// The most accounts (and groups) the document lists: real systems have hundreds, and each
/// costs the policy engine kilobytes, so a hostile passwd file of a million lines must not
/// become a million accounts to judge.
const MAX_ACCOUNTS: usize = 10_000;

/// The first [`MAX_ACCOUNTS`] of `items`, and past them those `judged_alone` (at most
/// [`MAX_ACCOUNTS`] more), with how many there were.
fn bounded<T>(mut items: Vec<T>, judged_alone: impl Fn(&T) -> bool) -> (Vec<T>, usize) {
    let total = items.len();
    if total > MAX_ACCOUNTS {
        let rest = items.split_off(MAX_ACCOUNTS);
        items.extend(
            rest.into_iter()
                .filter(|item| judged_alone(item))
                .take(MAX_ACCOUNTS),
        );
    }
    (items, total)
}

/// The most accounts a shared uid lists.
const MAX_SHARED_LISTED: usize = 20;

/// The uids several accounts have, in uid order, over every entry (listed or not).
fn shared_uids(entries: &[PasswdEntry], origin: &Location) -> Vec<SharedUid> {
    let mut by_uid: std::collections::BTreeMap<u64, Vec<&PasswdEntry>> =
        std::collections::BTreeMap::new();
    for entry in entries {
        by_uid.entry(entry.uid).or_default().push(entry);
    }
    by_uid
        .into_iter()
        .filter(|(_, accounts)| accounts.len() > 1)
        .map(|(uid, accounts)| {
            let listed = &accounts[..accounts.len().min(MAX_SHARED_LISTED)];
            SharedUid {
                uid,
                count: accounts.len(),
                accounts: listed.iter().map(|e| redacted(&e.name)).collect(),
                origins: listed
                    .iter()
                    .map(|e| Location {
                        line: Some(e.line),
                        ..origin.clone()
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The last history step that is a `USER` instruction (`USER app` as BuildKit records it,
/// `/bin/sh -c #(nop) USER app` as the classic builder and buildah do).
fn user_origin(ctx: &Context<'_>) -> Location {
    let step = ctx.image.history.iter().rposition(|h| {
        h.created_by.as_deref().is_some_and(|command| {
            let command = command.trim_start();
            let command = command
                .strip_prefix("/bin/sh -c #(nop)")
                .map_or(command, str::trim_start);
            command.starts_with("USER ")
        })
    });
    Location {
        history_step: step,
        created_by: ctx.step_command(step),
        ..Location::default()
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
        toor:x:0:0:second root:/root:/bin/sh\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

    const GROUP: &str = "root:x:0:\nstaff:x:50:app\napp:x:1000:\n";

    #[test]
    fn resolves_the_config_user_as_runc_does() {
        let passwd = parse_passwd(PASSWD).entries;
        let groups = parse_group(GROUP).entries;
        for (user, uid, gid, name, group, refused) in [
            ("", Some(0), Some(0), Some("root"), Some("root"), false),
            ("root", Some(0), Some(0), Some("root"), Some("root"), false),
            // A name that maps to uid 0 is root.
            ("toor", Some(0), Some(0), Some("toor"), Some("root"), false),
            (
                "app",
                Some(1000),
                Some(1000),
                Some("app"),
                Some("app"),
                false,
            ),
            (
                "app:staff",
                Some(1000),
                Some(50),
                Some("app"),
                Some("staff"),
                false,
            ),
            (
                "app:50",
                Some(1000),
                Some(50),
                Some("app"),
                Some("staff"),
                false,
            ),
            (
                "1000:1000",
                Some(1000),
                Some(1000),
                Some("app"),
                Some("app"),
                false,
            ),
            (
                "0:1000",
                Some(0),
                Some(1000),
                Some("root"),
                Some("app"),
                false,
            ),
            // A number without an entry is that uid, in group 0.
            ("4242", Some(4242), Some(0), None, Some("root"), false),
            ("4242:4242", Some(4242), Some(4242), None, None, false),
            // A name without an entry: the runtime refuses to start.
            ("ghost", None, None, None, None, true),
            ("app:ghosts", Some(1000), None, Some("app"), None, true),
        ] {
            let got = resolve_user(user, &passwd, &groups);
            assert_eq!(got.uid, uid, "{user}");
            assert_eq!(got.gid, gid, "{user}");
            assert_eq!(got.entry.map(|e| e.name.as_str()), name, "{user}");
            assert_eq!(got.group.map(|g| g.name.as_str()), group, "{user}");
            assert_eq!(got.refused.is_some(), refused, "{user}: {:?}", got.refused);
        }
        assert_eq!(
            resolve_user("ghost", &passwd, &groups).refused.as_deref(),
            Some("unable to find user ghost: no matching entries in passwd file")
        );
    }

    fn entry(name: &str, uid: u64, line: u32) -> PasswdEntry {
        PasswdEntry {
            name: name.to_owned(),
            password: PasswordState::Shadowed,
            uid,
            gid: uid,
            gecos: String::new(),
            home: "/".to_owned(),
            shell: "/bin/sh".to_owned(),
            line,
        }
    }

    #[test]
    fn shared_uids_group_accounts_by_uid_in_one_pass() {
        let entries = [
            entry("root", 0, 1),
            entry("app", 1000, 2),
            entry("toor", 0, 3),
            entry("web", 1000, 4),
            entry("solo", 7, 5),
        ];
        let shared = shared_uids(&entries, &Location::default());
        let summary: Vec<_> = shared
            .iter()
            .map(|s| {
                let lines: Vec<_> = s.origins.iter().map(|o| o.line).collect();
                (s.uid, s.count, s.accounts.clone(), lines)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    0,
                    2,
                    vec!["root".to_owned(), "toor".to_owned()],
                    vec![Some(1), Some(3)]
                ),
                (
                    1000,
                    2,
                    vec!["app".to_owned(), "web".to_owned()],
                    vec![Some(2), Some(4)]
                ),
            ]
        );
        // A hostile file: 200 000 accounts of one uid are counted, and 20 listed.
        let many: Vec<PasswdEntry> = (0..200_000).map(|i| entry("x", 0, i)).collect();
        let started = std::time::Instant::now();
        let shared = shared_uids(&many, &Location::default());
        assert_eq!((shared[0].count, shared[0].accounts.len()), (200_000, 20));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn the_document_lists_a_bounded_number_of_accounts() {
        let (kept, total) = bounded((0..200_000).collect(), |i| *i == 150_000 || *i == 150_001);
        assert_eq!(total, 200_000);
        assert_eq!(kept.len(), MAX_ACCOUNTS + 2);
        assert_eq!(kept[MAX_ACCOUNTS..], [150_000, 150_001]);
        let (few, total) = bounded(vec![1, 2, 3], |_| false);
        assert_eq!((few, total), (vec![1, 2, 3], 3));
    }
}
