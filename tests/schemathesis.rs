//! The property-based API test, as part of `cargo test`: schemathesis (pinned) generates
//! requests from the committed openapi.json and openapi-mangopay.json and checks every response
//! against its document and against its dialect's wire contract (Omise's; Mangopay's, as the
//! demo client with a bearer token from /v2.01/oauth/token), each pass on a freshly seeded server
//! over Postgres. See tests/fuzz/README.md. It installs schemathesis under target/fuzz on its
//! first run.

use std::process::Command;

#[test]
fn the_server_answers_every_generated_request_as_its_openapi_document_says() {
    let status = Command::new("bash")
        .arg("tests/fuzz/run")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("FUZZ_BIN", env!("CARGO_BIN_EXE_dispute-docs"))
        .status()
        .expect("bash runs tests/fuzz/run");
    assert!(
        status.success(),
        "schemathesis found failures (its report is above; reports in target/fuzz/)"
    );
}
