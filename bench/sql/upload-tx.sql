-- pgbench script: the database work of one document upload, as the server sends it (bench/run
-- measures it with `pgbench -M prepared`, the protocol sqlx uses): the status check before the
-- bytes are stored, then one call of dd_insert_document (migrations/postgres/…_changes_in_one_call
-- and …_pages_from_json), the whole transaction in the server: the status guard (an
-- `update … returning` that counts the document on its dispute), the document, its first page,
-- two history entries, the event with its snapshot (the dispute and its first 20 documents) and
-- its deliveries to the account's webhook endpoints. No file, no HTTP: the database's share of an
-- upload. Variables: :acct, the account; :targets, how many rows bench_upload_targets (i, id) has:
-- the open disputes it uploads to.
\set i random(0, :targets - 1)
\set n random(1, 1000000000000000)
select status from disputes where id = (select id from bench_upload_targets where i = :i) and account_id = :acct and livemode = false;
select dd_insert_document((select id from bench_upload_targets where i = :i), :acct, false, 'awaiting_evidence',
  'docu_test_pgb' || :n, 'delivery_proof', null, 'draft', now(),
  jsonb_build_object('filename', 'receipt.pdf', 'content_type', 'application/pdf', 'size', 102400,
    'sha256', 'c2d08753039ead781b539096f01534b82aeed3997cc931b979807604b36fc9c1',
    'blob_key', 'documents/pgb' || :n, 'created_at', now(), 'file_pages', 1),
  'key', 'key_test_bench',
  jsonb_build_array(
    jsonb_build_object('document', 'docu_test_pgb' || :n, 'kind', 'document_added', 'detail', '{"kind": "delivery_proof"}'::jsonb, 'at', now()),
    jsonb_build_object('document', 'docu_test_pgb' || :n, 'kind', 'page_added', 'detail', '{"position": 1, "size": 102400}'::jsonb, 'at', now())),
  jsonb_build_array(jsonb_build_object('topic', 'dispute.update', 'document', 'docu_test_pgb' || :n, 'at', now())));
