-- Document frequencies per (collection, term), kept by the postings' own statement triggers, so a
-- BM25 query learns its terms' idf (and which terms are rare) from a few rows instead of counting
-- every posting (retrieval/postgres/bm25-pruned.ts). Spread over 8 slots chosen by backend pid,
-- as bm25_stats is: concurrent writers rarely update the same row, a query sums at most 8 rows a
-- term. A slot row is updated in the transaction that inserts the chunk's bm25_docs row first, which
-- already holds that collection's bm25_stats row of the same slot, so two writers of one slot and
-- collection take their term rows one after the other, in term order within a statement.
CREATE TABLE bm25_terms (
  collection_id text NOT NULL,
  term          text NOT NULL,
  slot          smallint NOT NULL,
  df            bigint NOT NULL,
  PRIMARY KEY (collection_id, term, slot) INCLUDE (df)
);

CREATE FUNCTION bm25_postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bm25_terms AS t (collection_id, term, slot, df)
  SELECT collection_id, term, pg_backend_pid() % 8, count(*)
  FROM added GROUP BY collection_id, term ORDER BY collection_id, term
  ON CONFLICT (collection_id, term, slot) DO UPDATE SET df = t.df + excluded.df;
  RETURN NULL;
END $$;

CREATE FUNCTION bm25_postings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bm25_terms AS t (collection_id, term, slot, df)
  SELECT collection_id, term, pg_backend_pid() % 8, -count(*)
  FROM removed GROUP BY collection_id, term ORDER BY collection_id, term
  ON CONFLICT (collection_id, term, slot) DO UPDATE SET df = t.df + excluded.df;
  -- A deleted collection leaves no term rows behind (its row is already gone when this cascade runs).
  DELETE FROM bm25_terms t USING (SELECT DISTINCT collection_id FROM removed) r
  WHERE t.collection_id = r.collection_id AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.id = r.collection_id);
  RETURN NULL;
END $$;

CREATE TRIGGER bm25_postings_insert AFTER INSERT ON bm25_postings
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION bm25_postings_inserted();
CREATE TRIGGER bm25_postings_delete AFTER DELETE ON bm25_postings
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION bm25_postings_deleted();

-- Postings written before this migration.
INSERT INTO bm25_terms (collection_id, term, slot, df)
SELECT collection_id, term, 0, count(*) FROM bm25_postings GROUP BY collection_id, term;
