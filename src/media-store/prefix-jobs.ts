import { asc, count, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { mediaPrefixJobs, users } from "../db/schema";
import { errorFields, log } from "../lib/log";
import { PROFILE_PHOTO_PREFIX } from "./keys";
import { chunks, purgeCachedCopies } from "./outbox";

// Every object of a user lives under `{root}/{userId}/` of one of these roots.
export const USER_MEDIA_ROOTS = [PROFILE_PHOTO_PREFIX, "exports"] as const;

// R2 lists and deletes at most 1,000 keys a call; D1 binds at most 100 parameters a statement.
const R2_PAGE = 1000;
const D1_PARAMETER_LIMIT = 99;

/**
 * Queues every media prefix of each user `where` selects, for a D1 batch that finalizes them: the
 * whole prefix is emptied, not only the keys the database knows (an object whose `put` stored it
 * and then reported a failure, a replaced photo whose delete failed, export archives).
 */
export function queueUserPrefixes(db: Db, where: SQL | undefined, now: Date) {
  // One row per user and root: the users cross joined with the list of roots.
  const roots = sql`json_each(${JSON.stringify(USER_MEDIA_ROOTS)})`;
  return db
    .insert(mediaPrefixJobs)
    .select(
      db
        .select({
          prefix: sql<string>`json_each.value || '/' || ${users.id} || '/'`.as("prefix"),
          userId: users.id,
          enqueuedAt: sql<number>`${now.getTime()}`.as("enqueued_at"),
          attempts: sql<number>`0`.as("attempts"),
        })
        .from(users)
        .crossJoin(roots)
        .where(where),
    )
    .onConflictDoNothing();
}

/** Lists `prefix` page by page (cursor) and deletes each page in one call. */
async function emptyPrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, limit: R2_PAGE, ...(cursor ? { cursor } : {}) });
    const keys = page.objects.map((object) => object.key);
    if (keys.length > 0) {
      await bucket.delete(keys);
      await purgeCachedCopies(keys);
      deleted += keys.length;
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}

export type PrefixDrainResult = { prefixesDone: number; prefixesFailed: number; objectsDeleted: number };

/** One D1 call for a drain's bookkeeping: drop the emptied prefixes' jobs, count the failures. */
async function recordDrain(db: Db, done: string[], failed: string[]): Promise<void> {
  const statements = [
    ...chunks(done, D1_PARAMETER_LIMIT).map((part) =>
      db.delete(mediaPrefixJobs).where(inArray(mediaPrefixJobs.prefix, part)),
    ),
    ...chunks(failed, D1_PARAMETER_LIMIT).map((part) =>
      db
        .update(mediaPrefixJobs)
        .set({ attempts: sql`${mediaPrefixJobs.attempts} + 1` })
        .where(inArray(mediaPrefixJobs.prefix, part)),
    ),
  ];
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/**
 * Empties queued prefixes (one user's, or the oldest), then drops their jobs. What R2 refuses
 * keeps its job, with one more attempt, for the next cron run. Never rejects: a failed
 * bookkeeping write only means the prefix is listed (empty) again next run.
 */
export async function drainPrefixJobs(
  env: Env,
  db: Db,
  scope: { userId?: string; limit: number },
): Promise<PrefixDrainResult> {
  const result: PrefixDrainResult = { prefixesDone: 0, prefixesFailed: 0, objectsDeleted: 0 };
  const jobs = await db
    .select({ prefix: mediaPrefixJobs.prefix })
    .from(mediaPrefixJobs)
    .where(scope.userId ? eq(mediaPrefixJobs.userId, scope.userId) : undefined)
    .orderBy(asc(mediaPrefixJobs.enqueuedAt), asc(mediaPrefixJobs.prefix))
    .limit(scope.limit)
    .catch((error: unknown) => {
      log("warn", "media prefix jobs not read; left for the cron", { error: errorFields(error).error });
      return [];
    });
  const done: string[] = [];
  const failed: string[] = [];
  for (const { prefix } of jobs) {
    await emptyPrefix(env.MEDIA, prefix).then(
      (deleted) => {
        result.objectsDeleted += deleted;
        done.push(prefix);
      },
      (error: unknown) => {
        log("warn", "media prefix not emptied; left for the cron", { error: errorFields(error).error });
        failed.push(prefix);
      },
    );
  }
  await recordDrain(db, done, failed).catch((error: unknown) => {
    log("warn", "media prefix jobs not updated; the cron repeats them", { error: errorFields(error).error });
  });
  result.prefixesDone = done.length;
  result.prefixesFailed = failed.length;
  return result;
}

/**
 * Empties one just-finalized user's prefixes straight from R2, without reading the jobs (they are
 * known: one per root), so the request that finalized pays no D1 round trip for it. Tells whether
 * R2 refused any; `record` drops the emptied prefixes' jobs, for after the response (until it
 * runs, the cron only lists those prefixes again, empty).
 */
export async function emptyUserPrefixes(env: Env, db: Db, userId: string) {
  const done: string[] = [];
  const failed: string[] = [];
  // In the order the cron drains queued prefixes (by prefix).
  for (const prefix of USER_MEDIA_ROOTS.map((root) => `${root}/${userId}/`).sort()) {
    await emptyPrefix(env.MEDIA, prefix).then(
      () => done.push(prefix),
      (error: unknown) => {
        log("warn", "media prefix not emptied; left for the cron", { error: errorFields(error).error });
        failed.push(prefix);
      },
    );
  }
  const record = () =>
    recordDrain(db, done, failed).catch((error: unknown) => {
      log("warn", "media prefix jobs not updated; the cron repeats them", {
        error: errorFields(error).error,
      });
    });
  return { refused: failed.length > 0, record };
}

/** How many prefixes wait to be emptied. */
export async function prefixJobCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(mediaPrefixJobs);
  return row?.n ?? 0;
}
