import type { RouteHandler } from "@hono/zod-openapi";
import { afterResponseOf } from "../../lib/after-response";
import type { AppEnv } from "../../lib/app-env";
import { ApiError } from "../../lib/errors";
import { ifNoneMatchMatches } from "../../lib/http-cache";
import type { getProfilePhoto } from "./media.routes";
import { readProfilePhoto } from "./media.service";

// Clients may keep a photo for a year: a replaced photo gets a new URL.
const CLIENT_CACHE_CONTROL = "public, max-age=31536000, immutable";

export const getProfilePhotoHandler: RouteHandler<typeof getProfilePhoto, AppEnv> = async (c) => {
  const { userId, file } = c.req.valid("param");
  const found = await readProfilePhoto(c.env, afterResponseOf(c.executionCtx), userId, file);
  if (!found) throw new ApiError(404);
  const headers = new Headers(found.response.headers);
  headers.set("Cache-Control", CLIENT_CACHE_CONTROL);
  headers.set("X-Media-Cache", found.cache);
  // A Response of our own drops what c.header() set before the handler ran.
  headers.set("X-Request-Id", c.get("requestId"));
  if (ifNoneMatchMatches(c.req.header("if-none-match"), headers.get("ETag") ?? "")) {
    headers.delete("Content-Length");
    return new Response(null, { status: 304, headers });
  }
  return new Response(found.response.body, { status: 200, headers });
};

/** A name that no upload could have produced is simply not there. */
export function notFoundUnlessValid(result: { success: boolean }): undefined {
  if (!result.success) throw new ApiError(404);
  return undefined;
}
