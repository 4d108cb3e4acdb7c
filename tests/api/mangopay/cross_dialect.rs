//! One dispute, two vocabularies (README): what one dialect does, the other reads at once.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

each_backend! {
    async fn an_omise_upload_is_a_one_page_created_document_in_mangopay(app) {
        let dispute = app.open_dispute().await;
        let receipt = app.upload(&dispute, "slip.jpg", JPEG, Some("proof_of_receipt")).await.expect(200);
        let untyped = app.upload(&dispute, "letter.pdf", PDF, None).await.expect(200);
        let list = app.mp_get(&format!("/disputes/{dispute}/documents?Sort=CreationDate:ASC")).await.expect(200);
        let ids = mp_ids(&list);
        let (receipt_id, untyped_id) = (receipt["id"].as_str().unwrap(), untyped["id"].as_str().unwrap());
        assert_eq!(ids.len(), 2, "{list}");
        assert!(ids.contains(&receipt_id.to_owned()) && ids.contains(&untyped_id.to_owned()));
        let doc = app.mp_get(&format!("/dispute-documents/{receipt_id}")).await.expect(200);
        assert_eq!((doc["Type"].clone(), doc["Status"].clone()), (json!("DELIVERY_PROOF"), json!("CREATED")));
        assert_eq!(doc["DisputeId"], dispute);
        assert_eq!(app.mp_get(&format!("/dispute-documents/{untyped_id}")).await.expect(200)["Type"], "OTHER");
        assert_eq!(app.mp_page_bytes(receipt_id).await, vec![JPEG.to_vec()]);
        // Under 1 KB is fine for Omise; Mangopay still serves the page it holds.
        assert_eq!(app.mp_page_bytes(untyped_id).await, vec![PDF.to_vec()]);
        let kinds = [("details_of_purchase", "INVOICE"), ("proof_of_acceptance", "USER_ACCEPTANCE_PROOF"), ("cardholder_details", "OTHER")];
        for (kind, expected) in kinds {
            let d = app.upload(&dispute, "x.png", PNG, Some(kind)).await.expect(200);
            let doc = app.mp_get(&format!("/dispute-documents/{}", d["id"].as_str().unwrap())).await.expect(200);
            assert_eq!(doc["Type"], expected, "{kind}");
        }
    }

    async fn a_mangopay_document_with_a_page_is_listed_by_omise_with_its_file(app) {
        let dispute = app.open_dispute().await;
        let doc = app.mp_document(&dispute, "INVOICE").await;
        let id = doc["Id"].as_str().unwrap();
        app.mp_page(&dispute, id, PNG).await.expect_no_content();
        let list = app.get(&format!("/disputes/{dispute}/documents")).await.expect(200);
        assert_eq!((list["total"].clone(), list["data"][0]["id"].clone()), (json!(1), json!(id)));
        let omise = app.get(&format!("/disputes/{dispute}/documents/{id}")).await.expect(200);
        assert_eq!((omise["kind"].clone(), omise["content_type"].clone()), (json!("details_of_purchase"), json!("image/png")));
        assert_eq!(omise["size"], PNG.len());
        let file = app.client.get(omise["download_uri"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(file.status(), 200);
        assert_eq!(&file.bytes().await.unwrap()[..], PNG);
        let embedded = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(embedded["documents"]["data"][0]["id"], id);
    }

    async fn an_omise_submission_makes_the_dispute_submitted_and_its_created_documents_validation_asked(app) {
        let dispute = app.open_dispute().await;
        let mangopay = app.mp_document(&dispute, "DELIVERY_PROOF").await["Id"].as_str().unwrap().to_owned();
        app.mp_page(&dispute, &mangopay, JPEG).await.expect_no_content();
        let omise = app.upload(&dispute, "receipt.png", PNG, Some("details_of_purchase")).await.expect(200);
        let omise = omise["id"].as_str().unwrap().to_owned();
        app.update(&dispute, "Delivered; slip attached").await.expect(200);
        let d = app.mp_get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!((d["Status"].clone(), d["ResultCode"].clone()), (json!("SUBMITTED"), json!("")));
        for id in [&mangopay, &omise] {
            assert_eq!(app.mp_get(&format!("/dispute-documents/{id}")).await.expect(200)["Status"], "VALIDATION_ASKED", "{id}");
        }
        let reply = app.mp_get(&format!("/disputes/{dispute}/documents?Status=VALIDATION_ASKED")).await;
        assert_eq!(reply.counts(), (2, 1));
        // Frozen for both dialects now.
        app.mp_page(&dispute, &mangopay, PNG).await.expect_mp_error(400, "param_error");
        app.mp_post(&format!("/disputes/{dispute}/documents"), json!({"Type": "OTHER"})).await.expect_mp_error(400, "param_error");
        app.upload(&dispute, "late.png", PNG, None).await.expect_error(422, "dispute_not_open");
    }

    async fn a_mangopay_close_makes_the_dispute_lost_in_omise(app) {
        let dispute = app.open_dispute().await;
        app.mp_put(&format!("/disputes/{dispute}/close"), json!({})).await.expect(200);
        let omise = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(omise["status"], "lost");
        assert!(omise["closed_at"].is_string(), "{omise}");
        app.update(&dispute, "too late").await.expect_error(422, "dispute_not_open");
        let lost = app.get("/disputes/closed?limit=100").await.expect(200);
        assert!(lost["data"].as_array().unwrap().iter().any(|d| d["id"] == dispute));
    }

    async fn a_mangopay_contest_is_pending_in_omise_and_an_omise_accept_is_lost_in_mangopay(app) {
        let contested = app.open_dispute().await;
        let d = app.mp_get(&format!("/disputes/{contested}")).await.expect(200);
        let funds = json!({"ContestedFunds": {"Currency": d["DisputedFunds"]["Currency"], "Amount": 500}});
        app.mp_put(&format!("/disputes/{contested}/submit"), funds).await.expect(200);
        assert_eq!(app.get(&format!("/disputes/{contested}")).await.expect(200)["status"], "pending");

        let accepted = app.open_dispute().await;
        app.accept(&accepted).await.expect(200);
        let d = app.mp_get(&format!("/disputes/{accepted}")).await.expect(200);
        assert_eq!((d["Status"].clone(), d["ResultCode"].clone()), (json!("CLOSED"), json!("LOST")));
        assert!(d["ClosedDate"].is_i64());
    }

    async fn an_operator_reopen_is_open_in_omise_and_reopened_in_mangopay(app) {
        let reopen = format!("/ops/disputes/{PENDING_DISPUTE}/reopen");
        app.ops(Method::POST, &reopen, json!({"admin_message": "More evidence"})).await.expect(200);
        assert_eq!(app.get(&format!("/disputes/{PENDING_DISPUTE}")).await.expect(200)["status"], "open");
        let d = app.mp_get(&format!("/disputes/{PENDING_DISPUTE}")).await.expect(200);
        assert_eq!((d["Status"].clone(), d["StatusMessage"].clone()), (json!("REOPENED_PENDING_CLIENT_ACTION"), json!("More evidence")));
        // An Omise upload on it is a Mangopay document, and an Omise submission resubmits it.
        let doc = app.upload(PENDING_DISPUTE, "more.png", PNG, None).await.expect(200);
        app.update(PENDING_DISPUTE, "here it is").await.expect(200);
        assert_eq!(app.mp_get(&format!("/disputes/{PENDING_DISPUTE}")).await.expect(200)["Status"], "SUBMITTED");
        let mp_doc = app.mp_get(&format!("/dispute-documents/{}", doc["id"].as_str().unwrap())).await.expect(200);
        assert_eq!(mp_doc["Status"], "VALIDATION_ASKED");
    }

    async fn omise_deletes_a_mangopay_draft_but_not_a_document_submitted_for_validation(app) {
        let dispute = app.open_dispute().await;
        let draft = app.mp_document(&dispute, "INVOICE").await["Id"].as_str().unwrap().to_owned();
        app.mp_page(&dispute, &draft, PNG).await.expect_no_content();
        app.mp_page(&dispute, &draft, JPEG).await.expect_no_content();
        let submitted = app.mp_document(&dispute, "OTHER").await["Id"].as_str().unwrap().to_owned();
        app.mp_page(&dispute, &submitted, PNG).await.expect_no_content();
        app.mp_submit_document(&dispute, &submitted).await.expect(200);

        let reply = app.delete_document(&dispute, &submitted).await;
        assert!(!reply.status.is_success(), "a document awaiting validation was deleted: {}", reply.body);
        assert_eq!(app.mp_get(&format!("/dispute-documents/{submitted}")).await.expect(200)["Status"], "VALIDATION_ASKED");
        assert_eq!(app.mp_page_bytes(&submitted).await.len(), 1);

        app.delete_document(&dispute, &draft).await.expect(200);
        app.mp_get(&format!("/dispute-documents/{draft}")).await.expect_mp_error(404, "ressource_not_found");
        assert_eq!(mp_ids(&app.mp_get(&format!("/disputes/{dispute}/documents")).await.expect(200)), vec![submitted]);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await, "both pages' blobs go with the draft");
    }
}
