-- What clamd said of each page (SCAN_URL): when it last scanned the bytes, with which engine and
-- signature database, and, when a rescan after a signature update found malware in a stored page,
-- its quarantine. Pages stored while SCAN_URL was unset have no scan.

-- when clamd last scanned the page (the real clock, never a test clock); null: never scanned
alter table pages add column scanned_at timestamptz;
-- clamd's VERSION answer at that scan: engine and signature database, "ClamAV 1.4.6/27480/…"
alter table pages add column scan_engine text;
-- set by a rescan that found malware: the page is no longer served, previewed or put in a
-- packet; its blob stays for the operator
alter table pages add column quarantined_at timestamptz;
-- the signature clamd named, "Win.Test.EICAR_HDB-1"
alter table pages add column quarantine_signature text;

-- the operator lists quarantined pages, newest first
create index pages_quarantined on pages (quarantined_at, document_id, position) where quarantined_at is not null;

-- A quarantine is told to Mangopay hooks as DISPUTE_DOCUMENT_FAILED: the hooks of that type made
-- before it existed hear it too.
update webhook_endpoints set topics = topics || 'document_quarantined,'
where scheme = 'mangopay' and label = 'DISPUTE_DOCUMENT_FAILED'
    and topics not like '%,document_quarantined,%';
