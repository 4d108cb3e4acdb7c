//! MANGOPAY.md §4 #1–#9 and §5.1, §5.4: the dispute object, viewing, the Tag, contest,
//! resubmit, close, the transactions, and the lists of disputes (their paging is in `lists`).

use crate::helpers::*;
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};

const DISPUTE_KEYS: [&str; 17] = [
    "Id",
    "Tag",
    "CreationDate",
    "InitialTransactionId",
    "InitialTransactionType",
    "InitialTransactionNature",
    "DisputeType",
    "ContestDeadlineDate",
    "DisputedFunds",
    "ContestedFunds",
    "Status",
    "StatusMessage",
    "DisputeReason",
    "ResultCode",
    "ResultMessage",
    "ClosedDate",
    "RepudiationId",
];

const TRANSACTION_KEYS: [&str; 16] = [
    "Id",
    "Tag",
    "CreationDate",
    "AuthorId",
    "CreditedUserId",
    "DebitedFunds",
    "CreditedFunds",
    "Fees",
    "Status",
    "ResultCode",
    "ResultMessage",
    "ExecutionDate",
    "Type",
    "Nature",
    "CreditedWalletId",
    "DebitedWalletId",
];

/// Every field of §5.1 is present (null when unset), Money and DisputeReason have both keys,
/// and a success body has no `errors`.
#[track_caller]
fn assert_dispute_shape(d: &Value) {
    let object = d
        .as_object()
        .unwrap_or_else(|| panic!("a Dispute object, got {d}"));
    for key in DISPUTE_KEYS {
        assert!(object.contains_key(key), "{key} missing: {d}");
    }
    assert!(!object.contains_key("errors"), "{d}");
    assert!(d["Id"].is_string() && d["CreationDate"].is_i64(), "{d}");
    assert_eq!(
        (
            d["InitialTransactionType"].clone(),
            d["InitialTransactionNature"].clone()
        ),
        (json!("PAYIN"), json!("REGULAR"))
    );
    for money in ["DisputedFunds", "ContestedFunds"] {
        if !d[money].is_null() {
            assert!(
                d[money]["Currency"].is_string() && d[money]["Amount"].is_i64(),
                "{money}: {d}"
            );
        }
    }
    let reason = d["DisputeReason"]
        .as_object()
        .unwrap_or_else(|| panic!("a DisputeReason: {d}"));
    assert!(
        reason.contains_key("DisputeReasonType") && reason.contains_key("DisputeReasonMessage"),
        "{d}"
    );
    assert!(d["ResultCode"].is_string(), "{d}");
    assert!(
        d["ContestDeadlineDate"].is_null() || d["ContestDeadlineDate"].is_i64(),
        "{d}"
    );
    assert!(d["ClosedDate"].is_null() || d["ClosedDate"].is_i64(), "{d}");
}

async fn dispute(app: &TestApp, id: &str) -> Value {
    let d = app.mp_get(&format!("/disputes/{id}")).await.expect(200);
    assert_dispute_shape(&d);
    d
}

/// `ContestedFunds` for a dispute: its currency and this amount.
fn funds(d: &Value, amount: i64) -> Value {
    json!({"ContestedFunds": {"Currency": d["DisputedFunds"]["Currency"], "Amount": amount}})
}

async fn contest(app: &TestApp, id: &str, amount: i64) -> Value {
    let d = dispute(app, id).await;
    app.mp_put(&format!("/disputes/{id}/submit"), funds(&d, amount))
        .await
        .expect(200)
}

each_backend! {
    async fn a_dispute_is_viewed_with_every_field_of_the_mangopay_object(app) {
        let d = dispute(&app, OPEN_DISPUTE).await;
        assert_eq!(d["Id"], OPEN_DISPUTE);
        assert_eq!(d["Tag"], Value::Null);
        assert_eq!(d["InitialTransactionId"], "chrg_test_5demochrg0100000000");
        assert_eq!(d["DisputeType"], "CONTESTABLE");
        assert_eq!(d["DisputedFunds"], json!({"Currency": "THB", "Amount": 100000}));
        assert_eq!(d["ContestedFunds"], Value::Null);
        assert_eq!(d["Status"], "PENDING_CLIENT_ACTION");
        assert_eq!(d["DisputeReason"]["DisputeReasonType"], "PRODUCT_NOT_PROVIDED");
        assert_eq!((d["ResultCode"].clone(), d["ClosedDate"].clone()), (json!(""), Value::Null));
        assert!(d["RepudiationId"].is_string(), "{d}");
        let now = app.state.core.clock.now().timestamp();
        assert!(d["CreationDate"].as_i64().unwrap() <= now);
    }

    async fn the_demo_disputes_read_in_mangopay_words(app) {
        for (id, status, result, reason) in [
            ("dspt_test_4zgf15h89w8t775kcm8", "PENDING_CLIENT_ACTION", "", "PRODUCT_UNACCEPTABLE"),
            ("dspt_test_5xuy4w91xqz7d1w9u0t", "PENDING_CLIENT_ACTION", "", "REFUND_NOT_PROCESSED"),
            ("dspt_test_5demoopen4000000000", "PENDING_CLIENT_ACTION", "", "DUPLICATE"),
            ("dspt_test_5demoopen5000000000", "PENDING_CLIENT_ACTION", "", "AUTHORISATION_DISPUTED"),
            (PENDING_DISPUTE, "SUBMITTED", "", "PRODUCT_NOT_PROVIDED"),
            ("dspt_test_5demopend8000000000", "SUBMITTED", "", "OTHER"),
            ("dspt_test_5demowon90000000000", "CLOSED", "WON", "TRANSACTION_NOT_RECOGNIZED"),
            ("dspt_test_5demowon10000000000", "CLOSED", "WON", "CANCELED_REOCCURING_TRANSACTION"),
            ("dspt_test_5demolost1100000000", "CLOSED", "LOST", "OTHER"),
            ("dspt_test_5demolost1200000000", "CLOSED", "LOST", "OTHER"),
        ] {
            let d = dispute(&app, id).await;
            assert_eq!((d["Status"].as_str().unwrap(), d["ResultCode"].as_str().unwrap()), (status, result), "{id}");
            assert_eq!(d["DisputeReason"]["DisputeReasonType"], reason, "{id}");
            assert_eq!(d["ClosedDate"].is_i64(), status == "CLOSED", "{id}: {d}");
        }
    }

    async fn an_unknown_dispute_is_404_ressource_not_found_with_an_errors_object(app) {
        for id in ["dspt_test_0000000000000000000", LIVE_DISPUTE, OTHER_ACCOUNT_DISPUTE, "nope"] {
            for reply in [
                app.mp_get(&format!("/disputes/{id}")).await,
                app.mp_put(&format!("/disputes/{id}"), json!({"Tag": "x"})).await,
                app.mp_put(&format!("/disputes/{id}/submit"), json!({"ContestedFunds": {"Currency": "THB", "Amount": 1}})).await,
                app.mp_put(&format!("/disputes/{id}/close"), json!({})).await,
                app.mp_get(&format!("/disputes/{id}/transactions")).await,
                app.mp_get(&format!("/disputes/{id}/documents")).await,
                app.mp_post(&format!("/disputes/{id}/documents"), json!({"Type": "INVOICE"})).await,
            ] {
                let body = reply.expect_mp_error(404, "ressource_not_found");
                let errors = body["errors"].as_object().unwrap_or_else(|| panic!("an errors object: {body}"));
                assert!(!errors.is_empty(), "{body}");
            }
        }
    }

    async fn a_tag_is_set_left_alone_when_absent_and_cleared_with_null(app) {
        let path = format!("/disputes/{OPEN_DISPUTE}");
        let tagged = app.mp_put(&path, json!({"Tag": "order-42"})).await.expect(200);
        assert_dispute_shape(&tagged);
        assert_eq!(tagged["Tag"], "order-42");
        assert_eq!(dispute(&app, OPEN_DISPUTE).await["Tag"], "order-42");
        // Python sends {} when the tag is None: nothing changes.
        assert_eq!(app.mp_put(&path, json!({})).await.expect(200)["Tag"], "order-42");
        assert_eq!(app.mp_put(&path, json!({"Tag": null})).await.expect(200)["Tag"], Value::Null);
        assert_eq!(dispute(&app, OPEN_DISPUTE).await["Tag"], Value::Null);
        let longest = "t".repeat(255);
        assert_eq!(app.mp_put(&path, json!({"Tag": longest})).await.expect(200)["Tag"], longest);
    }

    async fn node_puts_the_whole_dispute_and_only_its_tag_counts(app) {
        let mut whole = dispute(&app, OPEN_DISPUTE).await;
        whole["Tag"] = json!("from-node");
        whole["Status"] = json!("CLOSED");
        whole["ResultCode"] = json!("WON");
        whole["DisputedFunds"] = json!({"Currency": "EUR", "Amount": 1});
        whole["CreationDate"] = json!(1);
        let updated = app.mp_put(&format!("/disputes/{OPEN_DISPUTE}"), whole).await.expect(200);
        let fetched = dispute(&app, OPEN_DISPUTE).await;
        assert_eq!(updated, fetched);
        assert_eq!(fetched["Tag"], "from-node");
        assert_eq!((fetched["Status"].clone(), fetched["ResultCode"].clone()), (json!("PENDING_CLIENT_ACTION"), json!("")));
        assert_eq!(fetched["DisputedFunds"], json!({"Currency": "THB", "Amount": 100000}));
        assert_ne!(fetched["CreationDate"], 1);
    }

    async fn a_tag_over_255_characters_or_not_a_string_is_a_param_error(app) {
        let path = format!("/disputes/{OPEN_DISPUTE}");
        app.mp_put(&path, json!({"Tag": "keep"})).await.expect(200);
        app.mp_put(&path, json!({"Tag": "t".repeat(256)})).await.expect_mp_field_error(400, "param_error", "Tag");
        app.mp_put(&path, json!({"Tag": 42})).await.expect_mp_field_error(400, "param_error", "Tag");
        assert_eq!(dispute(&app, OPEN_DISPUTE).await["Tag"], "keep");
    }

    async fn a_tag_can_be_set_in_any_status(app) {
        for id in [PENDING_DISPUTE, "dspt_test_5demowon90000000000", "dspt_test_5demolost1100000000"] {
            let d = app.mp_put(&format!("/disputes/{id}"), json!({"Tag": "archived"})).await.expect(200);
            assert_eq!(d["Tag"], "archived", "{id}");
        }
    }

    async fn a_contestable_dispute_is_contested_with_its_funds_and_becomes_submitted(app) {
        let id = app.open_dispute().await;
        let before = dispute(&app, &id).await;
        assert_eq!((before["DisputeType"].clone(), before["Status"].clone()), (json!("CONTESTABLE"), json!("PENDING_CLIENT_ACTION")));
        let body = funds(&before, 40_000);
        let contested = app.mp_put(&format!("/disputes/{id}/submit"), body.clone()).await.expect(200);
        assert_dispute_shape(&contested);
        assert_eq!(contested["Status"], "SUBMITTED");
        assert_eq!(contested["ContestedFunds"], body["ContestedFunds"]);
        assert_eq!(dispute(&app, &id).await, contested);
        // The whole disputed amount may be contested too; Python adds a trailing slash.
        let other = app.open_dispute().await;
        let d = dispute(&app, &other).await;
        let all = d["DisputedFunds"]["Amount"].as_i64().unwrap();
        let contested = app.mp_put(&format!("/disputes/{other}/submit/"), funds(&d, all)).await.expect(200);
        assert_eq!((contested["Status"].clone(), contested["ContestedFunds"]["Amount"].clone()), (json!("SUBMITTED"), json!(all)));
    }

    async fn a_first_contest_needs_contested_funds_in_the_disputed_currency_within_the_amount(app) {
        let id = app.open_dispute().await;
        let d = dispute(&app, &id).await;
        let path = format!("/disputes/{id}/submit");
        let body = app.mp_put(&path, json!({})).await.expect_mp_field_error(400, "param_error", "ContestedFunds");
        assert_eq!(body["Message"], MP_PARAM_MESSAGE);
        app.mp_put(&path, json!({"Id": id})).await.expect_mp_field_error(400, "param_error", "ContestedFunds");
        app.mp_put(&path, json!({"ContestedFunds": null})).await.expect_mp_field_error(400, "param_error", "ContestedFunds");
        let all = d["DisputedFunds"]["Amount"].as_i64().unwrap();
        for bad in [
            json!({"ContestedFunds": {"Currency": "XXX", "Amount": 100}}),
            json!({"ContestedFunds": {"Amount": 100}}),
            json!({"ContestedFunds": {"Currency": d["DisputedFunds"]["Currency"]}}),
            funds(&d, 0),
            funds(&d, -5),
            funds(&d, all + 1),
            json!({"ContestedFunds": {"Currency": d["DisputedFunds"]["Currency"], "Amount": "100"}}),
        ] {
            let reply = app.mp_put(&path, bad.clone()).await;
            assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
            reply.expect_mp_error(400, "param_error");
        }
        let after = dispute(&app, &id).await;
        assert_eq!((after["Status"].clone(), after["ContestedFunds"].clone()), (json!("PENDING_CLIENT_ACTION"), Value::Null));
    }

    async fn a_dispute_not_awaiting_evidence_cannot_be_contested_or_closed(app) {
        for id in [PENDING_DISPUTE, "dspt_test_5demowon90000000000", "dspt_test_5demolost1100000000"] {
            let before = dispute(&app, id).await;
            app.mp_put(&format!("/disputes/{id}/submit"), funds(&before, 1)).await.expect_mp_field_error(400, "param_error", "Status");
            app.mp_put(&format!("/disputes/{id}/close"), json!({})).await.expect_mp_field_error(400, "param_error", "Status");
            assert_eq!(dispute(&app, id).await, before, "{id}");
        }
    }

    async fn not_contestable_and_retrieval_disputes_cannot_be_contested(app) {
        for kind in ["NOT_CONTESTABLE", "RETRIEVAL"] {
            let id = app.mp_ops_dispute(json!({"dispute_type": kind, "reason_type": "FRAUD"})).await;
            let d = dispute(&app, &id).await;
            assert_eq!((d["DisputeType"].as_str().unwrap(), d["Status"].as_str().unwrap()), (kind, "PENDING_CLIENT_ACTION"));
            assert_eq!(d["DisputedFunds"], json!({"Currency": "EUR", "Amount": 100000}));
            assert_eq!(d["DisputeReason"]["DisputeReasonType"], "FRAUD");
            app.mp_put(&format!("/disputes/{id}/submit"), funds(&d, 100)).await.expect_mp_error(400, "param_error");
            app.mp_put(&format!("/disputes/{id}/submit"), json!({})).await.expect_mp_error(400, "param_error");
            assert_eq!(dispute(&app, &id).await["Status"], "PENDING_CLIENT_ACTION");
        }
    }

    async fn a_contest_after_the_deadline_is_refused(app) {
        let deadline = (app.state.core.clock.now() + TimeDelta::days(1)).timestamp();
        let id = app.mp_ops_dispute(json!({"contest_deadline": deadline})).await;
        let d = dispute(&app, &id).await;
        assert_eq!(d["ContestDeadlineDate"], deadline);
        app.state.core.clock.advance(TimeDelta::days(2));
        app.mp_put(&format!("/disputes/{id}/submit"), funds(&d, 100)).await.expect_mp_error(400, "param_error");
        assert_eq!(dispute(&app, &id).await["ContestedFunds"], Value::Null);
        // Before its deadline, a dispute with one is contested as any other.
        let later = (app.state.core.clock.now() + TimeDelta::days(1)).timestamp();
        let id = app.mp_ops_dispute(json!({"contest_deadline": later})).await;
        assert_eq!(contest(&app, &id, 100).await["Status"], "SUBMITTED");
    }

    async fn a_reopened_dispute_is_resubmitted_with_or_without_contested_funds(app) {
        let id = app.open_dispute().await;
        let first = contest(&app, &id, 30_000).await;
        let reopen = format!("/ops/disputes/{id}/reopen");
        app.ops(Method::POST, &reopen, json!({"admin_message": "Send the signed slip"})).await.expect(200);
        let reopened = dispute(&app, &id).await;
        assert_eq!(reopened["Status"], "REOPENED_PENDING_CLIENT_ACTION");
        assert_eq!(reopened["StatusMessage"], "Send the signed slip");
        // Python resubmits with {} and a trailing slash.
        let again = app.mp_put(&format!("/disputes/{id}/submit/"), json!({})).await.expect(200);
        assert_eq!(again["Status"], "SUBMITTED");
        assert_eq!(again["ContestedFunds"], first["ContestedFunds"]);
        // Node resubmits with {"Id"}.
        app.ops(Method::POST, &reopen, json!({})).await.expect(200);
        let again = app.mp_put(&format!("/disputes/{id}/submit"), json!({"Id": id})).await.expect(200);
        assert_eq!(again["Status"], "SUBMITTED");
        // New funds on a resubmission are checked and kept.
        app.ops(Method::POST, &reopen, json!({})).await.expect(200);
        let all = first["DisputedFunds"]["Amount"].as_i64().unwrap();
        app.mp_put(&format!("/disputes/{id}/submit"), funds(&first, all + 1)).await.expect_mp_error(400, "param_error");
        assert_eq!(dispute(&app, &id).await["Status"], "REOPENED_PENDING_CLIENT_ACTION");
        let again = app.mp_put(&format!("/disputes/{id}/submit"), funds(&first, 55_000)).await.expect(200);
        assert_eq!((again["Status"].clone(), again["ContestedFunds"]["Amount"].clone()), (json!("SUBMITTED"), json!(55_000)));
    }

    async fn closing_a_dispute_concedes_it(app) {
        let python = app.open_dispute().await;
        let node = app.open_dispute().await;
        for (id, path, body) in [
            (&python, format!("/disputes/{python}/close/"), json!({})),
            (&node, format!("/disputes/{node}/close"), json!({"Id": node})),
        ] {
            let closed = app.mp_put(&path, body).await.expect(200);
            assert_dispute_shape(&closed);
            assert_eq!((closed["Status"].clone(), closed["ResultCode"].clone()), (json!("CLOSED"), json!("LOST")));
            assert!(closed["ClosedDate"].as_i64().is_some_and(|t| t >= closed["CreationDate"].as_i64().unwrap()), "{closed}");
            assert_eq!(dispute(&app, id).await, closed);
            app.mp_put(&path, json!({})).await.expect_mp_error(400, "param_error");
        }
        // A reopened dispute can be conceded too.
        let id = app.open_dispute().await;
        contest(&app, &id, 100).await;
        app.ops(Method::POST, &format!("/ops/disputes/{id}/reopen"), json!({})).await.expect(200);
        let closed = app.mp_put(&format!("/disputes/{id}/close"), json!({})).await.expect(200);
        assert_eq!((closed["Status"].clone(), closed["ResultCode"].clone()), (json!("CLOSED"), json!("LOST")));
    }

    async fn the_banks_decision_shows_as_closed_with_its_result_and_message(app) {
        let won = app.open_dispute().await;
        contest(&app, &won, 1_000).await;
        let resolve = format!("/ops/disputes/{won}/resolve");
        app.ops(Method::POST, &resolve, json!({"outcome": "won", "admin_message": "Upheld"})).await.expect(200);
        let d = dispute(&app, &won).await;
        assert_eq!((d["Status"].clone(), d["ResultCode"].clone()), (json!("CLOSED"), json!("WON")));
        assert_eq!(d["ResultMessage"], "Upheld");
        assert!(d["ClosedDate"].is_i64());
        let lost = app.open_dispute().await;
        contest(&app, &lost, 1_000).await;
        app.ops(Method::POST, &format!("/ops/disputes/{lost}/resolve"), json!({"outcome": "lost"})).await.expect(200);
        let d = dispute(&app, &lost).await;
        assert_eq!((d["Status"].clone(), d["ResultCode"].clone()), (json!("CLOSED"), json!("LOST")));
    }

    async fn a_disputes_transactions_are_its_repudiation_and_once_won_its_settlement(app) {
        let id = app.open_dispute().await;
        let d = dispute(&app, &id).await;
        let reply = app.mp_get(&format!("/disputes/{id}/transactions")).await;
        assert_eq!(reply.counts(), (1, 1));
        let list = reply.expect(200);
        let debit = &list[0];
        for key in TRANSACTION_KEYS {
            assert!(debit.as_object().unwrap().contains_key(key), "{key}: {debit}");
        }
        assert_eq!((debit["Nature"].clone(), debit["Type"].clone()), (json!("REPUDIATION"), json!("TRANSFER")));
        assert_eq!(debit["Id"], d["RepudiationId"]);
        for money in ["DebitedFunds", "CreditedFunds", "Fees"] {
            assert!(debit[money]["Currency"].is_string() && debit[money]["Amount"].is_i64(), "{money}: {debit}");
        }
        assert_eq!(debit["DebitedFunds"], d["DisputedFunds"]);
        // Python's two spellings: a trailing slash with ?dispute_id=, and neither.
        let python = app.mp_get(&format!("/disputes/{id}/transactions/?dispute_id={id}")).await.expect(200);
        assert_eq!(python, list);

        contest(&app, &id, 1_000).await;
        app.ops(Method::POST, &format!("/ops/disputes/{id}/resolve"), json!({"outcome": "won"})).await.expect(200);
        let list = app.mp_get(&format!("/disputes/{id}/transactions?per_page=100")).await.expect(200);
        let natures: Vec<&str> = list.as_array().unwrap().iter().map(|t| t["Nature"].as_str().unwrap()).collect();
        assert_eq!(natures.len(), 2, "{list}");
        assert!(natures.contains(&"REPUDIATION") && natures.contains(&"SETTLEMENT"), "{list}");
        let won = app.mp_get("/disputes/dspt_test_5demowon90000000000/transactions").await.expect(200);
        assert!(won.as_array().unwrap().iter().any(|t| t["Nature"] == "SETTLEMENT"), "{won}");
        let lost = app.mp_get("/disputes/dspt_test_5demolost1100000000/transactions").await.expect(200);
        assert!(lost.as_array().unwrap().iter().all(|t| t["Nature"] != "SETTLEMENT"), "{lost}");
    }

    async fn the_dispute_list_holds_every_test_dispute_of_the_client(app) {
        let reply = app.mp_get("/disputes?per_page=100").await;
        assert_eq!(reply.counts(), (12, 1));
        let list = reply.expect(200);
        for d in list.as_array().unwrap() {
            assert_dispute_shape(d);
        }
        let ids = mp_ids(&list);
        for id in [OPEN_DISPUTE, PENDING_DISPUTE, "dspt_test_5demowon90000000000", "dspt_test_5demolost1200000000"] {
            assert!(ids.contains(&id.to_owned()), "{id}");
        }
        let fetched = dispute(&app, OPEN_DISPUTE).await;
        assert!(list.as_array().unwrap().contains(&fetched));
    }

    async fn pending_settlement_lists_only_closed_disputes(app) {
        let reply = app.mp_get("/disputes/pendingsettlement").await;
        let (items, _) = reply.counts();
        let list = reply.expect(200);
        assert_eq!(mp_ids(&list).len() as u64, items.min(10));
        for d in list.as_array().unwrap() {
            assert_dispute_shape(d);
            assert_eq!(d["Status"], "CLOSED", "{d}");
        }
        app.mp_get("/disputes/pendingsettlement/").await.expect(200);
    }

    async fn the_disputes_of_a_payin_are_those_on_that_charge_and_unknown_users_and_wallets_have_none(app) {
        let reply = app.mp_get("/payins/chrg_test_5demochrg0100000000/disputes").await;
        assert_eq!(reply.counts(), (1, 1));
        assert_eq!(mp_ids(&reply.expect(200)), vec![OPEN_DISPUTE.to_owned()]);
        for path in ["/payins/chrg_test_0000000000000000000/disputes", "/users/12345/disputes", "/wallets/67890/disputes"] {
            let reply = app.mp_get(path).await;
            assert_eq!(reply.counts(), (0, 0), "{path}");
            assert_eq!(reply.expect(200), json!([]), "{path}");
        }
    }

    async fn a_dispute_handed_to_the_bank_is_pending_bank_action_until_it_is_decided(app) {
        let id = app.open_dispute().await;
        contest(&app, &id, 1_000).await;
        app.ops(Method::POST, &format!("/ops/disputes/{id}/escalate"), json!({"admin_message": "With the issuer"})).await.expect(200);
        let d = dispute(&app, &id).await;
        assert_eq!((d["Status"].clone(), d["ResultCode"].clone()), (json!("PENDING_BANK_ACTION"), json!("")));
        assert_eq!(app.get(&format!("/disputes/{id}")).await.expect(200)["status"], "pending");
        app.mp_put(&format!("/disputes/{id}/submit"), funds(&d, 1)).await.expect_mp_field_error(400, "param_error", "Status");
        app.mp_put(&format!("/disputes/{id}/close"), json!({})).await.expect_mp_field_error(400, "param_error", "Status");
        app.mp_post(&format!("/disputes/{id}/documents"), json!({"Type": "OTHER"})).await.expect_mp_error(400, "param_error");
        let listed = app.mp_get("/disputes?Status=PENDING_BANK_ACTION").await.expect(200);
        assert_eq!(mp_ids(&listed), vec![id.clone()]);
        app.ops(Method::POST, &format!("/ops/disputes/{id}/resolve"), json!({"outcome": "won"})).await.expect(200);
        let d = dispute(&app, &id).await;
        assert_eq!((d["Status"].clone(), d["ResultCode"].clone()), (json!("CLOSED"), json!("WON")));
    }

    async fn every_mangopay_change_is_in_the_history_by_its_key_and_a_refused_one_leaves_nothing(app) {
        use dispute_docs::domain::{Actor, HistoryKind::*, Id, IdKind};
        let id = app.open_dispute().await;
        app.mp_put(&format!("/disputes/{id}"), json!({"Tag": "audited"})).await.expect(200);
        let doc = app.mp_document(&id, "INVOICE").await["Id"].as_str().unwrap().to_owned();
        app.mp_page(&id, &doc, PNG).await.expect_no_content();
        app.mp_page(&id, &doc, b"too small").await.expect_mp_error(400, "param_error");
        app.mp_submit_document(&id, &doc).await.expect(200);
        app.mp_put(&format!("/disputes/{id}/submit"), json!({})).await.expect_mp_error(400, "param_error");
        contest(&app, &id, 700).await;

        let history = app.state.core.history(&Id::parse(IdKind::Dispute, &id).unwrap()).await.unwrap();
        let seen: Vec<_> = history.iter().map(|e| (e.kind, e.document.as_ref().map(|d| d.to_string()))).collect();
        let d = Some(doc.clone());
        assert_eq!(seen, vec![
            (Opened, None),
            (Updated, None),
            (DocumentAdded, d.clone()),
            (PageAdded, d.clone()),
            (DocumentStatusChanged, d),
            (StatusChanged, None),
        ]);
        let omise_key = history[0].actor.clone();
        let mangopay_key = history[1].actor.clone();
        assert!(matches!(mangopay_key, Actor::Key(_)) && mangopay_key != omise_key, "{mangopay_key:?} vs {omise_key:?}");
        assert!(history[1..].iter().all(|e| e.actor == mangopay_key), "{history:?}");
        assert_eq!(history[5].detail["action"], "submit");
    }
}
