import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { errorEnvelopeOf } from "../../lib/envelope";
import { OBJECT_ID_PATTERN } from "../../lib/ids";
import {
  binaryContent,
  EVERY_RESPONSE_HEADERS,
  IF_NONE_MATCH_PARAMETER,
  parameterRef,
} from "../../lib/openapi-components";
import { PHOTO_FILE_PATTERN } from "../../media-store/photo-keys";

export const PhotoParamsSchema = z.object({
  userId: z
    .string()
    .regex(OBJECT_ID_PATTERN)
    .openapi({ param: { name: "userId", in: "path" }, example: "507f1f77bcf86cd799439011", maxLength: 24 }),
  file: z
    .string()
    .regex(PHOTO_FILE_PATTERN)
    .openapi({
      param: { name: "file", in: "path" },
      description:
        "`{photoId}-{96|256|512}.webp`, or `{photoId}.jpg|png|webp` for a photo stored before variants",
      example: "507f1f77bcf86cd799439012-512.webp",
      maxLength: 33,
    }),
});

const photoHeaders = {
  ...EVERY_RESPONSE_HEADERS,
  ETag: {
    description: "Strong ETag of the stored object",
    required: true,
    schema: { type: "string" as const },
  },
  "Cache-Control": {
    description: "A photo's URL never changes its bytes: a replaced photo gets a new URL",
    required: true,
    schema: { type: "string" as const, const: "public, max-age=31536000, immutable" },
  },
  "X-Media-Cache": {
    description: "Whether this location's cache had the photo",
    required: true,
    schema: { type: "string" as const, enum: ["hit", "miss"] },
  },
};

const notFound = {
  description: "No such photo",
  headers: EVERY_RESPONSE_HEADERS,
  content: { "application/json": { schema: errorEnvelopeOf(404) } },
};

export const getProfilePhoto = createRoute({
  method: "get",
  path: "/media/profile-photos/{userId}/{file}",
  operationId: "getProfilePhoto",
  tags: ["Media"],
  summary: "Profil fotoğrafı (herkese açık) / Profile photo (public)",
  description:
    "Serves one size of a stored profile photo (square WebP at 96, 256 or 512 px, re-encoded at upload) " +
    "with a strong ETag and immutable caching: a replaced photo gets a new URL. Used when " +
    "PUBLIC_MEDIA_BASE_URL (an R2 custom domain) is not set.",
  security: [],
  request: { params: PhotoParamsSchema },
  parameters: [parameterRef(IF_NONE_MATCH_PARAMETER)],
  responses: {
    200: {
      description: "The image",
      headers: photoHeaders,
      content: {
        // Every photo is stored as WebP; the others are photos uploaded before the variants.
        "image/webp": { schema: z.string().openapi(binaryContent("image/webp")) },
        "image/jpeg": { schema: z.string().openapi(binaryContent("image/jpeg")) },
        "image/png": { schema: z.string().openapi(binaryContent("image/png")) },
      },
    },
    304: { description: "Not modified (If-None-Match matched the ETag)", headers: photoHeaders },
    404: notFound,
    500: {
      description: "Unexpected failure; the details are in the log under the request id",
      headers: EVERY_RESPONSE_HEADERS,
      content: { "application/json": { schema: errorEnvelopeOf(500) } },
    },
  },
});
