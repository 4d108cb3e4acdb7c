//! MANGOPAY.md §4 #10–#16 and §5.2–§5.3: dispute documents, created empty, given pages,
//! submitted for validation, reviewed by the operator, listed, viewed and consulted. The page
//! limits are in `pages`.

use crate::helpers::*;
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};

const DOCUMENT_KEYS: [&str; 9] = [
    "Id",
    "Tag",
    "CreationDate",
    "DisputeId",
    "Type",
    "Status",
    "RefusedReasonType",
    "RefusedReasonMessage",
    "ProcessedDate",
];

#[track_caller]
fn assert_document_shape(d: &Value) {
    let object = d
        .as_object()
        .unwrap_or_else(|| panic!("a DisputeDocument, got {d}"));
    for key in DOCUMENT_KEYS {
        assert!(object.contains_key(key), "{key} missing: {d}");
    }
    assert!(!object.contains_key("errors"), "{d}");
    assert!(
        d["Id"].is_string() && d["CreationDate"].is_i64() && d["DisputeId"].is_string(),
        "{d}"
    );
}

async fn document(app: &TestApp, id: &str) -> Value {
    let d = app
        .mp_get(&format!("/dispute-documents/{id}"))
        .await
        .expect(200);
    assert_document_shape(&d);
    d
}

/// A fresh open dispute with one CREATED document of one page; returns (dispute, document).
async fn document_with_a_page(app: &TestApp, kind: &str) -> (String, String) {
    let dispute = app.open_dispute().await;
    let doc = app.mp_document(&dispute, kind).await;
    let id = doc["Id"].as_str().unwrap().to_owned();
    app.mp_page(&dispute, &id, PNG).await.expect_no_content();
    (dispute, id)
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

each_backend! {
    async fn a_document_is_created_given_pages_submitted_and_found_in_both_lists(app) {
        let dispute = app.open_dispute().await;
        let body = json!({"Type": "DELIVERY_PROOF", "Tag": "slip"});
        let created = app.mp_post(&format!("/disputes/{dispute}/documents"), body).await.expect(200);
        assert_document_shape(&created);
        let id = created["Id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("docu_test_"), "{id}");
        assert_eq!((created["Type"].clone(), created["Status"].clone()), (json!("DELIVERY_PROOF"), json!("CREATED")));
        assert_eq!(created["Tag"], "slip");
        assert_eq!(created["DisputeId"], dispute);
        for unset in ["RefusedReasonType", "RefusedReasonMessage", "ProcessedDate"] {
            assert_eq!(created[unset], Value::Null, "{unset}");
        }
        assert_eq!(document(&app, &id).await, created);

        app.mp_page(&dispute, &id, PNG).await.expect_no_content();
        app.mp_page(&dispute, &id, JPEG).await.expect_no_content();
        assert_eq!(app.mp_page_bytes(&id).await, vec![PNG.to_vec(), JPEG.to_vec()]);

        let submitted = app.mp_submit_document(&dispute, &id).await.expect(200);
        assert_document_shape(&submitted);
        assert_eq!((submitted["Id"].clone(), submitted["Status"].clone()), (json!(id), json!("VALIDATION_ASKED")));
        assert_eq!(document(&app, &id).await["Status"], "VALIDATION_ASKED");
        // Its dispute is still waiting for the merchant: submitting a document is not contesting.
        assert_eq!(app.mp_get(&format!("/disputes/{dispute}")).await.expect(200)["Status"], "PENDING_CLIENT_ACTION");

        let reply = app.mp_get(&format!("/disputes/{dispute}/documents")).await;
        assert_eq!(reply.counts(), (1, 1));
        assert_eq!(reply.expect(200), json!([submitted]));
        let all = app.mp_get("/dispute-documents?per_page=100").await.expect(200);
        assert!(all.as_array().unwrap().contains(&submitted), "{all}");
        for d in all.as_array().unwrap() {
            assert_document_shape(d);
        }
    }

    async fn python_creates_documents_on_its_malformed_path_with_trailing_slashes(app) {
        let dispute = app.open_dispute().await;
        let token = app.mp_token().await;
        // Bug P2: no slash between the ClientId and `disputes`.
        let path = format!("/v2.01/{MP_CLIENT}disputes/{dispute}/documents/");
        let body = json!({"Type": "INVOICE", "Tag": "py", "DisputeId": "ignored"});
        let req = app.mp_request_as(&token, Method::POST, &path).body(body.to_string());
        let doc = app.mp_send(req).await.expect(200);
        assert_document_shape(&doc);
        assert_eq!((doc["Type"].clone(), doc["Tag"].clone(), doc["DisputeId"].clone()), (json!("INVOICE"), json!("py"), json!(dispute)));
        let id = doc["Id"].as_str().unwrap();
        let page = json!({"File": b64(PNG), "Document": id, "Dispute": dispute});
        app.mp_post(&format!("/disputes/{dispute}/documents/{id}/pages/"), page).await.expect_no_content();
        let slashed = app.mp_post(&format!("/disputes/{dispute}/documents/"), json!({"Type": "OTHER"})).await.expect(200);
        assert_eq!(slashed["Status"], "CREATED");
        assert_eq!(app.mp_get(&format!("/disputes/{dispute}/documents/")).await.counts(), (2, 1));
        assert_eq!(app.mp_page_bytes(id).await, vec![PNG.to_vec()]);
        // The malformed path is the caller's own ClientId only.
        let other = app.token(MP_OTHER_CLIENT, MP_OTHER_KEY).await;
        let req = app.mp_request_as(&other, Method::POST, &path).body(json!({"Type": "INVOICE"}).to_string());
        let reply = app.mp_send(req).await;
        assert!(reply.status == 401 || reply.status == 404, "{}: {}", reply.status, reply.body);
        let status = reply.status.as_u16();
        reply.expect_mp_error_status(status);
        assert_eq!(app.mp_get(&format!("/disputes/{dispute}/documents")).await.counts(), (2, 1));
    }

    async fn every_document_type_can_be_created(app) {
        let dispute = app.open_dispute().await;
        let kinds = ["DELIVERY_PROOF", "INVOICE", "REFUND_PROOF", "USER_CORRESPONDANCE", "USER_ACCEPTANCE_PROOF"];
        for kind in kinds.into_iter().chain(["PRODUCT_REPLACEMENT_PROOF", "OTHER"]) {
            let doc = app.mp_document(&dispute, kind).await;
            assert_eq!((doc["Type"].as_str().unwrap(), doc["Tag"].clone()), (kind, Value::Null));
            assert_eq!(document(&app, doc["Id"].as_str().unwrap()).await["Type"], kind);
        }
        assert_eq!(app.mp_get(&format!("/disputes/{dispute}/documents")).await.counts(), (7, 1));
    }

    async fn a_document_needs_a_valid_type_and_a_tag_of_at_most_255_characters(app) {
        let dispute = app.open_dispute().await;
        let path = format!("/disputes/{dispute}/documents");
        let wrong = [json!({"Type": null}), json!({"Type": "PASSPORT"}), json!({"Type": "invoice"}), json!({"Type": 3})];
        for body in [json!({}), json!({"Tag": "x"})].into_iter().chain(wrong) {
            let reply = app.mp_post(&path, body.clone()).await;
            assert_eq!(reply.status, 400, "{body}: {}", reply.body);
            reply.expect_mp_field_error(400, "param_error", "Type");
        }
        app.mp_post(&path, json!({"Type": "INVOICE", "Tag": "t".repeat(256)})).await.expect_mp_field_error(400, "param_error", "Tag");
        let malformed = app.mp_request(Method::POST, &path).await.body(r#"{"Type": "INVOICE""#);
        let body = app.mp_send(malformed).await.expect_mp_error(400, "param_error");
        assert!(body["errors"].as_object().is_some_and(|e| !e.is_empty()), "{body}");
        assert_eq!(app.mp_get(&path).await.counts(), (0, 0));
        let longest = app.mp_post(&path, json!({"Type": "INVOICE", "Tag": "t".repeat(255)})).await.expect(200);
        assert_eq!(longest["Tag"].as_str().unwrap().len(), 255);
    }

    async fn documents_are_created_only_while_the_dispute_awaits_the_merchant(app) {
        for id in [PENDING_DISPUTE, "dspt_test_5demowon90000000000", "dspt_test_5demolost1100000000"] {
            let before = app.mp_get(&format!("/disputes/{id}/documents")).await.counts();
            let reply = app.mp_post(&format!("/disputes/{id}/documents"), json!({"Type": "INVOICE"})).await;
            reply.expect_mp_field_error(400, "param_error", "Status");
            assert_eq!(app.mp_get(&format!("/disputes/{id}/documents")).await.counts(), before, "{id}");
        }
        // Once the bank reopens it, the merchant may add evidence again.
        let reopen = format!("/ops/disputes/{PENDING_DISPUTE}/reopen");
        app.ops(Method::POST, &reopen, json!({"admin_message": "More, please"})).await.expect(200);
        let doc = app.mp_document(PENDING_DISPUTE, "USER_CORRESPONDANCE").await;
        let id = doc["Id"].as_str().unwrap();
        app.mp_page(PENDING_DISPUTE, id, JPEG).await.expect_no_content();
        assert_eq!(app.mp_submit_document(PENDING_DISPUTE, id).await.expect(200)["Status"], "VALIDATION_ASKED");
    }

    async fn pages_go_only_to_a_created_document_on_a_dispute_awaiting_the_merchant(app) {
        let (dispute, id) = document_with_a_page(&app, "INVOICE").await;
        app.mp_submit_document(&dispute, &id).await.expect(200);
        let blobs = app.blob_keys().await;
        app.mp_page(&dispute, &id, JPEG).await.expect_mp_field_error(400, "param_error", "Status");
        assert_eq!(app.mp_page_bytes(&id).await.len(), 1);
        // A CREATED document of a dispute that has been conceded takes no page either.
        let (dispute, id) = document_with_a_page(&app, "INVOICE").await;
        app.mp_put(&format!("/disputes/{dispute}/close"), json!({})).await.expect(200);
        let blobs_now = app.blob_keys().await;
        app.mp_page(&dispute, &id, JPEG).await.expect_mp_field_error(400, "param_error", "Status");
        assert_eq!(app.blob_keys().await, blobs_now);
        assert!(blobs.len() < blobs_now.len());
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
    }

    async fn a_document_is_submitted_once_with_a_page_and_only_to_validation_asked(app) {
        let dispute = app.open_dispute().await;
        let empty = app.mp_document(&dispute, "INVOICE").await;
        let id = empty["Id"].as_str().unwrap().to_owned();
        app.mp_submit_document(&dispute, &id).await.expect_mp_field_error(400, "param_error", "Status");
        assert_eq!(document(&app, &id).await["Status"], "CREATED");
        app.mp_page(&dispute, &id, PNG).await.expect_no_content();
        let path = format!("/disputes/{dispute}/documents/{id}");
        for status in [json!("VALIDATED"), json!("CREATED"), json!("REFUSED"), json!("validation_asked"), json!(null), json!(1)] {
            let reply = app.mp_put(&path, json!({"Status": status})).await;
            assert_eq!(reply.status, 400, "{status}: {}", reply.body);
            reply.expect_mp_field_error(400, "param_error", "Status");
        }
        app.mp_put(&path, json!({"Tag": "no status"})).await.expect_mp_error(400, "param_error");
        let long_tag = json!({"Status": "VALIDATION_ASKED", "Tag": "t".repeat(256)});
        app.mp_put(&path, long_tag).await.expect_mp_field_error(400, "param_error", "Tag");
        assert_eq!(document(&app, &id).await["Status"], "CREATED");
        app.mp_submit_document(&dispute, &id).await.expect(200);
        app.mp_submit_document(&dispute, &id).await.expect_mp_field_error(400, "param_error", "Status");
    }

    async fn node_puts_the_whole_document_and_only_status_and_tag_count(app) {
        let (dispute, id) = document_with_a_page(&app, "DELIVERY_PROOF").await;
        let mut whole = document(&app, &id).await;
        whole["Status"] = json!("VALIDATION_ASKED");
        whole["Tag"] = json!("from-node");
        whole["Type"] = json!("INVOICE");
        whole["DisputeId"] = json!("dspt_test_0000000000000000000");
        whole["ProcessedDate"] = json!(null);
        whole["CreationDate"] = json!(1);
        let submitted = app.mp_put(&format!("/disputes/{dispute}/documents/{id}"), whole).await.expect(200);
        assert_eq!((submitted["Status"].clone(), submitted["Tag"].clone()), (json!("VALIDATION_ASKED"), json!("from-node")));
        assert_eq!((submitted["Type"].clone(), submitted["DisputeId"].clone()), (json!("DELIVERY_PROOF"), json!(dispute)));
        assert_ne!(submitted["CreationDate"], 1);
        assert_eq!(document(&app, &id).await, submitted);
    }

    async fn unknown_documents_are_404_ressource_not_found_with_an_errors_object(app) {
        let (dispute, id) = document_with_a_page(&app, "INVOICE").await;
        let unknown = "docu_test_0000000000000000000";
        let submit = json!({"Status": "VALIDATION_ASKED"});
        let page = json!({"File": b64(PNG)});
        let replies = vec![
            app.mp_get(&format!("/dispute-documents/{unknown}")).await,
            app.mp_get("/dispute-documents/nope").await,
            app.mp_post(&format!("/dispute-documents/{unknown}/consult"), json!({})).await,
            app.mp_put(&format!("/disputes/{dispute}/documents/{unknown}"), submit.clone()).await,
            app.mp_post(&format!("/disputes/{dispute}/documents/{unknown}/pages"), page.clone()).await,
            // A real document under another dispute's path.
            app.mp_put(&format!("/disputes/{OPEN_DISPUTE}/documents/{id}"), submit.clone()).await,
            app.mp_post(&format!("/disputes/{OPEN_DISPUTE}/documents/{id}/pages"), page.clone()).await,
            // An unknown dispute with a real document.
            app.mp_put(&format!("/disputes/dspt_test_0000000000000000000/documents/{id}"), submit).await,
            app.mp_post(&format!("/disputes/dspt_test_0000000000000000000/documents/{id}/pages"), page).await,
        ];
        for reply in replies {
            let body = reply.expect_mp_error(404, "ressource_not_found");
            assert!(body["errors"].as_object().is_some_and(|e| !e.is_empty()), "{body}");
        }
        assert_eq!(document(&app, &id).await["Status"], "CREATED");
        assert_eq!(app.mp_page_bytes(&id).await.len(), 1);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
        // Another account's document does not exist for this ClientId.
        let other = app.token(MP_OTHER_CLIENT, MP_OTHER_KEY).await;
        let path = format!("/v2.01/{MP_OTHER_CLIENT}/dispute-documents/{id}");
        app.mp_send(app.mp_request_as(&other, Method::GET, &path)).await.expect_mp_error(404, "ressource_not_found");
        let theirs = app.mp_send(app.mp_request_as(&other, Method::GET, &format!("/v2.01/{MP_OTHER_CLIENT}/dispute-documents"))).await;
        assert_eq!(theirs.counts(), (0, 0));
    }

    async fn consult_gives_one_expiring_link_a_page_that_serves_it_without_a_token(app) {
        let dispute = app.open_dispute().await;
        let id = app.mp_document(&dispute, "INVOICE").await["Id"].as_str().unwrap().to_owned();
        assert_eq!(app.mp_consult(&id).await, json!([]));
        let gif = padded(GIF_MAGIC, "a gif page", 2048);
        let pdf = padded(PDF_MAGIC, "a pdf page", 4096);
        for page in [PNG, JPEG, &gif[..], &pdf[..]] {
            app.mp_page(&dispute, &id, page).await.expect_no_content();
        }
        let now = app.state.core.clock.now().timestamp();
        let items = app.mp_consult(&id).await;
        let items = items.as_array().unwrap();
        assert_eq!(items.len(), 4);
        let expected = [(PNG, "image/png"), (JPEG, "image/jpeg"), (&gif[..], "image/gif"), (&pdf[..], "application/pdf")];
        for (item, (bytes, content_type)) in items.iter().zip(expected) {
            assert_eq!(item.as_object().unwrap().len(), 2, "{item}");
            let expires = item["ExpirationDate"].as_i64().unwrap();
            assert!((now + 595..=now + 605).contains(&expires), "ten minutes: {expires} vs {now}");
            let url = item["Url"].as_str().unwrap();
            let response = app.client.get(url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            assert_eq!(response.headers()["content-type"], content_type);
            assert_eq!(&response.bytes().await.unwrap()[..], bytes);
        }
        // Python posts {} and the PHP SDK adds paging: the same links.
        let python = app.mp_post(&format!("/dispute-documents/{id}/consult"), json!({})).await.expect(200);
        assert_eq!(python.as_array().unwrap().len(), 4);
        let php = app.mp_post(&format!("/dispute-documents/{id}/consult?page=1&per_page=10"), json!({})).await.expect(200);
        assert_eq!(php.as_array().unwrap().len(), 4);

        // Eleven minutes later the links are dead; a new consult gives live ones.
        let url = items[0]["Url"].as_str().unwrap().to_owned();
        app.state.core.clock.advance(TimeDelta::minutes(11));
        let expired = app.client.get(&url).send().await.unwrap();
        assert!(expired.status().is_client_error(), "{}", expired.status());
        assert_eq!(app.mp_page_bytes(&id).await[0], PNG);
        // Tampering with a link breaks it.
        let fresh = app.mp_consult(&id).await[1]["Url"].as_str().unwrap().to_owned();
        let mut tampered = fresh.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(app.client.get(&tampered).send().await.unwrap().status().is_client_error());
    }

    async fn the_operator_validates_or_refuses_a_submitted_document(app) {
        let (dispute, good) = document_with_a_page(&app, "INVOICE").await;
        let bad = app.mp_document(&dispute, "DELIVERY_PROOF").await["Id"].as_str().unwrap().to_owned();
        app.mp_page(&dispute, &bad, JPEG).await.expect_no_content();
        let validate = format!("/ops/disputes/{dispute}/documents/{good}/validate");
        // Only a document awaiting validation can be reviewed.
        app.ops(Method::POST, &validate, json!({})).await.expect_error(422, "document_not_submitted");
        for id in [&good, &bad] {
            app.mp_submit_document(&dispute, id).await.expect(200);
        }
        let answer = app.ops(Method::POST, &validate, json!({})).await.expect(200);
        assert_eq!((answer["object"].clone(), answer["id"].clone()), (json!("document"), json!(good)));
        assert_eq!(answer["status"], "validated");
        let refuse = json!({"reason_type": "DOCUMENT_UNREADABLE", "message": "Too blurry to read"});
        let answer = app.ops(Method::POST, &format!("/ops/disputes/{dispute}/documents/{bad}/refuse"), refuse).await.expect(200);
        assert_eq!((answer["id"].clone(), answer["status"].clone()), (json!(bad), json!("refused")));
        app.ops(Method::POST, &validate, json!({})).await.expect_error(422, "document_not_submitted");
        let now = app.state.core.clock.now().timestamp();
        let validated = document(&app, &good).await;
        assert_eq!((validated["Status"].clone(), validated["RefusedReasonType"].clone()), (json!("VALIDATED"), Value::Null));
        assert!(validated["ProcessedDate"].as_i64().is_some_and(|t| t <= now), "{validated}");
        let refused = document(&app, &bad).await;
        assert_eq!(refused["Status"], "REFUSED");
        assert_eq!(refused["RefusedReasonType"], "DOCUMENT_UNREADABLE");
        assert_eq!(refused["RefusedReasonMessage"], "Too blurry to read");
        assert!(refused["ProcessedDate"].is_i64(), "{refused}");
        // Reviewed documents take no pages and cannot be submitted again.
        app.mp_page(&dispute, &bad, PNG).await.expect_mp_error(400, "param_error");
        app.mp_submit_document(&dispute, &good).await.expect_mp_error(400, "param_error");
        let reply = app.mp_get(&format!("/disputes/{dispute}/documents?Status=VALIDATED,REFUSED")).await;
        assert_eq!(reply.counts(), (2, 1));
    }

    async fn contesting_a_dispute_submits_its_created_documents(app) {
        let (dispute, first) = document_with_a_page(&app, "INVOICE").await;
        let second = app.mp_document(&dispute, "DELIVERY_PROOF").await["Id"].as_str().unwrap().to_owned();
        app.mp_page(&dispute, &second, JPEG).await.expect_no_content();
        let d = app.mp_get(&format!("/disputes/{dispute}")).await.expect(200);
        let funds = json!({"ContestedFunds": {"Currency": d["DisputedFunds"]["Currency"], "Amount": 100}});
        app.mp_put(&format!("/disputes/{dispute}/submit"), funds).await.expect(200);
        for id in [&first, &second] {
            assert_eq!(document(&app, id).await["Status"], "VALIDATION_ASKED", "{id}");
        }
        app.mp_post(&format!("/disputes/{dispute}/documents"), json!({"Type": "OTHER"})).await.expect_mp_error(400, "param_error");
    }

    async fn the_seeded_omise_uploads_are_one_page_documents_in_mangopay_words(app) {
        let open = document(&app, OPEN_DOCUMENT).await;
        assert_eq!((open["Type"].clone(), open["Status"].clone()), (json!("INVOICE"), json!("CREATED")));
        assert_eq!(open["DisputeId"], OPEN_DISPUTE);
        assert_eq!(app.mp_page_bytes(OPEN_DOCUMENT).await, vec![PNG.to_vec()]);
        let pending = document(&app, "docu_test_5demopend6000000000").await;
        assert_eq!((pending["Type"].clone(), pending["Status"].clone()), (json!("DELIVERY_PROOF"), json!("VALIDATION_ASKED")));
        let won = document(&app, "docu_test_5demowon90000000000").await;
        assert_eq!(won["Type"], "USER_ACCEPTANCE_PROOF");
        let listed = app.mp_get(&format!("/disputes/{OPEN_DISPUTE}/documents")).await.expect(200);
        assert_eq!(listed, json!([open]));
    }

    async fn document_lists_filter_by_status_and_type_in_every_spelling_and_sort(app) {
        let dispute = app.open_dispute().await;
        let mut ids = Vec::new();
        for kind in ["DELIVERY_PROOF", "INVOICE", "OTHER"] {
            app.state.core.clock.advance(TimeDelta::minutes(1));
            let id = app.mp_document(&dispute, kind).await["Id"].as_str().unwrap().to_owned();
            app.mp_page(&dispute, &id, PNG).await.expect_no_content();
            ids.push(id);
        }
        app.mp_submit_document(&dispute, &ids[1]).await.expect(200);
        let list = async |path: &str, query: &str| mp_ids(&app.mp_get(&format!("{path}?{query}")).await.expect(200));
        let of_dispute = format!("/disputes/{dispute}/documents");
        assert_eq!(list(&of_dispute, "").await, vec![ids[2].clone(), ids[1].clone(), ids[0].clone()]);
        assert_eq!(list(&of_dispute, "Sort=CreationDate:ASC").await, ids);
        assert_eq!(list(&of_dispute, "Status=VALIDATION_ASKED").await, vec![ids[1].clone()]);
        let created = vec![ids[2].clone(), ids[0].clone()];
        let spellings = ["Type=DELIVERY_PROOF&Type=OTHER", "Type[]=DELIVERY_PROOF&Type[]=OTHER", "type=OTHER,%20DELIVERY_PROOF"];
        for query in ["Status=CREATED", "Type=DELIVERY_PROOF,OTHER"].into_iter().chain(spellings) {
            assert_eq!(list(&of_dispute, query).await, created, "{query}");
        }
        assert_eq!(list(&of_dispute, "Status=CREATED&Type=INVOICE").await, Vec::<String>::new());
        // The client-wide list filters the same way, over every dispute.
        let query = "Status=CREATED,VALIDATION_ASKED&Type[]=INVOICE&Type[]=DELIVERY_PROOF&per_page=100";
        let everywhere = list("/dispute-documents", query).await;
        assert!(everywhere.contains(&ids[0]) && everywhere.contains(&ids[1]) && !everywhere.contains(&ids[2]));
        assert!(everywhere.contains(&OPEN_DOCUMENT.to_owned()), "{everywhere:?}");
        let submitted = sorted(list("/dispute-documents", "Status=VALIDATION_ASKED&per_page=100").await);
        for id in ["docu_test_5demopend6000000000", ids[1].as_str()] {
            assert!(submitted.contains(&id.to_owned()), "{id}: {submitted:?}");
        }
        let after = app.state.core.clock.now().timestamp() - 90;
        assert_eq!(list("/dispute-documents", &format!("AfterDate={after}&Sort=CreationDate:ASC")).await, ids[1..].to_vec());
        let reply = app.mp_get(&format!("{of_dispute}?per_page=2&Status=CREATED,VALIDATION_ASKED")).await;
        assert_eq!(reply.counts(), (3, 2));
        let next = mp_links(&reply.headers)["next"].clone();
        assert!(!next.contains(','), "{next}");
        let token = app.mp_token().await;
        let rest = app.mp_send(app.client.get(&next).bearer_auth(token)).await.expect(200);
        assert_eq!(mp_ids(&rest), vec![ids[0].clone()]);
    }
}
