//! Writes the example image of the README (`examples/python-hygiene`), a few-KB OCI layout that
//! shows what imgaudit reads: a removed PEP 668 marker, a leaked `PIP_NO_USER`, a user site.
//!
//! `cargo run -p imgaudit-testkit --example write_example -- DIR`; a test checks that the copy in
//! the repository is what this writes.

use imgaudit_testkit::example_image;

fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .expect("usage: write_example DIR");
    let dir = std::path::PathBuf::from(dir);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("remove the old example");
    }
    imgaudit_testkit::write_oci_layout(&dir, &[("latest", &example_image())]);
}
