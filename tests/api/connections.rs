//! A keep-alive connection outlives a request whose body the server had no use for: the body is
//! read out before the answer (at most 256 KiB, within two seconds) and the next request on the
//! same connection is answered; one too large to read out is answered with `Connection: close`,
//! so that the client knows not to send another on it. Without this, hyper closed such a
//! connection silently whenever the body had not all arrived by the answer, and a client that
//! reuses connections (Node's default agent, a Python session) failed its next request with no
//! answer at all (`src/serve.rs`).

use crate::helpers::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BOUNDARY: &str = "connections-test-boundary";

fn address(app: &TestApp) -> String {
    app.base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

fn basic() -> String {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    format!("Basic {key}")
}

/// A multipart upload of `size` bytes of file.
fn upload_body(size: usize) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nreceipt\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'x', size));
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").into_bytes());
    body
}

fn upload_head(address: &str, path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: {}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n",
        basic()
    )
}

/// Reads answers until `count` of them have begun (and the last one's body is in, for the small
/// JSON answers these tests get), or the connection closes; what was read.
async fn read_answers(stream: &mut TcpStream, count: usize) -> String {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut answers = String::new();
    loop {
        let begun = answers.matches("HTTP/1.1 ").count();
        if begun >= count && answers.trim_end().ends_with('}') {
            return answers;
        }
        let n = stream.read(&mut buffer).await.unwrap_or(0);
        if n == 0 {
            return answers;
        }
        answers.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
}

fn statuses(answers: &str) -> Vec<&str> {
    answers
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &answers[i + 9..i + 12])
        .collect()
}

/// An upload refused before its file is read (the dispute does not exist), its body sent only
/// after the headers: no answer until the body is in, then the 404, then the next request on the
/// same connection is answered too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_refused_before_its_body_arrives_leaves_the_connection_usable() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = address(&app);
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let body = upload_body(100 * 1024);
    let head = upload_head(
        &address,
        "/disputes/dspt_test_5nosuchdispute0000000/documents",
        body.len(),
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    assert_no_answer_yet(&mut stream).await;
    stream.write_all(&body).await.unwrap();
    let next = format!(
        "GET /disputes/{OPEN_DISPUTE} HTTP/1.1\r\nHost: {address}\r\nAuthorization: {}\r\n\r\n",
        basic()
    );
    stream.write_all(next.as_bytes()).await.unwrap();
    let answers = read_answers(&mut stream, 2).await;
    assert_eq!(statuses(&answers), ["404", "200"], "{answers}");
    assert!(
        !answers.to_ascii_lowercase().contains("connection: close"),
        "{answers}"
    );
}

/// A body larger than what is read out, refused: the answer says `Connection: close`, and the
/// connection is closed after it rather than left to fail the client's next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_body_too_large_to_read_out_is_answered_with_connection_close() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = address(&app);
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let body = upload_body(2 * 1024 * 1024);
    let head = upload_head(
        &address,
        "/disputes/dspt_test_5nosuchdispute0000000/documents",
        body.len(),
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The first 64 KiB only: the rest never comes.
    stream.write_all(&body[..64 * 1024]).await.unwrap();
    let answers = read_answers(&mut stream, 1).await;
    assert_eq!(statuses(&answers), ["404"], "{answers}");
    assert!(
        answers
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{answers}"
    );
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "the connection stayed open: {closed:?}"
    );
}

/// A route that takes no body, sent one slowly (a PATCH to accept, with a form the route has no
/// use for): the body is read out and the next request is answered on the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_the_route_never_reads_is_read_out_and_the_connection_serves_the_next_request() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = address(&app);
    let id = app.open_dispute().await;
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PATCH /disputes/{id}/accept HTTP/1.1\r\nHost: {address}\r\nAuthorization: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 8\r\n\r\n",
        basic()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    assert_no_answer_yet(&mut stream).await;
    let next = format!(
        "GET /disputes/{id} HTTP/1.1\r\nHost: {address}\r\nAuthorization: {}\r\n\r\n",
        basic()
    );
    stream
        .write_all(format!("unused=1{next}").as_bytes())
        .await
        .unwrap();
    let answers = read_answers(&mut stream, 2).await;
    assert_eq!(statuses(&answers), ["200", "200"], "{answers}");
}
