/**
 * The language to speak, from the first of the wanted tags that has a table (`zh-CN` → `zh`):
 * the app and the widget pick the same way from an attribute, the page's `lang` and the browser.
 */
export function pickLanguage<L extends string>(
  wanted: Array<string | null | undefined>,
  available: readonly L[],
  fallback: L,
): L {
  for (const tag of wanted) {
    const base = (tag ?? '').toLowerCase().split('-')[0] ?? '';
    const found = available.find((language) => language === base);
    if (found) return found;
  }
  return fallback;
}
