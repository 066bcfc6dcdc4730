import type { OpenAPIHono } from "@hono/zod-openapi";
import type * as z from "zod";
import {
  DeletionCancelledEventSchema,
  DeletionRequestedEventSchema,
  FinalizedEventSchema,
  UsernameChangedEventSchema,
} from "./account-events.schema";

export const ACCOUNT_EVENTS_TAG = {
  name: "Account events",
  description:
    "Messages on the Cloudflare Queue `account-events` (binding ACCOUNT_EVENTS), one per committed account " +
    "transition, JSON. Delivery is at least once: de-duplicate on `eventId`, order a user's events by " +
    "`sequence`. They carry ids, times and public usernames only.",
};

const WEBHOOKS: [z.ZodType, string, string][] = [
  [
    DeletionRequestedEventSchema,
    "account.deletion_requested",
    "A deletion was requested; the account is locked",
  ],
  [DeletionCancelledEventSchema, "account.deletion_cancelled", "A pending deletion was cancelled"],
  [FinalizedEventSchema, "account.finalized", "The account was finalized: its personal data is erased"],
  [UsernameChangedEventSchema, "account.username_changed", "The username changed (old and new name)"],
];

/** Publishes the queue's message shapes in the OpenAPI document's `webhooks` section. */
export function registerAccountEventWebhooks(registry: OpenAPIHono["openAPIRegistry"]) {
  for (const [schema, type, summary] of WEBHOOKS) {
    registry.registerWebhook({
      method: "post",
      path: type,
      operationId: type.replace(/[._](\w)/g, (_, letter: string) => letter.toUpperCase()),
      tags: [ACCOUNT_EVENTS_TAG.name],
      summary,
      // Delivered on the queue inside the account, not over HTTP: no credential is involved.
      security: [],
      request: { body: { required: true, content: { "application/json": { schema } } } },
      responses: {
        200: { description: "Acknowledge the message (ack); any failure makes the queue retry it" },
      },
    });
  }
}
