import * as z from "zod";
import "@hono/zod-openapi";
import { type Language, t } from "../../lib/i18n";

// What finalization did, as the finalize-now answer tells the person (API.md, "What
// finalization erases").
export const ERASED_CATEGORIES = [
  "profile",
  "username",
  "email",
  "photos",
  "lastLogin",
  "deletionReason",
  "deviceIds",
  "liveStreamText",
  "follows",
  "dataExports",
] as const;

export const KEPT_CATEGORIES = ["tombstone", "consentRecords", "auditTrail", "liveStreams"] as const;

export const ErasureReceiptSchema = z
  .object({
    erased: z.array(z.enum(ERASED_CATEGORIES)).openapi({
      description:
        "profile: names, phone, birth date, gender, bio, handles, interests, expertise; username and " +
        "email: freed (the username after its hold); photos and dataExports: every object under the " +
        "account's storage prefixes; deviceIds: of the audit rows; liveStreamText: titles of the streams",
    }),
    kept: z
      .array(z.object({ category: z.enum(KEPT_CATEGORIES), reason: z.string() }))
      .openapi({ description: "What stays, and why (in the request's language)" }),
    photoObjectsQueued: z.boolean().openapi({
      description:
        "true when storage refused some deletions just now: they are queued and retried every 15 minutes",
    }),
    followsQueued: z.boolean().openapi({
      description:
        "true while the account's follow rows (ids only) and the other users' counters are still being " +
        "removed in bounded chunks of queued work: gone within minutes, even with millions of followers",
    }),
  })
  .openapi("ErasureReceipt");

export type ErasureReceipt = z.infer<typeof ErasureReceiptSchema>;

export function erasureReceipt(
  language: Language,
  queued: { photos: boolean; follows: boolean },
): ErasureReceipt {
  return {
    erased: [...ERASED_CATEGORIES],
    kept: KEPT_CATEGORIES.map((category) => ({
      category,
      reason: t(language, `receipt.kept.${category}`),
    })),
    photoObjectsQueued: queued.photos,
    followsQueued: queued.follows,
  };
}
