-- bench/run: the big account's 1,000,000 disputes, for the list latency at 1,000,000 disputes.
\set ON_ERROR_STOP on
set synchronous_commit = off;
select bench_disputes(5, 100001, 1000000, '2025-01-01 00:00:00+00');

delete from dispute_counts;
insert into dispute_counts (account_id, livemode, status, count)
select account_id, livemode, status, count(*) from disputes group by account_id, livemode, status;
