import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { isCi } from '../ci-env.ts';

/** Debian's chromium (`apt-get install -y chromium`); .ci/run installs it when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/**
 * Whether the browser tests can run. Without Chromium a developer's run skips them and says why;
 * a CI run fails, so a CI that claims to run the browser tests cannot pass without running them.
 */
export function chromiumAvailable(
  suite: string,
  env: Record<string, string | undefined> = process.env,
  executable = CHROMIUM,
): boolean {
  if (existsSync(executable)) return true;
  const why = `${suite}: no Chromium at ${executable} (install it with: apt-get install -y chromium)`;
  if (isCi(env)) throw new Error(`CI is set, so the browser test cannot be skipped: ${why}`);
  console.warn(`skipping ${why}`);
  return false;
}

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, ...extraArgs] });
}
