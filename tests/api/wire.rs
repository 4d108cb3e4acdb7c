//! The bytes on the wire: HTTP/1 response header names go out in title case (`Content-Type:`,
//! `Link:`), read from a raw TCP socket rather than through an HTTP client, which would hide
//! the case. The official Mangopay PHP SDK finds the paging `Link` header only as `Link: `.

use crate::helpers::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The head of the response to `request` (sent as is, on a fresh connection), up to the blank
/// line.
async fn response_head(app: &TestApp, request: &str) -> String {
    let addr = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    socket.read_to_end(&mut bytes).await.unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let (head, _) = text.split_once("\r\n\r\n").expect("a response head");
    head.to_owned()
}

/// The header names of a head, as written.
fn names(head: &str) -> Vec<&str> {
    head.lines()
        .skip(1)
        .map(|line| line.split_once(':').expect("name: value").0)
        .collect()
}

each_backend! {
    async fn http1_header_names_are_in_title_case(app) {
        let head = response_head(&app, "GET /healthz HTTP/1.1\r\nHost: dispute-docs\r\nConnection: close\r\n\r\n").await;
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("\r\nContent-Type: application/json; charset=utf-8\r\n"), "{head}");
        assert!(names(&head).contains(&"X-Request-Id"), "{head}");
        for name in names(&head) {
            let title = name
                .split('-')
                .all(|word| word.chars().next().is_some_and(|c| !c.is_ascii_lowercase()));
            assert!(title, "{name} in {head}");
        }
        // An error, and a 401 with its challenge.
        let refused = response_head(&app, "GET /disputes HTTP/1.1\r\nHost: dispute-docs\r\nConnection: close\r\n\r\n").await;
        assert!(refused.starts_with("HTTP/1.1 401 "), "{refused}");
        assert!(refused.contains("\r\nWww-Authenticate: Basic realm=\"dispute-docs\"\r\n"), "{refused}");
    }

    async fn the_mangopay_paging_headers_read_as_the_php_sdk_matches_them(app) {
        let token = app.mp_token().await;
        let request = format!(
            "GET /v2.01/{MP_CLIENT}/disputes?per_page=2 HTTP/1.1\r\nHost: dispute-docs\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        );
        let head = response_head(&app, &request).await;
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("\r\nLink: <"), "{head}");
        assert!(head.contains("\r\nX-Number-Of-Pages: "), "{head}");
        assert!(head.contains("\r\nX-Number-Of-Items: "), "{head}");
    }
}
