//! The status guard under contention: uploads racing the PATCH that submits the dispute.

use std::sync::Arc;

use crate::helpers::*;
use dispute_docs::domain::{Id, IdKind, ListQuery};

const UPLOADS: usize = 50;
const ROUNDS: usize = 3;

/// 50 uploads and one PATCH, all in flight together; then the books must balance.
pub(crate) async fn race(app: &Arc<TestApp>) {
    let dispute = app.open_dispute().await;
    let mut uploads = Vec::new();
    let mut patch = None;
    for i in 0..UPLOADS {
        if i == UPLOADS / 2 {
            let (app, dispute) = (app.clone(), dispute.clone());
            patch = Some(tokio::spawn(
                async move { app.update(&dispute, "racing").await },
            ));
        }
        let (app, dispute) = (app.clone(), dispute.clone());
        uploads.push(tokio::spawn(async move {
            app.upload(&dispute, &format!("{i}.png"), PNG, None).await
        }));
    }
    patch.unwrap().await.unwrap().expect(200);
    let mut accepted = Vec::new();
    for upload in uploads {
        let reply = upload.await.unwrap();
        if reply.status == 200 {
            accepted.push(reply.body["id"].as_str().unwrap().to_owned());
        } else {
            reply.expect_error(422, "dispute_not_open");
        }
    }

    let id = Id::parse(IdKind::Dispute, &dispute).unwrap();
    let query = ListQuery {
        limit: 100,
        ..ListQuery::first_page(app.state.core.clock.now() + chrono::TimeDelta::hours(1))
    };
    let rows = app
        .state
        .core
        .store
        .list_documents(&app.scope(), &id, &query)
        .await
        .unwrap()
        .unwrap();
    let mut row_ids: Vec<String> = rows.items.iter().map(|d| d.id.to_string()).collect();
    row_ids.sort();
    accepted.sort();
    assert_eq!(
        row_ids, accepted,
        "every accepted upload, and only those, has a row"
    );
    // The PATCH marked every row it could see submitted; a row committed after it would not be.
    assert!(
        rows.items.iter().all(|d| d.submitted_at.is_some()),
        "a document row was committed after the PATCH"
    );
    let embedded = app.get(&format!("/disputes/{dispute}")).await.expect(200);
    assert_eq!(embedded["documents"]["total"], accepted.len());
    assert_eq!(
        app.blob_keys().await,
        app.row_blob_keys().await,
        "blobs and rows disagree"
    );
}

each_backend! {
    async fn uploads_racing_a_patch_are_either_submitted_with_it_or_refused_without_a_trace(app) {
        let app = Arc::new(app);
        for _ in 0..ROUNDS {
            race(&app).await;
        }
    }
}
