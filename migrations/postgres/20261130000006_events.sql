-- Events and their delivery. An event is written in the transaction of the change it reports
-- (with the history entry it comes from), carrying a snapshot of the dispute and its documents
-- as they were at that moment; deliveries to the endpoints that listen for its topic are
-- written in the same transaction (a transactional outbox), and the delivery worker sends them.

create table events (
    -- commit order, for lists and for a worker's scan
    seq bigserial primary key,
    id text not null unique,
    account_id text not null references accounts (id),
    livemode boolean not null,
    dispute_id text not null references disputes (id),
    -- the document concerned, if any (no reference: a removed document keeps its events)
    document_id text,
    -- what happened, in the domain's words
    topic text not null,
    -- the dispute and its documents right after the change, as the store's rows (JSON)
    snapshot jsonb not null,
    -- the account's preferences at the time (a dialect renders the event as the account's
    -- default shape then was)
    preferences jsonb not null default '{}',
    created_at timestamptz not null
);

create index events_by_scope on events (account_id, livemode, created_at, seq);
create index events_by_dispute on events (dispute_id, seq);

-- Where events are pushed: an account's URLs, per mode and dialect.
create table webhook_endpoints (
    id text primary key,
    account_id text not null references accounts (id),
    livemode boolean not null,
    -- which dialect's request this endpoint receives
    scheme text not null,
    url text not null,
    -- the topics it receives, as ",a,b,c,"
    topics text not null,
    -- a dialect's own name for what it listens to (Mangopay's EventType); null for all
    label text,
    tag text,
    enabled boolean not null default true,
    -- false once it failed too often in a row (Mangopay's INVALID), until revived
    valid boolean not null default true,
    consecutive_failures integer not null default 0,
    -- base64 of the signing key; the previous one still signs until previous_secret_until
    secret text,
    previous_secret text,
    previous_secret_until timestamptz,
    created_at timestamptz not null,
    unique (account_id, livemode, scheme, label)
);

create index webhook_endpoints_by_account on webhook_endpoints (account_id, livemode);

-- One row per (event, endpoint): pending until a 2xx, dead when the schedule ran out.
create table webhook_deliveries (
    seq bigserial primary key,
    event_id text not null references events (id),
    endpoint_id text not null references webhook_endpoints (id) on delete cascade,
    state text not null check (state in ('pending', 'succeeded', 'dead')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    -- a worker holds it until then
    lease_until timestamptz,
    created_at timestamptz not null,
    unique (event_id, endpoint_id)
);

create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'pending';

-- Every attempt, kept: when, what was sent, what came back.
create table webhook_attempts (
    seq bigserial primary key,
    delivery_seq bigint not null references webhook_deliveries (seq) on delete cascade,
    url text not null,
    -- the exact body sent
    payload text not null,
    -- the HTTP status, or null when none came back
    status integer,
    -- what went wrong short of a status (connection refused, time-out, refused address)
    error text,
    latency_ms bigint not null,
    -- the first bytes of the response body
    response text,
    created_at timestamptz not null
);

create index webhook_attempts_by_delivery on webhook_attempts (delivery_seq, seq);

-- The deadline sweep's scans: disputes still awaiting evidence, by deadline.
create index disputes_awaiting_by_deadline on disputes (evidence_due_at) where status = 'awaiting_evidence';
