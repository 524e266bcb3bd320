//! A shell start-up file (`/etc/profile.d/*.sh`, `.bashrc`, `BASH_ENV`) and `/etc/environment`:
//! the same bytes through both readers, and everything the facts ask of what they found.
#![no_main]

use imgaudit_shell::{parse_environment_file, parse_shell};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for file in [parse_shell(data), parse_environment_file(data)] {
        let events = file.events();
        assert_eq!(
            events.len(),
            file.assignments.len() + file.unsets.len(),
            "events merge the assignments and the unsets"
        );
        for event in &events {
            let _ = (event.seq(), event.name());
        }
        for assignment in file.exported() {
            let _ = (assignment.value.text(), assignment.value.is_certain());
        }
    }
});
