import { and, asc, eq, gt, inArray, lte, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type DataExportRow, dataExports, mediaOutbox } from "../../db/schema";
import { ApiError } from "../../lib/errors";
import { newObjectIdInBucket } from "../../lib/ids";
import { bucketOf } from "../../lib/shards";
import { addDays } from "../../lib/time";
import { EXPORT_PREFIX } from "../../media-store/keys";
import { type DrainResult, deleteQueuedObjects } from "../../media-store/outbox";

/** One new export a day per user. */
const COOLDOWN_MS = 24 * 60 * 60 * 1000;
/** Archives are deleted this long after they were asked for. */
const RETENTION_DAYS = 7;
/** How long a download link works. */
export const LINK_TTL_MS = 24 * 60 * 60 * 1000;
// A build runs as a queued job; one that keeps failing is marked failed when the queue gives up
// (about 5 minutes of retries). A build still "building" after this was lost, and counts as failed.
const BUILD_TIMEOUT_MS = 10 * 60 * 1000;
// Per cron run: each expired archive costs an R2 delete and a cache purge.
const EXPIRY_BATCH = 500;

export type ExportState = "none" | DataExportRow["status"];

/** The state a client sees: a build that outlived its timeout failed; an expired export is gone. */
export function exportState(row: DataExportRow | undefined, now: Date): ExportState {
  if (!row || row.expiresAt <= now) return "none";
  if (row.status === "building" && row.requestedAt.getTime() <= now.getTime() - BUILD_TIMEOUT_MS) {
    return "failed";
  }
  return row.status;
}

/** A user's export row may be replaced by a new export: it failed, or its day is over. */
function replaceable(now: Date): SQL {
  return or(
    eq(dataExports.status, "failed"),
    and(
      eq(dataExports.status, "building"),
      lte(dataExports.requestedAt, new Date(now.getTime() - BUILD_TIMEOUT_MS)),
    ),
    and(eq(dataExports.status, "ready"), lte(dataExports.requestedAt, new Date(now.getTime() - COOLDOWN_MS))),
  ) as SQL;
}

/**
 * Queues the archives of the export rows `where` selects for deletion. Meant for a D1 batch that
 * then replaces or deletes those rows, so that each archive is always either named or queued.
 */
function queueArchives(db: Db, where: SQL, now: Date) {
  return db
    .insert(mediaOutbox)
    .select(
      db
        .select({
          key: sql<string>`${dataExports.objectKey}`.as("key"),
          userId: dataExports.userId,
          enqueuedAt: sql<number>`${now.getTime()}`.as("enqueued_at"),
          attempts: sql<number>`0`.as("attempts"),
        })
        .from(dataExports)
        .where(where),
    )
    .onConflictDoNothing();
}

/**
 * Starts a new export: one conditional upsert on the user's row (the primary key), which only
 * replaces an export that failed or is a day old. The replaced archive is queued for deletion in
 * the same batch. A refusal says why: 409 while one is being built, else 429 until the day is over.
 */
export async function startExport(db: Db, userId: string, now = new Date()): Promise<DataExportRow> {
  // The download link names the export alone: its id carries the owner's shard.
  const exportId = newObjectIdInBucket(bucketOf(userId), now.getTime());
  const fresh = {
    id: exportId,
    status: "building" as const,
    objectKey: `${EXPORT_PREFIX}/${userId}/${exportId}.json`,
    sizeBytes: null,
    requestedAt: now,
    completedAt: null,
    expiresAt: addDays(now, RETENTION_DAYS),
  };
  const [, started, [current]] = await db.batch([
    queueArchives(db, and(eq(dataExports.userId, userId), replaceable(now)) as SQL, now),
    db
      .insert(dataExports)
      .values({ userId, ...fresh })
      .onConflictDoUpdate({ target: dataExports.userId, set: fresh, setWhere: replaceable(now) })
      .returning(),
    db.select().from(dataExports).where(eq(dataExports.userId, userId)).limit(1),
  ]);
  if (started[0]) return started[0];
  if (!current || current.status === "building") {
    throw new ApiError(409, [{ key: "dataExport.inProgress" }]);
  }
  const next = new Date(current.requestedAt.getTime() + COOLDOWN_MS);
  const retryAfter = Math.max(1, Math.ceil((next.getTime() - now.getTime()) / 1000));
  throw new ApiError(429, [{ key: "dataExport.daily", params: { next } }], {
    headers: { "Retry-After": String(retryAfter) },
  });
}

export async function readExport(db: Db, userId: string): Promise<DataExportRow | undefined> {
  const [row] = await db.select().from(dataExports).where(eq(dataExports.userId, userId)).limit(1);
  return row;
}

/** The export a signed link names, if it is still ready and not expired. */
export async function readDownloadable(
  db: Db,
  exportId: string,
  now: Date,
): Promise<DataExportRow | undefined> {
  const [row] = await db
    .select()
    .from(dataExports)
    .where(and(eq(dataExports.id, exportId), eq(dataExports.status, "ready"), gt(dataExports.expiresAt, now)))
    .limit(1);
  return row;
}

export type ExpirySummary = DrainResult & { expired: number };

/**
 * The cron's part: deletes the exports asked for more than RETENTION_DAYS ago, row and archive.
 * The rows go and their archives are queued in one batch; then the archives are deleted from R2,
 * and what R2 refuses stays queued for the next run's outbox drain.
 */
export async function expireDataExports(env: Env, db: Db, now: Date): Promise<ExpirySummary> {
  const due = db
    .select({ id: dataExports.id })
    .from(dataExports)
    .where(lte(dataExports.expiresAt, now))
    .orderBy(asc(dataExports.expiresAt))
    .limit(EXPIRY_BATCH);
  const expired = and(inArray(dataExports.id, due), lte(dataExports.expiresAt, now)) as SQL;
  const [, removed] = await db.batch([
    queueArchives(db, expired, now),
    db.delete(dataExports).where(expired).returning({ key: dataExports.objectKey }),
  ]);
  const drained = await deleteQueuedObjects(
    env,
    db,
    removed.map((row) => row.key),
  );
  return { expired: removed.length, ...drained };
}
