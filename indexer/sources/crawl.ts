import type { Fetched, FetchOptions } from './url.ts';

interface RobotsRule {
  allow: boolean;
  pattern: RegExp;
  length: number;
}

/** The rules of robots.txt that apply to us: the "cairn" group if there is one, else "*". */
export function parseRobots(text: string): RobotsRule[] {
  const groups = new Map<string, RobotsRule[]>();
  let agents: string[] = [];
  let inRules = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^([a-z-]+)\s*:\s*(.*)$/i.exec(line);
    if (!match) continue;
    const key = (match[1] ?? '').toLowerCase();
    const value = (match[2] ?? '').trim();
    if (key === 'user-agent') {
      if (inRules) agents = [];
      inRules = false;
      agents.push(value.toLowerCase());
      for (const agent of agents) if (!groups.has(agent)) groups.set(agent, []);
    } else if ((key === 'allow' || key === 'disallow') && agents.length > 0) {
      inRules = true;
      if (value === '') continue;
      const source = value
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\\\$$/, '$');
      for (const agent of agents)
        groups.get(agent)?.push({ allow: key === 'allow', pattern: new RegExp(`^${source}`), length: value.length });
    }
  }
  return groups.get('cairn') ?? groups.get('cairn-ingest') ?? groups.get('*') ?? [];
}

/** Longest matching rule wins; Allow wins a tie; no rule means allowed. */
export function robotsAllows(rules: RobotsRule[], pathAndQuery: string): boolean {
  let best: RobotsRule | null = null;
  for (const rule of rules) {
    if (!rule.pattern.test(pathAndQuery)) continue;
    if (!best || rule.length > best.length || (rule.length === best.length && rule.allow)) best = rule;
  }
  return best?.allow ?? true;
}

const HREF = /<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;

function decodeEntities(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
}

/** Links of a page, absolute and without fragments (a scan of <a href>, no DOM needed). */
export function extractLinks(html: string, base: string): string[] {
  const links: string[] = [];
  for (const match of html.matchAll(HREF)) {
    try {
      const url = new URL(decodeEntities(match[1] ?? match[2] ?? match[3] ?? ''), base);
      url.hash = '';
      if (url.protocol === 'http:' || url.protocol === 'https:') links.push(url.href);
    } catch {
      // A malformed href is skipped, not fatal.
    }
  }
  return links;
}

export interface CrawlOptions {
  depth: number;
  maxPages: number;
}

export type Fetcher = (url: string, options: FetchOptions) => Promise<Fetched>;

/**
 * Breadth-first crawl of one site: same origin as the start URL, up to `depth` links away and
 * `maxPages` pages, skipping what robots.txt disallows. Yields each page or the error for it.
 */
export async function* crawl(
  start: string,
  options: CrawlOptions,
  fetchOptions: FetchOptions,
  fetcher: Fetcher,
): AsyncGenerator<{ url: string; page?: Fetched; error?: unknown }> {
  const origin = new URL(start).origin;
  const robotsText = await fetcher(`${origin}/robots.txt`, fetchOptions).then(
    (r) => Buffer.from(r.data).toString('utf8'),
    () => '',
  );
  const rules = parseRobots(robotsText);
  const queue: { url: string; depth: number }[] = [{ url: start, depth: 0 }];
  const seen = new Set([start]);
  let pages = 0;
  while (queue.length > 0 && pages < options.maxPages) {
    const { url, depth } = queue.shift() as { url: string; depth: number };
    const parsed = new URL(url);
    if (!robotsAllows(rules, parsed.pathname + parsed.search)) continue;
    pages++;
    try {
      const page = await fetcher(url, fetchOptions);
      yield { url, page };
      if (depth >= options.depth || !/html/i.test(page.contentType ?? '')) continue;
      for (const link of extractLinks(Buffer.from(page.data).toString('utf8'), page.url)) {
        if (new URL(link).origin !== origin || seen.has(link)) continue;
        seen.add(link);
        queue.push({ url: link, depth: depth + 1 });
      }
    } catch (error) {
      yield { url, error };
    }
  }
}
