-- An event's snapshot keeps a dispute's first 20 documents (store::events), and building that
-- list was a third of an upload's one call (#22: pgbench of bench/sql/upload-tx.sql, 2,700
-- calls/s with it against 4,100 with an empty snapshot). Once a dispute has 20 documents, an
-- upload leaves the list as it was: the new document comes after them. So a full list is kept,
-- built once, and copied into each event's snapshot until something in it changes.
--
-- snapshot_documents holds, per dispute, the list as dd_documents_json(dispute, null, 20) gives
-- it, with the (created_at, id) of its last document; `documents` null means "build it again".
-- A list is kept only when it is full: a shorter one changes with every upload.
--
-- What may change a kept list drops it (sets `documents` null and moves `generation` on):
-- * a document inserted before the list's last one, and any change to, or removal of, one of
--   the documents in it (triggers on documents);
-- * a change to the first page of one of the documents in it (triggers on pages).
-- Every change to documents, and every insertion or removal of a page, is made holding the
-- dispute's row (the status guard: store::documents, dd_insert_document, dd_add_page), as
-- dd_tell's caller does, so those cannot race with the list being built. The page workers
-- (file page counts, scans) update pages without holding the dispute: their trigger moves the
-- generation even when no list is kept yet, and a list built meanwhile is kept only if the
-- generation it was read at is still the row's (dd_snapshot_documents), so a list read before
-- such an update committed is never kept after it.

create table snapshot_documents (
    dispute_id text primary key references disputes (id) on delete cascade,
    generation bigint not null default 0,
    documents json,
    last_created_at timestamptz,
    last_id text
);

do $$
begin
    alter table snapshot_documents alter column documents set compression lz4;
exception when others then
    raise notice 'snapshot_documents.documents keeps the default compression: %', sqlerrm;
end $$;

-- The first 20 documents of p_dispute for an event's snapshot: the kept list, or one built now
-- (and kept, when full and nothing dropped it meanwhile).
create function dd_snapshot_documents(p_dispute text) returns json
language plpgsql volatile as $$
declare
    v_generation bigint;
    v_documents json;
    v_last json;
begin
    select generation, documents into v_generation, v_documents
      from snapshot_documents where dispute_id = p_dispute;
    if v_documents is not null then
        return v_documents;
    end if;
    v_documents := dd_documents_json(p_dispute, null, 20);
    if json_array_length(v_documents) < 20 then
        return v_documents;
    end if;
    v_last := v_documents -> 19;
    if v_generation is null then
        insert into snapshot_documents (dispute_id, documents, last_created_at, last_id)
        values (p_dispute, v_documents, (v_last ->> 'created_at')::timestamptz, v_last ->> 'id')
        on conflict (dispute_id) do nothing;
    else
        update snapshot_documents
           set documents = v_documents, last_created_at = (v_last ->> 'created_at')::timestamptz,
               last_id = v_last ->> 'id'
         where dispute_id = p_dispute and generation = v_generation and documents is null;
    end if;
    return v_documents;
end $$;

-- dd_tell (20261206000032_cheaper_changes.sql) with the documents from dd_snapshot_documents.
create or replace function dd_tell(p_dispute text, p_told jsonb) returns void
language plpgsql volatile as $$
begin
    if p_told is null or jsonb_array_length(p_told) = 0 then
        return;
    end if;
    with s as (
        select s.id, s.account_id, s.livemode, a.preferences,
               json_build_object('dispute', dd_dispute_json(s.id),
                                 'documents', dd_snapshot_documents(s.id)) as snapshot
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

-- Drops the kept list of p_dispute if the document (p_created_at, p_id) is in it, or, when
-- p_before, if it would come before the list's last document.
create function dd_drop_snapshot_documents(p_dispute text, p_created_at timestamptz, p_id text, p_before boolean)
returns void language plpgsql volatile as $$
begin
    update snapshot_documents set documents = null, generation = generation + 1
     where dispute_id = p_dispute and documents is not null
       and ((p_created_at, p_id) < (last_created_at, last_id)
            or (not p_before and (p_created_at, p_id) = (last_created_at, last_id)));
end $$;

create function snapshot_documents_on_documents() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform dd_drop_snapshot_documents(new.dispute_id, new.created_at, new.id, true);
    else
        perform dd_drop_snapshot_documents(old.dispute_id, old.created_at, old.id, false);
    end if;
    return null;
end $$;

create trigger snapshot_documents_on_documents after insert or update or delete on documents
for each row execute function snapshot_documents_on_documents();

-- A first page inserted or removed (under the dispute's row): its document's place decides.
create function snapshot_documents_on_first_page() returns trigger
language plpgsql as $$
declare
    v_document text := case when tg_op = 'DELETE' then old.document_id else new.document_id end;
begin
    perform dd_drop_snapshot_documents(d.dispute_id, d.created_at, d.id, false)
       from documents d where d.id = v_document;
    return null;
end $$;

create trigger snapshot_documents_on_first_page_insert after insert on pages
for each row when (new.position = 1) execute function snapshot_documents_on_first_page();
create trigger snapshot_documents_on_first_page_delete after delete on pages
for each row when (old.position = 1) execute function snapshot_documents_on_first_page();

-- A first page updated, possibly by a worker that does not hold the dispute (a scan, a page
-- count: one after each upload when scanning is on). A kept list drops only if the page's
-- document is in it; when none is kept the generation moves anyway (making the row if there is
-- none), so that a list being read meanwhile is not kept once this commits. The document's
-- place travels in the row's own last_created_at and last_id, the only way into the conflict's
-- condition; on a new row they mean nothing, as its documents are null.
create function snapshot_documents_on_first_page_update() returns trigger
language plpgsql as $$
begin
    insert into snapshot_documents (dispute_id, generation, last_created_at, last_id)
    select d.dispute_id, 1, d.created_at, d.id from documents d where d.id = new.document_id
    on conflict (dispute_id)
    do update set documents = null, generation = snapshot_documents.generation + 1
    where snapshot_documents.documents is null
       or (excluded.last_created_at, excluded.last_id)
          <= (snapshot_documents.last_created_at, snapshot_documents.last_id);
    return null;
end $$;

create trigger snapshot_documents_on_first_page_update after update on pages
for each row when (new.position = 1 or old.position = 1)
execute function snapshot_documents_on_first_page_update();
