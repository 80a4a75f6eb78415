-- Cairn schema, version 3: delete means delete, and no write cost for what nothing reads.

-- Lexical search is the in-memory BM25 built from chunks.search_title/search_text; nothing read
-- chunks_fts, yet every chunk write and delete paid for it through these triggers.
DROP TRIGGER IF EXISTS chunks_fts_insert;
DROP TRIGGER IF EXISTS chunks_fts_delete;
DROP TRIGGER IF EXISTS chunks_fts_update;
DROP TABLE IF EXISTS chunks_fts;

-- Counts chunk rows deleted (a document removed or replaced): in-memory row caches of every
-- connection compare it before use and drop what they hold when it moved, so deleted text does
-- not stay in a search thread's memory.
CREATE TABLE store_counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO store_counters (name, value) VALUES ('chunks_removed', 0);
CREATE TRIGGER chunks_removed_count AFTER DELETE ON chunks BEGIN
  UPDATE store_counters SET value = value + 1 WHERE name = 'chunks_removed';
END;

-- vector_changes rows that the saved index of their (collection, model) has applied are pruned;
-- this records up to which seq, so an in-memory index older than that reloads or rebuilds
-- instead of missing changes.
CREATE TABLE vector_change_floors (
  collection_id TEXT NOT NULL,
  model_id      TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  PRIMARY KEY (collection_id, model_id)
) WITHOUT ROWID;

-- Which documents a stored answer cites or quotes: deleting a document scrubs its text from
-- those messages without scanning every chat.
CREATE TABLE message_sources (
  document_id TEXT NOT NULL,
  message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  PRIMARY KEY (document_id, message_id)
) WITHOUT ROWID;
CREATE INDEX message_sources_message ON message_sources (message_id);

INSERT OR IGNORE INTO message_sources (document_id, message_id)
  SELECT json_extract(c.value, '$.documentId'), m.id
    FROM messages m, json_each(m.result, '$.citations') c
   WHERE json_valid(m.result) AND json_extract(c.value, '$.documentId') IS NOT NULL
  UNION
  SELECT json_extract(p.value, '$.passage.documentId'), m.id
    FROM messages m, json_each(m.result, '$.passages') p
   WHERE json_valid(m.result) AND json_extract(p.value, '$.passage.documentId') IS NOT NULL
  UNION
  SELECT json_extract(p.value, '$.documentId'), m.id
    FROM messages m, json_each(m.result, '$.closestPassages') p
   WHERE json_valid(m.result) AND json_extract(p.value, '$.documentId') IS NOT NULL;
