//! SEARCH.md: `GET /search` with scope dispute — the acceptance checks of its §6 over a fresh
//! account, every way the official clients send their parameters, both API versions, the
//! errors, hostile input, and text written into the database any way at all being found at once.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

/// §6's account: D1 (THB 900.00, open, "bad charge"), D2 (THB 120.50, pending, reason
/// credit_not_processed), D3 (JPY 5000, lost, closed now), opened in that order; a live dispute
/// and one of another account say "bad charge" too.
struct Shop {
    key: String,
    live_key: String,
    d1: String,
    d2: String,
    d3: String,
    live: String,
}

async fn key(app: &TestApp, account: &str, mode: &str) -> String {
    let path = format!("/ops/accounts/{account}/keys");
    let key = app.ops(Method::POST, &path, json!({ "mode": mode })).await;
    key.expect(200)["secret"].as_str().unwrap().to_owned()
}

async fn open(app: &TestApp, key: &str, body: Value) -> String {
    let charge = dispute_docs::domain::Id::generate(
        dispute_docs::domain::IdKind::Charge,
        dispute_docs::domain::Mode::Test,
        chrono::Utc::now().timestamp(),
    );
    let req = app
        .client
        .post(app.url(&format!("/charges/{charge}/disputes")))
        .basic_auth(key, Some(""))
        .json(&body);
    app.send(req).await.expect(200)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sets a dispute's message straight in the database, as no API call can on an open dispute.
async fn set_message(app: &TestApp, dispute: &str, message: &str) {
    let sql =
        format!("update disputes set message = '{message}' where id = '{dispute}' returning id");
    assert_eq!(app.sql_strings(&sql).await, [dispute]);
}

async fn shop(app: &TestApp) -> Shop {
    let account = app
        .ops(
            Method::POST,
            "/ops/accounts",
            json!({"name": "Search shop"}),
        )
        .await
        .expect(200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = key(app, &account, "test").await;
    let live_key = key_for_live(app, &account).await;
    let d1 = open(app, &key, json!({"amount": 90000, "currency": "THB"})).await;
    let d2 = open(
        app,
        &key,
        json!({"amount": 12050, "currency": "THB", "reason_code": "credit_not_processed"}),
    )
    .await;
    let d3 = open(app, &key, json!({"amount": 5000, "currency": "JPY"})).await;
    let as_shop = |method: Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .basic_auth(&key, Some(""))
    };
    app.send(
        as_shop(Method::PATCH, &format!("/disputes/{d2}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("message=Refund+of+50%25+promised&metadata[order]=A_1%5C2&metadata[nested][sku]=SKU-778&metadata[nested][qty]=3"),
    )
    .await
    .expect(200);
    app.send(as_shop(Method::PATCH, &format!("/disputes/{d3}/accept")))
        .await
        .expect(200);
    set_message(app, &d1, "bad charge").await;
    let live_charge = dispute_docs::domain::Id::generate(
        dispute_docs::domain::IdKind::Charge,
        dispute_docs::domain::Mode::Live,
        chrono::Utc::now().timestamp(),
    );
    let live = app
        .ops(
            Method::POST,
            "/ops/disputes",
            json!({"account": account, "mode": "live", "charge": live_charge.as_str(), "amount": 90000}),
        )
        .await
        .expect(200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    set_message(app, &live, "bad charge").await;
    set_message(app, OPEN_DISPUTE, "bad charge").await;
    Shop {
        key,
        live_key,
        d1,
        d2,
        d3,
        live,
    }
}

async fn key_for_live(app: &TestApp, account: &str) -> String {
    key(app, account, "live").await
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {body}"))
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

impl Shop {
    fn get(&self, app: &TestApp, query: &str) -> reqwest::RequestBuilder {
        app.client
            .get(app.url(&format!("/search{query}")))
            .basic_auth(&self.key, Some(""))
    }

    async fn search(&self, app: &TestApp, query: &str) -> Value {
        app.send(self.get(app, query)).await.expect(200)
    }

    async fn found(&self, app: &TestApp, query: &str) -> Vec<String> {
        ids(&self.search(app, query).await)
    }
}

/// The top-level keys of a JSON object, in the order written.
fn key_order(text: &str) -> Vec<String> {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((k, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(Visitor)
        }
    }
    serde_json::from_str::<Keys>(text).unwrap().0
}

each_backend! {
    async fn a_search_with_nothing_but_the_scope_lists_the_callers_disputes_oldest_first(app) {
        let shop = shop(&app).await;
        let body = shop.search(&app, "?scope=dispute").await;
        assert_eq!(ids(&body), [shop.d1.as_str(), shop.d2.as_str(), shop.d3.as_str()]);
        for (field, value) in [
            ("object", json!("search")), ("scope", json!("dispute")), ("query", json!("")),
            ("filters", json!({})), ("page", json!(1)), ("per_page", json!(30)),
            ("order", json!("chronological")), ("location", json!("/search")), ("total", json!(3)),
            ("total_pages", json!(1)), ("export", Value::Null), ("aggregate_level", Value::Null),
        ] {
            assert_eq!(body.get(field), Some(&value), "{field} in {body}");
        }
        // The trailing-slash form (PHP, Python) is the same search.
        let slash = app.send(shop.get(&app, "/?scope=dispute")).await.expect(200);
        assert_eq!((ids(&slash), slash["location"].clone()), (ids(&body), json!("/search")));
        // The live key sees the live dispute alone; another account sees none of these.
        let live = app.send(app.client.get(app.url("/search?scope=dispute")).basic_auth(&shop.live_key, Some(""))).await.expect(200);
        assert_eq!(ids(&live), [shop.live.as_str()]);
        let other = app.get("/search?scope=dispute&query=bad+charge").await.expect(200);
        assert_eq!(ids(&other), [OPEN_DISPUTE]);
    }

    async fn each_item_is_the_dispute_as_retrieve_renders_it_in_both_versions(app) {
        let shop = shop(&app).await;
        app.send(app.client.post(app.url(&format!("/disputes/{}/documents", shop.d1)))
            .basic_auth(&shop.key, Some(""))
            .multipart(reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("slip.png"))))
            .await.expect(200);
        for version in ["2019-05-29", "2017-11-02"] {
            let found = app.send(shop.get(&app, "?scope=dispute").header("Omise-Version", version)).await.expect(200);
            for item in found["data"].as_array().unwrap() {
                let id = item["id"].as_str().unwrap();
                let mut alone = app.send(app.client.get(app.url(&format!("/disputes/{id}")))
                    .basic_auth(&shop.key, Some("")).header("Omise-Version", version)).await.expect(200);
                let mut item = item.clone();
                // A download link is signed at the time of the request: equal up to its token.
                for d in [&mut item, &mut alone] {
                    for doc in d["documents"]["data"].as_array_mut().unwrap() {
                        let uri = doc["download_uri"].as_str().unwrap();
                        assert!(uri.starts_with(&app.base), "{uri}");
                        doc["download_uri"] = json!(uri.rsplit_once('/').unwrap().0);
                        // So is a preview's, with its expiry: equal up to both.
                        if let Some(uri) = doc["preview_uri"].as_str() {
                            doc["preview_uri"] = json!(uri.rsplit_once('/').unwrap().0);
                        }
                    }
                    d["documents"]["to"] = Value::Null;
                }
                assert_eq!(item, alone, "{version}");
            }
            assert_eq!(found["data"][0]["documents"]["total"], 1);
        }
    }

    async fn the_2017_shape_has_the_recorded_keys_in_the_recorded_order(app) {
        let shop = shop(&app).await;
        let legacy = shop.get(&app, "?scope=dispute&query=bad").header("Omise-Version", "2017-11-02");
        let text = legacy.send().await.unwrap().text().await.unwrap();
        assert_eq!(key_order(&text), ["object", "order", "scope", "query", "filters", "page", "per_page", "location", "total_pages", "total", "data"]);
        let body: Value = serde_json::from_str(&text).unwrap();
        let d1 = &body["data"][0];
        assert_eq!((d1["id"].as_str(), d1["currency"].clone(), d1["message"].clone()), (Some(shop.d1.as_str()), json!("thb"), json!("bad charge")));
        assert!(d1.get("created").is_some() && d1.get("created_at").is_none() && d1["transaction"].is_string(), "{d1}");
        let current = shop.get(&app, "?scope=dispute&query=bad").send().await.unwrap().text().await.unwrap();
        assert_eq!(key_order(&current), ["object", "export", "data", "page", "per_page", "total", "total_pages", "filters", "location", "order", "query", "scope", "aggregate_level"]);
    }

    async fn parameters_come_from_a_form_body_a_json_body_or_the_query_string(app) {
        let shop = shop(&app).await;
        // The docs' curl: a form body on a GET.
        let form = shop.get(&app, "").header("content-type", "application/x-www-form-urlencoded").body("scope=dispute&query=BAD");
        let body = app.send(form).await.expect(200);
        assert_eq!((ids(&body), body["query"].clone()), (vec![shop.d1.clone()], json!("BAD")));
        // curl -d without a content type is a form too.
        let bare = app.send(shop.get(&app, "").body("scope=dispute&query=BAD")).await.expect(200);
        assert_eq!(ids(&bare), [shop.d1.as_str()]);
        // Go: everything in a JSON body.
        let go = shop.get(&app, "").json(&json!({"scope": "dispute", "filters": {"status": "pending"}, "order": "reverse_chronological", "page": 1, "per_page": 2}));
        let body = app.send(go).await.expect(200);
        assert_eq!((ids(&body), body["per_page"].clone(), body["filters"].clone()), (vec![shop.d2.clone()], json!(2), json!({"status": "pending"})));
        // PHP: /search/, encoded brackets, an empty query.
        let php = shop.search(&app, "/?scope=dispute&query=demo&filters%5Bcard_last_digits%5D=5454&page=1&order=reverse_chronological").await;
        assert_eq!((php["total"].clone(), php["total_pages"].clone(), php["data"].clone(), php["filters"].clone()),
            (json!(0), json!(0), json!([]), json!({"card_last_digits": "5454"})));
        // Node: `filters=` and a JSON content type with no body.
        let node = app.send(shop.get(&app, "?scope=dispute&filters=").header("content-type", "application/json")).await.expect(200);
        assert_eq!(ids(&node).len(), 3);
        // Ruby: sorted keys, + for a space.
        let ruby = shop.search(&app, "?filters%5Bstatus%5D=open&query=bad+charge&scope=dispute").await;
        assert_eq!((ids(&ruby), ruby["query"].clone()), (vec![shop.d1.clone()], json!("bad charge")));
        // Python: the query string, and a JSON body of {}.
        let python = app.send(shop.get(&app, "/?scope=dispute&filters%5Bstatus%5D=open").json(&json!({}))).await.expect(200);
        assert_eq!(ids(&python), [shop.d1.as_str()]);
        // A name in both the query string and the body: the query string's.
        let both = shop.get(&app, "?scope=dispute&query=bad").json(&json!({"query": "refund"}));
        assert_eq!(ids(&app.send(both).await.expect(200)), [shop.d1.as_str()]);
        // JSON numbers and booleans as filter values are echoed as strings.
        let typed = shop.get(&app, "").json(&json!({"scope": "dispute", "filters": {"amount": 900, "delayed": false}}));
        let body = app.send(typed).await.expect(200);
        assert_eq!((ids(&body), body["filters"].clone()), (vec![shop.d1.clone()], json!({"amount": "900", "delayed": "false"})));
    }

    async fn every_filter_matches_as_searchmd_says(app) {
        let shop = shop(&app).await;
        let (d1, d2, d3) = (shop.d1.as_str(), shop.d2.as_str(), shop.d3.as_str());
        for (query, expected) in [
            ("filters[amount]=900", vec![d1]),
            ("filters[amount]=900.00", vec![d1]),
            ("filters[amount]=100..1000&filters[currency]=thb", vec![d1, d2]),
            ("filters[amount]=120.50", vec![d2]),
            ("filters[amount]=120.5..", vec![d1, d2, d3]),
            ("filters[amount]=..120.49", vec![]),
            ("filters[amount]=5000", vec![d3]),
            ("filters[amount]=5000&filters[currency]=JPY", vec![d3]),
            ("filters[amount]=90000", vec![]),
            ("filters[currency]=jpy", vec![d3]),
            ("filters[created]=yesterday..today", vec![d1, d2, d3]),
            ("filters[created_at]=this_year..", vec![d1, d2, d3]),
            ("filters[closed_at]=yesterday..today", vec![d3]),
            ("filters[created]=2000-01-01..2000-01-31", vec![]),
            ("filters[created]=2000-01-01..", vec![d1, d2, d3]),
            ("filters[reason_code]=credit_not_processed", vec![d2]),
            ("filters[status]=lost", vec![d3]),
            ("filters[status]=won", vec![]),
            ("filters[delayed]=False", vec![d1, d2, d3]),
            ("filters[delayed]=yes", vec![]),
            ("filters[card_first_digits]=424242", vec![]),
            ("filters[status]=", vec![d1, d2, d3]),
        ] {
            let found = shop.found(&app, &format!("?scope=dispute&{query}")).await;
            assert_eq!(found, expected, "{query}");
        }
        let charge = shop.search(&app, "?scope=dispute").await["data"][1]["charge"].as_str().unwrap().to_owned();
        assert_eq!(shop.found(&app, &format!("?scope=dispute&filters[charge_id]={charge}")).await, [d2]);
    }

    async fn the_query_is_a_case_insensitive_literal_substring_of_the_searchable_fields(app) {
        let shop = shop(&app).await;
        let (d1, d2) = (shop.d1.as_str(), shop.d2.as_str());
        let charge = shop.search(&app, "?scope=dispute").await["data"][0]["charge"].as_str().unwrap().to_owned();
        for (query, expected) in [
            ("bad", vec![d1]),
            ("AD+CH", vec![d1]),
            (&shop.d1[12..22], vec![d1]),
            (&charge[10..], vec![d1]),
            ("50%25", vec![d2]),
            ("0%25+p", vec![d2]),
            ("A_1", vec![d2]),
            ("A%251", vec![]),
            ("___", vec![]),
            ("%25%25%25", vec![]),
            ("1%5C2", vec![d2]),
            ("sku-778", vec![d2]),
            ("credit+not", vec![d2]),
            ("+++bad+charge+++", vec![d1]),
            ("nothing+like+it", vec![]),
            // Every longer word is there, but not the query as a whole: not found.
            ("promised+refund", vec![]),
            ("charge+bad", vec![]),
            ("Refund+of+50", vec![d2]),
        ] {
            let found = shop.found(&app, &format!("?scope=dispute&query={query}")).await;
            assert_eq!(found, expected, "{query}");
        }
        // With filters, both must hold.
        assert_eq!(shop.found(&app, "?scope=dispute&query=bad&filters[status]=pending").await, Vec::<String>::new());
    }

    async fn text_written_any_way_is_found_at_once_and_gone_when_changed(app) {
        let shop = shop(&app).await;
        set_message(&app, &shop.d3, "Written by hand in SQL").await;
        assert_eq!(shop.found(&app, "?scope=dispute&query=by+hand").await, [shop.d3.as_str()]);
        set_message(&app, &shop.d3, "changed again").await;
        assert_eq!(shop.found(&app, "?scope=dispute&query=by+hand").await, Vec::<String>::new());
        let sql = format!("update disputes set metadata = '{{\"ref\": {{\"deep\": \"Hidden-Value\"}}}}' where id = '{}' returning id", shop.d1);
        app.sql_strings(&sql).await;
        assert_eq!(shop.found(&app, "?scope=dispute&query=hidden-val").await, [shop.d1.as_str()]);
        // The operator's changes and the reset (which deletes) keep the index as well.
        let reset = app.send(app.request(Method::POST, "/test/reset")).await;
        reset.expect(200);
        assert_eq!(ids(&app.get("/search?scope=dispute&query=bad+charge").await.expect(200)), Vec::<String>::new());
    }

    async fn pages_count_from_one_and_a_page_past_the_end_is_empty(app) {
        let shop = shop(&app).await;
        let far = shop.search(&app, "?scope=dispute&per_page=1&page=999").await;
        assert_eq!((far["data"].clone(), far["page"].clone(), far["total"].clone(), far["total_pages"].clone()), (json!([]), json!(999), json!(3), json!(3)));
        assert_eq!(shop.found(&app, "?scope=dispute&per_page=1&page=2&order=reverse_chronological").await, [shop.d2.as_str()]);
        assert_eq!(shop.found(&app, "?scope=dispute&per_page=2&page=2").await, [shop.d3.as_str()]);
        let huge = shop.search(&app, "?scope=dispute&per_page=100&page=9223372036854775807").await;
        assert_eq!((huge["data"].clone(), huge["total"].clone()), (json!([]), json!(3)));
        let by_status = shop.search(&app, "?scope=dispute&filters[status]=open&page=2&per_page=1").await;
        assert_eq!((by_status["data"].clone(), by_status["total"].clone(), by_status["total_pages"].clone()), (json!([]), json!(1), json!(1)));
    }

    async fn mistakes_are_omise_errors_with_their_codes(app) {
        let shop = shop(&app).await;
        let long = "x".repeat(10 * 1024);
        for (query, code) in [
            ("?scope=charge", "invalid_scope"),
            ("", "invalid_scope"),
            ("?scope=", "invalid_scope"),
            ("?scope=dispute&filters[status]=closed", "invalid_filter"),
            ("?scope=dispute&filters[amount]=abc", "invalid_filter"),
            ("?scope=dispute&filters[colour]=red", "invalid_filter"),
            ("?scope=dispute&filters[__proto__]=x", "invalid_filter"),
            ("?scope=dispute&filters[status][eq]=open", "invalid_filter"),
            ("?scope=dispute&filters[]=open", "invalid_filter"),
            ("?scope=dispute&filters=open", "invalid_filter"),
            ("?scope=dispute&filters[amount]=2000..1000", "invalid_filter"),
            ("?scope=dispute&filters[created]=2022-12-21..2017-01-01", "invalid_filter"),
            ("?scope=dispute&filters[created]=1969-12-31", "invalid_filter"),
            ("?scope=dispute&filters[closed_at]=10000-01-01", "invalid_filter"),
            ("?scope=dispute&filters[created]=0001-01-01T00:00:00Z..", "invalid_filter"),
            ("?scope=dispute&filters[card_last_digits]=54a4", "invalid_filter"),
            ("?scope=dispute&page=0", "invalid_page"),
            ("?scope=dispute&per_page=0", "invalid_page"),
            ("?scope=dispute&per_page=101", "invalid_page"),
            ("?scope=dispute&page=x", "invalid_page"),
            ("?scope=dispute&order=up", "bad_request"),
            ("?scope=dispute&query=ab", "bad_request"),
            (&format!("?scope=dispute&query={long}"), "bad_request"),
        ] {
            app.send(shop.get(&app, query)).await.expect_error(400, code);
        }
        for filters in [json!(["open"]), json!({"status": {"in": ["open"]}}), json!({"amount": [1, 2]})] {
            let req = shop.get(&app, "").json(&json!({"scope": "dispute", "filters": filters}));
            app.send(req).await.expect_error(400, "invalid_filter");
        }
        app.send(app.client.get(app.url("/search?scope=dispute"))).await.expect_error(401, "authentication_failure");
        for method in [Method::POST, Method::PATCH, Method::DELETE, Method::PUT] {
            let req = app.client.request(method.clone(), app.url("/search")).basic_auth(&shop.key, Some(""));
            app.send(req).await.expect_error(405, "method_not_allowed");
        }
    }
}
