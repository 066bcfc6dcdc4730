import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { accountEventOutbox } from "../src/db/schema";
import { dbOf } from "./helpers";

// Shared by the account-events and erasure tests.

/**
 * The real ACCOUNT_EVENTS producer behind a Proxy that keeps each accepted message body as it
 * travels (JSON), after the real binding accepted it.
 */
export function recordingQueue(queue: Queue = env.ACCOUNT_EVENTS) {
  const delivered: Record<string, unknown>[] = [];
  const calls = { sendBatch: 0 };
  const binding = new Proxy(queue, {
    get(target, property) {
      if (property === "sendBatch") {
        return async (messages: MessageSendRequest[], options?: QueueSendBatchOptions) => {
          calls.sendBatch += 1;
          const result = await target.sendBatch(messages, options);
          for (const message of messages) delivered.push(JSON.parse(JSON.stringify(message.body)));
          return result;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { binding, delivered, calls };
}

/** A user's outbox rows as stored, in sequence order. */
export async function outboxOf(userId: string) {
  return dbOf(userId)
    .select()
    .from(accountEventOutbox)
    .where(eq(accountEventOutbox.userId, userId))
    .orderBy(accountEventOutbox.sequence);
}
