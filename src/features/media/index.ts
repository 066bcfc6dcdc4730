import { ApiError } from "../../lib/errors";
import { ifNoneMatchMatches } from "../../lib/http-cache";
import { createRouter } from "../../lib/router";
import { getProfilePhoto } from "./media.routes";
import { mediaCacheRequest, PROFILE_PHOTO_PREFIX } from "./media-url";

// Clients may keep a photo for a year: a replaced photo gets a new URL. This location's cached
// copy lives shorter, so that an erased photo stops being served everywhere soon after deletion.
const CLIENT_CACHE_CONTROL = "public, max-age=31536000, immutable";
export const EDGE_CACHE_SECONDS = 600;

/**
 * Stores this location's copy, then checks the object still exists: a read that overlapped the
 * object's deletion would otherwise put back a copy after the deletion purged it.
 */
async function cacheUnlessDeleted(env: Env, key: string, cacheRequest: Request, response: Response) {
  await caches.default.put(cacheRequest, response);
  if (!(await env.MEDIA.head(key))) await caches.default.delete(cacheRequest);
}

export const mediaRouter = createRouter().openapi(
  getProfilePhoto,
  async (c) => {
    const { userId, file } = c.req.valid("param");
    const key = `${PROFILE_PHOTO_PREFIX}/${userId}/${file}`;
    const cacheRequest = mediaCacheRequest(key);
    let response = await caches.default.match(cacheRequest);
    const cacheStatus = response ? "hit" : "miss";
    if (!response) {
      const object = await c.env.MEDIA.get(key);
      if (!object) throw new ApiError(404);
      response = new Response(object.body, {
        headers: {
          "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
          "Content-Length": String(object.size),
          ETag: object.httpEtag,
          "Cache-Control": `public, max-age=${EDGE_CACHE_SECONDS}`,
        },
      });
      c.executionCtx.waitUntil(cacheUnlessDeleted(c.env, key, cacheRequest, response.clone()));
    }
    const headers = new Headers(response.headers);
    headers.set("Cache-Control", CLIENT_CACHE_CONTROL);
    headers.set("X-Media-Cache", cacheStatus);
    // A Response of our own drops what c.header() set before the handler ran.
    headers.set("X-Request-Id", c.get("requestId"));
    if (ifNoneMatchMatches(c.req.header("if-none-match"), headers.get("ETag") ?? "")) {
      headers.delete("Content-Length");
      return new Response(null, { status: 304, headers });
    }
    return new Response(response.body, { status: 200, headers });
  },
  // A name that no upload could have produced is simply not there.
  (result) => {
    if (!result.success) throw new ApiError(404);
    return undefined;
  },
);
