import * as z from "zod";
import "@hono/zod-openapi";
import { EVENT_SOURCES } from "../db/schema";

// The messages on the ACCOUNT_EVENTS queue (JSON), as the app's other services receive them:
// ids, times and public handles only, never names, emails, phone numbers or device ids.

const eventFields = {
  eventId: z.string().openapi({
    description: "Unique per event. Delivery is at least once: de-duplicate on it.",
    example: "9f3c2a7e41d84b0c8e5f6a1b2c3d4e5f",
  }),
  userId: z.string().openapi({ example: "507f1f77bcf86cd799439011" }),
  sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).openapi({
    format: "int64",
    description: "1, 2, 3… per user, in commit order: apply a user's events in this order.",
    example: 3,
  }),
  occurredAt: z.iso.datetime().openapi({ example: "2026-04-07T10:30:00.000Z" }),
  source: z.enum(EVENT_SOURCES).openapi({ description: "Who made the change" }),
};

export const DeletionRequestedEventSchema = z
  .object({ type: z.literal("account.deletion_requested"), ...eventFields })
  .openapi("AccountDeletionRequestedEvent");

export const DeletionCancelledEventSchema = z
  .object({ type: z.literal("account.deletion_cancelled"), ...eventFields })
  .openapi("AccountDeletionCancelledEvent");

export const FinalizedEventSchema = z
  .object({ type: z.literal("account.finalized"), ...eventFields })
  .openapi("AccountFinalizedEvent", {
    description: "The account's personal data is erased: drop or anonymize what you hold about it.",
  });

export const UsernameChangedEventSchema = z
  .object({
    type: z.literal("account.username_changed"),
    ...eventFields,
    oldUsername: z.string().nullable().openapi({ example: "johndoe123" }),
    newUsername: z
      .string()
      .nullable()
      .openapi({
        example: "john.doe",
        description:
          "Null, like oldUsername, when the names were erased before the event was sent: the account was " +
          "finalized, or the event waited more than EVENT_PII_MAX_HOURS (default 72); read the user's " +
          "current username from the API.",
      }),
  })
  .openapi("AccountUsernameChangedEvent");

export const AccountEventSchema = z
  .discriminatedUnion("type", [
    DeletionRequestedEventSchema,
    DeletionCancelledEventSchema,
    FinalizedEventSchema,
    UsernameChangedEventSchema,
  ])
  .openapi("AccountEvent");

export type AccountEventMessage = z.infer<typeof AccountEventSchema>;
