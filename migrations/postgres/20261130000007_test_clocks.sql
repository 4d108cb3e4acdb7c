-- Each account's test-mode clock: how far it runs ahead of the real one, in microseconds
-- (`POST /test/clock/advance`). Live mode always uses the real clock.
alter table accounts add column test_clock_offset bigint not null default 0;
