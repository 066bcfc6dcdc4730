import { DrizzleQueryError } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "./app-env";

type LogFields = Record<string, string | number | boolean | null | undefined>;

/** One JSON object per line, which Workers Logs indexes field by field. */
export function log(level: "info" | "warn" | "error", message: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ level, message, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * An error as log fields, without personal data: Drizzle's query errors put the statement's bound
 * values (names, emails…) in their message and stack, so only their cause is logged.
 */
export function errorFields(error: unknown): { error: string; stack?: string } {
  const logged = error instanceof DrizzleQueryError && error.cause !== undefined ? error.cause : error;
  if (!(logged instanceof Error)) return { error: String(logged) };
  return { error: `${logged.name}: ${logged.message}`, stack: logged.stack };
}

/**
 * The request's one log line. It names the route pattern, not the URL, and the user by id only:
 * no token, header value, body or other personal data is ever logged.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const startedAt = Date.now();
  await next();
  const status = c.res.status;
  log(status >= 500 ? "error" : "info", "request", {
    requestId: c.get("requestId"),
    method: c.req.method,
    // The matched pattern (the last one registered for this request), never the raw URL.
    route: routePath(c, -1),
    status,
    durationMs: Date.now() - startedAt,
    userId: c.get("account")?.id ?? null,
  });
});
