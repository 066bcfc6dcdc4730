import { eq, sql } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import { dataExports, mediaSweepCursors, users } from "../db/schema";
import { shardBinding, shardOf } from "../lib/shards";
import { EXPORT_PREFIX, PROFILE_PHOTO_PREFIX } from "./keys";
import { purgeCachedCopies } from "./outbox";

// An upload puts its objects before the row points at them; a Worker request cannot last this
// long, so an object younger than this may belong to an upload in flight and is never touched.
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;
const R2_PAGE = 1000;
const PHOTO_ROOT = `${PROFILE_PHOTO_PREFIX}/` as const;
const EXPORT_ROOT = `${EXPORT_PREFIX}/` as const;
/** The roots the sweep walks: every root a user's objects live under. */
export const SWEPT_ROOTS = [PHOTO_ROOT, EXPORT_ROOT] as const;
export type SweptRoot = (typeof SWEPT_ROOTS)[number];

type PhotoOwner = { id: string; profilePhotoId: string | null; profilePhotoKey: string | null };

/**
 * Whether a key under `profile-photos/{userId}/` is the user's current photo: its key, or any
 * variant of the current photo id (variants share it: `{photoId}.webp`, `{photoId}-512.webp`).
 */
function isCurrentPhoto(key: string, owner: PhotoOwner | undefined): boolean {
  if (!owner) return false;
  if (key === owner.profilePhotoKey) return true;
  const file = key.slice(`${PHOTO_ROOT}${owner.id}/`.length);
  return owner.profilePhotoId !== null && file.split(/[.-]/, 1)[0] === owner.profilePhotoId;
}

/** The user id a key sits under: `{root}{userId}/…`. */
function ownerIdOf(key: string): string {
  return key.slice(key.indexOf("/") + 1).split("/", 1)[0] ?? "";
}

/** The listed objects grouped by the shard of their owner, each group with that shard's client. */
function byOwnerShard(env: Env, objects: Listed[]): { db: Db; objects: Listed[] }[] {
  const groups = new Map<number, Listed[]>();
  for (const object of objects) {
    const shard = shardOf(env, ownerIdOf(object.key));
    groups.set(shard, [...(groups.get(shard) ?? []), object]);
  }
  return [...groups].map(([shard, group]) => ({ db: createDb(shardBinding(env, shard)), objects: group }));
}

async function ownersOf(db: Db, userIds: string[]): Promise<Map<string, PhotoOwner>> {
  // One bound JSON array instead of one parameter per id (D1 binds at most 100).
  const rows = await db
    .select({ id: users.id, profilePhotoId: users.profilePhotoId, profilePhotoKey: users.profilePhotoKey })
    .from(users)
    .where(sql`${users.id} IN (SELECT value FROM json_each(${JSON.stringify(userIds)}))`);
  return new Map(rows.map((row) => [row.id, row]));
}

export type SweepResult = { listed: number; deleted: number; failed: number };

type Listed = { key: string; uploaded: Date };

/** Which listed keys (all of owners on one shard) a row still references, per root. */
const REFERENCED_ON_SHARD: Record<SweptRoot, (db: Db, objects: Listed[]) => Promise<Set<string>>> = {
  [PHOTO_ROOT]: async (db, objects) => {
    const userIds = [...new Set(objects.map((object) => ownerIdOf(object.key)))];
    const owners = userIds.length > 0 ? await ownersOf(db, userIds) : new Map<string, PhotoOwner>();
    return new Set(
      objects
        .filter((object) => isCurrentPhoto(object.key, owners.get(ownerIdOf(object.key))))
        .map((o) => o.key),
    );
  },
  [EXPORT_ROOT]: async (db, objects) => {
    if (objects.length === 0) return new Set();
    const rows = await db
      .select({ key: dataExports.objectKey })
      .from(dataExports)
      .where(
        sql`${dataExports.objectKey} IN (SELECT value FROM json_each(${JSON.stringify(objects.map((o) => o.key))}))`,
      );
    return new Set(rows.map((row) => row.key));
  },
};

/**
 * A `sweep-media` job: deletes objects under `root` that no row references (on their owner's
 * shard) and that are older than an hour (leftovers of uploads and export builds that failed half way, or outlived their
 * account). It walks the bucket a few pages a message and keeps its place in `db`'s
 * `media_sweep_cursors`, starting over once it reaches the end. A failure rejects; the queue
 * retries the message from the saved cursor.
 */
export async function sweepUnreferenced(
  env: Env,
  db: Db,
  root: SweptRoot,
  now: Date,
  maxPages: number,
): Promise<SweepResult> {
  const result: SweepResult = { listed: 0, deleted: 0, failed: 0 };
  const [saved] = await db.select().from(mediaSweepCursors).where(eq(mediaSweepCursors.prefix, root));
  let cursor = saved?.cursor ?? undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const listing = await env.MEDIA.list({ prefix: root, limit: R2_PAGE, ...(cursor ? { cursor } : {}) });
    result.listed += listing.objects.length;
    const old = listing.objects.filter(
      (object) => now.getTime() - object.uploaded.getTime() > ORPHAN_MIN_AGE_MS,
    );
    const referenced = new Set<string>();
    for (const group of byOwnerShard(env, old)) {
      for (const key of await REFERENCED_ON_SHARD[root](group.db, group.objects)) referenced.add(key);
    }
    const unreferenced = old.filter((object) => !referenced.has(object.key)).map((object) => object.key);
    if (unreferenced.length > 0) {
      await env.MEDIA.delete(unreferenced);
      await purgeCachedCopies(unreferenced);
      result.deleted += unreferenced.length;
    }
    cursor = listing.truncated ? listing.cursor : undefined;
    if (!cursor) break;
  }
  await db
    .insert(mediaSweepCursors)
    .values({ prefix: root, cursor: cursor ?? null, updatedAt: now })
    .onConflictDoUpdate({
      target: mediaSweepCursors.prefix,
      set: { cursor: cursor ?? null, updatedAt: now },
    });
  return result;
}
