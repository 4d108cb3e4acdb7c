//! The browser suite, as part of `cargo test`: the pages under /web in Debian's headless
//! Chromium, driven by playwright-core with axe-core scans, against the binary cargo just built.
//! See tests/browser/run: it installs Chromium (apt) when missing and the pinned npm packages
//! under target/browser on its first run; `UPDATE_SCREENSHOTS=1` rewrites the README's
//! docs/screenshots/.

use std::process::Command;

#[test]
fn the_pages_work_in_a_real_browser_and_pass_the_accessibility_scan() {
    let status = Command::new("bash")
        .arg("tests/browser/run")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("BROWSER_BIN", env!("CARGO_BIN_EXE_dispute-docs"))
        .status()
        .expect("bash runs tests/browser/run");
    assert!(
        status.success(),
        "the browser suite failed (its output is above)"
    );
}
