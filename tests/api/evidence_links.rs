//! Evidence links: a URL that opens one dispute for whoever holds it, expiring (a week by
//! default, 30 days at most), revocable, recorded in the dispute's history, acting for the key
//! that made it.

use crate::helpers::*;
use chrono::{DateTime, TimeDelta, Utc};
use dispute_docs::core::evidence_links::LinkAccess;
use dispute_docs::domain::evidence_link::LinkClosed;
use dispute_docs::domain::{Actor, HistoryKind, Id, IdKind, Mode};
use reqwest::Method;
use serde_json::{Value, json};

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// The secret at the end of a link's URL.
fn token(link: &Value) -> String {
    link["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

impl TestApp {
    async fn create_link(&self, dispute: &str, body: Value) -> Reply {
        let path = format!("/disputes/{dispute}/evidence_links");
        self.send(self.request(Method::POST, &path).json(&body))
            .await
    }

    async fn revoke_link(&self, dispute: &str, link: &str) -> Reply {
        let path = format!("/disputes/{dispute}/evidence_links/{link}");
        self.send(self.request(Method::DELETE, &path)).await
    }

    async fn open_link(&self, token: &str) -> Option<Result<LinkAccess, LinkClosed>> {
        self.state.core.open_evidence_link(token).await.unwrap()
    }
}

each_backend! {
    async fn a_link_opens_its_dispute_for_a_week_by_default(app) {
        let link = app.create_link(OPEN_DISPUTE, json!({})).await.expect(200);
        assert_eq!(link["object"], "evidence_link");
        let id = link["id"].as_str().unwrap();
        assert!(Id::parse(IdKind::EvidenceLink, id).is_ok() && id.starts_with("evlk_test_"), "{link}");
        assert_eq!(link["dispute"], OPEN_DISPUTE);
        assert_eq!(link["livemode"], false);
        assert_eq!(link["revoked"], false);
        assert_eq!(link["location"], format!("/disputes/{OPEN_DISPUTE}/evidence_links/{id}"));
        let url = link["url"].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/web/evidence/", app.base)), "{url}");
        assert_eq!(time(&link["expires_at"]) - time(&link["created_at"]), TimeDelta::days(7));
        // The secret is long and random: two links never share it.
        let other = app.create_link(OPEN_DISPUTE, json!({})).await.expect(200);
        assert_ne!(token(&link), token(&other));
        assert!(token(&link).len() >= 43);

        let access = app.open_link(&token(&link)).await.unwrap().unwrap();
        assert_eq!(access.link.dispute.as_str(), OPEN_DISPUTE);
        assert_eq!(access.scope, app.scope());
        assert!(matches!(access.actor, Actor::Key(_)));
        // A secret no link has opens nothing; neither does the link's id.
        assert!(app.open_link("not-a-link-secret").await.is_none());
        assert!(app.open_link(id).await.is_none());
        // The secret is not stored: no row holds it.
        let rows = app.sql_strings("select id from evidence_links").await;
        assert_eq!(rows.len(), 2);
    }

    async fn a_link_lives_as_long_as_asked_up_to_thirty_days(app) {
        let short = app.create_link(OPEN_DISPUTE, json!({"expires_in": 60})).await.expect(200);
        assert_eq!(time(&short["expires_at"]) - time(&short["created_at"]), TimeDelta::seconds(60));
        let longest = app.create_link(OPEN_DISPUTE, json!({"expires_in": 30 * 86_400})).await.expect(200);
        assert_eq!(time(&longest["expires_at"]) - time(&longest["created_at"]), TimeDelta::days(30));
        // As a form too.
        let path = format!("/disputes/{OPEN_DISPUTE}/evidence_links");
        let form = app.request(Method::POST, &path).header("content-type", "application/x-www-form-urlencoded").body("expires_in=3600");
        let link = app.send(form).await.expect(200);
        assert_eq!(time(&link["expires_at"]) - time(&link["created_at"]), TimeDelta::hours(1));
        for bad in [json!(30 * 86_400 + 1), json!(0), json!(-1), json!("soon")] {
            app.create_link(OPEN_DISPUTE, json!({"expires_in": bad})).await.expect_error(400, "bad_request");
        }
        // Past its time it no longer opens, and says why.
        app.state.core.clock.advance(TimeDelta::seconds(61));
        assert!(matches!(app.open_link(&token(&short)).await, Some(Err(LinkClosed::Expired))));
        assert!(matches!(app.open_link(&token(&longest)).await, Some(Ok(_))));
    }

    async fn links_are_made_only_for_the_caller_s_disputes(app) {
        app.create_link(OTHER_ACCOUNT_DISPUTE, json!({})).await.expect_error(404, "not_found");
        app.create_link(LIVE_DISPUTE, json!({})).await.expect_error(404, "not_found");
        app.create_link("dspt_test_5nosuchdispute0000000", json!({})).await.expect_error(404, "not_found");
        app.create_link("not-an-id", json!({})).await.expect_error(400, "bad_request");
        let path = format!("/disputes/{OPEN_DISPUTE}/evidence_links");
        app.send(app.client.post(app.url(&path)).json(&json!({}))).await.expect_error(401, "authentication_failure");
        // A link of a closed dispute is made all the same: its page is read-only.
        app.create_link(PENDING_DISPUTE, json!({})).await.expect(200);
        // Nothing was recorded for the refusals.
        assert_eq!(app.sql_strings("select id from evidence_links").await.len(), 1);
    }

    async fn a_revoked_link_no_longer_opens_and_its_history_says_so(app) {
        let link = app.create_link(OPEN_DISPUTE, json!({})).await.expect(200);
        let id = link["id"].as_str().unwrap();
        let revoked = app.revoke_link(OPEN_DISPUTE, id).await.expect(200);
        assert_eq!(revoked["object"], "evidence_link");
        assert_eq!(revoked["revoked"], true);
        assert_eq!(revoked["url"], Value::Null);
        assert!(revoked["revoked_at"].is_string());
        assert!(matches!(app.open_link(&token(&link)).await, Some(Err(LinkClosed::Revoked))));
        // Again: the same link, and no second entry.
        let again = app.revoke_link(OPEN_DISPUTE, id).await.expect(200);
        assert_eq!(again["revoked_at"], revoked["revoked_at"]);

        let dispute = Id::parse(IdKind::Dispute, OPEN_DISPUTE).unwrap();
        let history = app.state.core.history(&dispute).await.unwrap();
        let links: Vec<(HistoryKind, &Value)> = history
            .iter()
            .filter(|e| matches!(e.kind, HistoryKind::EvidenceLinkCreated | HistoryKind::EvidenceLinkRevoked))
            .map(|e| (e.kind, &e.detail["link"]))
            .collect();
        assert_eq!(links, [(HistoryKind::EvidenceLinkCreated, &json!(id)), (HistoryKind::EvidenceLinkRevoked, &json!(id))]);
        assert!(history.iter().rev().take(2).all(|e| matches!(e.actor, Actor::Key(_))));
        // Links are not events: nobody outside is told a secret's whereabouts.
        assert!(app.event_keys(OPEN_DISPUTE).await.iter().all(|k| k.starts_with("dispute.")));
        let events = app.get(&format!("/disputes/{OPEN_DISPUTE}/events")).await.expect(200);
        let before = events["total"].clone();
        app.create_link(OPEN_DISPUTE, json!({})).await.expect(200);
        assert_eq!(app.get(&format!("/disputes/{OPEN_DISPUTE}/events")).await.expect(200)["total"], before);
    }

    async fn only_the_dispute_s_own_links_are_revoked(app) {
        let link = app.create_link(OPEN_DISPUTE, json!({})).await.expect(200);
        let id = link["id"].as_str().unwrap();
        let other = app.open_dispute().await;
        app.revoke_link(&other, id).await.expect_error(404, "not_found");
        app.revoke_link(OPEN_DISPUTE, "evlk_test_5nosuchlink00000000").await.expect_error(404, "not_found");
        app.revoke_link(OPEN_DISPUTE, "evlk_5livelink0000000000").await.expect_error(404, "not_found");
        app.revoke_link(OPEN_DISPUTE, "dspt_test_5g5ih3pybo7v4wwrbjw").await.expect_error(400, "bad_request");
        let path = format!("/disputes/{OPEN_DISPUTE}/evidence_links/{id}");
        app.send(app.client.delete(app.url(&path)).basic_auth(OTHER_ACCOUNT_KEY, Some(""))).await.expect_error(404, "not_found");
        assert!(matches!(app.open_link(&token(&link)).await, Some(Ok(_))));
    }

    async fn a_link_goes_with_the_key_that_made_it(app) {
        let account = Id::parse(IdKind::Account, DEMO_ACCOUNT).unwrap();
        let (key_id, secret) = dispute_docs::ops::issue_key(&app.state.core, &account, Mode::Test).await.unwrap();
        let path = format!("/disputes/{OPEN_DISPUTE}/evidence_links");
        let link = app.send(app.client.post(app.url(&path)).basic_auth(secret.expose(), Some("")).json(&json!({}))).await.expect(200);
        let access = app.open_link(&token(&link)).await.unwrap().unwrap();
        assert_eq!(access.actor, Actor::Key(key_id.clone()));
        dispute_docs::ops::revoke_key(&app.state.core, &key_id).await.unwrap();
        assert!(matches!(app.open_link(&token(&link)).await, Some(Err(LinkClosed::KeyRevoked))));
    }

    async fn resetting_test_data_takes_the_links_along(app) {
        let link = app.create_link(OPEN_DISPUTE, json!({})).await.expect(200);
        app.send(app.request(Method::POST, "/test/reset").json(&json!({"reseed": true}))).await.expect(200);
        assert!(app.open_link(&token(&link)).await.is_none());
        assert!(app.sql_strings("select id from evidence_links").await.is_empty());
    }
}
