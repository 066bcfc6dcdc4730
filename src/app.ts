import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { languageDetector } from "hono/language";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { accountDeletionRouter } from "./features/account-deletion";
import { mountDocs, SERVERS } from "./features/docs";
import { featureFlagsRouter } from "./features/feature-flags";
import { healthRouter } from "./features/health";
import { mediaRouter } from "./features/media";
import { profileRouter } from "./features/profile";
import { usersRouter } from "./features/users";
import type { AppEnv } from "./lib/app-env";
import { clientHeaders } from "./lib/client-headers";
import { d1Session } from "./lib/d1-session";
import { failure } from "./lib/envelope";
import { ApiError, type ErrorDetail } from "./lib/errors";
import { type ErrorStatus, LANGUAGES, type MessageKey, statusMessage, t } from "./lib/i18n";
import { errorFields, log, requestLog } from "./lib/log";
import { formatForHumans } from "./lib/time";

const EXPOSED_HEADERS = ["X-Request-Id", "Content-Language", "Retry-After", "ETag", "X-D1-Bookmark"];
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
const docsSecurityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    // Swagger UI sets style attributes from script.
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'", ...SERVERS.map((server) => server.url)],
    frameAncestors: ["'none'"],
  },
});

// Photos are embedded by the app's web clients on other sites, and never run as a document.
const mediaSecurityHeaders = secureHeaders({
  ...documentOnlyHeaders,
  contentSecurityPolicy: { defaultSrc: ["'none'"], sandbox: [] },
  crossOriginResourcePolicy: "cross-origin",
});

function securityHeadersFor(path: string) {
  if (path === "/docs") return docsSecurityHeaders;
  if (path.startsWith("/media/")) return mediaSecurityHeaders;
  return apiSecurityHeaders;
}

const allowedOriginsCache = new Map<string, Set<string>>();
function allowedOrigins(env: Env): Set<string> {
  let origins = allowedOriginsCache.get(env.ALLOWED_ORIGINS);
  if (!origins) {
    origins = new Set(
      env.ALLOWED_ORIGINS.split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    );
    allowedOriginsCache.set(env.ALLOWED_ORIGINS, origins);
  }
  return origins;
}

function errorResponse(
  c: Context<AppEnv>,
  status: ErrorStatus,
  details: string[] = [],
  headers?: Record<string, string>,
) {
  const language = c.get("language") ?? "en";
  return c.json(failure(status, [statusMessage(language, status), ...details]), status, headers);
}

function renderDetail(c: Context<AppEnv>, detail: ErrorDetail): string {
  if ("text" in detail) return detail.text;
  const language = c.get("language") ?? "en";
  const timezone = c.get("client")?.timezone ?? "UTC";
  const params = Object.fromEntries(
    Object.entries(detail.params ?? {}).map(([name, value]) => [
      name,
      value instanceof Date ? formatForHumans(value, timezone, language) : value,
    ]),
  );
  return t(language, detail.key, params);
}

/** hono's validators say "Malformed JSON in request body" or "Malformed FormData request.". */
function malformedBodyMessage(message: string): MessageKey | undefined {
  if (/json/i.test(message)) return "request.malformedJson";
  if (/formdata/i.test(message)) return "request.malformedForm";
  return undefined;
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  app.use(requestId());
  app.use(requestLog);
  app.use((c, next) => securityHeadersFor(c.req.path)(c, next));
  app.use(
    "/api/*",
    cors({
      // Only listed origins are echoed; tokens travel in Authorization, so no credentials mode.
      origin: (origin, c) => (allowedOrigins(c.env).has(origin) ? origin : null),
      allowHeaders: ALLOWED_HEADERS,
      exposeHeaders: EXPOSED_HEADERS,
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      maxAge: 600,
    }),
  );
  app.use(
    languageDetector({
      supportedLanguages: [...LANGUAGES],
      fallbackLanguage: "en",
      order: ["header"],
      caches: false,
    }),
  );
  app.use(async (c, next) => {
    await next();
    c.header("Content-Language", c.get("language"));
  });
  app.use("/api/*", clientHeaders);
  app.use("/api/*", d1Session);

  app.route("/api/v1", healthRouter);
  app.route("/api/v1", usersRouter);
  app.route("/api/v1", profileRouter);
  app.route("/api/v1", accountDeletionRouter);
  app.route("/api/v1", featureFlagsRouter);
  app.route("/", mediaRouter);
  app.route("/", mountDocs(app));

  app.notFound((c) => errorResponse(c, 404));
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      const details = error.details.map((detail) => renderDetail(c, detail));
      return errorResponse(c, error.status, details, error.headers);
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Raised inside hono's own middleware and validators (malformed body, media type gate).
      const malformed = error.status === 400 ? malformedBodyMessage(error.message) : undefined;
      const details = malformed ? [t(c.get("language") ?? "en", malformed)] : [];
      return errorResponse(c, error.status as ErrorStatus, details);
    }
    // The detail goes to the log under the request id; the client gets the generic message only.
    log("error", "unhandled error", {
      requestId: c.get("requestId"),
      ...errorFields(error),
    });
    return errorResponse(c, 500);
  });

  return app;
}
