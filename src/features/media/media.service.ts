import type { AfterResponse } from "../../lib/after-response";
import { mediaCacheRequest, PROFILE_PHOTO_PREFIX } from "../../media-store/keys";

// This location's cached copy lives shorter than a client's, so that an erased photo stops being
// served everywhere soon after its deletion (the Cache API cannot be purged in other locations).
const EDGE_CACHE_SECONDS = 600;

/**
 * Stores this location's copy, then checks the object still exists: a read that overlapped the
 * object's deletion would otherwise put back a copy after the deletion purged it.
 */
async function cacheUnlessDeleted(env: Env, key: string, cacheRequest: Request, response: Response) {
  await caches.default.put(cacheRequest, response);
  if (!(await env.MEDIA.head(key))) await caches.default.delete(cacheRequest);
}

/**
 * A stored photo from this location's cache, else from R2 (then cached after the response), or
 * null when there is no such object.
 */
export async function readProfilePhoto(
  env: Env,
  afterResponse: AfterResponse,
  userId: string,
  file: string,
): Promise<{ response: Response; cache: "hit" | "miss" } | null> {
  const key = `${PROFILE_PHOTO_PREFIX}/${userId}/${file}`;
  const cacheRequest = mediaCacheRequest(key);
  const cached = await caches.default.match(cacheRequest);
  if (cached) return { response: cached, cache: "hit" };
  const object = await env.MEDIA.get(key);
  if (!object) return null;
  const response = new Response(object.body, {
    headers: {
      "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
      "Content-Length": String(object.size),
      ETag: object.httpEtag,
      "Cache-Control": `public, max-age=${EDGE_CACHE_SECONDS}`,
    },
  });
  const copy = response.clone();
  afterResponse(() => cacheUnlessDeleted(env, key, cacheRequest, copy));
  return { response, cache: "miss" };
}
