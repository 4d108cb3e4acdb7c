-- How many disputes each account holds in each mode and status, so that a list's total needs
-- no scan of the account's disputes. Kept by the same transactions that insert disputes and
-- change their status.
create table dispute_counts (
    account_id text not null references accounts (id),
    livemode integer not null check (livemode in (0, 1)),
    status text not null check (status in ('open', 'pending', 'won', 'lost')),
    count integer not null check (count >= 0),
    primary key (account_id, livemode, status)
) strict;

insert into dispute_counts (account_id, livemode, status, count)
select account_id, livemode, status, count(*) from disputes group by account_id, livemode, status;
