//! The status guard under contention, through the Mangopay dialect: page uploads racing the PUT
//! that submits their document, and racing the contest that submits their dispute.

use std::sync::Arc;

use crate::helpers::*;
use serde_json::json;

const PAGES: usize = 30;
const ROUNDS: usize = 3;

/// A page unique to `i`, so that each one can be found again by its bytes.
fn page(i: usize) -> Vec<u8> {
    padded(PDF_MAGIC, &format!("racing page {i}"), 1100)
}

/// `PAGES` page uploads with `submit` started among them; returns the pages accepted (204),
/// after checking every other upload was refused with 400 param_error.
async fn race<F>(app: &Arc<TestApp>, dispute: &str, document: &str, submit: F) -> Vec<Vec<u8>>
where
    F: Future<Output = Reply> + Send + 'static,
{
    let mut uploads = Vec::new();
    let mut submit = Some(submit);
    let mut submitted = None;
    for i in 0..PAGES {
        if i == PAGES / 2 {
            submitted = Some(tokio::spawn(submit.take().unwrap()));
        }
        let (app, dispute, document) = (app.clone(), dispute.to_owned(), document.to_owned());
        uploads.push(tokio::spawn(async move {
            (i, app.mp_page(&dispute, &document, &page(i)).await)
        }));
    }
    submitted.unwrap().await.unwrap().expect(200);
    let mut accepted = Vec::new();
    for upload in uploads {
        let (i, reply) = upload.await.unwrap();
        if reply.status == 204 {
            reply.expect_no_content();
            accepted.push(page(i));
        } else {
            reply.expect_mp_error(400, "param_error");
        }
    }
    accepted
}

/// After the race: the document's pages are exactly its first page and the accepted ones, it is
/// VALIDATION_ASKED (so nothing can follow), and blobs match rows.
async fn books_balance(app: &TestApp, document: &str, mut accepted: Vec<Vec<u8>>) {
    accepted.push(PNG.to_vec());
    let mut pages = app.mp_page_bytes(document).await;
    assert_eq!(
        pages.len(),
        accepted.len(),
        "one consult item per accepted page, no more"
    );
    pages.sort();
    accepted.sort();
    assert!(
        pages == accepted,
        "the consult list is the first page and every accepted upload"
    );
    let doc = app
        .mp_get(&format!("/dispute-documents/{document}"))
        .await
        .expect(200);
    assert_eq!(doc["Status"], "VALIDATION_ASKED");
    assert_eq!(
        app.blob_keys().await,
        app.row_blob_keys().await,
        "blobs and rows disagree"
    );
}

async fn document_with_a_page(app: &TestApp) -> (String, String) {
    let dispute = app.open_dispute().await;
    let id = app.mp_document(&dispute, "INVOICE").await["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.mp_page(&dispute, &id, PNG).await.expect_no_content();
    (dispute, id)
}

each_backend! {
    async fn pages_racing_their_documents_submission_are_either_in_it_or_refused_without_a_trace(app) {
        let app = Arc::new(app);
        app.mp_token().await;
        for _ in 0..ROUNDS {
            let (dispute, document) = document_with_a_page(&app).await;
            let submit = {
                let (app, dispute, document) = (app.clone(), dispute.clone(), document.clone());
                async move { app.mp_submit_document(&dispute, &document).await }
            };
            let accepted = race(&app, &dispute, &document, submit).await;
            books_balance(&app, &document, accepted).await;
        }
    }

    async fn pages_racing_the_disputes_contest_are_either_submitted_with_it_or_refused(app) {
        let app = Arc::new(app);
        app.mp_token().await;
        for _ in 0..ROUNDS {
            let (dispute, document) = document_with_a_page(&app).await;
            let d = app.mp_get(&format!("/disputes/{dispute}")).await.expect(200);
            let funds = json!({"ContestedFunds": {"Currency": d["DisputedFunds"]["Currency"], "Amount": 100}});
            let contest = {
                let (app, dispute) = (app.clone(), dispute.clone());
                async move { app.mp_put(&format!("/disputes/{dispute}/submit"), funds).await }
            };
            let accepted = race(&app, &dispute, &document, contest).await;
            books_balance(&app, &document, accepted).await;
        }
    }
}
