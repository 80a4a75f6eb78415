-- Document frequencies per (collection, term), kept by the postings' own statement triggers, so a
-- BM25 query learns its terms' idf (and which terms are rare) from a few rows instead of counting
-- every posting (retrieval/postgres/bm25-pruned.ts). Spread over 8 slots chosen by backend pid,
-- as bm25_stats is: concurrent writers rarely update the same row, a query sums at most 8 rows a
-- term. Before its term rows a trigger locks the collection's bm25_stats row of the same slot (an
-- insert already holds it: writePostings inserts bm25_docs first), so two transactions of one slot
-- and collection, inserting or deleting, take the term rows one after the other and never deadlock.
CREATE TABLE bm25_terms (
  collection_id text NOT NULL,
  term          text NOT NULL,
  slot          smallint NOT NULL,
  df            bigint NOT NULL,
  PRIMARY KEY (collection_id, term, slot)
) WITH (fillfactor = 70);
-- Every write updates its terms' rows: df is not in the index and pages keep room, so the updates
-- are HOT (no index entry per update) and autovacuum reclaims the old versions page by page.

CREATE FUNCTION bm25_postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM bm25_stats s WHERE s.slot = pg_backend_pid() % 8
    AND s.collection_id IN (SELECT DISTINCT collection_id FROM added) ORDER BY s.collection_id FOR UPDATE;
  INSERT INTO bm25_terms AS t (collection_id, term, slot, df)
  SELECT collection_id, term, pg_backend_pid() % 8, count(*)
  FROM added GROUP BY collection_id, term ORDER BY collection_id, term
  ON CONFLICT (collection_id, term, slot) DO UPDATE SET df = t.df + excluded.df;
  RETURN NULL;
END $$;

CREATE FUNCTION bm25_postings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM bm25_stats s WHERE s.slot = pg_backend_pid() % 8
    AND s.collection_id IN (SELECT DISTINCT collection_id FROM removed) ORDER BY s.collection_id FOR UPDATE;
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
