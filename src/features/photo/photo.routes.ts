import { createMiddleware } from "hono/factory";
import * as z from "zod";
import { ApiError } from "../../lib/errors";
import { binaryContent } from "../../lib/openapi-components";
import { apiRoute } from "../../lib/route";
import { updatedUserResponse } from "../../users/user-view";
import { MAX_PHOTO_BYTES } from "./photo.service";

const PhotoUploadSchema = z
  .object({
    // OAS 3.1's idiom for a file: generators and Swagger UI read contentMediaType as binary content.
    file: z.instanceof(File, { error: "photo.fileField" }).openapi({
      ...binaryContent("application/octet-stream"),
      description: "Profil fotoğrafı (JPEG, PNG or WebP, at most 5 MiB)",
      maxLength: MAX_PHOTO_BYTES,
    }),
  })
  .openapi("PhotoUpload");

// hono's form validator also parses application/x-www-form-urlencoded, which cannot carry a file:
// like any other media type than the documented one, it is 415, not a 400 about a missing field.
const multipartOnly = createMiddleware(async (c, next) => {
  const mediaType = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "multipart/form-data") throw new ApiError(415);
  await next();
});

export const patchPhoto = apiRoute(
  {
    method: "patch",
    path: "/users/profile/photo",
    operationId: "uploadProfilePhoto",
    tags: ["Profile"],
    summary: "Profil fotoğrafı güncelle / Replace the profile photo",
    description:
      "Kullanıcının profil fotoğrafını günceller. JPEG (multi-picture and Ultra HDR included), PNG or WebP " +
      "recognized by its bytes (a declared type that disagrees is 400, other types or a file that cannot be " +
      "decoded 415), at most 5 MiB (413), each side 32 to 8192 pixels (checked from the header before " +
      "decoding). The Images binding re-encodes it into square WebP variants at 96, 256 and 512 px, " +
      "auto-oriented; only those are stored, so no metadata survives. When the binding fails: 503 with " +
      "Retry-After, the previous photo untouched.",
    request: {
      body: {
        required: true,
        content: {
          "multipart/form-data": {
            schema: PhotoUploadSchema,
            encoding: { file: { contentType: "image/jpeg, image/png, image/webp" } },
          },
        },
      },
    },
    responses: updatedUserResponse,
  },
  // Room for the multipart framing around a file of the maximum size.
  {
    mutates: true,
    authentication: "token",
    lockedWhilePending: true,
    errors: [503],
    maxBodyBytes: MAX_PHOTO_BYTES + 64 * 1024,
    limiters: ["PHOTO_UPLOAD_LIMITER"],
    middleware: [multipartOnly],
  },
);
