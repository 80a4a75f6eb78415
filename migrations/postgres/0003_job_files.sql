-- Uploaded bytes of unfinished jobs. On the embedded store an upload waits in a file under the
-- data folder; instances sharing PostgreSQL share no folder, and the instance that claims a job
-- may not be the one that accepted its upload. The submitting instance stores the bytes here in
-- the same step as its own file; the claiming one writes them to its own uploads folder before
-- running the job; the rows go when the job ends.
CREATE TABLE job_files (
  file       text PRIMARY KEY,
  batch      text NOT NULL,
  data       bytea NOT NULL,
  created_at text NOT NULL
);
CREATE INDEX job_files_batch ON job_files (batch);
