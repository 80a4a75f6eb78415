-- Identifies this database: index files kept beside it (<dataDir>/indexes/) record the id they were
-- built from, so a database deleted or replaced under a kept indexes/ folder never has another
-- database's BM25 or vector index trusted just because its counts and change numbers match.
CREATE TABLE store_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
