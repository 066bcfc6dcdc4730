import { and, asc, eq, inArray, isNotNull, type SQL, sql } from "drizzle-orm";
import { union } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { mediaOutbox, users } from "../db/schema";
import { errorFields, log } from "../lib/log";
import { mediaCacheRequest, PROFILE_PHOTO_PREFIX } from "./keys";
import { PHOTO_SIZES, type PhotoSize, photoVariantKeySql } from "./photo-keys";

// R2 deletes at most 1,000 keys a call; D1 binds at most 100 parameters a statement.
const R2_DELETE_LIMIT = 1000;
const D1_PARAMETER_LIMIT = 100;

// Each purge is a subrequest: a call purges at most this many keys (five photos' variants), so a
// queue invocation stays far below its 1,000 whatever it deletes.
const PURGE_LIMIT = 15;

/**
 * Drops this location's cached copies of deleted photo objects, at most PURGE_LIMIT a call. The
 * Cache API is per location: copies elsewhere, and any past the limit, expire within the media
 * route's edge cache lifetime (10 minutes, src/features/media/media.service.ts). Only photos are
 * ever cached (the media route serves nothing else).
 */
export async function purgeCachedCopies(keys: readonly string[]): Promise<void> {
  const photos = keys.filter((key) => key.startsWith(`${PROFILE_PHOTO_PREFIX}/`)).slice(0, PURGE_LIMIT);
  await Promise.all(photos.map((key) => caches.default.delete(mediaCacheRequest(key))));
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * Queues the current profile photo of every user `where` selects. Meant for a D1 batch that then
 * points those rows elsewhere, so that each object is always either referenced or queued.
 */
export function queueProfilePhotos(db: Db, where: SQL | undefined, now: Date) {
  // One SELECT per variant size; UNION drops the repeats a single-object (pre-variant) photo gives.
  const variantRows = (size: PhotoSize) =>
    db
      .select({
        key: photoVariantKeySql(users.profilePhotoKey, size).as("key"),
        userId: users.id,
        enqueuedAt: sql<number>`${now.getTime()}`.as("enqueued_at"),
        attempts: sql<number>`0`.as("attempts"),
      })
      .from(users)
      .where(and(where, isNotNull(users.profilePhotoKey)));
  const [first, second] = PHOTO_SIZES;
  const variants = union(variantRows(first), variantRows(second), ...PHOTO_SIZES.slice(2).map(variantRows));
  return db.insert(mediaOutbox).select(variants).onConflictDoNothing();
}

export type DrainResult = { deleted: number; failed: number };

/**
 * Deletes queued objects from R2, then their outbox rows. A key leaves the outbox only once R2
 * confirmed the delete; on failure its attempts go up and the next drain (the cron) retries it.
 */
export async function deleteQueuedObjects(env: Env, db: Db, keys: readonly string[]): Promise<DrainResult> {
  const result: DrainResult = { deleted: 0, failed: 0 };
  for (const batch of chunks(keys, R2_DELETE_LIMIT)) {
    const deleted = await env.MEDIA.delete(batch).then(
      () => true,
      (error: unknown) => {
        log("warn", "media delete failed; kept in the outbox", {
          keys: batch.length,
          error: errorFields(error).error,
        });
        return false;
      },
    );
    const statements = chunks(batch, D1_PARAMETER_LIMIT - 1).map((part) =>
      deleted
        ? db.delete(mediaOutbox).where(inArray(mediaOutbox.key, part))
        : db
            .update(mediaOutbox)
            .set({ attempts: sql`${mediaOutbox.attempts} + 1` })
            .where(inArray(mediaOutbox.key, part)),
    );
    const [first, ...rest] = statements;
    if (first) await db.batch([first, ...rest]);
    if (deleted) await purgeCachedCopies(batch);
    if (deleted) result.deleted += batch.length;
    else result.failed += batch.length;
  }
  return result;
}

/** The oldest queued keys, optionally only one user's. */
export async function queuedKeys(db: Db, limit: number, userId?: string): Promise<string[]> {
  const rows = await db
    .select({ key: mediaOutbox.key })
    .from(mediaOutbox)
    .where(userId ? eq(mediaOutbox.userId, userId) : undefined)
    .orderBy(asc(mediaOutbox.enqueuedAt))
    .limit(limit);
  return rows.map((row) => row.key);
}

export async function outboxSize(db: Db): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)` }).from(mediaOutbox);
  return row?.count ?? 0;
}
