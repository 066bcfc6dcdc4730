import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { ErrorEnvelopeSchema } from "../../lib/envelope";
import { OBJECT_ID_PATTERN } from "../../lib/ids";

export const PhotoParamsSchema = z.object({
  userId: z
    .string()
    .regex(OBJECT_ID_PATTERN)
    .openapi({ param: { name: "userId", in: "path" }, example: "507f1f77bcf86cd799439011", maxLength: 24 }),
  file: z
    .string()
    .regex(/^[0-9a-f]{24}\.(jpg|png|webp)$/)
    .openapi({ param: { name: "file", in: "path" }, example: "507f1f77bcf86cd799439012.jpg", maxLength: 29 }),
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
    "Serves a stored profile photo with a strong ETag and immutable caching: a replaced photo gets a " +
    "new URL. Used when PUBLIC_MEDIA_BASE_URL (an R2 custom domain) is not set.",
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
