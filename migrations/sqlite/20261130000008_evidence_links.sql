-- Evidence links and browser sessions, as migrations/postgres says.

create table evidence_links (
    id text primary key,
    -- the one dispute the link opens (its links go with it when test data is reset)
    dispute_id text not null references disputes (id) on delete cascade,
    -- the key that made it: the link acts for it, and stops working when it is revoked
    key_id text not null references api_keys (id),
    token_hash blob not null unique,
    created_at integer not null,
    expires_at integer not null,
    revoked_at integer
) strict;

create index evidence_links_by_dispute on evidence_links (dispute_id);

create table web_sessions (
    token_hash blob primary key,
    key_id text not null references api_keys (id),
    -- sent back with every form that changes something
    csrf_token text not null,
    created_at integer not null,
    -- the session ends when it has been idle for longer than the idle limit
    last_seen_at integer not null
) strict;
