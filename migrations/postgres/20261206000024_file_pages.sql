-- How many pages each stored file has: a PDF's own page count, 1 for a picture. Counted by the
-- checks at upload (FILES.md §2). A picture stored before them is filled in here; a PDF stored
-- before them stays null until the sweep counts it (at start-up and every SWEEP_INTERVAL).
alter table pages add column file_pages integer;
update pages set file_pages = 1 where content_type <> 'application/pdf';
-- What the sweep looks for.
create index pages_uncounted on pages (document_id, position) where file_pages is null;
