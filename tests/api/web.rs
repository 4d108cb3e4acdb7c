//! The pages under /web, over HTTP as a browser without JavaScript uses them: an evidence link's
//! dispute page (read, upload, refuse, previews, delete after confirming, submit, then
//! read-only), closed links, the files' and previews' headers, and the dashboard's session (sign
//! in, list, CSRF, idle expiry, sign out).
//! The browser suite (tests/browser) drives the same pages in Chromium.

use crate::helpers::*;
use chrono::TimeDelta;
use dispute_docs::domain::{Actor, HistoryKind, Id, IdKind};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode, redirect};
use serde_json::json;

/// An answer read as text.
struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    #[track_caller]
    fn expect(&self, status: u16) -> &str {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        &self.body
    }

    fn location(&self) -> &str {
        self.headers["location"].to_str().unwrap()
    }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

async fn fetch(request: reqwest::RequestBuilder) -> Page {
    let response = request.send().await.expect("answered");
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

impl TestApp {
    /// A fresh evidence link to `dispute`: its page's path.
    async fn link_page(&self, dispute: &str) -> String {
        let path = format!("/disputes/{dispute}/evidence_links");
        let link = self
            .send(self.request(Method::POST, &path).json(&json!({})))
            .await
            .expect(200);
        let url = link["url"].as_str().unwrap();
        url.strip_prefix(&self.base).unwrap().to_owned()
    }

    async fn web_get(&self, path: &str, cookie: Option<&str>) -> Page {
        let mut request = browser().get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        fetch(request).await
    }

    async fn web_post(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Page {
        let mut request = browser().post(self.url(path)).form(form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        fetch(request).await
    }

    async fn web_upload(
        &self,
        path: &str,
        files: &[(&str, &[u8])],
        csrf: Option<&str>,
        cookie: Option<&str>,
        json: bool,
    ) -> Page {
        let mut form = Form::new();
        if let Some(csrf) = csrf {
            form = form.text("csrf", csrf.to_owned());
        }
        form = form.text("kind", "proof_of_receipt");
        for (name, bytes) in files {
            form = form.part(
                "file",
                Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            );
        }
        let mut request = browser()
            .post(self.url(&format!("{path}/documents")))
            .multipart(form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if json {
            request = request.header("accept", "application/json");
        }
        fetch(request).await
    }

    /// Signs in with `key`: the session cookie (`name=value`).
    async fn sign_in(&self, key: &str) -> String {
        let page = self.web_post("/web/login", &[("key", key)], None).await;
        assert_eq!(page.status.as_u16(), 303, "{}", page.body);
        assert_eq!(page.location(), "/web/disputes");
        let set = page.headers["set-cookie"].to_str().unwrap().to_owned();
        set.split(';').next().unwrap().to_owned()
    }
}

/// The value of the hidden CSRF field on a page.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field");
    let rest = &page[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

each_backend! {
    async fn an_evidence_link_opens_its_dispute_page_under_a_strict_policy(app) {
        let path = app.link_page(OPEN_DISPUTE).await;
        let page = app.web_get(&path, None).await;
        let body = page.expect(200);
        assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        let policy = page.headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && policy.contains("style-src 'self'") && !policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        // No other site learns the page's address (an evidence link's secret) from a referrer.
        assert_eq!(page.headers["referrer-policy"], "same-origin");
        for fact in [OPEN_DISPUTE, "THB", "open", "Evidence due", "Evidence that usually wins", "Proof of delivery", OPEN_DOCUMENT] {
            assert!(body.contains(fact), "{fact} missing");
        }
        // Nothing inline: no script or style in the page itself.
        assert!(!body.contains("<style") && !body.contains("style=") && !body.contains("<script>"));
        // The assets it names are served from the binary.
        let css = app.web_get("/web/assets/app.css", None).await;
        assert!(css.expect(200).contains("dropzone"));
        assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
        assert!(app.web_get("/web/assets/app.js", None).await.expect(200).contains("XMLHttpRequest"));
        // The link opens no other dispute, and never the account's keys.
        assert!(!body.contains(KEY) && !body.contains("skey_"));
        let other = app.open_dispute().await;
        let doc = app.upload(&other, "other.png", PNG, None).await.expect(200);
        app.web_get(&format!("{path}/documents/{}/file", doc["id"].as_str().unwrap()), None).await.expect(404);
    }

    async fn a_link_s_holder_uploads_previews_deletes_and_submits(app) {
        let dispute = app.open_dispute().await;
        let path = app.link_page(&dispute).await;
        // Two files in one form, as the file input sends them without JavaScript.
        let posted = app.web_upload(&path, &[("receipt.png", PNG), ("invoice.pdf", PDF)], None, None, false).await;
        assert_eq!(posted.status.as_u16(), 303, "{}", posted.body);
        assert_eq!(posted.location(), path);
        let docs = app.get(&format!("/disputes/{dispute}/documents")).await.expect(200);
        assert_eq!(docs["total"], 2);
        let png = docs["data"][0]["id"].as_str().unwrap().to_owned();
        let pdf = docs["data"][1]["id"].as_str().unwrap().to_owned();
        assert_eq!(docs["data"][0]["kind"], "proof_of_receipt");
        let body = app.web_get(&path, None).await.expect(200).to_owned();
        // Previews rendered by the server, one per page, and no embedded viewer.
        assert!(body.contains(&format!("<img src=\"{path}/documents/{png}/pages/1/preview\"")), "{body}");
        assert!(body.contains(&format!("<img src=\"{path}/documents/{pdf}/pages/1/preview\"")), "{body}");
        assert!(!body.contains(&format!("{path}/documents/{pdf}/pages/2/preview")), "the invoice has one page");
        assert!(!body.contains("<iframe"));
        assert!(body.contains("<dt>Pages</dt><dd>1</dd>"), "{body}");
        assert!(body.contains(&format!("href=\"{path}/documents/{png}/file\"")), "the original, to open");
        assert!(body.contains(docs["data"][0]["sha256"].as_str().unwrap()));
        let preview = browser().get(app.url(&format!("{path}/documents/{pdf}/pages/1/preview"))).send().await.unwrap();
        assert_eq!(preview.status(), 200);
        assert_eq!(preview.headers()["content-type"], "image/png");
        assert_eq!(preview.headers()["cache-control"], "private, max-age=3600");
        let etag = preview.headers()["etag"].to_str().unwrap().to_owned();
        let png_bytes = preview.bytes().await.unwrap();
        let picture = image::load_from_memory_with_format(&png_bytes, image::ImageFormat::Png).unwrap();
        assert!(picture.width().max(picture.height()) <= 512);
        let again = browser().get(app.url(&format!("{path}/documents/{pdf}/pages/1/preview"))).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304);
        app.web_get(&format!("{path}/documents/{pdf}/pages/2/preview"), None).await.expect(404);
        // The bytes, inline, never sniffed, under a policy of their own.
        let file = browser().get(app.url(&format!("{path}/documents/{png}/file"))).send().await.unwrap();
        assert_eq!(file.status(), 200);
        assert_eq!(file.headers()["content-type"], "image/png");
        assert_eq!(file.headers()["x-content-type-options"], "nosniff");
        assert_eq!(file.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'self'");
        assert!(file.headers()["content-disposition"].to_str().unwrap().starts_with("inline"));
        assert_eq!(file.bytes().await.unwrap().as_ref(), PNG);

        // A text file: refused with the API's reason, on the page and to the page's script.
        let refused = app.web_upload(&path, &[("notes.txt", b"just some text")], None, None, false).await;
        assert!(refused.expect(400).contains("invalid_file_type"));
        let refused = app.web_upload(&path, &[("notes.txt", b"just some text")], None, None, true).await;
        let answer: serde_json::Value = serde_json::from_str(refused.expect(400)).unwrap();
        assert_eq!(answer["code"], "invalid_file_type");
        let big_png = real(FileType::Png, "huge", 10 * 1024 * 1024 + 1);
        let refused = app.web_upload(&path, &[("huge.png", &big_png)], None, None, true).await;
        assert_eq!(serde_json::from_str::<serde_json::Value>(refused.expect(413)).unwrap()["code"], "file_too_large");
        assert_eq!(app.get(&format!("/disputes/{dispute}/documents")).await.expect(200)["total"], 2);

        // Delete one: not without the confirmation, then with it.
        let unconfirmed = app.web_post(&format!("{path}/documents/{pdf}/delete"), &[], None).await;
        assert!(unconfirmed.expect(400).contains("Tick the box to confirm"), "{}", unconfirmed.body);
        assert_eq!(app.get(&format!("/disputes/{dispute}/documents")).await.expect(200)["total"], 2);
        let deleted = app.web_post(&format!("{path}/documents/{pdf}/delete"), &[("confirm", "yes")], None).await;
        assert_eq!(deleted.status.as_u16(), 303, "{}", deleted.body);
        assert_eq!(app.get(&format!("/disputes/{dispute}/documents")).await.expect(200)["total"], 1);

        // Submit: not without the confirmation, then with it.
        let unconfirmed = app.web_post(&format!("{path}/submit"), &[("message", "Delivered, slip attached")], None).await;
        unconfirmed.expect(400);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "open");
        let submitted = app.web_post(&format!("{path}/submit"), &[("message", "Delivered, slip attached"), ("confirm", "yes")], None).await;
        assert_eq!(submitted.status.as_u16(), 303, "{}", submitted.body);
        let after = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!(after["status"], "pending");
        assert_eq!(after["message"], "Delivered, slip attached");

        // Read-only now: no form, and the guard refuses what a stale page would send.
        let body = app.web_get(&path, None).await.expect(200).to_owned();
        assert!(!body.contains("<form") && body.contains("can no longer be changed"), "{body}");
        assert!(app.web_upload(&path, &[("late.png", PNG)], None, None, false).await.expect(422).contains("dispute_not_open"));
        app.web_post(&format!("{path}/documents/{png}/delete"), &[("confirm", "yes")], None).await.expect(422);
        app.web_post(&format!("{path}/accept"), &[("confirm", "yes")], None).await.expect(422);

        // The history names the key that made the link, and the events went out as for the API.
        let id = Id::parse(IdKind::Dispute, &dispute).unwrap();
        let history = app.state.core.history(&id).await.unwrap();
        let kinds: Vec<HistoryKind> = history.iter().map(|e| e.kind).collect();
        use HistoryKind::*;
        assert_eq!(kinds, [Opened, EvidenceLinkCreated, DocumentAdded, PageAdded, DocumentAdded, PageAdded, DocumentRemoved, StatusChanged, DocumentStatusChanged]);
        assert!(history.iter().all(|e| matches!(e.actor, Actor::Key(_))));
        assert_eq!(app.event_keys(&dispute).await, ["dispute.create", "dispute.update", "dispute.update", "dispute.update", "dispute.update"]);
    }

    async fn the_page_refuses_what_the_checks_refuse_in_the_api_s_words_and_keeps_nothing(app) {
        let dispute = app.open_dispute().await;
        let path = app.link_page(&dispute).await;
        let before = app.blob_keys().await;
        for file in dispute_docs::files::samples::refused() {
            let text = file.refusal.to_string();
            let words = format!("{}{}", text[..1].to_uppercase(), &text[1..]);
            let page = app.web_upload(&path, &[(file.name, &file.bytes)], None, None, false).await;
            let body = page.expect(400);
            assert!(body.contains(&format!("{words} (invalid_file_type)")), "{}: {body}", file.name);
            let answer = app.web_upload(&path, &[(file.name, &file.bytes)], None, None, true).await;
            let answer: serde_json::Value = serde_json::from_str(answer.expect(400)).unwrap();
            assert_eq!((answer["code"].as_str(), answer["message"].as_str()), (Some("invalid_file_type"), Some(words.as_str())), "{}", file.name);
        }
        assert_eq!(app.get(&format!("/disputes/{dispute}/documents")).await.expect(200)["total"], 0);
        assert_eq!(app.blob_keys().await, before);
        assert_eq!(app.blob_keys().await, app.row_blob_keys().await);
        assert!(app.staged_files().is_empty());
    }

    async fn accepting_from_the_page_loses_the_dispute(app) {
        let dispute = app.open_dispute().await;
        let path = app.link_page(&dispute).await;
        app.web_post(&format!("{path}/accept"), &[], None).await.expect(400);
        let accepted = app.web_post(&format!("{path}/accept"), &[("confirm", "yes")], None).await;
        assert_eq!(accepted.status.as_u16(), 303);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "lost");
    }

    async fn closed_links_show_a_clear_page(app) {
        let unknown = app.web_get("/web/evidence/no-such-link-secret", None).await;
        assert!(unknown.expect(404).contains("This link is not valid"));
        let path = app.link_page(OPEN_DISPUTE).await;
        let id = app.get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200)["id"].clone();
        assert_eq!(id, OPEN_DISPUTE);
        // Revoked.
        let link = app.send(app.request(Method::POST, &format!("/disputes/{OPEN_DISPUTE}/evidence_links")).json(&json!({"expires_in": 60}))).await.expect(200);
        let short = link["url"].as_str().unwrap().strip_prefix(&app.base).unwrap().to_owned();
        let links = app.sql_strings("select id from evidence_links order by created_at").await;
        app.send(app.request(Method::DELETE, &format!("/disputes/{OPEN_DISPUTE}/evidence_links/{}", links[0]))).await.expect(200);
        let revoked = app.web_get(&path, None).await;
        assert!(revoked.expect(410).contains("This link was withdrawn"));
        app.web_post(&format!("{path}/accept"), &[("confirm", "yes")], None).await.expect(410);
        // Expired.
        app.web_get(&short, None).await.expect(200);
        app.state.core.clock.advance(TimeDelta::seconds(61));
        assert!(app.web_get(&short, None).await.expect(410).contains("This link has expired"));
        assert!(app.web_upload(&short, &[("a.png", PNG)], None, None, false).await.expect(410).contains("expired"));
        assert_eq!(app.get(&format!("/disputes/{OPEN_DISPUTE}")).await.expect(200)["status"], "open");
    }

    async fn the_dashboard_signs_in_with_a_key_lists_opens_and_signs_out(app) {
        // Not signed in: to the sign-in page.
        let page = app.web_get("/web/disputes", None).await;
        assert_eq!((page.status.as_u16(), page.location()), (303, "/web/login"));
        assert!(app.web_get("/web/login", None).await.expect(200).contains("type=\"password\""));
        for bad in ["skey_test_5nosuchkey000000000", "not a key", ""] {
            app.web_post("/web/login", &[("key", bad)], None).await.expect(401);
        }
        let page = app.web_post("/web/login", &[("key", KEY)], None).await;
        let set = page.headers["set-cookie"].to_str().unwrap();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/web") && !set.contains("Secure"), "{set}");
        assert!(!set.contains(KEY));
        let cookie = app.sign_in(KEY).await;
        // Behind an https proxy the cookie is Secure.
        let https = fetch(browser().post(app.url("/web/login")).header("x-forwarded-proto", "https").form(&[("key", KEY)])).await;
        assert!(https.headers["set-cookie"].to_str().unwrap().contains("Secure"));

        let list = app.web_get("/web/disputes", Some(&cookie)).await;
        let body = list.expect(200).to_owned();
        assert!(body.contains(OPEN_DISPUTE) && !body.contains(PENDING_DISPUTE) && !body.contains(OTHER_ACCOUNT_DISPUTE) && !body.contains(LIVE_DISPUTE));
        assert!(body.contains("left"), "a countdown");
        let pending = app.web_get("/web/disputes?status=pending", Some(&cookie)).await;
        assert!(pending.expect(200).contains(PENDING_DISPUTE));
        let page = app.web_get(&format!("/web/disputes/{OPEN_DISPUTE}"), Some(&cookie)).await;
        let body = page.expect(200).to_owned();
        assert!(body.contains(OPEN_DOCUMENT));
        let token = csrf(&body);
        // Another account's dispute, a live one, a malformed id: not found.
        app.web_get(&format!("/web/disputes/{OTHER_ACCOUNT_DISPUTE}"), Some(&cookie)).await.expect(404);
        app.web_get(&format!("/web/disputes/{LIVE_DISPUTE}"), Some(&cookie)).await.expect(404);
        app.web_get("/web/disputes/nonsense", Some(&cookie)).await.expect(404);

        // CSRF: a form without the token, or with another, changes nothing.
        let dispute = app.open_dispute().await;
        let base = format!("/web/disputes/{dispute}");
        app.web_post(&format!("{base}/submit"), &[("message", "forged"), ("confirm", "yes")], Some(&cookie)).await.expect(403);
        app.web_post(&format!("{base}/submit"), &[("message", "forged"), ("confirm", "yes"), ("csrf", "wrong")], Some(&cookie)).await.expect(403);
        app.web_post(&format!("{base}/accept"), &[("confirm", "yes")], Some(&cookie)).await.expect(403);
        app.web_upload(&base, &[("a.png", PNG)], None, Some(&cookie), false).await.expect(403);
        app.web_upload(&base, &[("a.png", PNG)], Some("wrong"), Some(&cookie), false).await.expect(403);
        let api = app.get(&format!("/disputes/{dispute}")).await.expect(200);
        assert_eq!((api["status"].as_str(), api["documents"]["total"].as_i64()), (Some("open"), Some(0)));
        // With it: done.
        assert_eq!(app.web_upload(&base, &[("a.png", PNG)], Some(&token), Some(&cookie), false).await.status.as_u16(), 303);
        let submitted = app.web_post(&format!("{base}/submit"), &[("message", "Signed slip"), ("confirm", "yes"), ("csrf", &token)], Some(&cookie)).await;
        assert_eq!(submitted.status.as_u16(), 303, "{}", submitted.body);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "pending");

        // Sign out: needs the token too; then the cookie opens nothing.
        app.web_post("/web/logout", &[], Some(&cookie)).await.expect(403);
        let out = app.web_post("/web/logout", &[("csrf", &token)], Some(&cookie)).await;
        assert_eq!((out.status.as_u16(), out.location()), (303, "/web/login"));
        assert!(out.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
        assert_eq!(app.web_get("/web/disputes", Some(&cookie)).await.status.as_u16(), 303);
    }

    async fn an_idle_session_ends(app) {
        let cookie = app.sign_in(KEY).await;
        app.state.core.clock.advance(TimeDelta::minutes(29));
        app.web_get("/web/disputes", Some(&cookie)).await.expect(200);
        // Each use keeps it alive for another idle period.
        app.state.core.clock.advance(TimeDelta::minutes(29));
        app.web_get("/web/disputes", Some(&cookie)).await.expect(200);
        app.state.core.clock.advance(TimeDelta::minutes(31));
        let page = app.web_get("/web/disputes", Some(&cookie)).await;
        assert_eq!((page.status.as_u16(), page.location()), (303, "/web/login"));
        // The secret is stored only hashed.
        assert!(app.sql_strings("select csrf_token from web_sessions").await.is_empty());
        let cookie = app.sign_in(KEY).await;
        let secret = cookie.split('=').nth(1).unwrap();
        let kept = app.sql_strings("select csrf_token from web_sessions").await;
        assert_eq!(kept.len(), 1);
        assert_ne!(kept[0], secret);
        // Sessions left idle are removed when another one opens.
        app.state.core.clock.advance(TimeDelta::minutes(31));
        app.sign_in(KEY).await;
        assert_eq!(app.sql_strings("select csrf_token from web_sessions").await.len(), 1);
    }

    async fn forms_from_another_site_are_refused(app) {
        // Signing a browser in from another site's page: refused, no session made.
        let login = fetch(browser().post(app.url("/web/login")).header("origin", "http://evil.example").form(&[("key", KEY)])).await;
        assert!(login.expect(403).contains("another site"));
        assert!(login.headers.get("set-cookie").is_none());
        // An evidence link's form posted from elsewhere: refused, the dispute unchanged.
        let dispute = app.open_dispute().await;
        let path = app.link_page(&dispute).await;
        let forged = browser().post(app.url(&format!("{path}/accept"))).header("origin", "https://evil.example").form(&[("confirm", "yes")]);
        fetch(forged).await.expect(403);
        let forged = browser().post(app.url(&format!("{path}/accept"))).header("sec-fetch-site", "cross-site").form(&[("confirm", "yes")]);
        fetch(forged).await.expect(403);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "open");
        // From this server's own pages (as PUBLIC_BASE_URL names it): accepted.
        let own = browser().post(app.url(&format!("{path}/accept"))).header("origin", app.base.as_str()).form(&[("confirm", "yes")]);
        assert_eq!(fetch(own).await.status.as_u16(), 303);
        assert_eq!(app.get(&format!("/disputes/{dispute}")).await.expect(200)["status"], "lost");
    }

    async fn the_web_root_unknown_pages_and_unreadable_forms_answer_pages(app) {
        let root = app.web_get("/web", None).await;
        assert_eq!((root.status.as_u16(), root.location()), (303, "/web/login"));
        let cookie = app.sign_in(KEY).await;
        let root = app.web_get("/web", Some(&cookie)).await;
        assert_eq!((root.status.as_u16(), root.location()), (303, "/web/disputes"));
        let missing = app.web_get("/web/nothing/here", None).await;
        assert!(missing.expect(404).contains("<html"));
        assert!(missing.headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
        let unreadable = fetch(browser().post(app.url("/web/login")).body("key=x")).await;
        assert!(unreadable.expect(400).contains("Form not understood"));
    }
}
