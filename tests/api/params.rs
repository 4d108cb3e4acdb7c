//! SPEC §2 and the list parameters: where parameters may come from, and paging.

use crate::helpers::*;
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Five new disputes, an hour apart (the clock is moved, not slept), on the other account so
/// that they are the only ones listed.
async fn five_disputes_an_hour_apart(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let mut ids = Vec::new();
    let mut times = Vec::new();
    for i in 0..5 {
        let charge = format!("chrg_test_5pagingcharge{i:05}0");
        let req = app
            .client
            .post(app.url(&format!("/charges/{charge}/disputes")))
            .basic_auth(OTHER_ACCOUNT_KEY, Some(""));
        let d = app.send(req).await.expect(200);
        ids.push(d["id"].as_str().unwrap().to_owned());
        times.push(d["created_at"].as_str().unwrap().to_owned());
        app.state.core.clock.advance(TimeDelta::hours(1));
    }
    (ids, times)
}

async fn list(app: &TestApp, query: &str) -> Value {
    app.get_as(OTHER_ACCOUNT_KEY, &format!("/disputes{query}"))
        .await
        .expect(200)
}

each_backend! {
    async fn offset_and_limit_page_through_in_order_with_the_total(app) {
        let (created, _) = five_disputes_an_hour_apart(&app).await;
        let all = list(&app, "").await;
        assert_eq!(all["total"], 6);
        let page = list(&app, "?offset=2&limit=2").await;
        assert_eq!((page["offset"].clone(), page["limit"].clone(), page["total"].clone()), (json!(2), json!(2), json!(6)));
        assert_eq!(ids(&page), ids(&all)[2..4].to_vec());
        assert_eq!(ids(&all)[1..], created[..]);
        let reversed = list(&app, "?order=reverse_chronological&limit=3").await;
        assert_eq!(reversed["order"], "reverse_chronological");
        assert_eq!(ids(&reversed), vec![created[4].clone(), created[3].clone(), created[2].clone()]);
        let beyond = list(&app, "?offset=50").await;
        assert_eq!((beyond["data"].as_array().unwrap().len(), beyond["total"].clone()), (0, json!(6)));
    }

    async fn from_and_to_bound_the_records_and_the_total(app) {
        let (created, times) = five_disputes_an_hour_apart(&app).await;
        // Wire times are whole seconds: a minute past the fourth is still well before the fifth.
        let to = chrono::DateTime::parse_from_rfc3339(&times[3]).unwrap() + TimeDelta::minutes(1);
        let to = to.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let page = list(&app, &format!("?from={}&to={to}", times[1])).await;
        assert_eq!(page["total"], 3);
        assert_eq!(ids(&page), created[1..4].to_vec());
        assert_eq!((page["from"].as_str().unwrap(), page["to"].as_str().unwrap()), (times[1].as_str(), to.as_str()));
        let defaults = list(&app, "").await;
        assert_eq!(defaults["from"], "1970-01-01T00:00:00Z");
        assert!(defaults["to"].as_str().unwrap() >= times[4].as_str());
    }

    async fn list_parameters_may_come_as_a_json_body_on_get(app) {
        let (created, _) = five_disputes_an_hour_apart(&app).await;
        let body = json!({"limit": 2, "offset": 1, "order": null, "from": null});
        let req = app.client.get(app.url("/disputes")).basic_auth(OTHER_ACCOUNT_KEY, Some("")).json(&body);
        let page = app.send(req).await.expect(200);
        assert_eq!((page["limit"].clone(), page["order"].clone()), (json!(2), json!("chronological")));
        assert_eq!(ids(&page), created[0..2].to_vec());
        let form = app.client.get(app.url("/disputes")).basic_auth(OTHER_ACCOUNT_KEY, Some(""))
            .header("content-type", "application/x-www-form-urlencoded").body("limit=1");
        assert_eq!(app.send(form).await.expect(200)["limit"], 1);
    }

    async fn malformed_list_parameters_are_bad_requests(app) {
        for query in [
            "?limit=abc", "?limit=0", "?limit=101", "?offset=-1", "?order=random",
            "?from=yesterday", "?to=2020-13-01", "?from=2021-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
        ] {
            let body = app.get(&format!("/disputes{query}")).await.expect_error(400, "bad_request");
            assert!(!body["message"].as_str().unwrap().contains("sql"), "{body}");
            app.get(&format!("/disputes/{OPEN_DISPUTE}/documents{query}")).await.expect_error(400, "bad_request");
        }
        app.get("/disputes?limit=100").await.expect(200);
        let bad_json = app.request(Method::GET, "/disputes").header("content-type", "application/json").body("[1,2]");
        app.send(bad_json).await.expect_error(400, "bad_request");
    }

    async fn deep_offsets_page_through_the_same_records_as_shallow_ones(app) {
        for i in 0..110 {
            let charge = format!("chrg_test_5deeppaging{i:07}0");
            let req = app.client.post(app.url(&format!("/charges/{charge}/disputes"))).basic_auth(OTHER_ACCOUNT_KEY, Some(""));
            app.send(req).await.expect(200);
        }
        let first = list(&app, "?limit=100").await;
        let rest = list(&app, "?limit=100&offset=100").await;
        let all: Vec<String> = ids(&first).into_iter().chain(ids(&rest)).collect();
        assert_eq!((all.len(), rest["total"].clone()), (111, json!(111)));
        let deep = list(&app, "?limit=5&offset=103").await;
        assert_eq!(ids(&deep), all[103..108].to_vec());
        let deep_reversed = list(&app, "?limit=5&offset=103&order=reverse_chronological").await;
        let mut reversed = all.clone();
        reversed.reverse();
        assert_eq!(ids(&deep_reversed), reversed[103..108].to_vec());
        let open = app.get_as(OTHER_ACCOUNT_KEY, "/disputes/open?limit=3&offset=105").await.expect(200);
        assert_eq!((ids(&open), open["total"].clone()), (all[105..108].to_vec(), json!(111)));
        let past_the_end = list(&app, "?offset=500").await;
        assert_eq!((past_the_end["data"].as_array().unwrap().len(), past_the_end["total"].clone()), (0, json!(111)));
    }

    async fn unknown_parameters_are_ignored(app) {
        let list = app.get("/disputes?colour=blue&limit=1").await.expect(200);
        assert_eq!(list["limit"], 1);
    }
}
