-- Search (`GET /search`, scope dispute): a query matches a substring anywhere in a dispute's id,
-- charge id, message or metadata values, case-insensitively, through FTS5's trigram tokenizer.
-- dispute_search holds each dispute's searchable text under a stable integer key (a rowid of
-- its own: VACUUM may renumber the rowids of disputes, whose key is text), dispute_search_index
-- indexes it (an external-content FTS5 table over dispute_search). Triggers keep both, so a
-- dispute written any way at all (the API, the operator, the seeder, a migration, plain SQL) is
-- searchable at once. A migration that rebuilds the disputes table must create its three
-- triggers again.

create table dispute_search (
    n integer primary key,
    dispute_id text not null unique,
    -- the id, charge id, message and the scalar values of the metadata (strings, numbers,
    -- booleans, at any depth), each separated by U+001F so that a query spans two of them only if
    -- it contains that character itself
    body text not null
) strict;

create virtual table dispute_search_index using fts5 (
    body, content = 'dispute_search', content_rowid = 'n', tokenize = 'trigram'
);

create trigger dispute_search_ai after insert on dispute_search begin
    insert into dispute_search_index (rowid, body) values (new.n, new.body);
end;
create trigger dispute_search_ad after delete on dispute_search begin
    insert into dispute_search_index (dispute_search_index, rowid, body) values ('delete', old.n, old.body);
end;
create trigger dispute_search_au after update on dispute_search begin
    insert into dispute_search_index (dispute_search_index, rowid, body) values ('delete', old.n, old.body);
    insert into dispute_search_index (rowid, body) values (new.n, new.body);
end;

create trigger disputes_search_ai after insert on disputes begin
    insert into dispute_search (dispute_id, body) values (new.id,
        new.id || char(31) || new.charge_id || char(31) || coalesce(new.message, '') || char(31)
        || coalesce((select group_concat(case type when 'true' then 'true' when 'false' then 'false' else value end, char(31))
                     from json_tree(new.metadata) where type not in ('object', 'array', 'null')), ''));
end;
create trigger disputes_search_au after update of id, charge_id, message, metadata on disputes begin
    update dispute_search set dispute_id = new.id, body =
        new.id || char(31) || new.charge_id || char(31) || coalesce(new.message, '') || char(31)
        || coalesce((select group_concat(case type when 'true' then 'true' when 'false' then 'false' else value end, char(31))
                     from json_tree(new.metadata) where type not in ('object', 'array', 'null')), '')
    where dispute_id = old.id;
end;
create trigger disputes_search_ad after delete on disputes begin
    delete from dispute_search where dispute_id = old.id;
end;

-- the disputes there are already
insert into dispute_search (dispute_id, body)
select id, id || char(31) || charge_id || char(31) || coalesce(message, '') || char(31)
    || coalesce((select group_concat(case type when 'true' then 'true' when 'false' then 'false' else value end, char(31))
                 from json_tree(disputes.metadata) where type not in ('object', 'array', 'null')), '')
from disputes;

-- a query that names a reason's words (Omise's reason_code and reason_message are the dialect's
-- words, matched at its edge) and the reason_code filter find their disputes by index
create index disputes_by_account_reason on disputes (account_id, livemode, reason);
