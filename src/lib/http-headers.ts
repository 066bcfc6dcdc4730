import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./app-env";
import { productionOrigin } from "./public-api";
import { settings } from "./settings";

const EXPOSED_HEADERS = [
  "X-Request-Id",
  "Content-Language",
  "Retry-After",
  "ETag",
  "X-D1-Bookmark",
  "WWW-Authenticate",
];
const ALLOWED_HEADERS = [
  "Authorization",
  "Content-Type",
  "Accept-Language",
  "If-None-Match",
  "X-Timezone",
  "X-Platform",
  "X-App-Version",
  "X-Device-Id",
  "X-Request-Id",
  "X-D1-Bookmark",
];

// Headers that only matter for HTML documents in old browsers are left off JSON responses: each
// one is a Headers.set on every response.
const documentOnlyHeaders = {
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  originAgentCluster: false,
} as const;
const apiSecurityHeaders = secureHeaders({
  ...documentOnlyHeaders,
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  crossOriginResourcePolicy: "same-site",
});
// Try it out calls the page's own origin (the Development server) or the Production server.
const docsSecurityHeadersCache = new Map<string | null, MiddlewareHandler>();
function docsSecurityHeaders(env: Env): MiddlewareHandler {
  const production = productionOrigin(env);
  let middleware = docsSecurityHeadersCache.get(production);
  if (!middleware) {
    middleware = secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        // Swagger UI sets style attributes from script.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'", ...(production ? [production] : [])],
        frameAncestors: ["'none'"],
      },
    });
    docsSecurityHeadersCache.set(production, middleware);
  }
  return middleware;
}

// Photos are embedded by the app's web clients on other sites, and never run as a document.
const mediaSecurityHeaders = secureHeaders({
  ...documentOnlyHeaders,
  contentSecurityPolicy: { defaultSrc: ["'none'"], sandbox: [] },
  crossOriginResourcePolicy: "cross-origin",
});

function securityHeadersFor(path: string, env: Env) {
  if (path === "/docs") return docsSecurityHeaders(env);
  if (path.startsWith("/media/")) return mediaSecurityHeaders;
  return apiSecurityHeaders;
}

/** Security headers for every response, by kind: the API's JSON, the docs page, or a photo. */
export const securityHeaders: MiddlewareHandler<AppEnv> = (c, next) =>
  securityHeadersFor(c.req.path, c.env)(c, next);

/** CORS for /api: only the configured origins are echoed; no credentials mode (tokens travel in Authorization). */
export const apiCors = cors({
  origin: (origin, c) => (settings(c.env).ALLOWED_ORIGINS.has(origin) ? origin : null),
  allowHeaders: ALLOWED_HEADERS,
  exposeHeaders: EXPOSED_HEADERS,
  allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
  maxAge: 600,
});
