import { TrieRouter } from "hono/router/trie-router";

/**
 * The methods a path has, from the app's registered routes and matched by hono's own router, so
 * a known path called with a method it does not have can be answered 405 with `Allow` (hono
 * answers 404). HEAD is listed with GET: hono serves it from the GET route. Built on first use,
 * after every route is registered.
 */
export function allowedMethodsOf(app: {
  routes: readonly { method: string; path: string }[];
}): (path: string) => string[] {
  let router: TrieRouter<string> | undefined;
  return (path) => {
    if (!router) {
      router = new TrieRouter<string>();
      for (const route of app.routes) {
        if (route.method !== "ALL") router.add("ANY", route.path, route.method.toUpperCase());
      }
    }
    const methods = new Set(router.match("ANY", path)[0].map(([method]) => method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods];
  };
}
