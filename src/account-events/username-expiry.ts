import { and, isNotNull, isNull, lte } from "drizzle-orm";
import type { Db } from "../db/client";
import { accountEventOutbox } from "../db/schema";

/**
 * Erases the old and new usernames of every outbox event older than `maxHours`
 * (EVENT_PII_MAX_HOURS), sent or not: a queue that stays down must not keep a finalized
 * account's names. An event still unsent then goes out without them (both null). Sending clears
 * the payload in the statement that marks the event sent, so only unsent rows can hold one; the
 * condition names `sent_at` to use the outbox's unsent index. One statement, idempotent; returns
 * how many events lost their usernames. For a scheduled job.
 */
export async function eraseStaleEventUsernames(db: Db, now: Date, maxHours: number): Promise<number> {
  const cutoff = new Date(now.getTime() - maxHours * 60 * 60 * 1000);
  const erased = await db
    .update(accountEventOutbox)
    .set({ payload: null })
    .where(
      and(
        isNull(accountEventOutbox.sentAt),
        lte(accountEventOutbox.occurredAt, cutoff),
        isNotNull(accountEventOutbox.payload),
      ),
    )
    .returning({ eventId: accountEventOutbox.eventId });
  return erased.length;
}
