import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { ErrorEnvelopeSchema } from "../../lib/envelope";
import { OBJECT_ID_PATTERN } from "../../lib/ids";
import { PHOTO_FILE_PATTERN } from "./photo-keys";

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

const notFound = {
  description: "No such photo",
  content: { "application/json": { schema: ErrorEnvelopeSchema } },
};

export const getProfilePhoto = createRoute({
  method: "get",
  path: "/media/profile-photos/{userId}/{file}",
  operationId: "getProfilePhoto",
  tags: ["Media"],
  summary: "Profile photo (public)",
  description:
    "Serves one size of a stored profile photo (square WebP at 96, 256 or 512 px, re-encoded at upload) " +
    "with a strong ETag and immutable caching: a replaced photo gets a new URL. Used when " +
    "PUBLIC_MEDIA_BASE_URL (an R2 custom domain) is not set.",
  security: [],
  request: { params: PhotoParamsSchema },
  responses: {
    200: {
      description: "The image",
      content: {
        "image/jpeg": { schema: z.string().openapi({ format: "binary" }) },
        "image/png": { schema: z.string().openapi({ format: "binary" }) },
        "image/webp": { schema: z.string().openapi({ format: "binary" }) },
      },
    },
    304: { description: "Not modified (If-None-Match matched the ETag)" },
    404: notFound,
    500: {
      description: "Unexpected failure; the details are in the log under the request id",
      content: { "application/json": { schema: ErrorEnvelopeSchema } },
    },
  },
});
