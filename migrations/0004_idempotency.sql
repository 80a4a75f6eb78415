-- Cairn schema, version 4: an Idempotency-Key on ingest names the job it started, so a retried
-- POST (a lost response, a client's automatic retry) returns that job instead of ingesting again.

CREATE TABLE idempotency_keys (
  -- Whose key it is: the API key's id, or 'open' on a server without keys. Two callers never share one.
  owner      TEXT NOT NULL,
  key        TEXT NOT NULL,
  -- What it was first used for (the collection ingested into): reusing it for another is refused.
  scope      TEXT NOT NULL,
  job_id     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (owner, key)
) WITHOUT ROWID;

-- Keys are kept 24 hours; expired ones are deleted by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
