import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { mediaSweepCursors, users } from "../db/schema";
import { errorFields, log } from "../lib/log";
import { PROFILE_PHOTO_PREFIX } from "./keys";
import { purgeCachedCopies } from "./outbox";

// An upload puts its objects before the row points at them; a Worker request cannot last this
// long, so an object younger than this may belong to an upload in flight and is never touched.
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;
const R2_PAGE = 1000;
const ROOT = `${PROFILE_PHOTO_PREFIX}/`;

type PhotoOwner = { id: string; profilePhotoId: string | null; profilePhotoKey: string | null };

/**
 * Whether a key under `profile-photos/{userId}/` is the user's current photo: its key, or any
 * variant of the current photo id (variants share it: `{photoId}.webp`, `{photoId}-512.webp`).
 */
function isCurrentPhoto(key: string, owner: PhotoOwner | undefined): boolean {
  if (!owner) return false;
  if (key === owner.profilePhotoKey) return true;
  const file = key.slice(`${ROOT}${owner.id}/`.length);
  return owner.profilePhotoId !== null && file.split(/[.-]/, 1)[0] === owner.profilePhotoId;
}

function ownerIdOf(key: string): string {
  return key.slice(ROOT.length).split("/", 1)[0] ?? "";
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

/**
 * Deletes objects under `profile-photos/` that no row references and that are older than an
 * hour: leftovers of uploads that failed half way. It walks the bucket a few pages a run and
 * keeps its place in `media_sweep_cursors`, starting over once it reaches the end. A failure is
 * logged; the page is tried again next run.
 */
export async function sweepUnreferencedPhotos(
  env: Env,
  db: Db,
  now: Date,
  maxPages: number,
): Promise<SweepResult> {
  const result: SweepResult = { listed: 0, deleted: 0, failed: 0 };
  const [saved] = await db.select().from(mediaSweepCursors).where(eq(mediaSweepCursors.prefix, ROOT));
  let cursor = saved?.cursor ?? undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const listing = await env.MEDIA.list({ prefix: ROOT, limit: R2_PAGE, ...(cursor ? { cursor } : {}) });
    result.listed += listing.objects.length;
    const userIds = [...new Set(listing.objects.map((object) => ownerIdOf(object.key)))];
    const owners = userIds.length > 0 ? await ownersOf(db, userIds) : new Map<string, PhotoOwner>();
    const unreferenced = listing.objects
      .filter((object) => now.getTime() - object.uploaded.getTime() > ORPHAN_MIN_AGE_MS)
      .filter((object) => !isCurrentPhoto(object.key, owners.get(ownerIdOf(object.key))))
      .map((object) => object.key);
    if (unreferenced.length > 0) {
      const deleted = await Promise.resolve(unreferenced)
        .then((keys) => env.MEDIA.delete(keys))
        .then(
          () => true,
          (error: unknown) => {
            log("warn", "unreferenced photos not deleted; the sweep retries", {
              error: errorFields(error).error,
            });
            return false;
          },
        );
      if (!deleted) {
        result.failed += unreferenced.length;
        break;
      }
      await purgeCachedCopies(unreferenced);
      result.deleted += unreferenced.length;
    }
    cursor = listing.truncated ? listing.cursor : undefined;
    if (!cursor) break;
  }
  await db
    .insert(mediaSweepCursors)
    .values({ prefix: ROOT, cursor: cursor ?? null, updatedAt: now })
    .onConflictDoUpdate({
      target: mediaSweepCursors.prefix,
      set: { cursor: cursor ?? null, updatedAt: now },
    });
  return result;
}
