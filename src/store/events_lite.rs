//! The outbox on SQLite (`events::record` there): each event is written by one statement that
//! takes its dispute, account and snapshot from the rows themselves (the snapshot built by
//! SQLite's JSON functions, as the store's rows: `event_rows::Snapshot`), and fanned out by one
//! more. A change holds the database's write lock from its first statement to its commit, and
//! every trip to SQLite's thread and back is time inside it: so the snapshot takes no reads of
//! its own, and the statements go in the change's batch (`history::append_all_after`), one trip
//! for the change's rows, its history and its events. A dispute's full list of first documents
//! is kept between events (`keep_documents`) and copied, not built, into each snapshot.

use super::db::Sql;
use super::events::{Happened, SNAPSHOT_DOCUMENTS};
use crate::domain::{DeliveryState, Id, IdKind, Mode};

/// A JSON boolean of an integer column (SQLite has no booleans).
fn boolean(column: &str) -> String {
    format!("json(case when {column} then 'true' else 'false' end)")
}

/// The snapshot of dispute `d` (`event_rows::Snapshot`): its documents are the list kept in
/// `snapshot_documents` (migrations/sqlite/…_snapshot_documents.sql) or, when none is, built.
/// The parts are joined as text: each is JSON already, and SQLite would parse a kept list of
/// some 15 KB again to put it in a `json_object`.
fn snapshot(sql: &mut Sql) {
    sql.push("'{\"dispute\":' || json_object('id', d.id, 'account_id', d.account_id, 'livemode', ")
        .push(&boolean("d.livemode"))
        .push(
            ", 'charge_id', d.charge_id, 'amount', d.amount, 'currency', d.currency, \
             'funding_amount', d.funding_amount, 'funding_currency', d.funding_currency, \
             'status', d.status, 'reason', d.reason, 'message', d.message, \
             'admin_message', d.admin_message, 'metadata', json(d.metadata), 'tag', d.tag, \
             'debit_transaction_id', d.debit_transaction_id, \
             'credit_transaction_id', d.credit_transaction_id, 'created_at', d.created_at, \
             'closed_at', d.closed_at, 'document_count', d.document_count, \
             'dispute_kind', d.dispute_kind, 'evidence_due_at', d.evidence_due_at, \
             'contested_amount', d.contested_amount) || ',\"documents\":' || \
             coalesce((select k.documents from snapshot_documents k where k.dispute_id = d.id), ",
        );
    documents(sql, "d.id");
    sql.push(") || '}'");
}

/// The first documents of the dispute whose id is the SQL expression `dispute`, as a JSON
/// array (`event_rows::Snapshot`'s documents), their number bound.
fn documents(sql: &mut Sql, dispute: &str) {
    sql.push(
        "(select json_group_array(json(doc) order by at, id) from (\
             select x.created_at as at, x.id as id, json_object('id', x.id, \
             'dispute_id', x.dispute_id, 'account_id', x.account_id, 'livemode', ",
    )
    .push(&boolean("x.livemode"))
    .push(
        ", 'kind', x.kind, 'tag', x.tag, 'status', x.status, \
             'refused_reason', x.refused_reason, 'refused_message', x.refused_message, \
             'processed_at', x.processed_at, 'created_at', x.created_at, \
             'submitted_at', x.submitted_at, 'page_count', x.page_count, \
             'position', p.position, 'filename', p.filename, 'content_type', p.content_type, \
             'size', p.size, 'sha256', p.sha256, 'blob_key', p.blob_key, \
             'page_created_at', p.created_at, 'file_pages', p.file_pages, \
             'scanned_at', p.scanned_at, 'scan_engine', p.scan_engine, \
             'quarantined_at', p.quarantined_at, \
             'quarantine_signature', p.quarantine_signature) as doc \
             from documents x left join pages p on p.document_id = x.id and p.position = 1 \
             where x.dispute_id = ",
    )
    .push(dispute)
    .push(" order by x.created_at, x.id limit ")
    .bind(SNAPSHOT_DOCUMENTS)
    .push("))");
}

/// Keeps the list of the first documents of `dispute` when it is full and none is kept: the
/// list ends at its `SNAPSHOT_DOCUMENTS`th document, which the statement finds first.
fn keep_documents(batch: &mut Sql, dispute: &Id) {
    batch.push(
        "; insert into snapshot_documents (dispute_id, documents, last_created_at, last_id) \
         select l.dispute_id, ",
    );
    documents(batch, "l.dispute_id");
    batch
        .push(", l.created_at, l.id from (select dispute_id, created_at, id from documents where dispute_id = ")
        .bind(dispute)
        .push(" and not exists (select 1 from snapshot_documents k where k.dispute_id = ")
        .bind(dispute)
        .push(") order by created_at, id limit 1 offset ")
        .bind(SNAPSHOT_DOCUMENTS - 1)
        .push(") l");
}

/// Adds the events of one change, and their deliveries, to `batch`: two statements an event,
/// each after a `;`, so that the change sends them to SQLite's thread with its other statements
/// in one trip (`history::append_all_after`). An event whose dispute is gone is not written, and its
/// deliveries, selected by its ids, are none.
pub fn push_record(batch: &mut Sql, happened: &[Happened<'_>]) {
    for h in happened {
        keep_documents(batch, h.dispute);
        // Its id as its mode has it: the dispute's row says which.
        let second = h.at.timestamp();
        let test = Id::generate(IdKind::Event, Mode::Test, second);
        let live = Id::generate(IdKind::Event, Mode::Live, second);
        batch
            .push(
                "; insert into events (id, account_id, livemode, dispute_id, document_id, topic, snapshot, preferences, created_at) \
                 select case when d.livemode then ",
            )
            .bind(&live)
            .push(" else ")
            .bind(&test)
            .push(" end, d.account_id, d.livemode, d.id, ")
            .bind(h.document.map(Id::as_str))
            .push(", ")
            .bind(h.topic.as_str())
            .push(", ");
        snapshot(batch);
        batch
            .push(", a.preferences, ")
            .bind(h.at)
            .push(" from disputes d join accounts a on a.id = d.account_id where d.id = ")
            .bind(h.dispute);
        batch
            .push(
                "; insert into webhook_deliveries (event_id, endpoint_id, state, next_attempt_at, created_at) \
                 select e.id, w.id, ",
            )
            .bind(DeliveryState::Pending.as_str())
            .push(
                ", e.created_at, e.created_at from events e join webhook_endpoints w \
                 on w.account_id = e.account_id and w.livemode = e.livemode and w.enabled and w.valid \
                 and w.topics like '%,' || e.topic || ',%' where e.id in (",
            )
            .bind(&live)
            .push(", ")
            .bind(&test)
            .push(")");
    }
}
