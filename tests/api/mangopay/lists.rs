//! MANGOPAY.md §6: paging (in any letter case), the paging headers and their Link URLs, sorting,
//! the date bounds, and filters with several values in every spelling. Most run on the other
//! demo ClientId, whose disputes the test makes, an hour apart.

use crate::helpers::*;
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};

/// Five disputes opened by the operator on the other account, an hour apart (the clock is
/// moved, not slept); with the seeded one, six. Returns the new ids, oldest first.
async fn five_disputes_an_hour_apart(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..5 {
        app.state.core.clock.advance(TimeDelta::hours(1));
        ids.push(app.mp_ops_dispute(json!({"account": OTHER_ACCOUNT})).await);
    }
    ids
}

/// A GET under the other ClientId's path (`/v2.01/other-demo{path}`).
async fn other(app: &TestApp, path: &str) -> Reply {
    app.mp_get_as(
        MP_OTHER_CLIENT,
        MP_OTHER_KEY,
        &format!("/v2.01/{MP_OTHER_CLIENT}{path}"),
    )
    .await
}

/// A GET of an absolute URL (a Link) as the other ClientId.
async fn follow(app: &TestApp, url: &str) -> Reply {
    assert!(
        url.starts_with(&app.base),
        "an absolute URL on this server: {url}"
    );
    let token = app.cached_token(MP_OTHER_CLIENT, MP_OTHER_KEY).await;
    app.mp_send(
        app.client
            .get(url)
            .bearer_auth(token)
            .header("content-type", "application/json"),
    )
    .await
}

fn reversed(ids: &[String]) -> Vec<String> {
    ids.iter().rev().cloned().collect()
}

/// The CreationDate of each dispute of a list, by id.
fn creation_dates(list: &Value) -> Vec<(String, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["Id"].as_str().unwrap().to_owned(),
                d["CreationDate"].as_i64().unwrap(),
            )
        })
        .collect()
}

each_backend! {
    async fn the_paging_headers_count_items_and_pages_and_the_links_page_through(app) {
        let mut created = five_disputes_an_hour_apart(&app).await;
        created.insert(0, OTHER_ACCOUNT_DISPUTE.to_owned());
        let newest_first = reversed(&created);

        let reply = other(&app, "/disputes?per_page=2").await;
        assert_eq!(reply.counts(), (6, 3));
        let links = mp_links(&reply.headers);
        assert_eq!(mp_ids(&reply.expect(200)), newest_first[..2].to_vec());
        assert!(links.contains_key("first") && links.contains_key("next") && links.contains_key("last"), "{links:?}");
        let first = url::Url::parse(&links["first"]).unwrap();
        let query: std::collections::HashMap<String, String> =
            first.query_pairs().map(|(k, v)| (k.to_lowercase(), v.into_owned())).collect();
        assert_eq!((query["page"].as_str(), query["per_page"].as_str()), ("1", "2"), "{first}");

        // Following `next` walks every page once, in order, to the last.
        let mut walked = Vec::new();
        let mut next = Some(links["first"].clone());
        let mut pages = 0;
        while let Some(url) = next {
            let reply = follow(&app, &url).await;
            assert_eq!(reply.counts(), (6, 3));
            let links = mp_links(&reply.headers);
            pages += 1;
            if pages > 1 {
                assert!(links.contains_key("prev"), "page {pages}: {links:?}");
            }
            next = links.get("next").cloned();
            walked.extend(mp_ids(&reply.expect(200)));
            assert!(pages <= 3, "more pages than X-Number-Of-Pages");
        }
        assert_eq!((pages, walked), (3, newest_first.clone()));
        let last = follow(&app, &links["last"]).await;
        assert!(!mp_links(&last.headers).contains_key("next"));
        assert_eq!(mp_ids(&last.expect(200)), newest_first[4..].to_vec());
        let second = other(&app, "/disputes?page=2&per_page=2").await;
        let prev = mp_links(&second.headers)["prev"].clone();
        assert_eq!(mp_ids(&follow(&app, &prev).await.expect(200)), newest_first[..2].to_vec());
    }

    async fn page_and_per_page_are_read_in_any_letter_case(app) {
        let mut created = five_disputes_an_hour_apart(&app).await;
        created.insert(0, OTHER_ACCOUNT_DISPUTE.to_owned());
        let expected = reversed(&created)[2..4].to_vec();
        for query in ["page=2&per_page=2", "Page=2&Per_Page=2", "PAGE=2&PER_PAGE=2", "Page=2&per_page=2", "page=2&Per_page=2"] {
            let reply = other(&app, &format!("/disputes?{query}")).await;
            assert_eq!(reply.counts(), (6, 3), "{query}");
            assert_eq!(mp_ids(&reply.expect(200)), expected, "{query}");
        }
    }

    async fn per_page_defaults_to_ten_and_is_clamped_to_a_hundred(app) {
        let reply = app.mp_get("/disputes").await;
        assert_eq!(reply.counts(), (12, 2));
        assert_eq!(mp_ids(&reply.expect(200)).len(), 10);
        let reply = app.mp_get("/disputes?page=2").await;
        assert_eq!(mp_ids(&reply.expect(200)).len(), 2);
        let reply = app.mp_get("/disputes?per_page=1000").await;
        assert_eq!(reply.counts(), (12, 1));
        assert_eq!(mp_ids(&reply.expect(200)).len(), 12);
    }

    async fn a_page_past_the_end_is_an_empty_array_with_the_totals(app) {
        five_disputes_an_hour_apart(&app).await;
        let reply = other(&app, "/disputes?page=99&per_page=2").await;
        assert_eq!(reply.counts(), (6, 3));
        assert_eq!(reply.expect(200), json!([]));
        // An empty list has no pages.
        let reply = other(&app, &format!("/disputes?AfterDate={}", app.state.core.clock.now().timestamp() + 60)).await;
        assert_eq!(reply.counts(), (0, 0));
        assert_eq!(reply.expect(200), json!([]));
    }

    async fn bad_paging_sorting_dates_and_filter_values_are_param_errors(app) {
        for query in [
            "page=0", "page=-1", "page=abc", "page=1.5", "per_page=0", "per_page=-3", "per_page=ten", "Per_Page=0",
            "Sort=Amount:ASC", "Sort=CreationDate:UP", "Sort=nonsense", "Sort=",
            "BeforeDate=yesterday", "AfterDate=1.5e9",
            "Status=NOPE", "Status=SUBMITTED,NOPE", "DisputeType=NOPE",
        ] {
            let reply = app.mp_get(&format!("/disputes?{query}")).await;
            assert_eq!(reply.status, 400, "{query}: {}", reply.body);
            let body = reply.expect_mp_error(400, "param_error");
            assert!(body["errors"].as_object().is_some_and(|e| !e.is_empty()), "{query}: {body}");
        }
        for query in ["Status=NOPE", "Type=PASSPORT", "per_page=0", "Sort=Type:ASC"] {
            app.mp_get(&format!("/dispute-documents?{query}")).await.expect_mp_error(400, "param_error");
            app.mp_get(&format!("/disputes/{OPEN_DISPUTE}/documents?{query}")).await.expect_mp_error(400, "param_error");
        }
    }

    async fn sort_orders_by_creation_date_either_way_newest_first_by_default(app) {
        let mut created = five_disputes_an_hour_apart(&app).await;
        created.insert(0, OTHER_ACCOUNT_DISPUTE.to_owned());
        let default = mp_ids(&other(&app, "/disputes").await.expect(200));
        assert_eq!(default, reversed(&created));
        for asc in ["Sort=CreationDate:ASC", "Sort=CreationDate%3AASC", "Sort=CreationDate:asc", "sort=CreationDate:Asc"] {
            assert_eq!(mp_ids(&other(&app, &format!("/disputes?{asc}")).await.expect(200)), created, "{asc}");
        }
        for desc in ["Sort=CreationDate:DESC", "Sort=CreationDate%3ADESC", "Sort=CreationDate:desc"] {
            assert_eq!(mp_ids(&other(&app, &format!("/disputes?{desc}")).await.expect(200)), reversed(&created), "{desc}");
        }
        // Sort and paging together: the links keep the order.
        let reply = other(&app, "/disputes?Sort=CreationDate:ASC&per_page=4").await;
        let next = mp_links(&reply.headers)["next"].clone();
        assert_eq!(mp_ids(&reply.expect(200)), created[..4].to_vec());
        assert_eq!(mp_ids(&follow(&app, &next).await.expect(200)), created[4..].to_vec());
    }

    async fn before_date_and_after_date_bound_the_creation_date_strictly(app) {
        let created = five_disputes_an_hour_apart(&app).await;
        let list = other(&app, "/disputes?Sort=CreationDate:ASC").await.expect(200);
        let dates = creation_dates(&list);
        assert_eq!(dates[1..].iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), created);
        let t = |i: usize| dates[i + 1].1;
        let ids = async |query: String| mp_ids(&other(&app, &format!("/disputes?Sort=CreationDate:ASC&{query}")).await.expect(200));
        assert_eq!(ids(format!("AfterDate={}", t(1))).await, created[2..].to_vec());
        assert_eq!(ids(format!("BeforeDate={}", t(3))).await[1..], created[..3]);
        assert_eq!(ids(format!("AfterDate={}&BeforeDate={}", t(0), t(4))).await, created[1..4].to_vec());
        assert_eq!(ids(format!("afterdate={}&beforedate={}", t(0), t(4))).await, created[1..4].to_vec());
        let now = app.state.core.clock.now().timestamp();
        let reply = other(&app, &format!("/disputes?AfterDate={now}")).await;
        assert_eq!(reply.counts(), (0, 0));
        assert_eq!(reply.expect(200), json!([]));
        let bounded = other(&app, &format!("/disputes?AfterDate={}&per_page=1", t(1))).await;
        assert_eq!(bounded.counts(), (3, 3));
    }

    async fn status_filters_take_several_values_comma_joined_repeated_or_bracketed(app) {
        let created = five_disputes_an_hour_apart(&app).await;
        let other_token = app.cached_token(MP_OTHER_CLIENT, MP_OTHER_KEY).await;
        let put = async |path: String, body: Value| {
            let req = app.mp_request_as(&other_token, Method::PUT, &format!("/v2.01/{MP_OTHER_CLIENT}{path}")).body(body.to_string());
            app.mp_send(req).await.expect(200)
        };
        let contest = json!({"ContestedFunds": {"Currency": "EUR", "Amount": 100}});
        put(format!("/disputes/{}/submit", created[0]), contest.clone()).await;
        put(format!("/disputes/{}/close", created[1]), json!({})).await;
        put(format!("/disputes/{}/submit", created[2]), contest).await;
        app.ops(Method::POST, &format!("/ops/disputes/{}/resolve", created[2]), json!({"outcome": "won"})).await.expect(200);
        let mut expected = vec![created[0].clone(), created[1].clone(), created[2].clone()];
        expected.sort();

        for query in [
            "Status=SUBMITTED,CLOSED",
            "Status=SUBMITTED,%20CLOSED",
            "Status=SUBMITTED%2CCLOSED",
            "Status=SUBMITTED&Status=CLOSED",
            "Status[]=SUBMITTED&Status[]=CLOSED",
            "status=SUBMITTED,CLOSED",
            "status=SUBMITTED&status=CLOSED",
            // Python passes a list as its repr (an optional leniency, MANGOPAY.md §6.3).
            "Status=['SUBMITTED',%20'CLOSED']",
        ] {
            let reply = other(&app, &format!("/disputes?{query}")).await;
            assert_eq!(reply.counts(), (3, 1), "{query}");
            let mut ids = mp_ids(&reply.expect(200));
            ids.sort();
            assert_eq!(ids, expected, "{query}");
        }
        let mut closed = mp_ids(&other(&app, "/disputes?Status=CLOSED").await.expect(200));
        closed.sort();
        let mut expected_closed = vec![created[1].clone(), created[2].clone()];
        expected_closed.sort();
        assert_eq!(closed, expected_closed);
        let waiting = other(&app, "/disputes?Status=PENDING_CLIENT_ACTION").await;
        assert_eq!(waiting.counts().0, 3);

        // The links keep the filter (commas percent-encoded) and page through the filtered list.
        let reply = other(&app, "/disputes?Status=SUBMITTED,CLOSED&per_page=1").await;
        assert_eq!(reply.counts(), (3, 3));
        let mut walked = mp_ids(&reply.body);
        let mut next = mp_links(&reply.headers).get("next").cloned();
        while let Some(url) = next {
            assert!(!url.contains(','), "{url}");
            let reply = follow(&app, &url).await;
            next = mp_links(&reply.headers).get("next").cloned();
            walked.extend(mp_ids(&reply.expect(200)));
        }
        walked.sort();
        assert_eq!(walked, expected);
    }

    async fn dispute_type_filters_the_list(app) {
        let plain = app.mp_ops_dispute(json!({"account": OTHER_ACCOUNT})).await;
        let not_contestable = app.mp_ops_dispute(json!({"account": OTHER_ACCOUNT, "dispute_type": "NOT_CONTESTABLE"})).await;
        let retrieval = app.mp_ops_dispute(json!({"account": OTHER_ACCOUNT, "dispute_type": "RETRIEVAL"})).await;
        let ids = async |query: &str| {
            let mut ids = mp_ids(&other(&app, &format!("/disputes?{query}")).await.expect(200));
            ids.sort();
            ids
        };
        assert_eq!(ids("DisputeType=NOT_CONTESTABLE").await, vec![not_contestable.clone()]);
        let mut expected = vec![not_contestable.clone(), retrieval.clone()];
        expected.sort();
        assert_eq!(ids("DisputeType=NOT_CONTESTABLE,RETRIEVAL").await, expected);
        assert_eq!(ids("DisputeType[]=NOT_CONTESTABLE&DisputeType[]=RETRIEVAL").await, expected);
        assert_eq!(ids("DisputeType=NOT_CONTESTABLE&DisputeType=RETRIEVAL").await, expected);
        let mut contestable = vec![plain, OTHER_ACCOUNT_DISPUTE.to_owned()];
        contestable.sort();
        assert_eq!(ids("DisputeType=CONTESTABLE").await, contestable);
        assert_eq!(ids("DisputeType=RETRIEVAL&Status=PENDING_CLIENT_ACTION").await, vec![retrieval]);
    }

    async fn every_list_carries_the_paging_headers(app) {
        let id = OPEN_DISPUTE;
        for path in [
            "/disputes".to_owned(),
            "/disputes/pendingsettlement".to_owned(),
            "/payins/chrg_test_5demochrg0100000000/disputes".to_owned(),
            "/users/12345/disputes".to_owned(),
            "/wallets/12345/disputes".to_owned(),
            format!("/disputes/{id}/transactions"),
            format!("/disputes/{id}/documents"),
            "/dispute-documents".to_owned(),
        ] {
            let reply = app.mp_get(&path).await;
            let (items, pages) = reply.counts();
            assert_eq!(pages, items.div_ceil(10), "{path}");
            let links = mp_links(&reply.headers);
            if items > 0 {
                assert!(links.contains_key("first") && links.contains_key("last"), "{path}: {links:?}");
            }
            for url in links.values() {
                assert!(url.starts_with(&app.base), "{path}: {url}");
            }
            let body = reply.expect(200);
            assert_eq!(body.as_array().unwrap_or_else(|| panic!("{path}: an array")).len() as u64, items.min(10), "{path}");
        }
    }

    async fn a_status_filter_lists_exactly_the_disputes_showing_those_statuses(app) {
        // One dispute in each status the server shows: fresh, reopened, submitted, with the bank,
        // closed.
        let created = five_disputes_an_hour_apart(&app).await;
        let other_token = app.cached_token(MP_OTHER_CLIENT, MP_OTHER_KEY).await;
        let put = async |path: String, body: Value| {
            let req = app.mp_request_as(&other_token, Method::PUT, &format!("/v2.01/{MP_OTHER_CLIENT}{path}")).body(body.to_string());
            app.mp_send(req).await.expect(200)
        };
        let contest = json!({"ContestedFunds": {"Currency": "EUR", "Amount": 100}});
        put(format!("/disputes/{}/submit", created[0]), contest.clone()).await;
        put(format!("/disputes/{}/submit", created[1]), contest.clone()).await;
        app.ops(Method::POST, &format!("/ops/disputes/{}/reopen", created[1]), json!({})).await.expect(200);
        put(format!("/disputes/{}/close", created[2]), json!({})).await;
        put(format!("/disputes/{}/submit", created[3]), contest.clone()).await;
        app.ops(Method::POST, &format!("/ops/disputes/{}/escalate", created[3]), json!({})).await.expect(200);
        let all = other(&app, "/disputes?per_page=100").await.expect(200);
        let status_of: std::collections::HashMap<String, String> = all.as_array().unwrap().iter()
            .map(|d| (d["Id"].as_str().unwrap().to_owned(), d["Status"].as_str().unwrap().to_owned())).collect();
        let shown = ["PENDING_CLIENT_ACTION", "REOPENED_PENDING_CLIENT_ACTION", "SUBMITTED", "PENDING_BANK_ACTION", "CLOSED"];
        for status in shown {
            assert!(status_of.values().any(|s| s == status), "no dispute is {status}: {status_of:?}");
        }
        // Every non-empty subset of those statuses, as one comma-joined filter.
        let mut wrong = Vec::new();
        for mask in 1..32u32 {
            let asked: Vec<&str> = shown.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, s)| *s).collect();
            let query = asked.join(",");
            let reply = other(&app, &format!("/disputes?per_page=100&Status={query}")).await;
            let (items, _) = reply.counts();
            let listed = reply.expect(200);
            let mut expected: Vec<String> =
                status_of.iter().filter(|(_, s)| asked.contains(&s.as_str())).map(|(id, _)| id.clone()).collect();
            expected.sort();
            let mut got = mp_ids(&listed);
            got.sort();
            if got != expected || items != expected.len() as u64 {
                let extra: Vec<&str> = listed.as_array().unwrap().iter().map(|d| d["Status"].as_str().unwrap())
                    .filter(|s| !asked.contains(s)).collect();
                wrong.push(format!("Status={query}: {} listed, {} expected; also lists {extra:?}", got.len(), expected.len()));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    async fn dates_outside_the_calendar_still_bound_the_list(app) {
        five_disputes_an_hour_apart(&app).await;
        let mut wrong = Vec::new();
        // (query, how many disputes it may list); a 400 param_error is fine too.
        for (query, expected) in [
            ("AfterDate=99999999999999", 0),
            ("AfterDate=9223372036854775807", 0),
            ("BeforeDate=-99999999999999", 0),
            ("BeforeDate=-9223372036854775808", 0),
            ("AfterDate=-99999999999999", 6),
            ("BeforeDate=99999999999999", 6),
        ] {
            let reply = other(&app, &format!("/disputes?{query}")).await;
            if reply.status == 400 {
                reply.expect_mp_error(400, "param_error");
                continue;
            }
            let (items, _) = reply.counts();
            let listed = mp_ids(&reply.expect(200)).len() as u64;
            if (items, listed) != (expected, expected) {
                wrong.push(format!("{query}: {listed} listed, X-Number-Of-Items {items}; expected {expected}"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    async fn paging_through_items_created_in_one_second_lists_each_once(app) {
        let dispute = app.open_dispute().await;
        let mut created = Vec::new();
        for _ in 0..12 {
            created.push(app.mp_document(&dispute, "OTHER").await["Id"].as_str().unwrap().to_owned());
        }
        created.sort();
        let token = app.mp_token().await;
        for sort in ["CreationDate:ASC", "CreationDate:DESC"] {
            let mut walked = Vec::new();
            let mut next = Some(app.url(&app.mp_path(&format!("/disputes/{dispute}/documents?per_page=5&Sort={sort}"))));
            while let Some(url) = next {
                let reply = app.mp_send(app.client.get(&url).bearer_auth(&token)).await;
                next = mp_links(&reply.headers).get("next").cloned();
                walked.extend(mp_ids(&reply.expect(200)));
                assert!(walked.len() <= 12, "{sort}: {walked:?}");
            }
            walked.sort();
            assert_eq!(walked, created, "{sort}: every document once");
        }
    }
}
