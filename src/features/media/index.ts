import { ApiError } from "../../lib/errors";
import { createRouter } from "../../lib/router";
import { getProfilePhoto } from "./media.routes";
import { PROFILE_PHOTO_PREFIX } from "./media-url";

const IMMUTABLE = "public, max-age=31536000, immutable";

export const mediaRouter = createRouter().openapi(
  getProfilePhoto,
  async (c) => {
    const { userId, file } = c.req.valid("param");
    const object = await c.env.MEDIA.get(`${PROFILE_PHOTO_PREFIX}/${userId}/${file}`, {
      onlyIf: c.req.raw.headers,
    });
    if (!object) throw new ApiError(404);
    const headers = new Headers({
      "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
      ETag: object.httpEtag,
      "Cache-Control": IMMUTABLE,
    });
    // R2 evaluated If-None-Match: an object without a body means the client's copy is current.
    if (!("body" in object)) return new Response(null, { status: 304, headers });
    headers.set("Content-Length", String(object.size));
    return new Response(object.body, { status: 200, headers });
  },
  // A name that no upload could have produced is simply not there.
  (result) => {
    if (!result.success) throw new ApiError(404);
  },
);
