import { sql } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { createDb, type Db } from "../db/client";
import type { ApiEnv } from "./app-env";
import { BOOKMARK } from "./client-headers";
import { bucketOf, shardBinding, shardOfBucket } from "./shards";

/**
 * The request's way into the shards: `forBucket` opens (once) a D1 session on the shard holding
 * a bucket, and the first shard it opens is the request's own, whose bookmark answers it.
 */
export type RequestShards = { forUser(userId: string): Db; forBucket(bucket: number): Db };

/**
 * Runs the request's queries in one D1 session per shard. Reads of a GET may be served by the
 * nearest replica ("first-unconstrained"), or by one at least as new as the client's bookmark
 * when it names the same shard (another shard's is ignored); any other method starts at the
 * primary, so the checks behind a write never see a lagging copy. The response carries the
 * session's latest bookmark, with its shard, for the client's next request.
 */
export const d1Session = createMiddleware<ApiEnv>(async (c, next) => {
  const readOnly = c.req.method === "GET" || c.req.method === "HEAD";
  const [, bookmarkShard, incoming] = BOOKMARK.exec(c.get("client").bookmark ?? "") ?? [];
  const opened = new Map<number, Db>();
  let home: { shard: number; session: D1DatabaseSession } | undefined;
  const forBucket = (bucket: number) => {
    const shard = shardOfBucket(c.env, bucket);
    let db = opened.get(shard);
    if (!db) {
      const constraint = readOnly
        ? (Number(bookmarkShard) === shard && incoming) || "first-unconstrained"
        : "first-primary";
      const session = shardBinding(c.env, shard).withSession(constraint);
      db = createDb(session);
      opened.set(shard, db);
      home ??= { shard, session };
    }
    return db;
  };
  c.set("shards", { forBucket, forUser: (userId) => forBucket(bucketOf(userId)) });
  await next();
  if (!home) return;
  const bookmark =
    home.session.getBookmark() ?? (Number(bookmarkShard) === home.shard ? incoming : undefined);
  if (bookmark) c.header("X-D1-Bookmark", `s${home.shard}:${bookmark}`);
});

/**
 * A statement that failed (a UNIQUE violation, say) leaves the session without a bookmark: one
 * cheap read on the error path gives the client one, as every response that touched D1 has.
 */
export async function refreshBookmark(db: Db): Promise<void> {
  await db.run(sql`SELECT 1`);
}
