import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { mediaOutbox, type UserRow, users } from "../../db/schema";
import { ApiError } from "../../lib/errors";
import { newObjectId } from "../../lib/ids";
import { errorFields, log } from "../../lib/log";
import { profilePhotoKey } from "../../media-store/keys";
import { deleteQueuedObjects, queuedKeys, queueProfilePhotos } from "../../media-store/outbox";
import { accountIsEditable, accountStateError } from "../../users/account-state";
import { inspectImage, stripMetadata } from "./photo-image";

export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
const GENERIC_CONTENT_TYPES = new Set(["", "application/octet-stream"]);
// Names some clients still send for JPEG.
const CONTENT_TYPE_ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
};

/** Checks the upload by its bytes and returns them without location or camera metadata. */
function cleanPhoto(bytes: Uint8Array, declaredType: string) {
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
  return { image, bytes: stripMetadata(bytes, image.type) };
}

/**
 * Points the user at the new photo and queues the old object for deletion, atomically: both
 * statements see the same row, so a replaced object is always either referenced or queued.
 */
async function swapPhoto(db: Db, userId: string, photoId: string, key: string): Promise<UserRow | undefined> {
  const now = new Date();
  const editableUser = and(eq(users.id, userId), accountIsEditable);
  const [, updated] = await db.batch([
    queueProfilePhotos(db, editableUser, now),
    db
      .update(users)
      .set({ profilePhotoId: photoId, profilePhotoKey: key, updatedAt: now })
      .where(editableUser)
      .returning(),
  ]);
  return updated[0];
}

/**
 * Stores a new profile photo. Order of work: put the new object; point the row at it (or delete
 * the new object again if that fails); then delete the old object, which stays queued in the
 * outbox for the cron if R2 refuses.
 */
export async function replacePhoto(env: Env, db: Db, userId: string, file: File): Promise<UserRow> {
  if (file.size > MAX_PHOTO_BYTES) throw new ApiError(413, [{ key: "photo.tooLarge" }]);
  const { image, bytes } = cleanPhoto(new Uint8Array(await file.arrayBuffer()), file.type);
  const photoId = newObjectId();
  const key = profilePhotoKey(userId, photoId, image.extension);
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: image.contentType } });

  // The new object is referenced by no row: delete it, or queue it for the cron if R2 refuses.
  const discardNewObject = () =>
    env.MEDIA.delete(key).catch(async (error: unknown) => {
      log("warn", "could not delete an unreferenced photo; queued", {
        key,
        error: errorFields(error).error,
      });
      await db
        .insert(mediaOutbox)
        .values({ key, userId, enqueuedAt: new Date(), attempts: 1 })
        .onConflictDoNothing();
    });
  const updated = await swapPhoto(db, userId, photoId, key).catch(async (error: unknown) => {
    await discardNewObject();
    throw error;
  });
  if (!updated) {
    await discardNewObject();
    throw (await accountStateError(db, userId)) ?? new ApiError(409);
  }
  // Every replaced photo of this user, including ones replaced by a parallel upload.
  await deleteQueuedObjects(env, db, await queuedKeys(db, 10, userId));
  return updated;
}
