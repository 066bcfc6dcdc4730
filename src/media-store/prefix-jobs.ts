import { asc, count, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { mediaPrefixJobs, users } from "../db/schema";
import { errorFields, log } from "../lib/log";
import { EXPORT_PREFIX, PROFILE_PHOTO_PREFIX } from "./keys";
import { chunks, purgeCachedCopies } from "./outbox";

// Every object of a user lives under `{root}/{userId}/` of one of these roots.
export const USER_MEDIA_ROOTS = [PROFILE_PHOTO_PREFIX, EXPORT_PREFIX] as const;

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

/** Lists `prefix` from `cursor`, at most `pages` pages, deleting each page in one call. */
async function emptyPrefix(
  bucket: R2Bucket,
  prefix: string,
  pages = Number.POSITIVE_INFINITY,
  from?: string,
) {
  let deleted = 0;
  let cursor = from;
  for (let page = 0; page < pages; page += 1) {
    const listing = await bucket.list({ prefix, limit: R2_PAGE, ...(cursor ? { cursor } : {}) });
    const keys = listing.objects.map((object) => object.key);
    if (keys.length > 0) {
      await bucket.delete(keys);
      await purgeCachedCopies(keys);
      deleted += keys.length;
    }
    cursor = listing.truncated ? listing.cursor : undefined;
    if (!cursor) break;
  }
  return { deleted, cursor };
}

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

// Pages one `empty-prefix` message lists and deletes before it hands the rest to the next one.
const PAGES_PER_MESSAGE = 3;

/**
 * An `empty-prefix` job: empties `prefix` a few pages at a time. Tells the cursor to go on from,
 * or undefined once the prefix was listed to its end (its job row is then gone). A failure
 * rejects, so the queue retries the message; the job row stays until the prefix is empty.
 */
export async function emptyPrefixJob(
  env: Env,
  db: Db,
  prefix: string,
  cursor?: string,
): Promise<{ deleted: number; cursor?: string }> {
  const emptied = await emptyPrefix(env.MEDIA, prefix, PAGES_PER_MESSAGE, cursor);
  if (!emptied.cursor) await recordDrain(db, [prefix], []);
  return emptied;
}

/** How long a prefix job may wait after its last message before the cron sends another. */
export const STALLED_AFTER_MS = 15 * 60 * 1000;
const RESEND_LIMIT = 500;

/**
 * The prefixes whose last message is older than STALLED_AFTER_MS (R2 refused, or the message was
 * dead-lettered), marked as sent now with one more attempt; the cron sends each an `empty-prefix`.
 */
export async function stalledPrefixes(db: Db, now: Date): Promise<string[]> {
  const stalled = db
    .select({ prefix: mediaPrefixJobs.prefix })
    .from(mediaPrefixJobs)
    .where(lte(mediaPrefixJobs.enqueuedAt, new Date(now.getTime() - STALLED_AFTER_MS)))
    .orderBy(asc(mediaPrefixJobs.enqueuedAt))
    .limit(RESEND_LIMIT);
  const resent = await db
    .update(mediaPrefixJobs)
    .set({ enqueuedAt: now, attempts: sql`${mediaPrefixJobs.attempts} + 1` })
    .where(inArray(mediaPrefixJobs.prefix, stalled))
    .returning({ prefix: mediaPrefixJobs.prefix });
  return resent.map((row) => row.prefix);
}

// Pages a finalization empties right away (5,000 objects); an account with more is rare, and the
// rest of its prefix is finished by the queue once its job counts as stalled.
const EMPTY_NOW_PAGES = 5;

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
    await emptyPrefix(env.MEDIA, prefix, EMPTY_NOW_PAGES).then(
      // A prefix with more pages than that keeps its job, for the cron to finish by queue.
      (emptied) => (emptied.cursor ? failed : done).push(prefix),
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
