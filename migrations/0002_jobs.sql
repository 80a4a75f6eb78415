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
-- cannot bring the text back.
CREATE TRIGGER documents_forget_in_jobs AFTER DELETE ON documents BEGIN
  UPDATE jobs SET
    payload = json_set(payload, '$.sources', (
      SELECT json_group_array(json(kept.value)) FROM (
        SELECT s.value AS value FROM json_each(jobs.payload, '$.sources') AS s
        WHERE coalesce(json_extract(s.value, '$.hash'), '') <> old.content_hash
        ORDER BY s.key
      ) AS kept
    )),
    source_hashes = trim(replace(source_hashes, old.content_hash, ''))
  WHERE status IN ('queued', 'running') AND collection_id = old.collection_id
    AND instr(source_hashes, old.content_hash) > 0;
END;
