/**
 * Whether the tests run in CI (`CI` set, as every CI service does). A test that needs a tool it
 * cannot find may skip on a developer's machine, but must fail in CI: a skipped test there would
 * let CI claim to run what it did not.
 */
export function isCi(env: Record<string, string | undefined> = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}
