-- Lexical search inside PostgreSQL: BM25F postings written by retrieval/postgres/postings.ts with
-- the embedded index's analyzer (retrieval/tokenize.ts: same terms, CJK segmented, Porter stems),
-- scored by retrieval/postgres/bm25.ts with the embedded index's formula. Title and body counts are
-- kept apart so the title weight, k1 and b stay query-time parameters.

-- One row per chunk: its analyzed lengths, the input of the collection statistics.
CREATE TABLE bm25_docs (
  chunk_rowid   bigint PRIMARY KEY REFERENCES chunks (rowid) ON DELETE CASCADE,
  collection_id text NOT NULL,
  title_len     integer NOT NULL,
  body_len      integer NOT NULL
);

-- One row per (term, chunk). The chunk's lengths are repeated in each posting so that scoring a
-- term reads one index range (an index-only scan once vacuumed) and never visits bm25_docs.
CREATE TABLE bm25_postings (
  collection_id text NOT NULL,
  term          text NOT NULL,
  chunk_rowid   bigint NOT NULL REFERENCES chunks (rowid) ON DELETE CASCADE,
  title_tf      integer NOT NULL,
  body_tf       integer NOT NULL,
  title_len     integer NOT NULL,
  body_len      integer NOT NULL,
  PRIMARY KEY (collection_id, term, chunk_rowid) INCLUDE (title_tf, body_tf, title_len, body_len)
);
-- The cascade from chunks finds a chunk's postings by rowid.
CREATE INDEX bm25_postings_chunk ON bm25_postings (chunk_rowid);

-- Per-collection document count and length totals, spread over 8 slots chosen by backend pid:
-- concurrent writers to one collection rarely wait on the same row, and a query sums at most 8
-- rows. Document frequencies are not stored: a query reads every posting of its terms anyway and
-- counts them, so they are exact without any write-side bookkeeping.
CREATE TABLE bm25_stats (
  collection_id text NOT NULL,
  slot          smallint NOT NULL,
  docs          bigint NOT NULL,
  title_len     bigint NOT NULL,
  body_len      bigint NOT NULL,
  PRIMARY KEY (collection_id, slot)
);

CREATE FUNCTION bm25_docs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Collections in a fixed order, so two transactions never take slot rows in opposite orders.
  INSERT INTO bm25_stats AS s (collection_id, slot, docs, title_len, body_len)
  SELECT collection_id, pg_backend_pid() % 8, count(*), sum(title_len), sum(body_len)
  FROM added GROUP BY collection_id ORDER BY collection_id
  ON CONFLICT (collection_id, slot) DO UPDATE
    SET docs = s.docs + excluded.docs, title_len = s.title_len + excluded.title_len, body_len = s.body_len + excluded.body_len;
  RETURN NULL;
END $$;

CREATE FUNCTION bm25_docs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bm25_stats AS s (collection_id, slot, docs, title_len, body_len)
  SELECT collection_id, pg_backend_pid() % 8, -count(*), -sum(title_len), -sum(body_len)
  FROM removed GROUP BY collection_id ORDER BY collection_id
  ON CONFLICT (collection_id, slot) DO UPDATE
    SET docs = s.docs + excluded.docs, title_len = s.title_len + excluded.title_len, body_len = s.body_len + excluded.body_len;
  -- A deleted collection leaves no statistics behind (its row is already gone when this cascade runs).
  DELETE FROM bm25_stats s USING (SELECT DISTINCT collection_id FROM removed) r
  WHERE s.collection_id = r.collection_id AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.id = r.collection_id);
  RETURN NULL;
END $$;

-- Statement triggers with transition tables: one stats update per statement, also for the
-- deletes that cascade from chunks (and from documents and collections above them).
CREATE TRIGGER bm25_docs_insert AFTER INSERT ON bm25_docs
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION bm25_docs_inserted();
CREATE TRIGGER bm25_docs_delete AFTER DELETE ON bm25_docs
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION bm25_docs_deleted();

-- The embedded index adds each term's contribution (a double) into a float32 score, term by term
-- in query order; this aggregate does the same rounding so both backends return identical scores.
CREATE FUNCTION bm25_f32_add(acc real, x double precision) RETURNS real
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT (acc + x)::real $$;
CREATE AGGREGATE bm25_f32_sum(double precision) (SFUNC = bm25_f32_add, STYPE = real, INITCOND = '0', PARALLEL = SAFE);
