-- bench/run: fills a freshly migrated dispute_docs_bench database, straight in SQL (no HTTP).
-- psql variables: small_size, small_sha (the shared small PDF), big_size, big_sha (the 1 MB PDF).
--
-- Accounts (one Omise test key each, secret skey_test_bench<14 digits>, and one Mangopay key):
--   1  main   70,000 disputes, 20,000 documents on 4,000 of them   (n = 1 .. 70,000)
--   2  ten_k  10,000 disputes: the "list at 10,000 disputes" figure (n = 70,001 .. 80,000)
--   3  up     10,000 disputes: uploads go to its open disputes     (n = 80,001 .. 90,000)
--   4  other  10,000 disputes                                      (n = 90,001 .. 100,000)
--   5  big    1,000,000 disputes, added later by big.sql           (n = 100,001 .. 1,100,000)
-- Dispute number n has id dspt_test_<n padded to 19>; status by n % 8: 0-2 awaiting evidence
-- (Omise's open), 3-4 under review (pending), 5-6 won, 7 lost. Values are the domain's own words
-- (migrations/postgres/…_neutral_model.sql maps Omise's onto them).

\set ON_ERROR_STOP on
set synchronous_commit = off;

insert into accounts (id, name, preferences, created_at)
select 'acct_bench' || lpad(k::text, 14, '0'), name, '{"omise_version": "2019-05-29"}',
       timestamptz '2024-12-01 00:00:00+00' + k * interval '1 hour'
from (values (1, 'bench main'), (2, 'bench ten_k'), (3, 'bench up'), (4, 'bench other'), (5, 'bench big')) a (k, name);

insert into api_keys (id, account_id, livemode, secret_hash, hint, created_at)
select 'key_bench' || lpad(k::text, 14, '0'),
       'acct_bench' || lpad(k::text, 14, '0'),
       false,
       sha256(convert_to('skey_test_bench' || lpad(k::text, 14, '0'), 'UTF8')),
       right(lpad(k::text, 14, '0'), 4),
       timestamptz '2024-12-01 00:00:00+00' + k * interval '1 hour'
from generate_series(1, 5) k;

-- the Mangopay dialect: each account's ClientId is bench-<k>, with one sandbox API key,
-- mp_api_key_bench<14 digits> (bench/run asks POST /v2.01/oauth/token for a bearer token)
update accounts set handle = 'bench-' || ltrim(right(id, 14), '0');
insert into api_keys (id, account_id, livemode, secret_hash, hint, created_at, scheme)
select 'key_benchmp' || lpad(k::text, 14, '0'),
       'acct_bench' || lpad(k::text, 14, '0'),
       false,
       sha256(convert_to('mp_api_key_bench' || lpad(k::text, 14, '0'), 'UTF8')),
       right(lpad(k::text, 14, '0'), 4),
       timestamptz '2024-12-01 00:00:00+00' + k * interval '1 hour',
       'mangopay'
from generate_series(1, 5) k;

-- count disputes numbered first .. first+count-1 for one account, 20 s apart from base
create or replace function bench_disputes(account int, first bigint, count bigint, base timestamptz)
returns void language sql as $$
insert into disputes (id, account_id, livemode, charge_id, amount, currency, funding_amount,
                      funding_currency, status, reason, message, admin_message, metadata,
                      debit_transaction_id, credit_transaction_id, created_at, closed_at)
select 'dspt_test_' || lpad(n::text, 19, '0'),
       'acct_bench' || lpad(account::text, 14, '0'),
       false,
       'chrg_test_' || lpad(n::text, 19, '0'),
       amount, 'THB', amount, 'THB',
       status,
       (array['recurring_cancelled', 'refund_missing', 'duplicate', 'card_expired', 'not_received',
              'wrong_currency', 'wrong_amount', 'presented_late', 'account_number_mismatch',
              'not_as_described', 'unavailable', 'unrecorded', 'other', 'paid_otherwise',
              'unrecognised', 'unauthorised'])[1 + n % 16],
       case when status = 'lost' and n % 16 = 7 then 'Merchant accepts the dispute'
            when status <> 'awaiting_evidence' then 'Evidence for order ' || n end,
       case when n % 50 = 0 then 'Please send the delivery receipt' end,
       case when n % 10 = 0 then jsonb_build_object('order_id', 'ord_' || n, 'channel', 'web')
            else '{}'::jsonb end,
       'trxn_test_' || lpad(n::text, 19, '0'),
       case when status = 'won' then 'trxn_test_c' || lpad(n::text, 18, '0') end,
       created_at,
       case when status in ('won', 'lost') then created_at + interval '14 days' end
from (
  select n,
         100 + (n * 7919) % 999900 as amount,
         (array['awaiting_evidence', 'awaiting_evidence', 'awaiting_evidence', 'under_review',
                'under_review', 'won', 'won', 'lost'])[1 + n % 8] as status,
         base + (n - first) * interval '20 seconds' + (n % 997) * interval '1 microsecond' as created_at
  from generate_series(first, first + count - 1) n
) g
$$;

select bench_disputes(1, 1, 70000, '2025-01-01 00:00:00+00');
select bench_disputes(2, 70001, 10000, '2025-01-01 00:00:00+00');
select bench_disputes(3, 80001, 10000, '2025-01-01 00:00:00+00');
select bench_disputes(4, 90001, 10000, '2025-01-01 00:00:00+00');

-- 20,000 documents, 5 on each of 4,000 disputes of the main account (dispute 1 + 17 i), one
-- page each. Document 1 is the 1 MB PDF; the others share the small PDF's bytes, each in its own
-- blob.
insert into documents (id, dispute_id, account_id, livemode, kind, status, created_at, submitted_at, page_count)
select 'docu_test_' || lpad(m::text, 19, '0'),
       d.id,
       d.account_id,
       false,
       (array['customer_details', 'purchase_details', 'delivery_proof', 'acceptance_proof', null])[1 + m % 5],
       case when d.status = 'awaiting_evidence' then 'draft' else 'submitted' end,
       d.created_at + interval '1 hour' + m * interval '1 millisecond',
       case when d.status <> 'awaiting_evidence' then d.created_at + interval '2 days' end,
       1
from generate_series(1, 20000) m
join disputes d on d.id = 'dspt_test_' || lpad((1 + ((m - 1) / 5) * 17)::text, 19, '0');

insert into pages (document_id, position, filename, content_type, size, sha256, blob_key, created_at, file_pages)
select 'docu_test_' || lpad(m::text, 19, '0'),
       1,
       'evidence-' || m || '.pdf',
       'application/pdf',
       case when m = 1 then :big_size else :small_size end,
       case when m = 1 then :'big_sha' else :'small_sha' end,
       case when m = 1 then 'documents/bench-1mb' else 'documents/bench-' || lpad((m - 2)::text, 5, '0') end,
       timestamptz '2025-01-01 00:00:00+00',
       1
from generate_series(1, 20000) m;

update disputes d set document_count = c.n
from (select dispute_id, count(*)::int n from documents group by dispute_id) c
where d.id = c.dispute_id;

-- the kept per-account counts (migration 2), which the server maintains itself on every insert
delete from dispute_counts;
insert into dispute_counts (account_id, livemode, status, count)
select account_id, livemode, status, count(*) from disputes group by account_id, livemode, status;
