-- A page's row is written from its JSON (store/changes_pg.rs, page_json) by one function, whose
-- keys are the columns' names: a column added to pages later (the scan's, here) is written by
-- the one-call changes as soon as the JSON carries it, without rewriting the functions again.
-- dd_insert_document and dd_add_page are those of 20261201120000_changes_in_one_call.sql with
-- their page inserts replaced by it.

-- Inserts page p_position of p_document from p_page ({filename, content_type, size, sha256,
-- blob_key, created_at, file_pages, scanned_at, scan_engine}; a column the JSON lacks is null).
create function dd_insert_page(p_document text, p_position integer, p_page jsonb) returns void
language sql volatile as $$
    insert into pages
    select * from jsonb_populate_record(null::pages,
        p_page || jsonb_build_object('document_id', p_document, 'position', p_position));
$$;

create or replace function dd_insert_document(
    p_dispute text, p_account text, p_live boolean, p_open text,
    p_document text, p_kind text, p_tag text, p_draft text, p_created_at timestamptz,
    p_page jsonb, p_actor_kind text, p_actor_id text, p_entries jsonb, p_told jsonb)
returns jsonb language plpgsql volatile as $$
declare
    v_live boolean;
    v_account text;
begin
    update disputes set document_count = document_count + 1
     where id = p_dispute and status = p_open
       and (p_account is null or (account_id = p_account and livemode = p_live))
    returning livemode, account_id into v_live, v_account;
    if not found then
        return jsonb_build_object('refused', true, 'status',
            (select status from disputes where id = p_dispute
                and (p_account is null or (account_id = p_account and livemode = p_live))));
    end if;
    insert into documents (id, dispute_id, account_id, livemode, kind, tag, status, created_at, page_count)
    values (p_document, p_dispute, v_account, v_live, p_kind, p_tag, p_draft, p_created_at,
            case when p_page is null then 0 else 1 end);
    if p_page is not null then
        perform dd_insert_page(p_document, 1, p_page);
    end if;
    perform dd_append(p_dispute, p_actor_kind, p_actor_id, p_entries);
    perform dd_tell(p_dispute, p_told);
    return jsonb_build_object('live', v_live, 'account', v_account);
end $$;

create or replace function dd_add_page(
    p_dispute text, p_account text, p_live boolean, p_open text, p_document text, p_draft text,
    p_page jsonb, p_actor_kind text, p_actor_id text, p_kind text, p_detail jsonb, p_told jsonb)
returns jsonb language plpgsql volatile as $$
declare
    v_status text := dd_hold_dispute(p_dispute, p_account, p_live);
    v_document_status text;
    v_position integer;
begin
    if v_status is null then
        return jsonb_build_object('refused', true);
    end if;
    select status into v_document_status from documents where id = p_document and dispute_id = p_dispute;
    if v_document_status is null or v_status <> p_open or v_document_status <> p_draft then
        return jsonb_strip_nulls(jsonb_build_object('refused', true, 'status', v_status,
            'document_status', v_document_status));
    end if;
    update documents set page_count = page_count + 1 where id = p_document
    returning page_count into v_position;
    perform dd_insert_page(p_document, v_position, p_page);
    perform dd_append(p_dispute, p_actor_kind, p_actor_id, jsonb_build_array(jsonb_build_object(
        'document', p_document, 'kind', p_kind,
        'detail', p_detail || jsonb_build_object('position', v_position),
        'at', p_page->>'created_at')));
    perform dd_tell(p_dispute, p_told);
    return jsonb_build_object('position', v_position);
end $$;

-- The documents of an event's snapshot with every column of their first page, the file's page
-- count and its scan included (store::rows::DOCUMENT_COLUMNS).
create or replace function dd_documents_json(p_dispute text, p_document text, p_limit integer) returns jsonb
language sql stable as $$
    select coalesce(jsonb_agg(to_jsonb(r) order by r.created_at, r.id), '[]'::jsonb) from (
        select d.id, d.dispute_id, d.account_id, d.livemode, d.kind, d.tag, d.status,
               d.refused_reason, d.refused_message, d.processed_at, d.created_at,
               d.submitted_at, d.page_count, p.position, p.filename, p.content_type, p.size,
               p.sha256, p.blob_key, p.created_at as page_created_at, p.file_pages,
               p.scanned_at, p.scan_engine, p.quarantined_at, p.quarantine_signature
        from documents d left join pages p on p.document_id = d.id and p.position = 1
        where d.dispute_id = p_dispute and (p_document is null or d.id = p_document)
        order by d.created_at, d.id limit p_limit) r
$$;
