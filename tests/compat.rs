//! The compatibility suite, as part of `cargo test`: the official Omise clients (Python and
//! Node, pinned) and the seed documents' curl examples, against the binary cargo just built.
//! See tests/compat/README.md. It installs the clients under target/compat on its first run.

use std::process::Command;

#[test]
fn the_official_clients_and_the_seed_curl_examples_work_unmodified() {
    let status = Command::new("bash")
        .arg("tests/compat/run")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COMPAT_BIN", env!("CARGO_BIN_EXE_dispute-docs"))
        .status()
        .expect("bash runs tests/compat/run");
    assert!(
        status.success(),
        "the compatibility suite failed (its output is above)"
    );
}
