import type pg from 'pg';

/**
 * Wake-ups between instances sharing one database: a submitting instance NOTIFYs a channel, and
 * every instance LISTENing on it looks for work at once instead of at its next poll. A missed
 * notification (a dropped connection) costs only latency: the poll still finds the job.
 */
export const JOBS_CHANNEL = 'cairn_jobs';

export async function notifyChannel(db: Pick<pg.Pool, 'query'>, channel: string, payload = ''): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

export interface Listener {
  close(): Promise<void>;
}

/**
 * Holds one connection of the pool for LISTEN; on a connection error it reconnects after
 * `retryMs`, calling `onMessage` once on reconnect, since notifications may have been missed.
 */
export function listenChannel(pool: pg.Pool, channel: string, onMessage: () => void, retryMs = 1000): Listener {
  let client: pg.PoolClient | null = null;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const connect = async (reconnecting: boolean): Promise<void> => {
    try {
      const c = await pool.connect();
      if (closed) {
        c.release();
        return;
      }
      client = c;
      c.on('notification', (message) => {
        if (message.channel === channel) onMessage();
      });
      c.on('error', () => drop());
      await c.query(`LISTEN ${channel}`);
      if (reconnecting) onMessage();
    } catch {
      drop();
    }
  };
  const drop = () => {
    const c = client;
    client = null;
    c?.release(true);
    if (!closed && retry === null) {
      retry = setTimeout(() => {
        retry = null;
        void connect(true);
      }, retryMs);
    }
  };
  const ready = connect(false);

  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await ready;
      const c = client;
      client = null;
      if (c) {
        await c.query(`UNLISTEN ${channel}`).catch(() => undefined);
        c.release();
      }
    },
  };
}
