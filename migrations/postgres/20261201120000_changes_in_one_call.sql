-- One round trip for a change to a dispute's evidence or status (store/changes_pg.rs): each
-- function below is the whole transaction the store used to send statement by statement (the
-- status guard, the rows, the history, the events with their snapshots and deliveries), run by
-- the server in one call, as one transaction. Statements inside a function each see what
-- committed before them (read committed), so once a function holds the dispute's row it sees
-- every change that held the row before it, exactly as the separate statements did; that is
-- what one data-modifying statement could not promise (it sees the database as it was before it
-- waited for the lock).
--
-- The rules stay in the application: it passes the statuses a change needs, the history
-- entries' details, the topics they are told as (domain::Topic::of), and reads back what it
-- needs to say why a change was refused (domain::document::guard). Times travel as RFC 3339
-- text with microseconds, as the store binds them.

-- An id as domain::Id::generate makes it: the prefix, then 19 base36 digits of the creation
-- second (32 bits) above 66 random bits.
create function dd_id(prefix text, at timestamptz) returns text
language plpgsql volatile as $$
declare
    n numeric := (greatest(floor(extract(epoch from at)), 0)::bigint & 4294967295)::numeric
        * 73786976294838206464
        + floor(random() * 8589934592)::numeric * 8589934592
        + floor(random() * 8589934592)::numeric;
    body text := '';
begin
    for i in 1..19 loop
        body := substr('0123456789abcdefghijklmnopqrstuvwxyz', (n % 36)::int + 1, 1) || body;
        n := div(n, 36);
    end loop;
    return prefix || body;
end $$;

-- A dispute's row (store::rows::DISPUTE_COLUMNS), as JSON.
create function dd_dispute_json(p_dispute text) returns jsonb
language sql stable as $$
    select to_jsonb(r) from (
        select id, account_id, livemode, charge_id, amount, currency, funding_amount,
               funding_currency, status, reason, message, admin_message, metadata, tag,
               debit_transaction_id, credit_transaction_id, created_at, closed_at,
               document_count, dispute_kind, evidence_due_at, contested_amount
        from disputes where id = p_dispute) r
$$;

-- The first p_limit documents of a dispute with their first pages (store::rows::DOCUMENT_COLUMNS),
-- oldest first, or the one document p_document, as a JSON array.
create function dd_documents_json(p_dispute text, p_document text, p_limit integer) returns jsonb
language sql stable as $$
    select coalesce(jsonb_agg(to_jsonb(r) order by r.created_at, r.id), '[]'::jsonb) from (
        select d.id, d.dispute_id, d.account_id, d.livemode, d.kind, d.tag, d.status,
               d.refused_reason, d.refused_message, d.processed_at, d.created_at,
               d.submitted_at, d.page_count, p.position, p.filename, p.content_type, p.size,
               p.sha256, p.blob_key, p.created_at as page_created_at
        from documents d left join pages p on p.document_id = d.id and p.position = 1
        where d.dispute_id = p_dispute and (p_document is null or d.id = p_document)
        order by d.created_at, d.id limit p_limit) r
$$;

-- Appends history entries ([{document, kind, detail, at}], in order).
create function dd_append(p_dispute text, p_actor_kind text, p_actor_id text, p_entries jsonb)
returns void language sql volatile as $$
    insert into dispute_history (dispute_id, document_id, kind, actor_kind, actor_id, detail, created_at)
    select p_dispute, e->>'document', e->>'kind', p_actor_kind, p_actor_id, e->'detail',
           (e->>'at')::timestamptz
    from jsonb_array_elements(p_entries) with ordinality as x(e, n)
    order by n
$$;

-- Records what a change tells ([{topic, document, at}], in order) as events of the dispute, each
-- with the dispute and its first 20 documents as they are now (store::event_rows::Snapshot) and
-- the account's preferences, and one pending delivery for every enabled, valid endpoint of the
-- account and mode listening for its topic: the outbox of store/events.rs, in one statement.
create function dd_tell(p_dispute text, p_told jsonb) returns void
language plpgsql volatile as $$
begin
    if p_told is null or jsonb_array_length(p_told) = 0 then
        return;
    end if;
    with s as (
        select s.id, s.account_id, s.livemode, a.preferences,
               jsonb_build_object('dispute', dd_dispute_json(s.id),
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

-- store::Documents::insert_document. Counts the document on its dispute on condition that the
-- dispute is p_open (and in the caller's account and mode, when p_account is given): the status
-- guard. Then the document, its first page (p_page: {filename, content_type, size, sha256,
-- blob_key, created_at}, or null), the history, what it tells. Answers {live, account}, or
-- {refused: true, status} with the dispute's status (none: no such dispute for the caller).
create function dd_insert_document(
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
        insert into pages (document_id, position, filename, content_type, size, sha256, blob_key, created_at)
        values (p_document, 1, p_page->>'filename', p_page->>'content_type', (p_page->>'size')::bigint,
                p_page->>'sha256', p_page->>'blob_key', (p_page->>'created_at')::timestamptz);
    end if;
    perform dd_append(p_dispute, p_actor_kind, p_actor_id, p_entries);
    perform dd_tell(p_dispute, p_told);
    return jsonb_build_object('live', v_live, 'account', v_account);
end $$;

-- Holds a dispute's row (in the caller's account and mode, when p_account is given) and answers
-- its status, or null when there is none.
create function dd_hold_dispute(p_dispute text, p_account text, p_live boolean) returns text
language sql volatile as $$
    select status from disputes
     where id = p_dispute and (p_account is null or (account_id = p_account and livemode = p_live))
       for update
$$;

-- store::Documents::add_page. Holds the dispute, then adds the page at the document's next
-- position if the dispute is p_open and the document p_draft; the page's history entry is
-- p_detail with its position. Answers {position}, or {refused: true} with the dispute's status
-- and the document's, each absent when there is no such row.
create function dd_add_page(
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
    insert into pages (document_id, position, filename, content_type, size, sha256, blob_key, created_at)
    values (p_document, v_position, p_page->>'filename', p_page->>'content_type', (p_page->>'size')::bigint,
            p_page->>'sha256', p_page->>'blob_key', (p_page->>'created_at')::timestamptz);
    perform dd_append(p_dispute, p_actor_kind, p_actor_id, jsonb_build_array(jsonb_build_object(
        'document', p_document, 'kind', p_kind,
        'detail', p_detail || jsonb_build_object('position', v_position),
        'at', p_page->>'created_at')));
    perform dd_tell(p_dispute, p_told);
    return jsonb_build_object('position', v_position);
end $$;

-- store::Documents::delete_document. Holds the dispute, then removes the document and its pages
-- if the dispute is p_open and the document p_draft; the history entry is p_detail with how many
-- pages went. Answers {document, pages} as they were (store rows), or {refused: true} with the
-- dispute's status and the document's, each absent when there is no such row.
create function dd_delete_document(
    p_dispute text, p_account text, p_live boolean, p_open text, p_document text, p_draft text,
    p_actor_kind text, p_actor_id text, p_kind text, p_detail jsonb, p_at timestamptz,
    p_told jsonb)
returns jsonb language plpgsql volatile as $$
declare
    v_status text := dd_hold_dispute(p_dispute, p_account, p_live);
    v_document_status text;
    v_document jsonb;
    v_pages jsonb;
begin
    if v_status is null then
        return jsonb_build_object('refused', true);
    end if;
    select status into v_document_status from documents where id = p_document and dispute_id = p_dispute;
    if v_document_status is null or v_status <> p_open or v_document_status <> p_draft then
        return jsonb_strip_nulls(jsonb_build_object('refused', true, 'status', v_status,
            'document_status', v_document_status));
    end if;
    v_document := dd_documents_json(p_dispute, p_document, 1) -> 0;
    with gone as (
        delete from pages where document_id = p_document
        returning document_id, position, filename, content_type, size, sha256, blob_key, created_at
    )
    select coalesce(jsonb_agg(to_jsonb(gone) order by gone.position), '[]'::jsonb) into v_pages from gone;
    delete from documents where id = p_document;
    update disputes set document_count = document_count - 1 where id = p_dispute;
    perform dd_append(p_dispute, p_actor_kind, p_actor_id, jsonb_build_array(jsonb_build_object(
        'document', p_document, 'kind', p_kind,
        'detail', p_detail || jsonb_build_object('pages', jsonb_array_length(v_pages)),
        'at', p_at)));
    perform dd_tell(p_dispute, p_told);
    return jsonb_build_object('document', v_document, 'pages', v_pages);
end $$;

-- Adds p_delta to the kept count of an account's disputes in a mode and status.
create function dd_count_status(p_account text, p_live boolean, p_status text, p_delta bigint)
returns void language sql volatile as $$
    insert into dispute_counts (account_id, livemode, status, count)
    values (p_account, p_live, p_status, p_delta)
    on conflict (account_id, livemode, status)
    do update set count = dispute_counts.count + excluded.count
$$;

-- store::Disputes::transition. Moves the dispute from p_from to p_to on condition of its status
-- (and of the caller's account and mode, when p_account is given), with the fields given (a null
-- leaves a field as it is; closed_at is always written), keeps the counts, appends p_entries and
-- tells p_told. When p_settle is given ({kind, detail, topics, to, submitted}) the
-- dispute's drafts then move to p_settle.to, each with its history entry and what it tells, as
-- store::disputes::settle_drafts does. Answers {dispute} (its row after the change), or
-- {refused: true, status} with its status (none: no such dispute for the caller).
create function dd_transition(
    p_dispute text, p_account text, p_live boolean, p_from text, p_to text,
    p_message text, p_metadata jsonb, p_admin_message text, p_contested_amount bigint,
    p_credit_transaction text, p_closed_at timestamptz,
    p_actor_kind text, p_actor_id text, p_entries jsonb, p_told jsonb,
    p_draft text, p_settle jsonb, p_at timestamptz)
returns jsonb language plpgsql volatile as $$
declare
    v_account text;
    v_live boolean;
    v_drafts text[];
begin
    update disputes set status = p_to,
           message = coalesce(p_message, message),
           metadata = coalesce(p_metadata, metadata),
           admin_message = coalesce(p_admin_message, admin_message),
           contested_amount = coalesce(p_contested_amount, contested_amount),
           credit_transaction_id = coalesce(p_credit_transaction, credit_transaction_id),
           closed_at = p_closed_at
     where id = p_dispute and status = p_from
       and (p_account is null or (account_id = p_account and livemode = p_live))
    returning account_id, livemode into v_account, v_live;
    if not found then
        return jsonb_build_object('refused', true, 'status',
            (select status from disputes where id = p_dispute
                and (p_account is null or (account_id = p_account and livemode = p_live))));
    end if;
    update dispute_counts set count = count - 1
     where account_id = v_account and livemode = v_live and status = p_from;
    perform dd_count_status(v_account, v_live, p_to, 1);
    perform dd_append(p_dispute, p_actor_kind, p_actor_id, p_entries);
    perform dd_tell(p_dispute, p_told);
    if p_settle is not null then
        select array_agg(id order by created_at, id) into v_drafts
          from documents where dispute_id = p_dispute and status = p_draft;
        if v_drafts is not null then
            perform dd_append(p_dispute, p_actor_kind, p_actor_id, (
                select jsonb_agg(jsonb_build_object('document', d, 'kind', p_settle->>'kind',
                    'detail', p_settle->'detail', 'at', p_at) order by n)
                from unnest(v_drafts) with ordinality as x(d, n)));
            perform dd_tell(p_dispute, (
                select jsonb_agg(jsonb_build_object('topic', t, 'document', d, 'at', p_at)
                                 order by n, m)
                from unnest(v_drafts) with ordinality as x(d, n)
                cross join jsonb_array_elements_text(p_settle->'topics') with ordinality as y(t, m)));
            update documents set status = p_settle->>'to',
                   submitted_at = case when (p_settle->>'submitted')::boolean then p_at else submitted_at end
             where dispute_id = p_dispute and status = p_draft;
        end if;
    end if;
    return jsonb_build_object('dispute', dd_dispute_json(p_dispute));
end $$;

-- store::Disputes::update_dispute: the fields given (p_set_tag: the tag, null clearing it), in any
-- status, with a history entry and what it tells when a field changed. Answers {dispute}, or
-- null when there is no such dispute for the caller.
create function dd_update_dispute(
    p_dispute text, p_account text, p_live boolean, p_set_tag boolean, p_tag text,
    p_actor_kind text, p_actor_id text, p_entries jsonb, p_told jsonb)
returns jsonb language plpgsql volatile as $$
begin
    update disputes set tag = case when p_set_tag then p_tag else tag end
     where id = p_dispute and (p_account is null or (account_id = p_account and livemode = p_live));
    if not found then
        return null;
    end if;
    perform dd_append(p_dispute, p_actor_kind, p_actor_id, p_entries);
    perform dd_tell(p_dispute, p_told);
    return jsonb_build_object('dispute', dd_dispute_json(p_dispute));
end $$;
