import * as z from "zod";
import { FEATURE_FLAGS } from "../../flags/flags";
import { requireRole } from "../../lib/auth";
import { envelopeOf } from "../../lib/envelope";
import { apiRoute } from "../../lib/route";

export const FeatureFlagSchema = z
  .object({
    key: z.string().openapi({ example: "account-deletion-finalize-now" }),
    enabled: z.boolean(),
    description: z.string(),
    updatedAt: z.iso.datetime().nullable(),
  })
  .openapi("FeatureFlag");

const adminOnly = { errors: [403 as const], middleware: [requireRole("admin")] };

export const listFlags = apiRoute(
  {
    method: "get",
    path: "/admin/feature-flags",
    operationId: "listFeatureFlags",
    tags: ["Admin"],
    summary: "Özellik bayrakları / Feature flags",
    description: "Role `admin`: every known flag with its state (KV, or the flag's default).",
    responses: {
      200: {
        description: "The flags",
        content: { "application/json": { schema: envelopeOf(z.array(FeatureFlagSchema)) } },
      },
    },
  },
  adminOnly,
);

export const putFlag = apiRoute(
  {
    method: "put",
    path: "/admin/feature-flags/{key}",
    operationId: "setFeatureFlag",
    tags: ["Admin"],
    summary: "Özellik bayrağını aç veya kapat / Turn a feature flag on or off",
    description:
      "Role `admin`. Stored in KV; other locations see the change within about a minute. Unknown keys are 404.",
    request: {
      params: z.object({
        // Any string: an unknown key is the documented 404, which an enum would keep clients from reaching.
        key: z
          .string()
          .max(64)
          .openapi({
            param: { name: "key", in: "path" },
            example: "account-deletion-finalize-now",
            description: `A flag's key; the flags today: ${Object.keys(FEATURE_FLAGS).join(", ")}`,
          }),
      }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.strictObject({ enabled: z.boolean() }).openapi("FeatureFlagUpdate"),
          },
        },
      },
    },
    responses: {
      200: {
        description: "The flag",
        content: { "application/json": { schema: envelopeOf(FeatureFlagSchema) } },
      },
    },
  },
  { ...adminOnly, mutates: true, errors: [403, 404] },
);
