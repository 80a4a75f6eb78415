-- Cairn schema on PostgreSQL, version 1: the SQLite schema as of its version 7 (migrations/0001 to
-- 0007), table for table and column for column, so code and people read both the same way.
-- Differences, and why:
--   * JSON kept in text columns on SQLite is jsonb here (the code reads and writes it whole).
--   * chunks.rowid is an identity column: the integer every retriever returns, never reused.
--   * vectors use pgvector's `vector` type without a fixed dimension: one table holds every
--     model's vectors; search indexes are per (model, dimensions) expression indexes (0002).
--   * Timestamps stay ISO-8601 text written by Cairn, as on SQLite (the API returns them as
--     stored); only the job lease uses the database clock, so instances with skewed clocks agree.
--   * Left out: what only feeds the embedded indexes (vector_changes, vector_change_floors,
--     store_counters) and data tables (data_tables): search runs inside PostgreSQL.

-- Needs the right to create extensions (superuser, or the extension created beforehand by one).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE collections (
  id          text PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  settings    jsonb NOT NULL DEFAULT '{}',
  created_at  text NOT NULL,
  updated_at  text NOT NULL
);

CREATE TABLE documents (
  id            text PRIMARY KEY,
  collection_id text NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  source        text NOT NULL,
  mime          text NOT NULL,
  title         text NOT NULL DEFAULT '',
  language      text,
  content_hash  text NOT NULL,
  text          text NOT NULL,
  pages         jsonb NOT NULL DEFAULT '[]',
  metadata      jsonb NOT NULL DEFAULT '{}',
  tags          jsonb NOT NULL DEFAULT '[]',
  status        text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'pending_vectors', 'failed')),
  bytes         bigint NOT NULL DEFAULT 0,
  chunk_count   integer NOT NULL DEFAULT 0,
  created_at    text NOT NULL,
  updated_at    text NOT NULL,
  UNIQUE (collection_id, source)
);
CREATE INDEX documents_collection ON documents (collection_id, updated_at);
CREATE INDEX documents_content_hash ON documents (content_hash);

CREATE TABLE chunks (
  rowid         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id            text NOT NULL UNIQUE,
  document_id   text NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  collection_id text NOT NULL,
  ordinal       integer NOT NULL,
  text          text NOT NULL,
  char_start    integer NOT NULL,
  char_end      integer NOT NULL,
  page          integer,
  headings      jsonb NOT NULL DEFAULT '[]',
  token_count   integer NOT NULL DEFAULT 0,
  metadata      jsonb NOT NULL DEFAULT '{}',
  -- what the lexical index sees: title and heading path, and the text with CJK words spaced
  search_title  text NOT NULL DEFAULT '',
  search_text   text NOT NULL,
  UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_collection ON chunks (collection_id);

CREATE TABLE vectors (
  rowid         bigint NOT NULL REFERENCES chunks(rowid) ON DELETE CASCADE,
  collection_id text NOT NULL,
  model_id      text NOT NULL,
  dimensions    integer NOT NULL,
  embedding     vector NOT NULL,
  PRIMARY KEY (rowid, model_id),
  CHECK (vector_dims(embedding) = dimensions)
);
CREATE INDEX vectors_collection_model ON vectors (collection_id, model_id);

CREATE TABLE jobs (
  id               text PRIMARY KEY,
  kind             text NOT NULL,
  collection_id    text,
  status           text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  progress         jsonb NOT NULL DEFAULT '{"documentsDone":0,"documentsTotal":0,"chunksDone":0,"chunksTotal":0}',
  payload          jsonb NOT NULL DEFAULT '{}',
  result           jsonb,
  failures         jsonb NOT NULL DEFAULT '[]',
  error            text,
  created_at       text NOT NULL,
  started_at       text,
  finished_at      text,
  updated_at       text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  source_hashes    text NOT NULL DEFAULT '',
  -- Which instance runs the job, and until when: a job whose instance stopped heart-beating is
  -- taken over once its lease has expired (claimNext). NULL for a job claimed without a lease.
  owner            text,
  lease_expires_at timestamptz
);
CREATE INDEX jobs_status ON jobs (status, created_at);
CREATE INDEX jobs_finished ON jobs (finished_at);

-- Delete means delete (SQLite migration 0002): a posted text or upload still waiting in an
-- unfinished job's payload is dropped with the document it became, so a rerun cannot bring it
-- back. A source matches by its content hash; an upload also matches a part document of it
-- (`upload:<first 16 of its hash>/<name>#L3`).
CREATE FUNCTION documents_forget_in_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  upload_prefix text := CASE WHEN OLD.source LIKE 'upload:%#%' THEN substr(OLD.source, 8, 16) END;
BEGIN
  UPDATE jobs j SET payload = jsonb_set(j.payload, '{sources}', kept.sources), source_hashes = kept.hashes
  FROM (
    SELECT jj.id,
      coalesce(jsonb_agg(s.value ORDER BY s.ord) FILTER (WHERE s.value IS NOT NULL AND NOT s.gone), '[]'::jsonb) AS sources,
      coalesce(string_agg(s.value->>'hash', ' ' ORDER BY s.ord)
        FILTER (WHERE s.value IS NOT NULL AND NOT s.gone AND s.value->>'hash' IS NOT NULL), '') AS hashes
    FROM jobs jj
    LEFT JOIN LATERAL (
      SELECT e.value, e.ord, coalesce(e.value->>'hash' = OLD.content_hash
        OR (e.value->>'type' = 'upload' AND upload_prefix IS NOT NULL AND substr(e.value->>'hash', 1, 16) = upload_prefix), false) AS gone
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(jj.payload->'sources') = 'array' THEN jj.payload->'sources' ELSE '[]'::jsonb END)
        WITH ORDINALITY AS e(value, ord)
    ) s ON true
    WHERE jj.status IN ('queued', 'running') AND jj.collection_id = OLD.collection_id
      AND (strpos(jj.source_hashes, OLD.content_hash) > 0
        OR (upload_prefix IS NOT NULL AND strpos(jj.source_hashes, upload_prefix) > 0))
    GROUP BY jj.id
  ) kept
  WHERE j.id = kept.id;
  RETURN NULL;
END $$;
CREATE TRIGGER documents_forget_in_jobs AFTER DELETE ON documents FOR EACH ROW EXECUTE FUNCTION documents_forget_in_jobs();

CREATE TABLE api_keys (
  id              text PRIMARY KEY,
  name            text NOT NULL,
  key_hash        text NOT NULL UNIQUE,
  scopes          jsonb NOT NULL DEFAULT '{}',
  created_at      text NOT NULL,
  last_used_at    text,
  revoked_at      text,
  kind            text NOT NULL DEFAULT 'standard' CHECK (kind IN ('standard', 'embed')),
  origins         jsonb NOT NULL DEFAULT '[]',
  rate_per_minute integer
);

CREATE TABLE chats (
  id            text PRIMARY KEY,
  collection_id text NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  title         text NOT NULL DEFAULT '',
  created_at    text NOT NULL,
  updated_at    text NOT NULL
);

CREATE TABLE messages (
  id         text PRIMARY KEY,
  chat_id    text NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  content    text NOT NULL,
  result     jsonb,
  created_at text NOT NULL,
  -- Stands in for SQLite's implicit rowid: the order of messages written in the same millisecond.
  seq        bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX messages_chat ON messages (chat_id, created_at, seq);

CREATE TABLE message_sources (
  document_id text NOT NULL,
  message_id  text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  PRIMARY KEY (document_id, message_id)
);
CREATE INDEX message_sources_message ON message_sources (message_id);

CREATE TABLE idempotency_keys (
  owner      text NOT NULL,
  key        text NOT NULL,
  scope      text NOT NULL,
  job_id     text NOT NULL,
  created_at text NOT NULL,
  PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE embed_chats (
  chat_id    text PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
  key_id     text NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  visitor    text NOT NULL,
  created_at text NOT NULL
);
CREATE INDEX embed_chats_owner ON embed_chats (key_id, visitor);

CREATE TABLE message_feedback (
  message_id text PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  chat_id    text NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  rating     text NOT NULL CHECK (rating IN ('up', 'down')),
  comment    text,
  created_at text NOT NULL
);
CREATE INDEX message_feedback_chat ON message_feedback (chat_id);
