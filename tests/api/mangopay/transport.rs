//! MANGOPAY.md §2: one path however its slashes fall (trailing, doubled; never a redirect),
//! JSON declared on GETs and empty bodies, unknown parameters and fields ignored, unknown routes,
//! malformed JSON, and every answer JSON in UTF-8 (errors with their `errors` key).

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

/// A client that never follows a redirect, to see one if it is sent.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

each_backend! {
    async fn a_trailing_slash_is_the_same_path_and_never_a_redirect(app) {
        let token = app.mp_token().await;
        let client = no_redirects();
        for (plain, slashed) in [
            ("/disputes", "/disputes/"),
            (&*format!("/disputes/{OPEN_DISPUTE}"), &*format!("/disputes/{OPEN_DISPUTE}/")),
            (&*format!("/disputes/{OPEN_DISPUTE}/transactions"), &*format!("/disputes/{OPEN_DISPUTE}/transactions/")),
            (&*format!("/disputes/{OPEN_DISPUTE}/documents"), &*format!("/disputes/{OPEN_DISPUTE}/documents/")),
            ("/dispute-documents", "/dispute-documents/"),
            (&*format!("/dispute-documents/{OPEN_DOCUMENT}"), &*format!("/dispute-documents/{OPEN_DOCUMENT}/")),
        ] {
            let get = |path: String| app.mp_send(client.get(app.url(&path)).bearer_auth(&token));
            let a = get(app.mp_path(plain)).await;
            let b = get(app.mp_path(slashed)).await;
            assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200), "{slashed}");
            assert_eq!(a.body, b.body, "{slashed}");
        }
        let token_slashed = client.post(app.url("/v2.01/oauth/token/")).basic_auth(MP_CLIENT, Some(MP_KEY))
            .header("content-type", "application/x-www-form-urlencoded").body("grant_type=client_credentials");
        app.mp_send(token_slashed).await.expect(200);
        let id = app.open_dispute().await;
        let put = client.put(app.url(&app.mp_path(&format!("/disputes/{id}/")))).bearer_auth(&token).json(&json!({"Tag": "slash"}));
        assert_eq!(app.mp_send(put).await.expect(200)["Tag"], "slash");
    }

    async fn doubled_slashes_collapse_to_one(app) {
        let token = app.mp_token().await;
        let client = no_redirects();
        let plain = app.mp_get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200);
        for path in [
            format!("/v2.01//{MP_CLIENT}/disputes/{OPEN_DISPUTE}"),
            format!("/v2.01/{MP_CLIENT}//disputes//{OPEN_DISPUTE}"),
            format!("/v2.01/{MP_CLIENT}/disputes/{OPEN_DISPUTE}//"),
            format!("//v2.01/{MP_CLIENT}/disputes/{OPEN_DISPUTE}"),
        ] {
            let reply = app.mp_send(client.get(app.url(&path)).bearer_auth(&token)).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            assert_eq!(reply.body, plain, "{path}");
        }
    }

    async fn gets_declaring_json_and_posts_with_empty_bodies_are_served(app) {
        let token = app.mp_token().await;
        let get = app.client.get(app.url(&app.mp_path("/disputes"))).bearer_auth(&token)
            .header("content-type", "application/json").header("content-length", "0");
        app.mp_send(get).await.expect(200);
        let get_with_body = app.client.get(app.url(&app.mp_path(&format!("/disputes/{OPEN_DISPUTE}")))).bearer_auth(&token)
            .header("content-type", "application/json").body("{}");
        app.mp_send(get_with_body).await.expect(200);
        // Close takes no body at all, as the docs ask.
        let id = app.open_dispute().await;
        let close = app.client.put(app.url(&app.mp_path(&format!("/disputes/{id}/close"))))
            .bearer_auth(&token).header("content-length", "0");
        assert_eq!(app.mp_send(close).await.expect(200)["Status"], "CLOSED");
    }

    async fn unknown_query_parameters_are_ignored(app) {
        let plain = app.mp_get("/disputes").await.expect(200);
        for query in ["dispute_id=x", "resolveWithFullResponse=true", "foo=bar&baz", "Status_=nothing"] {
            assert_eq!(app.mp_get(&format!("/disputes?{query}")).await.expect(200), plain, "{query}");
        }
        app.mp_get(&format!("/disputes/{OPEN_DISPUTE}?dispute_id={OPEN_DISPUTE}")).await.expect(200);
    }

    async fn unknown_routes_are_404_ressource_not_found_and_wrong_methods_are_errors_too(app) {
        for path in ["/nothing-here", "/repudiations/rep_1", "/settlements/set_1", "/disputes/x/y/z/w"] {
            let reply = app.mp_get(path).await;
            assert_eq!(reply.status, 404, "{path}: {}", reply.body);
            reply.expect_mp_error(404, "ressource_not_found");
        }
        let settlement = app.mp_post("/repudiations/rep_1/settlementtransfer", json!({})).await;
        settlement.expect_mp_error(404, "ressource_not_found");
        for (method, path) in [
            (Method::DELETE, format!("/disputes/{OPEN_DISPUTE}")),
            (Method::POST, "/disputes".to_owned()),
            (Method::PATCH, format!("/disputes/{OPEN_DISPUTE}")),
            (Method::DELETE, format!("/dispute-documents/{OPEN_DOCUMENT}")),
        ] {
            let req = app.mp_request(method.clone(), &path).await.body("{}");
            let reply = app.mp_send(req).await;
            assert!(reply.status == 404 || reply.status == 405, "{method} {path}: {}", reply.status);
            let status = reply.status.as_u16();
            reply.expect_mp_error_status(status);
        }
        assert_eq!(app.get(&format!("/disputes/{OPEN_DISPUTE}/documents/{OPEN_DOCUMENT}")).await.expect(200)["id"], OPEN_DOCUMENT);
    }

    async fn malformed_json_is_a_param_error_that_names_where(app) {
        let id = app.open_dispute().await;
        for (method, path) in [
            (Method::PUT, format!("/disputes/{id}")),
            (Method::PUT, format!("/disputes/{id}/submit")),
            (Method::POST, format!("/disputes/{id}/documents")),
        ] {
            for body in [r#"{"Tag": "#, "not json", r#"{"Tag": "x",}"#, "[1, 2"] {
                let req = app.mp_request(method.clone(), &path).await.body(body);
                let reply = app.mp_send(req).await;
                assert_eq!(reply.status, 400, "{path} {body}: {}", reply.body);
                let err = reply.expect_mp_error(400, "param_error");
                assert!(err["errors"].as_object().is_some_and(|e| !e.is_empty()), "{path} {body}: {err}");
            }
        }
        let d = app.mp_get(&format!("/disputes/{id}")).await.expect(200);
        assert_eq!((d["Status"].clone(), d["Tag"].clone()), (json!("PENDING_CLIENT_ACTION"), json!(null)));
    }

    async fn every_answer_is_json_in_utf8_and_no_success_has_an_errors_key(app) {
        let token = app.mp_token().await;
        let requests = [
            app.client.post(app.url("/v2.01/oauth/token")).basic_auth(MP_CLIENT, Some(MP_KEY)).body("grant_type=client_credentials"),
            app.client.post(app.url("/v2.01/oauth/token")).basic_auth(MP_CLIENT, Some("wrong")),
            app.mp_request_as(&token, Method::GET, &app.mp_path("/disputes")),
            app.mp_request_as(&token, Method::GET, &app.mp_path(&format!("/disputes/{OPEN_DISPUTE}"))),
            app.mp_request_as(&token, Method::GET, &app.mp_path("/disputes/dspt_test_0000000000000000000")),
            app.mp_request_as(&token, Method::GET, &app.mp_path("/dispute-documents?per_page=0")),
            app.mp_request_as("nope-nope-nope-nope", Method::GET, &app.mp_path("/disputes")),
            app.mp_request_as(&token, Method::GET, &app.mp_path("/no-such-route")),
        ];
        for req in requests {
            let reply = app.mp_send(req).await;
            let content_type = reply.headers.get("content-type").map(|v| v.to_str().unwrap().to_lowercase());
            assert_eq!(content_type.as_deref(), Some("application/json; charset=utf-8"), "{}: {}", reply.status, reply.body);
            // Rate-limit headers, if any, are comma-separated integers, as many in each.
            let counts: Vec<Option<usize>> = ["x-ratelimit", "x-ratelimit-remaining", "x-ratelimit-reset"].iter().map(|name| {
                reply.headers.get(*name).map(|v| {
                    let parts: Vec<&str> = v.to_str().unwrap().split(',').collect();
                    assert!(parts.iter().all(|p| p.trim().parse::<u64>().is_ok()), "{name}: {v:?}");
                    parts.len()
                })
            }).collect();
            assert!(counts.iter().all(|c| c == &counts[0]), "{counts:?}");
            if reply.status.is_success() {
                assert!(reply.body.get("errors").is_none(), "{}", reply.body);
            } else {
                let status = reply.status.as_u16();
                reply.expect_mp_error_status(status);
            }
        }
    }

    async fn a_malformed_or_forged_consult_link_is_a_json_404(app) {
        let good = app.mp_consult(OPEN_DOCUMENT).await[0]["Url"].as_str().unwrap().to_owned();
        let (prefix, token) = good.rsplit_once('/').unwrap();
        let (document_part, _) = prefix.rsplit_once('/').unwrap();
        for url in [
            format!("{document_part}/2/{token}"),
            format!("{prefix}/forged-token"),
            format!("{}/v2.01/consult/docu_test_0000000000000000000/1/{token}", app.base),
            format!("{document_part}/not-a-number/{token}"),
        ] {
            let response = app.client.get(&url).send().await.unwrap();
            let status = response.status();
            let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
            let text = response.text().await.unwrap();
            assert_eq!(status, 404, "{url}: {text}");
            assert!(content_type.is_some_and(|t| t.starts_with("application/json")), "{url}: {text}");
            let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{url}: JSON, got {text:?}"));
            assert!(body.as_object().unwrap().contains_key("errors"), "{url}: {body}");
        }
    }
}

/// A PUT whose handler has no use for its body (a close) still reads it before answering, so the
/// keep-alive connection stays usable for the SDK's next request. Here the body comes after the
/// headers: no answer may come before it (hyper would then close the connection rather than
/// wait for a body nobody reads), and once it is sent the next request on the same connection is
/// answered too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_body_the_handler_ignores_is_read_and_the_connection_serves_the_next_request() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.mp_token().await;
    let address = app
        .base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let path = app.mp_path("/disputes/dspt_test_1111111111111111111/close");
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    assert_no_answer_yet(&mut stream).await;
    let mut buffer = vec![0u8; 64 * 1024];
    let next = format!(
        "GET {} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n",
        app.mp_path("/disputes?per_page=1")
    );
    stream
        .write_all(format!("{{}}{next}").as_bytes())
        .await
        .unwrap();
    let mut answers = String::new();
    while answers.matches("HTTP/1.1 ").count() < 2 {
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the connection closed after: {answers}");
        answers.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    let statuses: Vec<&str> = answers
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &answers[i + 9..i + 12])
        .collect();
    assert_eq!(statuses, ["404", "200"], "{answers}");
}
