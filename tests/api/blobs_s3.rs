//! The blob store on real S3 requests (moto's server, one per test, on Postgres): uploads,
//! downloads, deletes, the limits and refusals leave nothing behind, not even an incomplete
//! multipart upload; the sweep; and two deployments sharing one bucket under two prefixes.

use crate::helpers::*;
use crate::moto::Moto;
use chrono::TimeDelta;
use reqwest::Method;
use reqwest::multipart::{Form, Part};

async fn s3_app(moto: &Moto, bucket: &str, prefix: &str) -> TestApp {
    let url = format!("s3://{bucket}/{prefix}");
    let options = moto.options();
    TestApp::spawn_on(Backend::Postgres, BlobConfig::S3 { url, options }, |_| {}).await
}

/// The bucket's object keys under `prefix/`, with the prefix taken off, leaving out the evidence
/// packets (kept under `packets/`, apart from what rows name: the seeder freezes some).
async fn objects_under(moto: &Moto, bucket: &str, prefix: &str) -> Vec<String> {
    let start = format!("{prefix}/");
    moto.objects(bucket)
        .await
        .into_iter()
        .filter_map(|k| k.strip_prefix(&start).map(str::to_owned))
        .filter(|k| !k.starts_with("packets/"))
        .collect()
}

async fn sweep(app: &TestApp, later: TimeDelta) -> dispute_docs::sweep::Swept {
    let core = &app.state.core;
    let grace = app.state.settings.sweep_grace();
    dispute_docs::sweep::sweep(&core.store, &core.blobs, core.clock.now() + later, grace)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_document_round_trips_under_the_prefix_and_leaves_no_upload_behind() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let app = s3_app(&moto, &bucket, "staging/eu").await;
    let seeded = objects_under(&moto, &bucket, "staging/eu").await;
    assert!(
        !seeded.is_empty(),
        "the demo documents' files are in the bucket"
    );
    assert_eq!(seeded, app.row_blob_keys().await);

    let dispute = app.open_dispute().await;
    // Ten megabytes: two parts of S3's minimum size.
    let big = real(FileType::Pdf, "two parts", 10 * 1024 * 1024);
    let doc = app
        .upload(&dispute, "big.pdf", &big, None)
        .await
        .expect(200);
    let keys = objects_under(&moto, &bucket, "staging/eu").await;
    assert_eq!(keys, app.row_blob_keys().await);
    assert_eq!(keys.len(), seeded.len() + 1);
    assert!(keys.iter().all(|k| k.starts_with("documents/")), "{keys:?}");
    assert!(moto.objects(&bucket).await.iter().all(
        |k| k.starts_with("staging/eu/documents/") || k.starts_with("staging/eu/packets/")
    ));
    assert_eq!(moto.multipart_uploads(&bucket).await, Vec::<String>::new());

    let file = app
        .client
        .get(doc["download_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.headers()["content-length"],
        big.len().to_string().as_str()
    );
    assert!(file.bytes().await.unwrap() == big);

    let id = doc["id"].as_str().unwrap();
    app.delete_document(&dispute, id).await.expect(200);
    assert_eq!(objects_under(&moto, &bucket, "staging/eu").await, seeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_refused_uploads_leave_no_object_and_no_multipart_upload() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let app = s3_app(&moto, &bucket, "refusals").await;
    let before = moto.objects(&bucket).await;
    let dispute = app.open_dispute().await;
    let huge = real(FileType::Pdf, "huge", 11 * 1024 * 1024);
    app.upload(&dispute, "huge.pdf", &huge, None)
        .await
        .expect_error(413, "file_too_large");
    app.upload(&dispute, "x.png", b"not an image", None)
        .await
        .expect_error(400, "invalid_file_type");
    // A bad field after the file: the stored file goes again.
    let form = Form::new()
        .part(
            "file",
            Part::bytes(huge[..6 * 1024 * 1024].to_vec()).file_name("a.pdf"),
        )
        .text("kind", "selfie");
    let req = app
        .request(Method::POST, &format!("/disputes/{dispute}/documents"))
        .multipart(form);
    app.send(req).await.expect_error(400, "bad_request");
    assert_eq!(moto.objects(&bucket).await, before);
    assert_eq!(moto.multipart_uploads(&bucket).await, Vec::<String>::new());
    assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_the_sweep_removes_old_orphans_and_aborts_uploads_that_never_finished() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let app = s3_app(&moto, &bucket, "sweep").await;
    let blobs = &app.state.core.blobs;
    blobs
        .put(
            "documents/orphan",
            bytes::Bytes::from_static(b"left behind"),
        )
        .await
        .unwrap();
    // An upload whose process died: started, never finished nor aborted.
    let mut writer = blobs.writer("documents/unfinished").await.unwrap();
    writer.write(b"%PDF-1.4\n").await.unwrap();
    drop(writer);
    assert_eq!(
        moto.multipart_uploads(&bucket).await,
        ["sweep/documents/unfinished"]
    );

    let swept = sweep(&app, TimeDelta::zero()).await;
    assert_eq!(
        (swept.orphans, swept.partial_uploads),
        (0, 0),
        "young: maybe in flight"
    );
    assert_eq!(moto.multipart_uploads(&bucket).await.len(), 1);

    let swept = sweep(
        &app,
        app.state.settings.sweep_grace() + TimeDelta::minutes(1),
    )
    .await;
    assert_eq!((swept.orphans, swept.partial_uploads), (1, 1));
    assert_eq!(moto.multipart_uploads(&bucket).await, Vec::<String>::new());
    assert_eq!(
        objects_under(&moto, &bucket, "sweep").await,
        app.row_blob_keys().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_prefixes_in_one_bucket_neither_see_nor_sweep_each_others_files() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let staging = s3_app(&moto, &bucket, "staging").await;
    let production = s3_app(&moto, &bucket, "production").await;
    for app in [&staging, &production] {
        let dispute = app.open_dispute().await;
        app.upload(&dispute, "a.pdf", PDF, None).await.expect(200);
        let blobs = &app.state.core.blobs;
        blobs
            .put("documents/orphan", bytes::Bytes::from_static(b"old"))
            .await
            .unwrap();
        drop(blobs.writer("documents/unfinished").await.unwrap());
    }
    // Each sees its own files only (the demo data's keys are the same in both).
    for app in [&staging, &production] {
        let mut expected = app.row_blob_keys().await;
        expected.push("documents/orphan".into());
        expected.sort();
        assert_eq!(app.blob_keys().await, expected);
    }
    let production_objects = objects_under(&moto, &bucket, "production").await;

    // Staging sweeps everything of its own that no row names, and nothing of production's.
    let swept = sweep(
        &staging,
        staging.state.settings.sweep_grace() + TimeDelta::minutes(1),
    )
    .await;
    assert_eq!((swept.orphans, swept.partial_uploads), (1, 1));
    assert_eq!(staging.blob_keys().await, staging.row_blob_keys().await);
    assert_eq!(
        objects_under(&moto, &bucket, "production").await,
        production_objects
    );
    assert_eq!(
        moto.multipart_uploads(&bucket).await,
        ["production/documents/unfinished"]
    );

    let swept = sweep(
        &production,
        production.state.settings.sweep_grace() + TimeDelta::minutes(1),
    )
    .await;
    assert_eq!((swept.orphans, swept.partial_uploads), (1, 1));
    assert_eq!(
        production.blob_keys().await,
        production.row_blob_keys().await
    );
    assert_eq!(moto.multipart_uploads(&bucket).await, Vec::<String>::new());
    assert_eq!(staging.blob_keys().await, staging.row_blob_keys().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_downloads_answer_byte_ranges_read_as_ranges() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let app = s3_app(&moto, &bucket, "ranges").await;
    let dispute = app.open_dispute().await;
    // Over one S3 part, so that ranges cross the parts' boundary.
    let bytes = crate::ranges::pdf_of(7 * 1024 * 1024 + 3);
    let doc = app
        .upload(&dispute, "big.pdf", &bytes, None)
        .await
        .expect(200);
    crate::ranges::check_ranges(doc["download_uri"].as_str().unwrap(), &bytes).await;
    let id = app.mp_document(&dispute, "INVOICE").await["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = crate::ranges::pdf_of(MP_MAX_PAGE);
    app.mp_page(&dispute, &id, &page).await.expect_no_content();
    let items = app.mp_consult(&id).await;
    crate::ranges::check_ranges(items[0]["Url"].as_str().unwrap(), &page).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_uploads_racing_a_patch_are_either_submitted_with_it_or_refused_without_a_trace() {
    let moto = Moto::start().await;
    let bucket = moto.bucket().await;
    let app = std::sync::Arc::new(s3_app(&moto, &bucket, "race").await);
    crate::concurrency::race(&app).await;
    assert_eq!(
        objects_under(&moto, &bucket, "race").await,
        app.row_blob_keys().await
    );
    assert_eq!(moto.multipart_uploads(&bucket).await, Vec::<String>::new());
}
