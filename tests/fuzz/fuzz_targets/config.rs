//! `imgaudit.toml`: parsed, its rule selectors resolved against rules like the built-in ones,
//! its suppressions matched, and every error rendered as the CLI prints it (with the line and
//! a caret under the key).
#![no_main]

use std::path::Path;

use imgaudit_config::{Config, Date, RuleKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The CLI refuses a file that is not UTF-8 before parsing (`Config::load`); that error
    // points at the first bad byte, so it is rendered too.
    let Ok(text) = std::str::from_utf8(data) else {
        let file = std::env::temp_dir().join(format!("imgaudit-fuzz-{}.toml", std::process::id()));
        std::fs::write(&file, data).expect("the fuzzer's scratch file is writable");
        match Config::load(&file) {
            Ok(_) => panic!("a file that is not UTF-8 was accepted"),
            Err(e) => render(&e),
        }
        return;
    };
    let config = match Config::parse(text, Path::new("imgaudit.toml")) {
        Ok(config) => config,
        Err(e) => {
            render(&e);
            return;
        }
    };
    let aliases = vec!["DL3013".to_owned()];
    let known = [
        RuleKey {
            id: "PIP001",
            name: "user-install-forced",
            aliases: &aliases,
            pack: "pip",
        },
        RuleKey {
            id: "PY002",
            name: "user-site-packages-present",
            aliases: &[],
            pack: "python",
        },
    ];
    match config.resolve_rules(&known) {
        Ok(resolved) => {
            let _ = resolved.is_enabled("PIP001");
        }
        Err(e) => render(&e),
    }
    let today = Date::from_unix_days(20_000).expect("a day in 2024");
    for suppression in &config.suppressions {
        let _ = suppression.matches(
            "PY002",
            "user-site-packages-present",
            "team/app",
            &["/root/.local/lib", "PIP_USER"],
        );
        let _ = suppression.is_expired(today);
    }
});

fn render(error: &imgaudit_config::ConfigError) {
    let _ = error.to_string();
    let _ = (error.kind(), error.key(), error.line(), error.column());
    let _ = (error.span(), error.source_line());
}
