-- Evidence links and browser sessions. An evidence link lets whoever holds its URL answer one
-- dispute from a browser, acting for the key that made it; a session is a signed-in browser of
-- the dashboard, acting for the key it was opened with. Of both, only the secret's sha-256 is
-- kept, never the secret.

create table evidence_links (
    id text primary key,
    -- the one dispute the link opens (its links go with it when test data is reset)
    dispute_id text not null references disputes (id) on delete cascade,
    -- the key that made it: the link acts for it, and stops working when it is revoked
    key_id text not null references api_keys (id),
    token_hash bytea not null unique,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    revoked_at timestamptz
);

create index evidence_links_by_dispute on evidence_links (dispute_id);

create table web_sessions (
    token_hash bytea primary key,
    key_id text not null references api_keys (id),
    -- sent back with every form that changes something
    csrf_token text not null,
    created_at timestamptz not null,
    -- the session ends when it has been idle for longer than the idle limit
    last_seen_at timestamptz not null
);
