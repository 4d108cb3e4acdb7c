-- An event's snapshot holds a dispute's first 20 documents (store::events_lite), and building
-- that list on every event was about a sixth of an upload's CPU on SQLite, inside the write lock
-- (#22: 100 KB uploads at 32 connections, 830-890 uploads/s with the list against 930-1,020
-- with an empty one, in alternating runs). Once a dispute has 20 documents an upload leaves the
-- list as it was, since the new document comes after them. So a full list is kept here, built
-- once and copied into each event's snapshot until something in it changes, as Postgres does
-- (migrations/postgres/…_snapshot_documents.sql).
--
-- A row holds the list as the event's snapshot writes it (a JSON array) with the (created_at, id)
-- of its last document. A list is kept only when it is full: a shorter one changes with every
-- upload. Whatever may change a kept list removes it, and the next event builds it again:
-- * a document inserted before the list's last one; a change to, or the removal of, one of
--   the documents in it (the triggers on documents);
-- * the insertion, change or removal of the first page of one of the documents in it (the
--   triggers on pages: a scan's verdict and the page counter's count change first pages).
-- SQLite runs one write at a time, and the list is read and kept inside the write that makes
-- the event, so no change can fall between the list's reading and its keeping.

create table snapshot_documents (
    dispute_id text primary key references disputes (id) on delete cascade,
    documents text not null,
    last_created_at integer not null,
    last_id text not null
) strict;

create trigger snapshot_documents_on_document_insert after insert on documents begin
    delete from snapshot_documents where dispute_id = new.dispute_id
        and (new.created_at, new.id) < (last_created_at, last_id);
end;

create trigger snapshot_documents_on_document_update after update on documents begin
    delete from snapshot_documents where dispute_id = old.dispute_id
        and (old.created_at, old.id) <= (last_created_at, last_id);
    delete from snapshot_documents where dispute_id = new.dispute_id
        and (new.created_at, new.id) <= (last_created_at, last_id);
end;

create trigger snapshot_documents_on_document_delete after delete on documents begin
    delete from snapshot_documents where dispute_id = old.dispute_id
        and (old.created_at, old.id) <= (last_created_at, last_id);
end;

create trigger snapshot_documents_on_first_page_insert after insert on pages
when new.position = 1 begin
    delete from snapshot_documents where dispute_id in (
        select d.dispute_id from documents d join snapshot_documents s on s.dispute_id = d.dispute_id
        where d.id = new.document_id and (d.created_at, d.id) <= (s.last_created_at, s.last_id));
end;

create trigger snapshot_documents_on_first_page_update after update on pages
when old.position = 1 or new.position = 1 begin
    delete from snapshot_documents where dispute_id in (
        select d.dispute_id from documents d join snapshot_documents s on s.dispute_id = d.dispute_id
        where d.id in (old.document_id, new.document_id)
          and (d.created_at, d.id) <= (s.last_created_at, s.last_id));
end;

create trigger snapshot_documents_on_first_page_delete after delete on pages
when old.position = 1 begin
    delete from snapshot_documents where dispute_id in (
        select d.dispute_id from documents d join snapshot_documents s on s.dispute_id = d.dispute_id
        where d.id = old.document_id and (d.created_at, d.id) <= (s.last_created_at, s.last_id));
end;
