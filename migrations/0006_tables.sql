-- Tables found in documents (CSV, TSV, XLSX sheets, flat JSONL, and tables inside Markdown, HTML,
-- DOCX and PDF), each stored as its own SQL table named t_<collection hash>_<n>. This catalog says
-- which tables a collection has, under which name its SQL may call them, and where they came from.
-- A data table whose catalog row is gone (its document was deleted) is dropped on the next write.
CREATE TABLE data_tables (
  sql_name      TEXT PRIMARY KEY,
  collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  document_id   TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal       INTEGER NOT NULL,
  name          TEXT NOT NULL,
  title         TEXT NOT NULL,
  origin        TEXT NOT NULL,
  sheet         TEXT,
  page          INTEGER,
  columns       TEXT NOT NULL,
  row_count     INTEGER NOT NULL,
  created_at    TEXT NOT NULL,
  UNIQUE (collection_id, name),
  UNIQUE (document_id, ordinal)
);
CREATE INDEX data_tables_collection ON data_tables (collection_id);
