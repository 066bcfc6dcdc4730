import type { Db } from "../../db/client";
import { mediaOutbox, type UserRow, users } from "../../db/schema";
import type { AccountHandle } from "../../lib/account-handle";
import type { AfterResponse } from "../../lib/after-response";
import { ApiError } from "../../lib/errors";
import { newObjectId } from "../../lib/ids";
import { errorFields, log } from "../../lib/log";
import { deleteQueuedObjects, queuedKeys, queueProfilePhotos } from "../../media-store/outbox";
import { bySize, PHOTO_SIZES, PHOTO_URL_SIZE, photoVariantKey } from "../../media-store/photo-keys";
import { accountIsEditable, accountStateError, updateAccount } from "../../users/account-state";
import { inspectImage } from "./photo-image";
import { renderVariants, VARIANT_CONTENT_TYPE } from "./photo-variants";

export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
const GENERIC_CONTENT_TYPES = new Set(["", "application/octet-stream"]);
// Names some clients still send for JPEG.
const CONTENT_TYPE_ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
};
// Stored objects never change (a new photo gets new keys), so the bucket's own domain
// (PUBLIC_MEDIA_BASE_URL) may let clients keep them as long as the media route does.
const VARIANT_CACHE_CONTROL = "public, max-age=31536000, immutable";

/** The cheap check, before anything decodes: type by magic bytes, size from the header. */
function checkPhoto(bytes: Uint8Array, declaredType: string): void {
  const inspection = inspectImage(bytes);
  if (!inspection.ok) {
    throw inspection.reason === "dimensions"
      ? new ApiError(400, [{ key: "photo.dimensions" }])
      : new ApiError(415, [{ key: "photo.unsupported" }]);
  }
  const { image } = inspection;
  const stated = declaredType.split(";")[0]?.trim().toLowerCase() ?? "";
  const declared = CONTENT_TYPE_ALIASES[stated] ?? stated;
  if (!GENERIC_CONTENT_TYPES.has(declared) && declared !== image.contentType) {
    throw new ApiError(400, [
      { key: "photo.typeMismatch", params: { declared: stated, actual: image.contentType } },
    ]);
  }
}

/**
 * Removes objects that no row references, whatever state R2 left them in; what R2 refuses is
 * queued for the cron. If the queue insert fails too, the objects stay under the user's prefix,
 * where the cron's sweep of unreferenced objects finds them; the client's answer is unchanged.
 */
async function discardObjects(env: Env, db: Db, userId: string, keys: string[]): Promise<void> {
  const deleted = await env.MEDIA.delete(keys).then(
    () => true,
    (error: unknown) => {
      log("warn", "could not delete unreferenced photo objects; queued", {
        userId,
        keys: keys.length,
        error: errorFields(error).error,
      });
      return false;
    },
  );
  if (deleted) return;
  const enqueuedAt = new Date();
  await db
    .insert(mediaOutbox)
    .values(keys.map((key) => ({ key, userId, enqueuedAt, attempts: 1 })))
    .onConflictDoNothing()
    .catch((error: unknown) => {
      log("error", "could not queue unreferenced photo objects; left to the sweep", {
        userId,
        keys: keys.length,
        error: errorFields(error).error,
      });
    });
}

/**
 * Stores every variant. A put that fails may still have stored its object (a timeout after the
 * write), so once every put has settled, all the new keys are discarded before the error goes on.
 */
async function storeVariants(env: Env, db: Db, userId: string, photoId: string, upload: Uint8Array) {
  const variants = await renderVariants(env.IMAGES, upload);
  const keys = bySize((size) => photoVariantKey(userId, photoId, size));
  const puts = await Promise.allSettled(
    PHOTO_SIZES.map((size) =>
      env.MEDIA.put(keys[size], variants[size], {
        httpMetadata: { contentType: VARIANT_CONTENT_TYPE, cacheControl: VARIANT_CACHE_CONTROL },
      }),
    ),
  );
  const failed = puts.find((put) => put.status === "rejected");
  if (failed) {
    await discardObjects(env, db, userId, Object.values(keys));
    throw failed.reason;
  }
  return keys;
}

/**
 * Points the user at the new photo and queues every object of the old one for deletion,
 * atomically: both statements see the same row, so a replaced object is always either referenced
 * or queued.
 */
async function swapPhoto(
  db: Db,
  account: AccountHandle,
  photoId: string,
  key: string,
): Promise<UserRow | undefined> {
  const now = new Date();
  const editableUser = account.row(accountIsEditable);
  const [, updated] = await db.batch([
    queueProfilePhotos(db, editableUser, now),
    updateAccount(db, editableUser, {
      profilePhotoId: photoId,
      profilePhotoKey: key,
      updatedAt: now,
    }).returning(),
  ]);
  return updated[0];
}

/**
 * Stores a new profile photo. Order of work: check the upload cheaply; re-encode it into the
 * variants; put them; point the row at them (or discard them if that fails); then, after the
 * response (`afterResponse`), delete the old photo's objects: they are queued in the outbox by the
 * same batch, so the cron finishes what this cannot.
 */
export async function replacePhoto(
  env: Env,
  db: Db,
  account: AccountHandle,
  file: File,
  afterResponse: AfterResponse,
): Promise<UserRow> {
  const userId = account.id;
  if (file.size > MAX_PHOTO_BYTES) {
    throw new ApiError(413, [
      { key: "photo.tooLarge", params: { maximum: MAX_PHOTO_BYTES / 1024 / 1024, bytes: MAX_PHOTO_BYTES } },
    ]);
  }
  const upload = new Uint8Array(await file.arrayBuffer());
  checkPhoto(upload, file.type);
  const photoId = newObjectId();
  const keys = await storeVariants(env, db, userId, photoId, upload);

  const updated = await swapPhoto(db, account, photoId, keys[PHOTO_URL_SIZE]).catch(
    async (error: unknown) => {
      // D1 may report an error for a batch that committed: the row says which. If it cannot be
      // read either, nothing is deleted; the sweep removes the new objects if no row points to them.
      const [row] = await db.select().from(users).where(account.row()).limit(1);
      if (row?.profilePhotoId === photoId) return row;
      await discardObjects(env, db, userId, Object.values(keys));
      throw error;
    },
  );
  if (!updated) {
    await discardObjects(env, db, userId, Object.values(keys));
    throw (await accountStateError(db, userId)) ?? new ApiError(409);
  }
  // The photo is saved: a failure from here on is the cron's to finish, not the client's.
  afterResponse(() =>
    deleteReplacedObjects(env, db, userId).catch((error: unknown) => {
      log("warn", "replaced photo clean-up failed; left to the cron", { userId, ...errorFields(error) });
    }),
  );
  return updated;
}

/** Every replaced photo of this user, including ones replaced by a parallel upload. */
async function deleteReplacedObjects(env: Env, db: Db, userId: string): Promise<void> {
  await deleteQueuedObjects(env, db, await queuedKeys(db, 10 * PHOTO_SIZES.length, userId));
}
