import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { now } from './pool.ts';

/** Upload bytes shared between instances (migrations/postgres/0003_job_files.sql). */
export interface JobFiles {
  /** Keeps the bytes of uploads written to `<uploadsDir>/<file>` (file = `<batch>/<i>.bin`). */
  put(files: { file: string; data: Uint8Array }[]): Promise<void>;
  /** Writes the named files that are missing from this instance's uploads folder; returns how many. */
  restore(uploadsDir: string, files: string[]): Promise<number>;
  /** Forgets a finished job's uploads. */
  drop(batch: string): Promise<void>;
  /**
   * Deletes bytes written before `before` (ISO time) that no unfinished job names: left by an
   * instance that died between storing them and writing the job, or between finishing and dropping.
   */
  prune(before: string): Promise<number>;
}

const batchOf = (file: string): string => file.split('/')[0] ?? file;

export function createPgJobFiles(pool: pg.Pool): JobFiles {
  return {
    async put(files) {
      if (files.length === 0) return;
      await pool.query(
        `INSERT INTO job_files (file, batch, data, created_at)
         SELECT f, split_part(f, '/', 1), d, $3 FROM unnest($1::text[], $2::bytea[]) AS u(f, d)
         ON CONFLICT (file) DO NOTHING`,
        [files.map((f) => f.file), files.map((f) => Buffer.from(f.data)), now()],
      );
    },
    async restore(uploadsDir, files) {
      const missing = files.filter((file) => !existsSync(path.join(uploadsDir, file)));
      if (missing.length === 0) return 0;
      const { rows } = await pool.query<{ file: string; data: Buffer }>(
        'SELECT file, data FROM job_files WHERE file = ANY($1::text[])',
        [missing],
      );
      for (const row of rows) {
        const target = path.resolve(uploadsDir, row.file);
        // The name comes from our own payload, but a path outside the uploads folder is never written.
        if (!target.startsWith(path.resolve(uploadsDir) + path.sep)) continue;
        mkdirSync(path.join(uploadsDir, batchOf(row.file)), { recursive: true });
        writeFileSync(target, row.data);
      }
      return rows.length;
    },
    async drop(batch) {
      await pool.query('DELETE FROM job_files WHERE batch = $1', [batch]);
    },
    async prune(before) {
      const { rowCount } = await pool.query(
        `DELETE FROM job_files f WHERE f.created_at < $1 AND NOT EXISTS (
           SELECT 1 FROM jobs j WHERE j.status IN ('queued', 'running') AND j.payload->>'batch' = f.batch)`,
        [before],
      );
      return rowCount ?? 0;
    },
  };
}
