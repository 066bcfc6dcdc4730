import type { Context, Env, ErrorHandler, Hono, Next } from "hono";
import { mergePath } from "hono/utils/url";

/** A route of a router as hono keeps it: one entry per middleware and handler. */
type RouterEntry = { method: string; path: string; handler: (c: Context, next: Next) => unknown };

/** A feature's router, loaded on first use, and where it is mounted. */
export type Feature = {
  base: string;
  // biome-ignore lint/suspicious/noExplicitAny: routers of every env are mounted alike.
  load: () => Promise<Hono<any, any, any>>;
};

/** `[method, path]` of each route of a feature, relative to its base: one row of src/route-table.ts. */
export type RouteRow = readonly [method: string, path: string];

/** The routes of a loaded router as the route table lists them: each method and path once, in order. */
export function routesOf(router: { routes: readonly RouterEntry[] }): RouteRow[] {
  const rows = new Map<string, RouteRow>();
  for (const { method, path } of router.routes) rows.set(`${method} ${path}`, [method, path]);
  return [...rows.values()];
}

/**
 * Runs `handlers` in `c` as hono's own compose would (an error becomes `onError`'s response at the
 * level it is thrown, so outer middleware still sees a response), without renumbering
 * `c.req.routeIndex`: the path parameters and `routePath` stay those of the app's matched route.
 */
async function runHandlers<E extends Env>(
  handlers: readonly RouterEntry["handler"][],
  c: Context<E>,
  next: Next,
  onError: ErrorHandler<E>,
): Promise<void> {
  const dispatch = async (index: number): Promise<void> => {
    const handler = handlers[index];
    if (!handler) return next();
    let response: unknown;
    let failed = false;
    try {
      response = await handler(c, () => dispatch(index + 1));
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      c.error = error;
      response = await onError(error, c);
      failed = true;
    }
    if (response instanceof Response && (!c.finalized || failed)) c.res = response;
  };
  await dispatch(0);
}

/**
 * Registers a feature's routes on `app` from the route table, without building the feature: its
 * router (the routes files' zod schemas, handlers, services) is imported on the first request that
 * matches one of its routes, and that route's middleware, validators and handler then run in the
 * app's context, as if the router had been mounted with `app.route()`. A cold isolate builds only
 * the features its requests use; the OpenAPI document loads them all when it is asked for.
 */
export function mountLazily<E extends Env>(
  app: Hono<E>,
  feature: Feature,
  routes: readonly RouteRow[],
  onError: ErrorHandler<E>,
) {
  let loading: Promise<Map<string, RouterEntry["handler"][]>> | undefined;
  const handlersByRoute = () => {
    loading ??= feature.load().then((router) => {
      const byRoute = new Map<string, RouterEntry["handler"][]>();
      for (const { method, path, handler } of router.routes as RouterEntry[]) {
        const key = `${method} ${path}`;
        byRoute.set(key, [...(byRoute.get(key) ?? []), handler]);
      }
      return byRoute;
    });
    // A failed import is retried by the next request rather than remembered.
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };
  for (const [method, path] of routes) {
    app.on(method, mergePath(feature.base, path), async (c, next) => {
      const handlers = (await handlersByRoute()).get(`${method} ${path}`);
      // The table is generated from the routers and checked by a test (npm run routes).
      if (!handlers) throw new Error(`${method} ${path} is in src/route-table.ts but not in its router`);
      await runHandlers(handlers, c, next, onError);
    });
  }
}
