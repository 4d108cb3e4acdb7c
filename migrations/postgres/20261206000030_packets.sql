-- The evidence packets to freeze (FILES.md §5): a dispute that leaves "awaiting evidence" is
-- queued here by the trigger below, in the same transaction as its status change, whichever
-- way it left (an update, an accept, a submit, the web page, the deadline; the one-call
-- functions included, since they write the history too). The worker builds its packet off the
-- request, writes the packet's digest to the history and removes the row in one transaction.
create table packet_jobs (
    -- no reference: a test-mode reset removes disputes without looking here; the worker drops
    -- a job whose dispute is gone
    dispute_id text primary key,
    -- the history entry that queued it: a job done is removed only if no newer one replaced it
    queued_seq bigint not null
);

create function packet_jobs_on_leaving_evidence() returns trigger language plpgsql as $$
begin
    if new.kind = 'status_changed' and new.detail ->> 'from' = 'awaiting_evidence' then
        insert into packet_jobs (dispute_id, queued_seq) values (new.dispute_id, new.seq)
        on conflict (dispute_id) do update set queued_seq = excluded.queued_seq;
    end if;
    return null;
end
$$;

create trigger packet_jobs_on_leaving_evidence after insert on dispute_history
for each row execute function packet_jobs_on_leaving_evidence();
