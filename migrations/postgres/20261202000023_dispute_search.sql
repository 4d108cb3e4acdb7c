-- Search (`GET /search`, scope dispute): a query matches a substring anywhere in a dispute's id,
-- charge id, message or metadata values, case-insensitively, through a trigram index (pg_trgm).
-- The text is a stored generated column, so Postgres itself keeps it and its index for every row
-- however it is written (the API, the operator, the seeder, a migration, plain SQL), and a match
-- is rechecked against stored text rather than recomputed. The index leads with the account
-- (btree_gin), so a search reads its own account's candidates, never another's. Both extensions
-- ship with Postgres (contrib) and are trusted: the database's owner may create them.
create extension if not exists pg_trgm;
create extension if not exists btree_gin;

-- The searchable text of a dispute: its id, charge id, message and the scalar values of its
-- metadata (strings, numbers, booleans, at any depth), each separated by U+001F so that a query
-- spans two of them only if it contains that character itself.
create function dispute_search_text(id text, charge_id text, message text, metadata jsonb) returns text
    language sql immutable parallel safe
    return id || chr(31) || charge_id || chr(31) || coalesce(message, '') || chr(31)
        || coalesce((select string_agg(v #>> '{}', chr(31)) from jsonb_path_query(metadata, 'strict $.**') as v
                     where jsonb_typeof(v) not in ('object', 'array', 'null')), '');

-- what a search's query is matched against (see dispute_search_text)
alter table disputes add column search_text text not null
    generated always as (dispute_search_text(id, charge_id, message, metadata)) stored;
create index disputes_search on disputes using gin (account_id, search_text gin_trgm_ops);

-- a query that names a reason's words (Omise's reason_code and reason_message are the dialect's
-- words, matched at its edge) and the reason_code filter find their disputes by index
create index disputes_by_account_reason on disputes (account_id, livemode, reason);
