-- Cairn schema, version 1. SQLite is the source of truth; ANN and in-memory indexes derive from it.

CREATE TABLE collections (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  settings    TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE documents (
  id            TEXT PRIMARY KEY,
  collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  source        TEXT NOT NULL,
  mime          TEXT NOT NULL,
  title         TEXT NOT NULL DEFAULT '',
  language      TEXT,
  content_hash  TEXT NOT NULL,
  text          TEXT NOT NULL,
  pages         TEXT NOT NULL DEFAULT '[]',
  metadata      TEXT NOT NULL DEFAULT '{}',
  tags          TEXT NOT NULL DEFAULT '[]',
  status        TEXT NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'pending_vectors', 'failed')),
  bytes         INTEGER NOT NULL DEFAULT 0,
  chunk_count   INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (collection_id, source)
);
CREATE INDEX documents_collection ON documents (collection_id, updated_at);

-- rowid is the integer label shared by FTS5 and the ANN indexes.
CREATE TABLE chunks (
  rowid         INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  document_id   TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  collection_id TEXT NOT NULL,
  ordinal       INTEGER NOT NULL,
  text          TEXT NOT NULL,
  char_start    INTEGER NOT NULL,
  char_end      INTEGER NOT NULL,
  page          INTEGER,
  headings      TEXT NOT NULL DEFAULT '[]',
  token_count   INTEGER NOT NULL DEFAULT 0,
  metadata      TEXT NOT NULL DEFAULT '{}',
  -- what the lexical index sees: title and heading path, and the text with CJK words spaced
  search_title  TEXT NOT NULL DEFAULT '',
  search_text   TEXT NOT NULL,
  UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_collection ON chunks (collection_id);

CREATE VIRTUAL TABLE chunks_fts USING fts5 (
  search_title,
  search_text,
  content = 'chunks',
  content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, search_title, search_text) VALUES (new.rowid, new.search_title, new.search_text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, search_title, search_text) VALUES ('delete', old.rowid, old.search_title, old.search_text);
END;
CREATE TRIGGER chunks_fts_update AFTER UPDATE OF search_title, search_text ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, search_title, search_text) VALUES ('delete', old.rowid, old.search_title, old.search_text);
  INSERT INTO chunks_fts (rowid, search_title, search_text) VALUES (new.rowid, new.search_title, new.search_text);
END;

CREATE TABLE vectors (
  chunk_rowid   INTEGER NOT NULL REFERENCES chunks(rowid) ON DELETE CASCADE,
  collection_id TEXT NOT NULL,
  model_id      TEXT NOT NULL,
  dimensions    INTEGER NOT NULL,
  vector        BLOB NOT NULL,
  PRIMARY KEY (chunk_rowid, model_id)
) WITHOUT ROWID;
CREATE INDEX vectors_collection_model ON vectors (collection_id, model_id);

-- Every vector added or removed, in order: ANN index files record the last seq they contain
-- and catch up from here on open.
CREATE TABLE vector_changes (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id TEXT NOT NULL,
  model_id      TEXT NOT NULL,
  chunk_rowid   INTEGER NOT NULL,
  op            TEXT NOT NULL CHECK (op IN ('add', 'remove'))
);
CREATE INDEX vector_changes_target ON vector_changes (collection_id, model_id, seq);

CREATE TRIGGER vectors_change_insert AFTER INSERT ON vectors BEGIN
  INSERT INTO vector_changes (collection_id, model_id, chunk_rowid, op) VALUES (new.collection_id, new.model_id, new.chunk_rowid, 'add');
END;
CREATE TRIGGER vectors_change_delete AFTER DELETE ON vectors BEGIN
  INSERT INTO vector_changes (collection_id, model_id, chunk_rowid, op) VALUES (old.collection_id, old.model_id, old.chunk_rowid, 'remove');
END;

CREATE TABLE jobs (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL,
  collection_id TEXT,
  status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  progress      TEXT NOT NULL DEFAULT '{"documentsDone":0,"documentsTotal":0,"chunksDone":0,"chunksTotal":0}',
  payload       TEXT NOT NULL DEFAULT '{}',
  result        TEXT,
  failures      TEXT NOT NULL DEFAULT '[]',
  error         TEXT,
  created_at    TEXT NOT NULL,
  started_at    TEXT,
  finished_at   TEXT,
  updated_at    TEXT NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, created_at);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  key_hash     TEXT NOT NULL UNIQUE,
  scopes       TEXT NOT NULL DEFAULT '{}',
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);

CREATE TABLE chats (
  id            TEXT PRIMARY KEY,
  collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  title         TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

CREATE TABLE messages (
  id         TEXT PRIMARY KEY,
  chat_id    TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  content    TEXT NOT NULL,
  result     TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX messages_chat ON messages (chat_id, created_at);
