import * as z from "zod";
import { ACCOUNT_DELETION_STATUSES } from "../../db/schema";
import { envelopeOf } from "../../lib/envelope";
import { notModifiedResponse } from "../../lib/http-cache";
import { apiRoute } from "../../lib/route";
import { settingDefaults } from "../../lib/settings";
import { cleanText } from "../../lib/text";
import { ErasureReceiptSchema } from "./receipt";

const userId = z.string().openapi({ example: "507f1f77bcf86cd799439011" });
const at = (example: string) => z.iso.datetime().openapi({ example });

export const DeletionRequestSchema = z
  .strictObject({ reason: cleanText({ max: 500, multiline: true }).optional() })
  .openapi("AccountDeletionRequest", { example: { reason: "I no longer use the app" } });

const DeletionRequestedSchema = z
  .object({
    userId,
    status: z.literal("pending"),
    requestedAt: at("2026-04-07T10:00:00.000Z"),
    scheduledFor: at("2026-05-05T10:00:00.000Z"),
  })
  .openapi("AccountDeletionRequested");

const DeletionStateSchema = z
  .object({
    userId,
    status: z.enum(ACCOUNT_DELETION_STATUSES).nullable(),
    requestedAt: at("2026-04-07T10:00:00.000Z").nullable(),
    scheduledFor: at("2026-05-05T10:00:00.000Z").nullable(),
    cancelledAt: at("2026-04-08T10:00:00.000Z").nullable(),
    canCancel: z.boolean(),
  })
  .openapi("AccountDeletionState");

const DeletionCancelledSchema = z
  .object({ userId, status: z.literal("cancelled"), cancelledAt: at("2026-04-08T10:00:00.000Z") })
  .openapi("AccountDeletionCancelled");

const DeletionFinalizedSchema = z
  .object({
    userId,
    status: z.literal("finalized"),
    finalizedAt: at("2026-04-07T10:30:00.000Z"),
    receipt: ErasureReceiptSchema,
  })
  .openapi("AccountDeletionFinalized");

const ok = <T extends z.ZodType>(description: string, schema: T) => ({
  200: { description, content: { "application/json": { schema: envelopeOf(schema) } } },
});

export const requestDeletionRoute = apiRoute(
  {
    method: "post",
    path: "/users/me/account-deletion",
    operationId: "requestAccountDeletion",
    tags: ["Account deletion"],
    summary: "Hesap silme talebi oluştur / Request account deletion",
    description:
      `Starts the grace period (ACCOUNT_DELETION_GRACE_DAYS, default ${settingDefaults().ACCOUNT_DELETION_GRACE_DAYS}): ` +
      "the account is locked for profile, " +
      "username and photo changes until it is cancelled or finalized. A second request while pending is 409.",
    request: {
      body: { required: false, content: { "application/json": { schema: DeletionRequestSchema } } },
    },
    responses: ok("Deletion scheduled", DeletionRequestedSchema),
  },
  { mutates: true, authentication: "token", errors: [409], limiters: ["ACCOUNT_DELETION_LIMITER"] },
);

export const getDeletionRoute = apiRoute({
  method: "get",
  path: "/users/me/account-deletion",
  operationId: "getAccountDeletion",
  tags: ["Account deletion"],
  summary: "Hesap silme durumu / Account deletion state",
  description:
    "The current state, so a client can show the countdown. `status` is null when never requested.",
  responses: { ...ok("The state", DeletionStateSchema), ...notModifiedResponse },
});

export const cancelDeletionRoute = apiRoute(
  {
    method: "delete",
    path: "/users/me/account-deletion",
    operationId: "cancelAccountDeletion",
    tags: ["Account deletion"],
    summary: "Hesap silme talebini iptal et / Cancel account deletion",
    description:
      "Cancels a pending account deletion request and unlocks the account. 409 when none is pending.",
    responses: ok("Deletion cancelled", DeletionCancelledSchema),
  },
  { mutates: true, authentication: "token", errors: [409], limiters: ["ACCOUNT_DELETION_LIMITER"] },
);

export const finalizeNowRoute = apiRoute(
  {
    method: "post",
    path: "/users/me/account-deletion/finalize-now",
    operationId: "finalizeAccountDeletionNow",
    tags: ["Account deletion"],
    summary: "Hesap silmeyi hemen tamamla / Finalize account deletion now",
    description:
      "Finalizes a pending account deletion request immediately when the feature flag " +
      "`account-deletion-finalize-now` is enabled (403 otherwise; 409 with no pending request). Personal " +
      "data is erased, the username and email are freed, photos are deleted, follows are removed, and every " +
      "token of the account gets 401 from then on. The answer's receipt lists what was erased, what was " +
      "kept and why, and whether storage deletions are still queued.",
    responses: ok("Deletion finalized", DeletionFinalizedSchema),
  },
  { mutates: true, authentication: "token", errors: [403, 409], limiters: ["ACCOUNT_DELETION_LIMITER"] },
);
