import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { accountEventOutbox, type EVENT_SOURCES, type PUBLISHED_EVENT_TYPES, users } from "../db/schema";

export type PublishedEventType = (typeof PUBLISHED_EVENT_TYPES)[number];
type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * One outbox event for each user that `precondition` selects. Put it in the same D1 batch as the
 * transition, before it, with the transition's own precondition (as the audit rows do): there is
 * an event exactly when the transition committed. The sequence is the user's next number; the
 * unique (user, sequence) index fails the whole batch if another writer took it.
 */
export function recordAccountEvent(
  db: Db,
  precondition: SQL | undefined,
  type: PublishedEventType,
  source: EventSource,
  now: Date,
  payload: SQL = sql`NULL`,
) {
  return db.insert(accountEventOutbox).select(
    db
      .select({
        eventId: sql<string>`lower(hex(randomblob(16)))`.as("event_id"),
        userId: users.id,
        sequence: sql<number>`(SELECT coalesce(max(${accountEventOutbox.sequence}), 0) + 1
          FROM ${accountEventOutbox} WHERE ${accountEventOutbox.userId} = ${users.id})`.as("sequence"),
        type: sql<PublishedEventType>`${type}`.as("type"),
        source: sql<EventSource>`${source}`.as("source"),
        occurredAt: sql<number>`${now.getTime()}`.as("occurred_at"),
        payload: sql<string | null>`${payload}`.as("payload"),
        sentAt: sql<number | null>`NULL`.as("sent_at"),
        attempts: sql<number>`0`.as("attempts"),
      })
      .from(users)
      .where(precondition),
  );
}

/**
 * The `account.username_changed` event of a username change, with the old name read from the row
 * before the change. Batch it before the UPDATE, with the UPDATE's own condition.
 */
export function usernameChangedEvent(db: Db, precondition: SQL | undefined, newUsername: string, now: Date) {
  const payload = sql`json_object('oldUsername', ${users.username}, 'newUsername', ${newUsername})`;
  return recordAccountEvent(db, precondition, "account.username_changed", "user", now, payload);
}
