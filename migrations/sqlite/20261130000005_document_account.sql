-- A document names its dispute's account, so that reading one document checks its scope in the
-- document's own row rather than with a second lookup in disputes. Set once, at insert, from the
-- dispute; a dispute never changes account. (SQLite adds a NOT NULL column only with a default
-- and without a reference; the empty default is never kept: every row is set here and every
-- insert names the account, which is its dispute's.)
alter table documents add column account_id text not null default '';
update documents set account_id = (select s.account_id from disputes s where s.id = documents.dispute_id);
