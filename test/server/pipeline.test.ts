import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import { createPipeline } from '../../server/middleware/pipeline.ts';

type Mount = (app: Hono, stages: MiddlewareHandler[], onError: (error: Error, c: Context) => Response) => void;

/** The pipeline must behave as hono's own compose does with one layer per stage. */
const MOUNTS: [string, Mount][] = [
  ['one pipeline layer', (app, stages, onError) => app.use(createPipeline(stages, onError))],
  ["hono's compose, a layer each", (app, stages) => app.use(...stages)],
];

/** Stages that write what they see into a shared log. */
function appWith(mount: Mount, stages: (log: string[]) => MiddlewareHandler[]) {
  const log: string[] = [];
  const app = new Hono();
  const onError = (error: Error, c: Context) => c.text(`error: ${error.message}`, 418);
  app.onError(onError);
  app.notFound(() => {
    throw new Error('no route');
  });
  mount(app, stages(log), onError);
  app.get('/ok', (c) => {
    log.push('route');
    return c.text('answered');
  });
  app.get('/broken', () => {
    throw new Error('route broke');
  });
  return { app, log };
}

/** A stage with code after next(): records the status it sees there. */
const around =
  (name: string, log: string[]): MiddlewareHandler =>
  async (c, next) => {
    log.push(`${name} in`);
    await next();
    log.push(`${name} out ${c.res.status}`);
  };

const passOn =
  (name: string, log: string[]): MiddlewareHandler =>
  (_c, next) => {
    log.push(name);
    return next();
  };

async function call(app: Hono, path: string): Promise<string> {
  const res = await app.request(path);
  return `${res.status} ${await res.text()}`;
}

describe.each(MOUNTS)('middleware stages through %s', (_name, mount) => {
  it('runs stages in order around the route', async () => {
    const { app, log } = appWith(mount, (l) => [around('a', l), passOn('b', l), around('c', l)]);
    expect(await call(app, '/ok')).toBe('200 answered');
    expect(log).toEqual(['a in', 'b', 'c in', 'route', 'c out 200', 'a out 200']);
  });

  it('turns a refusal into the error response before the stages above finish', async () => {
    const refuse: MiddlewareHandler = () => {
      throw new Error('refused');
    };
    const { app, log } = appWith(mount, (l) => [around('a', l), refuse, passOn('never', l)]);
    expect(await call(app, '/ok')).toBe('418 error: refused');
    expect(log).toEqual(['a in', 'a out 418']);
  });

  it('answers a rejection of an async stage the same way', async () => {
    const refuse: MiddlewareHandler = async () => {
      throw new Error('refused later');
    };
    const { app, log } = appWith(mount, (l) => [around('a', l), passOn('b', l), refuse]);
    expect(await call(app, '/ok')).toBe('418 error: refused later');
    expect(log).toEqual(['a in', 'b', 'a out 418']);
  });

  it('lets the stages above see errors of the route and of a missing route as responses', async () => {
    const { app, log } = appWith(mount, (l) => [around('a', l), passOn('b', l)]);
    expect(await call(app, '/broken')).toBe('418 error: route broke');
    expect(await call(app, '/missing')).toBe('418 error: no route');
    expect(log).toEqual(['a in', 'b', 'a out 418', 'a in', 'b', 'a out 418']);
  });

  it('answers with a Response a stage returns without calling next', async () => {
    const preflight: MiddlewareHandler = async () => new Response(null, { status: 204 });
    const { app, log } = appWith(mount, (l) => [around('a', l), preflight, passOn('never', l)]);
    expect(await call(app, '/ok')).toBe('204 ');
    expect(log).toEqual(['a in', 'a out 204']);
  });

  it('turns an error thrown after next() into the response of that level', async () => {
    const afterwards: MiddlewareHandler = async (_c, next) => {
      await next();
      throw new Error('failed afterwards');
    };
    const { app, log } = appWith(mount, (l) => [around('a', l), afterwards]);
    expect(await call(app, '/ok')).toBe('418 error: failed afterwards');
    expect(log).toEqual(['a in', 'route', 'a out 418']);
  });
});
