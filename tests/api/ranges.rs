//! Downloads with `Range`: 206 with `Content-Range`, `Accept-Ranges: bytes`, the SHA-256 as the
//! `ETag`, `If-Range`, 416 for a range outside the file; on both dialects' download routes, on
//! Postgres and SQLite over a local directory, and on S3 (moto, `blobs_s3.rs`).

use crate::helpers::*;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A real PDF of `len` bytes, nearly all of it a stream whose every byte depends on where it
/// is, so that a range taken from the wrong place shows.
pub fn pdf_of(len: usize) -> Vec<u8> {
    real(dispute_docs::domain::FileType::Pdf, "ranges", len)
}

async fn get(uri: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the download is answered")
}

/// Asserts a 206 of `bytes[start..end]`.
async fn expect_part(response: reqwest::Response, bytes: &[u8], start: usize, end: usize) {
    assert_eq!(response.status(), 206);
    let headers = response.headers().clone();
    let total = bytes.len();
    assert_eq!(
        headers["content-range"],
        format!("bytes {start}-{}/{total}", end - 1).as_str()
    );
    assert_eq!(
        headers["content-length"],
        (end - start).to_string().as_str()
    );
    assert_eq!(headers["accept-ranges"], "bytes");
    let body = response.bytes().await.unwrap();
    assert!(body[..] == bytes[start..end], "the bytes of {start}..{end}");
}

/// Every range behaviour of a download link serving `bytes`.
pub async fn check_ranges(uri: &str, bytes: &[u8]) {
    let len = bytes.len();
    let etag = format!("\"{}\"", hex::encode(Sha256::digest(bytes)));

    let whole = get(uri, &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["etag"], etag.as_str());
    assert!(whole.headers().get("content-range").is_none());
    assert!(whole.bytes().await.unwrap() == bytes);

    expect_part(get(uri, &[("range", "bytes=0-99")]).await, bytes, 0, 100).await;
    expect_part(
        get(uri, &[("range", "bytes=-10")]).await,
        bytes,
        len - 10,
        len,
    )
    .await;
    // The middle of a large file: across read chunks and S3 parts.
    let (start, end) = (len / 3, 2 * len / 3 + 7);
    let middle = format!("bytes={start}-{}", end - 1);
    expect_part(get(uri, &[("range", &middle)]).await, bytes, start, end).await;
    // Past the end is cut to the end.
    let over = format!("bytes={}-{}", len - 5, len + 100);
    expect_part(get(uri, &[("range", &over)]).await, bytes, len - 5, len).await;

    // A download resumed where it stopped, on condition that the file is the same one.
    let half = len / 2;
    let first = get(uri, &[("range", &format!("bytes=0-{}", half - 1))]).await;
    let etag_seen = first.headers()["etag"].to_str().unwrap().to_owned();
    let mut resumed = first.bytes().await.unwrap().to_vec();
    let rest = get(
        uri,
        &[
            ("range", &format!("bytes={half}-")),
            ("if-range", &etag_seen),
        ],
    )
    .await;
    assert_eq!(rest.status(), 206);
    resumed.extend_from_slice(&rest.bytes().await.unwrap());
    assert!(resumed == bytes, "the halves make the file");

    // An If-Range that is not the current ETag: the whole file, 200.
    for stale in ["\"0000\"", "W/\"0000\"", "Mon, 30 Nov 2026 00:00:00 GMT"] {
        let response = get(uri, &[("range", "bytes=0-99"), ("if-range", stale)]).await;
        assert_eq!(response.status(), 200, "{stale}");
        assert_eq!(
            response.headers()["content-length"],
            len.to_string().as_str()
        );
        assert!(response.bytes().await.unwrap() == bytes);
    }
    // Several ranges or another unit: the whole file.
    for range in ["bytes=0-1,10-20", "pages=1"] {
        let response = get(uri, &[("range", range)]).await;
        assert_eq!(response.status(), 200, "{range}");
        assert!(response.bytes().await.unwrap() == bytes);
    }
    // Outside the file, or malformed: 416 with the size.
    for range in [
        format!("bytes={len}-"),
        format!("bytes={}-{}", len + 10, len + 20),
        "bytes=9-1".into(),
        "bytes=x".into(),
    ] {
        let response = get(uri, &[("range", &range)]).await;
        assert_eq!(response.status(), 416, "{range}");
        assert_eq!(
            response.headers()["content-range"],
            format!("bytes */{len}").as_str()
        );
    }
}

each_backend! {
    async fn an_omise_download_answers_byte_ranges_and_if_range(app) {
        let dispute = app.open_dispute().await;
        let bytes = pdf_of(3 * 1024 * 1024 + 17);
        let doc = app.upload(&dispute, "big.pdf", &bytes, None).await.expect(200);
        let uri = doc["download_uri"].as_str().unwrap();
        check_ranges(uri, &bytes).await;
        // A part still carries the whole file's name and digest.
        let part = app.client.get(uri).header("range", "bytes=0-9").send().await.unwrap();
        assert!(part.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
        assert!(part.headers().get("repr-digest").is_some());
    }

    async fn a_mangopay_consulted_page_answers_byte_ranges_and_if_range(app) {
        let dispute = app.open_dispute().await;
        let id = app.mp_document(&dispute, "INVOICE").await["Id"].as_str().unwrap().to_owned();
        let bytes = pdf_of(MP_MAX_PAGE / 2);
        app.mp_page(&dispute, &id, &bytes).await.expect_no_content();
        let items = app.mp_consult(&id).await;
        let url = items[0]["Url"].as_str().unwrap();
        check_ranges(url, &bytes).await;
        assert_eq!(items.as_array().unwrap().len(), 1, "{}", json!(items));
    }
}
