-- What the Mangopay dialect needs of the core, as migrations/postgres says.

-- chargeback (contestable), final (not contestable) or retrieval (an information request)
alter table disputes add column dispute_kind text not null default 'chargeback'
    check (dispute_kind in ('chargeback', 'final', 'retrieval'));
-- evidence must be in before this time (microseconds)
alter table disputes add column evidence_due_at integer;
-- the part of the amount the merchant contests, in the dispute's currency, once it has said
alter table disputes add column contested_amount integer check (contested_amount > 0);

-- the account's public name in dialects that put one in their paths (Mangopay's ClientId)
alter table accounts add column handle text;
create unique index accounts_by_handle on accounts (handle);

-- which dialect's key this is (its format and where it authenticates)
alter table api_keys add column scheme text not null default 'omise';

-- bearer tokens issued for a key: only their sha-256 is kept
create table access_tokens (
    token_hash blob primary key,
    key_id text not null references api_keys (id),
    created_at integer not null,
    expires_at integer not null
) strict;

-- the first response to each idempotency key of an account and mode, kept at least a day
create table idempotency_keys (
    account_id text not null references accounts (id),
    livemode integer not null check (livemode in (0, 1)),
    key text not null,
    created_at integer not null,
    -- null while the first request is in flight
    status integer,
    content_type text,
    body blob,
    primary key (account_id, livemode, key)
) strict;
