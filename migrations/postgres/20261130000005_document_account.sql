-- A document names its dispute's account, so that reading one document checks its scope in the
-- document's own row rather than with a second index probe into disputes. Set once, at insert,
-- from the dispute; a dispute never changes account.
alter table documents add column account_id text references accounts (id);
update documents d set account_id = s.account_id from disputes s where s.id = d.dispute_id;
alter table documents alter column account_id set not null;
