-- What the Mangopay dialect needs of the core: a dispute's kind, evidence deadline and contested
-- amount; an account's public handle (its Mangopay ClientId); keys of more than one scheme; the
-- bearer tokens issued for keys; and idempotency records.

-- chargeback (contestable), final (not contestable) or retrieval (an information request)
alter table disputes add column dispute_kind text not null default 'chargeback'
    check (dispute_kind in ('chargeback', 'final', 'retrieval'));
-- evidence must be in before this time
alter table disputes add column evidence_due_at timestamptz;
-- the part of the amount the merchant contests, in the dispute's currency, once it has said
alter table disputes add column contested_amount bigint check (contested_amount > 0);

-- the account's public name in dialects that put one in their paths (Mangopay's ClientId)
alter table accounts add column handle text unique;

-- which dialect's key this is (its format and where it authenticates)
alter table api_keys add column scheme text not null default 'omise';

-- bearer tokens issued for a key: only their sha-256 is kept
create table access_tokens (
    token_hash bytea primary key,
    key_id text not null references api_keys (id),
    created_at timestamptz not null,
    expires_at timestamptz not null
);

-- the first response to each idempotency key of an account and mode, kept at least a day
create table idempotency_keys (
    account_id text not null references accounts (id),
    livemode boolean not null,
    key text not null,
    created_at timestamptz not null,
    -- null while the first request is in flight
    status integer,
    content_type text,
    body bytea,
    primary key (account_id, livemode, key)
);
