import { sql } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { createDb, type Db } from "../db/client";
import type { ApiEnv } from "./app-env";

/**
 * Runs the request's queries in one D1 session. Reads of a GET may be served by the nearest
 * replica ("first-unconstrained"), or by one at least as new as the client's bookmark; any
 * other method starts at the primary, so the checks behind a write never see a lagging copy.
 * The response carries the session's latest bookmark for the client's next request.
 */
export const d1Session = createMiddleware<ApiEnv>(async (c, next) => {
  const readOnly = c.req.method === "GET" || c.req.method === "HEAD";
  const incoming = c.get("client").bookmark;
  const session = c.env.DB.withSession(readOnly ? (incoming ?? "first-unconstrained") : "first-primary");
  c.set("db", createDb(session));
  await next();
  const bookmark = session.getBookmark() ?? incoming;
  if (bookmark) c.header("X-D1-Bookmark", bookmark);
});

/**
 * A statement that failed (a UNIQUE violation, say) leaves the session without a bookmark: one
 * cheap read on the error path gives the client one, as every response that touched D1 has.
 */
export async function refreshBookmark(db: Db): Promise<void> {
  await db.run(sql`SELECT 1`);
}
