-- bench/run: fills a freshly migrated SQLite file with the same data as seed.sql gives Postgres
-- (SQLite has no generate_series by default: recursive CTEs count instead; times are integer
-- microseconds). Run by the sqlite3 CLI after bench/run has set the parameters :small_size,
-- :small_sha, :big_size, :big_sha and filled the temporary table bench_key_hashes (k, omise,
-- mangopay) with the SHA-256 of each account's secrets, which SQLite cannot compute.
--
-- Accounts 1 to 4 as in seed.sql (account 5, the 1,000,000 disputes, is Postgres only), and
--   6  writes  60,000 open disputes (n = 2,000,001 .. 2,060,000) and 60,000 pending ones
--              (.. 2,120,000): the transitions of the concurrency runs, submit and resolve

pragma journal_mode = wal;
pragma synchronous = off;
begin;

insert into accounts (id, name, preferences, created_at, handle)
select 'acct_bench' || printf('%014d', k), name, '{"omise_version": "2019-05-29"}',
       (1733011200 + k * 3600) * 1000000, 'bench-' || k
from (select 1 k, 'bench main' name union all select 2, 'bench ten_k' union all select 3, 'bench up'
      union all select 4, 'bench other' union all select 6, 'bench writes');

insert into api_keys (id, account_id, livemode, secret_hash, hint, created_at, scheme)
select 'key_bench' || printf('%014d', k), 'acct_bench' || printf('%014d', k), 0, omise,
       substr(printf('%014d', k), 11), (1733011200 + k * 3600) * 1000000, 'omise'
from temp.bench_key_hashes where k in (1, 2, 3, 4, 6)
union all
select 'key_benchmp' || printf('%014d', k), 'acct_bench' || printf('%014d', k), 0, mangopay,
       substr(printf('%014d', k), 11), (1733011200 + k * 3600) * 1000000, 'mangopay'
from temp.bench_key_hashes where k in (1, 2, 3, 4, 6);

-- disputes n = 1 .. 100,000 of accounts 1-4 (as seed.sql's bench_disputes), then account 6's
with recursive g(n) as (select 1 union all select n + 1 from g where n < 100000),
numbered as (
  select n,
         case when n <= 70000 then 1 when n <= 80000 then 2 when n <= 90000 then 3 else 4 end as account,
         case when n <= 70000 then 1 when n <= 80000 then 70001 when n <= 90000 then 80001 else 90001 end as first,
         100 + (n * 7919) % 999900 as amount,
         case n % 8 when 0 then 'awaiting_evidence' when 1 then 'awaiting_evidence' when 2 then 'awaiting_evidence'
                    when 3 then 'under_review' when 4 then 'under_review'
                    when 5 then 'won' when 6 then 'won' else 'lost' end as status
  from g
  union all
  select n, 6, 2000001, 100 + (n * 7919) % 999900,
         case when n <= 2060000 then 'awaiting_evidence' else 'under_review' end
  from (with recursive h(n) as (select 2000001 union all select n + 1 from h where n < 2120000) select n from h)
),
timed as (select *, 1735689600000000 + (n - first) * 20000000 + (n % 997) as created_at from numbered)
insert into disputes (id, account_id, livemode, charge_id, amount, currency, funding_amount,
                      funding_currency, status, reason, message, admin_message, metadata,
                      debit_transaction_id, credit_transaction_id, created_at, closed_at)
select 'dspt_test_' || printf('%019d', n),
       'acct_bench' || printf('%014d', account),
       0,
       'chrg_test_' || printf('%019d', n),
       amount, 'THB', amount, 'THB',
       status,
       json_extract('["recurring_cancelled", "refund_missing", "duplicate", "card_expired", "not_received",
              "wrong_currency", "wrong_amount", "presented_late", "account_number_mismatch",
              "not_as_described", "unavailable", "unrecorded", "other", "paid_otherwise",
              "unrecognised", "unauthorised"]', '$[' || (n % 16) || ']'),
       case when status = 'lost' and n % 16 = 7 then 'Merchant accepts the dispute'
            when status <> 'awaiting_evidence' then 'Evidence for order ' || n end,
       case when n % 50 = 0 then 'Please send the delivery receipt' end,
       case when n % 10 = 0 then json_object('channel', 'web', 'order_id', 'ord_' || n) else '{}' end,
       'trxn_test_' || printf('%019d', n),
       case when status = 'won' then 'trxn_test_c' || printf('%018d', n) end,
       created_at,
       case when status in ('won', 'lost') then created_at + 1209600000000 end
from timed;

-- 20,000 documents, 5 on each of 4,000 disputes of the main account (dispute 1 + 17 i)
with recursive g(m) as (select 1 union all select m + 1 from g where m < 20000)
insert into documents (id, dispute_id, account_id, livemode, kind, status, created_at, submitted_at, page_count)
select 'docu_test_' || printf('%019d', m),
       d.id,
       d.account_id,
       0,
       json_extract('["customer_details", "purchase_details", "delivery_proof", "acceptance_proof", null]', '$[' || (m % 5) || ']'),
       case when d.status = 'awaiting_evidence' then 'draft' else 'submitted' end,
       d.created_at + 3600000000 + m * 1000,
       case when d.status <> 'awaiting_evidence' then d.created_at + 172800000000 end,
       1
from g join disputes d on d.id = 'dspt_test_' || printf('%019d', 1 + ((m - 1) / 5) * 17);

with recursive g(m) as (select 1 union all select m + 1 from g where m < 20000)
insert into pages (document_id, position, filename, content_type, size, sha256, blob_key, created_at, file_pages)
select 'docu_test_' || printf('%019d', m),
       1,
       'evidence-' || m || '.pdf',
       'application/pdf',
       case when m = 1 then :big_size else :small_size end,
       case when m = 1 then :big_sha else :small_sha end,
       case when m = 1 then 'documents/bench-1mb' else 'documents/bench-' || printf('%05d', m - 2) end,
       1735689600000000,
       1
from g;

update disputes set document_count = (select count(*) from documents where dispute_id = disputes.id)
where id in (select dispute_id from documents);

-- the kept per-account counts, which the server maintains itself on every change
delete from dispute_counts;
insert into dispute_counts (account_id, livemode, status, count)
select account_id, livemode, status, count(*) from disputes group by account_id, livemode, status;

commit;
pragma synchronous = normal;
analyze;
