-- Events and their delivery; see the Postgres migration of the same name for the design. Times
-- are integer microseconds since the epoch, JSON is text.

create table events (
    seq integer primary key autoincrement,
    id text not null unique,
    account_id text not null references accounts (id),
    livemode integer not null,
    dispute_id text not null references disputes (id),
    document_id text,
    topic text not null,
    snapshot text not null check (json_valid(snapshot)),
    preferences text not null default '{}' check (json_valid(preferences)),
    created_at integer not null
) strict;

create index events_by_scope on events (account_id, livemode, created_at, seq);
create index events_by_dispute on events (dispute_id, seq);

create table webhook_endpoints (
    id text primary key,
    account_id text not null references accounts (id),
    livemode integer not null,
    scheme text not null,
    url text not null,
    topics text not null,
    label text,
    tag text,
    enabled integer not null default 1,
    valid integer not null default 1,
    consecutive_failures integer not null default 0,
    secret text,
    previous_secret text,
    previous_secret_until integer,
    created_at integer not null,
    unique (account_id, livemode, scheme, label)
) strict;

create index webhook_endpoints_by_account on webhook_endpoints (account_id, livemode);

create table webhook_deliveries (
    seq integer primary key autoincrement,
    event_id text not null references events (id),
    endpoint_id text not null references webhook_endpoints (id) on delete cascade,
    state text not null check (state in ('pending', 'succeeded', 'dead')),
    attempts integer not null default 0,
    next_attempt_at integer not null,
    lease_until integer,
    created_at integer not null,
    unique (event_id, endpoint_id)
) strict;

create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'pending';

create table webhook_attempts (
    seq integer primary key autoincrement,
    delivery_seq integer not null references webhook_deliveries (seq) on delete cascade,
    url text not null,
    payload text not null,
    status integer,
    error text,
    latency_ms integer not null,
    response text,
    created_at integer not null
) strict;

create index webhook_attempts_by_delivery on webhook_attempts (delivery_seq, seq);

-- The deadline sweep's scans: disputes still awaiting evidence, by deadline.
create index disputes_awaiting_by_deadline on disputes (evidence_due_at) where status = 'awaiting_evidence';
