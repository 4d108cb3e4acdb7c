-- The dispute search's trigram index leads with the text, the account after it: a GIN scan walks
-- its keys in the index's column order, so led by the account it walked the account's own entry
-- (one item per dispute of the account) for every candidate of the text, and a search took time
-- with the account's size (20 ms at 1,000,000 disputes against 1.8 at 10,000, bench/RESULTS.md).
-- Led by the text, it costs what the query's trigrams cost, and the account is checked on the
-- few items they leave. store/search.rs looks up only the query's longer words in it and checks
-- the whole query on what they find.
drop index disputes_search;
create index disputes_search on disputes using gin (search_text gin_trgm_ops, account_id);
