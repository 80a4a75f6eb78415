import { Hono } from 'hono';
import { widgetBundle } from '../../web/widget/build.ts';
import type { AppEnv } from '../env.ts';
import type { RouteDoc } from '../openapi.ts';

export const embedDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/embed.js',
    summary: 'The <cairn-chat> widget: one script tag with data-collection and data-key (an embed key) on any page',
    tag: 'Operations',
  },
];

/** Serves the widget bundle, gzipped to browsers that take it; pages on any origin load it by <script>. */
export function createEmbedRoutes() {
  return new Hono<AppEnv>().get('/embed.js', async (c) => {
    const bundle = await widgetBundle();
    const headers: Record<string, string> = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'cross-origin-resource-policy': 'cross-origin',
      etag: bundle.etag,
      vary: 'Accept-Encoding',
    };
    if (c.req.header('if-none-match') === bundle.etag) return new Response(null, { status: 304, headers });
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      return new Response(bundle.gzipped, { headers: { ...headers, 'content-encoding': 'gzip' } });
    }
    return new Response(bundle.js, { headers });
  });
}
