import { type Context, type ErrorHandler, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { languageDetector } from "hono/language";
import { requestId } from "hono/request-id";
import { TrieRouter } from "hono/router/trie-router";
import { FEATURES, type FeatureName } from "./features";
import { allowedMethodsOf } from "./lib/allowed-methods";
import type { AppEnv } from "./lib/app-env";
import { clientHeaders } from "./lib/client-headers";
import { d1Session } from "./lib/d1-session";
import { failure } from "./lib/envelope";
import { ApiError, type ErrorDetail } from "./lib/errors";
import { apiCors, securityHeaders } from "./lib/http-headers";
import { type ErrorStatus, LANGUAGES, type MessageKey, statusMessage, t } from "./lib/i18n";
import { mountLazily } from "./lib/lazy-router";
import { errorFields, log, requestLog } from "./lib/log";
import { formatForHumans } from "./lib/time";
import { ROUTE_TABLE } from "./route-table";

function errorResponse(
  c: Context<AppEnv>,
  status: ErrorStatus,
  details: string[] = [],
  headers?: Record<string, string>,
) {
  const language = c.get("language") ?? "en";
  // Also for an error raised before the language middleware ran (a bad setting read by CORS).
  return c.json(failure(status, [statusMessage(language, status), ...details]), status, {
    "Content-Language": language,
    ...headers,
  });
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

/** The one error handler: the app's, and the lazily loaded routers' (src/lib/lazy-router.ts). */
const onError: ErrorHandler<AppEnv> = (error, c) => {
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
};

export function createApp() {
  // hono's default router compiles every route into one RegExp on the first request, which a
  // cold isolate's first client waits for (over 10 ms measured); the trie is built as routes are
  // added and matches a request in microseconds.
  const app = new Hono<AppEnv>({ router: new TrieRouter() });

  app.use(requestId());
  app.use(requestLog);
  app.use(securityHeaders);
  app.use("/api/*", apiCors);
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

  for (const [name, feature] of Object.entries(FEATURES)) {
    mountLazily(app, feature, ROUTE_TABLE[name as FeatureName], onError);
  }

  const allowedMethods = allowedMethodsOf(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) return errorResponse(c, 404);
    const detail = t(c.get("language") ?? "en", "request.methodNotAllowed", {
      method: c.req.method,
      allowed: allowed.join(", "),
    });
    return errorResponse(c, 405, [detail], { Allow: allowed.join(", ") });
  });
  app.onError(onError);

  return app;
}
