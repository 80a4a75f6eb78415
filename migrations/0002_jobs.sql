-- Cairn schema, version 2: job records keep what was posted only while the job is unfinished.

-- How many times a worker has claimed the job: one that crashes the process is given up after
-- jobs.maxAttempts starts instead of being run again on every start.
ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- The content hashes of the texts and uploads in the payload (space-separated), so that deleting
-- a document finds the payloads holding its text without reading every payload.
ALTER TABLE jobs ADD COLUMN source_hashes TEXT NOT NULL DEFAULT '';

-- A finished job needs nothing of what was posted: texts, upload names and server paths go.
UPDATE jobs SET payload = '{"sources":[]}' WHERE status IN ('succeeded', 'failed', 'cancelled');

CREATE INDEX jobs_finished ON jobs (finished_at);

-- Delete means delete: a posted text or upload still waiting in an unfinished job's payload (an
-- interrupted job runs again on start) is dropped with the document it became, so a restart
-- cannot bring the text back. A source matches by its content hash; an upload also matches a
-- part document of it (`upload:<first 16 of its hash>/<name>#L3`), as the file holds that text.
CREATE TRIGGER documents_forget_in_jobs AFTER DELETE ON documents BEGIN
  UPDATE jobs SET
    payload = json_set(payload, '$.sources', (
      SELECT json_group_array(json(kept.value)) FROM (
        SELECT s.value AS value FROM json_each(jobs.payload, '$.sources') AS s
        WHERE NOT coalesce(
          json_extract(s.value, '$.hash') = old.content_hash
          OR (json_extract(s.value, '$.type') = 'upload' AND old.source GLOB 'upload:*#*'
              AND substr(json_extract(s.value, '$.hash'), 1, 16) = substr(old.source, 8, 16)), 0)
        ORDER BY s.key
      ) AS kept
    )),
    source_hashes = coalesce((
      SELECT group_concat(kept.hash, ' ') FROM (
        SELECT json_extract(s.value, '$.hash') AS hash FROM json_each(jobs.payload, '$.sources') AS s
        WHERE json_extract(s.value, '$.hash') IS NOT NULL AND NOT coalesce(
          json_extract(s.value, '$.hash') = old.content_hash
          OR (json_extract(s.value, '$.type') = 'upload' AND old.source GLOB 'upload:*#*'
              AND substr(json_extract(s.value, '$.hash'), 1, 16) = substr(old.source, 8, 16)), 0)
        ORDER BY s.key
      ) AS kept
    ), '')
  WHERE status IN ('queued', 'running') AND collection_id = old.collection_id
    AND (instr(source_hashes, old.content_hash) > 0
      OR (old.source GLOB 'upload:*#*' AND instr(source_hashes, substr(old.source, 8, 16)) > 0));
END;
