import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leaseFile, tryAcquireLease } from '../../../indexer/ann/build-lease.ts';
import { tempDir } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('index build lease', () => {
  it('has one holder at a time and is free again once released', () => {
    const file = leaseFile(path.join(tmp.dir, 'indexes', 'docs'), 'model');
    const first = tryAcquireLease(file);
    expect([first !== null, tryAcquireLease(file)]).toEqual([true, null]);
    first?.release();
    expect(existsSync(file)).toBe(false);
    const second = tryAcquireLease(file);
    expect(second).not.toBeNull();
    second?.release();
  });

  it('is taken over from a holder that stopped refreshing it, and the old holder cannot remove the new lock', () => {
    const file = leaseFile(tmp.dir, 'model');
    const dead = tryAcquireLease(file, { refreshMs: 60_000 });
    expect(tryAcquireLease(file, { staleMs: 60_000 })).toBeNull();
    const old = new Date(Date.now() - 120_000);
    utimesSync(file, old, old);
    const next = tryAcquireLease(file, { staleMs: 60_000 });
    expect(next).not.toBeNull();
    dead?.release();
    expect([existsSync(file), tryAcquireLease(file)]).toEqual([true, null]);
    next?.release();
    expect(existsSync(file)).toBe(false);
  });

  it('treats an unreadable lock left by a crash like any other stale one', () => {
    const file = leaseFile(tmp.dir, 'model');
    writeFileSync(file, 'not json');
    expect(tryAcquireLease(file)).toBeNull();
    const old = new Date(Date.now() - 120_000);
    utimesSync(file, old, old);
    const lease = tryAcquireLease(file);
    expect(lease).not.toBeNull();
    lease?.release();
  });
});
