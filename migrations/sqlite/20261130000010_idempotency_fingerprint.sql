-- What the first request with an idempotency key was (a SHA-256 over its method, path and body),
-- so that the key reused for another request is refused rather than replayed (Omise dialect).
alter table idempotency_keys add column fingerprint text;
