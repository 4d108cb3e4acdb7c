//! The OpenAPI document: generated from the handlers, committed as `openapi.json`, and the two
//! must never differ.

#[test]
fn the_committed_openapi_json_is_the_generated_document() {
    let generated = dispute_docs::openapi::document_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json differs from the document the code generates: \
         run `UPDATE_OPENAPI=1 cargo test --test openapi` (or `cargo run -- openapi > openapi.json`) and commit it"
    );
}

#[test]
fn every_operation_is_unique_tagged_and_documents_its_errors() {
    let doc: serde_json::Value =
        serde_json::from_str(&dispute_docs::openapi::document_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = std::collections::HashSet::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("200") && responses.contains_key("500"),
                "{method} {path}"
            );
            if path.starts_with("/ops/") {
                assert_eq!(op["tags"][0], "ops");
                assert!(responses.contains_key("401"), "{method} {path}");
            }
            if path.starts_with("/disputes") && !path.contains("/downloads/") {
                for status in ["400", "401", "404"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
    // 22 of the first service, 3 operator routes of the Mangopay issue, 3 event routes, 6
    // operator webhook routes, the account update, test mode's reset, clock and advance, the
    // two evidence link routes, the operator's rescan and quarantine list, the search, and the
    // previews (behind a signed link, and the operator's two), and the evidence packet and its
    // readiness (the merchant's and the operator's).
    assert_eq!(operations, 49);
}

#[test]
fn webhook_urls_are_documented_with_the_pattern_the_server_checks() {
    let omise: serde_json::Value =
        serde_json::from_str(&dispute_docs::openapi::document_json()).unwrap();
    let mangopay: serde_json::Value =
        serde_json::from_str(&dispute_docs::mangopay::openapi::document_json()).unwrap();
    let pattern = dispute_docs::core::events::URL_PATTERN;
    assert_eq!(
        omise["components"]["schemas"]["NewEndpointRequest"]["properties"]["url"]["pattern"],
        pattern
    );
    assert_eq!(
        mangopay["components"]["schemas"]["NewHookBody"]["properties"]["Url"]["pattern"],
        pattern
    );
    assert_eq!(
        mangopay["components"]["schemas"]["HookUpdateBody"]["properties"]["Url"]["pattern"],
        pattern
    );
}

#[test]
fn the_committed_openapi_mangopay_json_is_the_generated_document() {
    let generated = dispute_docs::mangopay::openapi::document_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi-mangopay.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi-mangopay.json differs from the document the code generates: \
         run `UPDATE_OPENAPI=1 cargo test --test openapi` (or `cargo run -- openapi mangopay > openapi-mangopay.json`) and commit it"
    );
}

#[test]
fn every_mangopay_operation_is_unique_tagged_and_documents_its_errors() {
    let doc: serde_json::Value =
        serde_json::from_str(&dispute_docs::mangopay::openapi::document_json()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path}"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}"
            );
        }
    }
    // 20 of the dispute and document endpoints, 5 of hooks and events.
    assert_eq!(ids.len(), 25);
}
