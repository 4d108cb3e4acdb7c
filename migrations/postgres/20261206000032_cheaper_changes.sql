-- What made an upload's one call cost twice what its rows do (#22, measured with pgbench on the
-- bench's data, bench/sql/upload-tx.sql; bench/RESULTS.md):
--
-- * The event's snapshot was built as jsonb: every key of the dispute and of its first 20
--   documents parsed into jsonb's binary form, sorted, then printed again by whoever reads it.
--   Nothing ever looks inside a snapshot in SQL (store::event_rows reads it whole, as the store
--   wrote it), so it is kept as json, the text row_to_json and json_agg make: a third of the
--   cost of the jsonb it replaces for 20 documents.
-- * The helpers written in SQL (`language sql`) were parsed and planned again on every call:
--   Postgres keeps no plan for a SQL function that it cannot inline. Written in PL/pgSQL, their
--   statements are planned once per connection and kept.
-- * The trigger that queues a packet job ran its PL/pgSQL body for every history entry, to find
--   that most are not status changes. Its condition is now the trigger's own WHEN, checked
--   without a call.
--
-- Same rows, same order, same answers: only how they are made changes.

alter table events alter column snapshot type json using snapshot::json;

-- A snapshot is about 15 KB of text for a dispute with 20 documents and compresses ten to one.
-- lz4 does it at a fraction of pglz's cost; a server built without lz4 keeps its default.
do $$
begin
    alter table events alter column snapshot set compression lz4;
exception when others then
    raise notice 'events.snapshot keeps the default compression: %', sqlerrm;
end $$;

-- A dispute's row (store::rows::DISPUTE_COLUMNS), as JSON.
drop function dd_dispute_json(text);
create function dd_dispute_json(p_dispute text) returns json
language plpgsql stable as $$
begin
    return (select row_to_json(r) from (
        select id, account_id, livemode, charge_id, amount, currency, funding_amount,
               funding_currency, status, reason, message, admin_message, metadata, tag,
               debit_transaction_id, credit_transaction_id, created_at, closed_at,
               document_count, dispute_kind, evidence_due_at, contested_amount
        from disputes where id = p_dispute) r);
end $$;

-- The documents of an event's snapshot with every column of their first page, the file's page
-- count and its scan included (store::rows::DOCUMENT_COLUMNS), oldest first, or the one
-- document p_document, as a JSON array.
drop function dd_documents_json(text, text, integer);
create function dd_documents_json(p_dispute text, p_document text, p_limit integer) returns json
language plpgsql stable as $$
begin
    return (select coalesce(json_agg(r), '[]'::json) from (
        select d.id, d.dispute_id, d.account_id, d.livemode, d.kind, d.tag, d.status,
               d.refused_reason, d.refused_message, d.processed_at, d.created_at,
               d.submitted_at, d.page_count, p.position, p.filename, p.content_type, p.size,
               p.sha256, p.blob_key, p.created_at as page_created_at, p.file_pages,
               p.scanned_at, p.scan_engine, p.quarantined_at, p.quarantine_signature
        from documents d left join pages p on p.document_id = d.id and p.position = 1
        where d.dispute_id = p_dispute and (p_document is null or d.id = p_document)
        order by d.created_at, d.id limit p_limit) r);
end $$;

-- Appends history entries ([{document, kind, detail, at}], in order).
create or replace function dd_append(p_dispute text, p_actor_kind text, p_actor_id text, p_entries jsonb)
returns void language plpgsql volatile as $$
begin
    insert into dispute_history (dispute_id, document_id, kind, actor_kind, actor_id, detail, created_at)
    select p_dispute, e->>'document', e->>'kind', p_actor_kind, p_actor_id, e->'detail',
           (e->>'at')::timestamptz
    from jsonb_array_elements(p_entries) with ordinality as x(e, n)
    order by n;
end $$;

-- Inserts page p_position of p_document from p_page (see 20261206000027_pages_from_json.sql).
create or replace function dd_insert_page(p_document text, p_position integer, p_page jsonb) returns void
language plpgsql volatile as $$
begin
    insert into pages
    select * from jsonb_populate_record(null::pages,
        p_page || jsonb_build_object('document_id', p_document, 'position', p_position));
end $$;

-- Holds a dispute's row (in the caller's account and mode, when p_account is given) and answers
-- its status, or null when there is none.
create or replace function dd_hold_dispute(p_dispute text, p_account text, p_live boolean) returns text
language plpgsql volatile as $$
begin
    return (select status from disputes
             where id = p_dispute and (p_account is null or (account_id = p_account and livemode = p_live))
               for update);
end $$;

-- Adds p_delta to the kept count of an account's disputes in a mode and status.
create or replace function dd_count_status(p_account text, p_live boolean, p_status text, p_delta bigint)
returns void language plpgsql volatile as $$
begin
    insert into dispute_counts (account_id, livemode, status, count)
    values (p_account, p_live, p_status, p_delta)
    on conflict (account_id, livemode, status)
    do update set count = dispute_counts.count + excluded.count;
end $$;

-- Records what a change tells (see 20261201120000_changes_in_one_call.sql), its snapshot as json.
create or replace function dd_tell(p_dispute text, p_told jsonb) returns void
language plpgsql volatile as $$
begin
    if p_told is null or jsonb_array_length(p_told) = 0 then
        return;
    end if;
    with s as (
        select s.id, s.account_id, s.livemode, a.preferences,
               json_build_object('dispute', dd_dispute_json(s.id),
                                 'documents', dd_documents_json(s.id, null, 20)) as snapshot
        from disputes s join accounts a on a.id = s.account_id
        where s.id = p_dispute
    ), e as (
        insert into events (id, account_id, livemode, dispute_id, document_id, topic, snapshot, preferences, created_at)
        select dd_id(case when s.livemode then 'evnt_' else 'evnt_test_' end, (t->>'at')::timestamptz),
               s.account_id, s.livemode, s.id, t->>'document', t->>'topic', s.snapshot,
               s.preferences, (t->>'at')::timestamptz
        from s cross join jsonb_array_elements(p_told) with ordinality as x(t, n)
        order by n
        returning id, account_id, livemode, topic, created_at
    )
    insert into webhook_deliveries (event_id, endpoint_id, state, next_attempt_at, created_at)
    select e.id, w.id, 'pending', e.created_at, e.created_at
    from e join webhook_endpoints w
      on w.account_id = e.account_id and w.livemode = e.livemode and w.enabled and w.valid
     and w.topics like '%,' || e.topic || ',%';
end $$;

-- The packet job's trigger fires only for what can queue one (20261206000030_packets.sql).
drop trigger packet_jobs_on_leaving_evidence on dispute_history;
create trigger packet_jobs_on_leaving_evidence after insert on dispute_history
for each row when (new.kind = 'status_changed' and new.detail ->> 'from' = 'awaiting_evidence')
execute function packet_jobs_on_leaving_evidence();
