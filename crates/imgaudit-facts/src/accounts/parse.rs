//! Parsers of `/etc/passwd`, `/etc/shadow` and `/etc/group`, as glibc's files backend reads
//! them: one entry a line, fields split at `:`. Comment lines (`#`), blank lines and NIS
//! `+`/`-` lines are not entries; any other line that is not a well-formed entry is skipped
//! with the reason, and the lines after it still count. A password field is reduced to its
//! [`PasswordState`] at once: no hash leaves this module.

use crate::accounts::model::PasswordState;

/// A line that is not an entry: its 1-based number and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed {
    pub(crate) line: u32,
    pub(crate) problem: String,
}

/// What a file parser returns: its entries and the lines it skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed<T> {
    pub(crate) entries: Vec<T>,
    pub(crate) malformed: Vec<Malformed>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            entries: Vec::new(),
            malformed: Vec::new(),
        }
    }
}

/// One `/etc/passwd` line: `name:password:uid:gid:gecos:home:shell`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PasswdEntry {
    pub(crate) name: String,
    pub(crate) password: PasswordState,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) gecos: String,
    pub(crate) home: String,
    pub(crate) shell: String,
    pub(crate) line: u32,
}

/// One `/etc/shadow` line: `name:password:lastchange:min:max:warn:inactive:expire:reserved`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShadowEntry {
    pub(crate) name: String,
    pub(crate) password: PasswordState,
    pub(crate) last_change: Option<i64>,
    pub(crate) min_days: Option<i64>,
    pub(crate) max_days: Option<i64>,
    pub(crate) warn_days: Option<i64>,
    pub(crate) inactive_days: Option<i64>,
    pub(crate) expire: Option<i64>,
    pub(crate) line: u32,
}

/// One `/etc/group` line: `name:password:gid:member,member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupEntry {
    pub(crate) name: String,
    pub(crate) gid: u64,
    pub(crate) members: Vec<String>,
    pub(crate) line: u32,
}

/// The lines of `text` that may be entries, numbered, split into fields; the others skipped.
fn entry_lines(text: &str) -> impl Iterator<Item = (u32, &str, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with(['#', '+', '-']) {
            return None;
        }
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        Some((number, line, line.split(':').collect()))
    })
}

/// Checks the field count and the name; the reason when the line is not an entry.
fn check_fields(fields: &[&str], expected: usize) -> Result<(), String> {
    if fields.len() != expected {
        return Err(format!(
            "{expected} fields separated by `:` expected, found {}",
            fields.len()
        ));
    }
    if fields[0].is_empty() {
        return Err("the name is empty".to_owned());
    }
    Ok(())
}

fn id(field: &str, what: &str) -> Result<u64, String> {
    field
        .parse::<u64>()
        .ok()
        .filter(|id| u32::try_from(*id).is_ok())
        .ok_or_else(|| format!("the {what} is not a number from 0 to 4294967295"))
}

/// A shadow day count: empty is `None`.
fn days(field: &str, what: &str) -> Result<Option<i64>, String> {
    if field.is_empty() {
        return Ok(None);
    }
    field
        .parse::<i64>()
        .map(Some)
        .map_err(|_| format!("the {what} field is neither empty nor a number of days"))
}

fn parse_lines<T>(text: &str, entry: impl Fn(u32, &[&str]) -> Result<T, String>) -> Parsed<T> {
    let mut parsed = Parsed::default();
    for (line, _, fields) in entry_lines(text) {
        match entry(line, &fields) {
            Ok(e) => parsed.entries.push(e),
            Err(problem) => parsed.malformed.push(Malformed { line, problem }),
        }
    }
    parsed
}

pub(crate) fn parse_passwd(text: &str) -> Parsed<PasswdEntry> {
    parse_lines(text, |line, fields| {
        check_fields(fields, 7)?;
        Ok(PasswdEntry {
            name: fields[0].to_owned(),
            password: password_state(fields[1], true),
            uid: id(fields[2], "uid")?,
            gid: id(fields[3], "gid")?,
            gecos: fields[4].to_owned(),
            home: fields[5].to_owned(),
            shell: fields[6].to_owned(),
            line,
        })
    })
}

pub(crate) fn parse_shadow(text: &str) -> Parsed<ShadowEntry> {
    parse_lines(text, |line, fields| {
        check_fields(fields, 9)?;
        Ok(ShadowEntry {
            name: fields[0].to_owned(),
            password: password_state(fields[1], false),
            last_change: days(fields[2], "last change")?,
            min_days: days(fields[3], "minimum age")?,
            max_days: days(fields[4], "maximum age")?,
            warn_days: days(fields[5], "warning period")?,
            inactive_days: days(fields[6], "inactivity period")?,
            expire: days(fields[7], "expiration date")?,
            line,
        })
    })
}

pub(crate) fn parse_group(text: &str) -> Parsed<GroupEntry> {
    parse_lines(text, |line, fields| {
        check_fields(fields, 4)?;
        Ok(GroupEntry {
            name: fields[0].to_owned(),
            gid: id(fields[2], "gid")?,
            members: fields[3]
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            line,
        })
    })
}

/// What a password field holds. `in_passwd`: `x` there means "see `/etc/shadow`".
pub(crate) fn password_state(field: &str, in_passwd: bool) -> PasswordState {
    if field.is_empty() {
        return PasswordState::Empty;
    }
    if in_passwd && field == "x" {
        return PasswordState::Shadowed;
    }
    let rest = field.trim_start_matches(['!', '*']);
    let marker = &field[..field.len() - rest.len()];
    match hash_scheme(rest) {
        Some(scheme) if marker.is_empty() => PasswordState::Hash { scheme },
        scheme => PasswordState::Locked {
            marker: marker.to_owned(),
            scheme,
        },
    }
}

/// The `crypt(3)` scheme of a hash: `$id$` (the id is letters, digits, `-` and `.`: `6`, `y`,
/// `2b`, `sha1`, `gy`), or `des` for 13 characters of `./0-9A-Za-z`; `None` for anything else
/// (which no password matches).
fn hash_scheme(hash: &str) -> Option<String> {
    let salt_alphabet = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
    if let Some(rest) = hash.strip_prefix('$') {
        let (id, after) = rest.split_once('$')?;
        let id_ok = !id.is_empty()
            && id.len() <= 8
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        return (id_ok && !after.is_empty()).then(|| format!("${id}$"));
    }
    (hash.chars().count() == 13 && hash.chars().all(salt_alphabet)).then(|| "des".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locked(marker: &str, scheme: Option<&str>) -> PasswordState {
        PasswordState::Locked {
            marker: marker.to_owned(),
            scheme: scheme.map(str::to_owned),
        }
    }

    fn hash(scheme: &str) -> PasswordState {
        PasswordState::Hash {
            scheme: scheme.to_owned(),
        }
    }

    #[test]
    fn passwd_lines_with_every_field_and_malformed_lines_noted() {
        let text = "root:x:0:0:root:/root:/bin/bash\n\
            # a comment\n\
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
            broken line\n\
            \n\
            +nisuser::::::\n\
            app::1000:1000:App User,,,:/home/app:/bin/sh\n\
            bad:x:notanumber:1:x:/:/bin/sh\n\
            big:x:4294967296:1:x:/:/bin/sh\n\
            :x:5:5::/:/bin/sh\n\
            nobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\r\n";
        let parsed = parse_passwd(text);
        let names: Vec<_> = parsed
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.line))
            .collect();
        assert_eq!(
            names,
            [("root", 1), ("daemon", 3), ("app", 7), ("nobody", 11)]
        );
        let app = &parsed.entries[2];
        assert_eq!(app.password, PasswordState::Empty);
        assert_eq!(app.gecos, "App User,,,");
        assert_eq!((app.uid, app.gid), (1000, 1000));
        assert_eq!(parsed.entries[0].password, PasswordState::Shadowed);
        assert_eq!(parsed.entries[3].password, locked("*", None));
        assert_eq!(parsed.entries[3].shell, "/usr/sbin/nologin");
        let malformed: Vec<_> = parsed
            .malformed
            .iter()
            .map(|m| (m.line, m.problem.as_str()))
            .collect();
        assert_eq!(
            malformed,
            [
                (4, "7 fields separated by `:` expected, found 1"),
                (8, "the uid is not a number from 0 to 4294967295"),
                (9, "the uid is not a number from 0 to 4294967295"),
                (10, "the name is empty"),
            ]
        );
    }

    #[test]
    fn shadow_lines_keep_every_field_but_the_hash() {
        let hashed = "$6$saltsalt$4WQmRgzR2VgP0Z2bkTq0t4x1L0yJmZ3h6Q9jv2x1bZ8";
        let text = format!(
            "root:*:19000:0:99999:7:::\n\
             app:{hashed}:19500:1:90:7:30:20000:\n\
             guest::19500::::::\n\
             svc:!{hashed}:19500:0:99999:7:::\n\
             yes:$y$j9T$abc$def:1::::::\n\
             old:abcdefghijklm:1::::::\n\
             cut:x:1\n\
             days:!!:soon::::::\n"
        );
        let parsed = parse_shadow(&text);
        let states: Vec<_> = parsed
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.password.clone()))
            .collect();
        assert_eq!(
            states,
            [
                ("root", locked("*", None)),
                ("app", hash("$6$")),
                ("guest", PasswordState::Empty),
                ("svc", locked("!", Some("$6$"))),
                ("yes", hash("$y$")),
                ("old", hash("des")),
            ]
        );
        let app = &parsed.entries[1];
        assert_eq!(
            (
                app.last_change,
                app.min_days,
                app.max_days,
                app.warn_days,
                app.inactive_days,
                app.expire
            ),
            (
                Some(19500),
                Some(1),
                Some(90),
                Some(7),
                Some(30),
                Some(20000)
            )
        );
        assert_eq!(parsed.entries[2].max_days, None);
        assert_eq!(
            parsed.malformed,
            [
                Malformed {
                    line: 7,
                    problem: "9 fields separated by `:` expected, found 3".to_owned()
                },
                Malformed {
                    line: 8,
                    problem: "the last change field is neither empty nor a number of days"
                        .to_owned()
                },
            ]
        );
        // Nothing of the hash survives in what the parser returns.
        assert!(!format!("{parsed:?}").contains("saltsalt"));
        assert!(!format!("{parsed:?}").contains("abcdefghijklm"));
    }

    #[test]
    fn password_fields_reduce_to_their_state() {
        for (field, state) in [
            ("", PasswordState::Empty),
            ("*", locked("*", None)),
            ("!", locked("!", None)),
            ("!!", locked("!!", None)),
            ("!*", locked("!*", None)),
            ("!$y$j9T$salt$hash", locked("!", Some("$y$"))),
            ("$2b$10$abcdefghijklmnopqrstuv", hash("$2b$")),
            ("$1$salt$hash", hash("$1$")),
            // Not a crypt(3) result: no password matches it (and its text is not shown).
            ("plaintext-oops", locked("", None)),
            ("NP", locked("", None)),
            ("$$", locked("", None)),
            ("$6$", locked("", None)),
            // In /etc/shadow `x` is not a reference to anything: no password matches it.
            ("x", locked("", None)),
        ] {
            assert_eq!(password_state(field, false), state, "{field}");
        }
        assert_eq!(password_state("x", true), PasswordState::Shadowed);
    }

    #[test]
    fn group_lines_with_members() {
        let parsed = parse_group(
            "root:x:0:\nsudo:x:27:app, ops\n#c\nstaff:x:50\nwheel:x:ten:\nusers:x:100:\n",
        );
        let groups: Vec<_> = parsed
            .entries
            .iter()
            .map(|g| (g.name.as_str(), g.gid, g.members.clone(), g.line))
            .collect();
        assert_eq!(
            groups,
            [
                ("root", 0, vec![], 1),
                ("sudo", 27, vec!["app".to_owned(), "ops".to_owned()], 2),
                ("users", 100, vec![], 6),
            ]
        );
        let lines: Vec<_> = parsed.malformed.iter().map(|m| m.line).collect();
        assert_eq!(lines, [4, 5]);
    }

    #[test]
    fn a_huge_file_of_bad_lines_is_linear() {
        let text = "x".repeat(10) + &"\n:::::::::::".repeat(200_000);
        let started = std::time::Instant::now();
        let parsed = parse_passwd(&text);
        assert_eq!(parsed.malformed.len(), 200_001);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
