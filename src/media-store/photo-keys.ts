import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { mediaUrl, PROFILE_PHOTO_PREFIX } from "./keys";

/** The square WebP sizes every profile photo is stored in; the largest is `profilePhoto.url`. */
export const PHOTO_SIZES = [96, 256, 512] as const;
export type PhotoSize = (typeof PHOTO_SIZES)[number];
export const PHOTO_URL_SIZE: PhotoSize = 512;

const variantSuffix = (size: PhotoSize) => `-${size}.webp`;

/** One value per size, as the API shows them: `{ "96": …, "256": …, "512": … }`. */
export function bySize<T>(value: (size: PhotoSize) => T): Record<PhotoSize, T> {
  return Object.fromEntries(PHOTO_SIZES.map((size) => [size, value(size)])) as Record<PhotoSize, T>;
}

/** The R2 key of one variant: built by the server from ids, never from a file name. */
export function photoVariantKey(userId: string, photoId: string, size: PhotoSize): string {
  return `${PROFILE_PHOTO_PREFIX}/${userId}/${photoId}${variantSuffix(size)}`;
}

/**
 * Every variant's key from the key a user row stores (the PHOTO_URL_SIZE variant). A photo uploaded
 * before variants existed is one object (`{photoId}.jpg|png|webp`), which then stands for every size.
 */
export function photoVariantKeys(storedKey: string): Record<PhotoSize, string> {
  const suffix = variantSuffix(PHOTO_URL_SIZE);
  const base = storedKey.endsWith(suffix) ? storedKey.slice(0, -suffix.length) : null;
  return bySize((size) => (base === null ? storedKey : `${base}${variantSuffix(size)}`));
}

/** The same derivation in SQL, for statements that queue a stored photo's objects for deletion. */
export function photoVariantKeySql(storedKey: SQLiteColumn, size: PhotoSize): SQL<string> {
  return sql<string>`replace(${storedKey}, ${variantSuffix(PHOTO_URL_SIZE)}, ${variantSuffix(size)})`;
}

/** File names the media route serves: a variant, or a photo stored before variants existed. */
export const PHOTO_FILE_PATTERN = new RegExp(
  `^[0-9a-f]{24}(-(${PHOTO_SIZES.join("|")})\\.webp|\\.(jpg|png|webp))$`,
);

/** The user object's `profilePhoto`: `url` is the PHOTO_URL_SIZE variant, `variants` every size. */
export function profilePhotoOf(id: string, storedKey: string, env: Env, requestUrl: string) {
  const keys = photoVariantKeys(storedKey);
  const variants = bySize((size) => mediaUrl(keys[size], env, requestUrl));
  return { _id: id, url: variants[PHOTO_URL_SIZE], type: "image" as const, variants };
}
