//! A pip configuration file (`pip.conf`, `pip.ini`) as configparser reads it, every value read
//! as pip reads a boolean; the same bytes as an `EXTERNALLY-MANAGED` marker (the same reader),
//! a `pyvenv.cfg` and a pip version.
#![no_main]

use imgaudit_pip::{PipConfigFile, PipVersion, ValueOrigin, VenvKind, parse_bool, read_marker};
use libfuzzer_sys::fuzz_target;

/// Sections, and keys of each, looked up.
const SAMPLE: usize = 16;

fuzz_target!(|data: &[u8]| {
    // pip decodes config files as the locale says; the facts decode lossily, and so does this.
    let text = String::from_utf8_lossy(data);
    let file = PipConfigFile::parse(&text);
    let _ = file.python_error();
    let _ = file.default_line();
    for entry in file.defaults() {
        let _ = parse_bool(&entry.value, ValueOrigin::Config);
    }
    // Every value is read as a boolean; `get` (linear in the section, as pip's dict lookup is
    // not) only for a few keys, or this harness would be quadratic.
    for section in file.sections().iter().take(SAMPLE) {
        for (k, item) in file.items(&section.name).iter().enumerate() {
            let _ = parse_bool(&item.entry.value, ValueOrigin::Config);
            if k < SAMPLE {
                let _ = file.get(&section.name, &item.entry.raw_key);
            }
        }
    }
    for key in ["user", "no-user", "break-system-packages", "index-url"] {
        for section in ["global", "install", "DEFAULT"] {
            let _ = file.get(section, key);
        }
    }
    let _ = read_marker(Some(data), Some("de_DE"));
    let _ = read_marker(Some(data), None);
    let _ = VenvKind::from_pyvenv_cfg(&text);
    if let Ok(version) = text
        .lines()
        .next()
        .unwrap_or_default()
        .parse::<PipVersion>()
    {
        let _ = version.config_merge();
    }
});
