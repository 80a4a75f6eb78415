import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCi } from '../ci-env.ts';
import { chromiumAvailable } from './chromium.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('browser tests without Chromium', () => {
  it('fail in CI instead of skipping', () => {
    expect(() => chromiumAvailable('the chat UI browser test', { CI: 'true' }, '/nonexistent/chromium')).toThrow(
      'CI is set, so the browser test cannot be skipped: the chat UI browser test: no Chromium at /nonexistent/chromium (install it with: apt-get install -y chromium)',
    );
  });

  it('skip with the reason elsewhere', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(chromiumAvailable('the chat UI browser test', {}, '/nonexistent/chromium')).toBe(false);
    expect(warn.mock.calls).toEqual([
      ['skipping the chat UI browser test: no Chromium at /nonexistent/chromium (install it with: apt-get install -y chromium)'],
    ]);
  });

  it('read CI as every CI service sets it', () => {
    const values = ['true', '1', 'True', 'yes', '', 'false', '0', undefined];
    expect(values.map((CI) => isCi(CI === undefined ? {} : { CI }))).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
