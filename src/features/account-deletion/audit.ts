import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type ACCOUNT_EVENT_TYPES, accountEvents, type EVENT_SOURCES, users } from "../../db/schema";
import type { ClientContext } from "../../lib/client-headers";

export type AccountEvent = (typeof ACCOUNT_EVENT_TYPES)[number];
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * One audit row for each user that `precondition` selects. Put it in the same D1 batch as the
 * transition, before it, with the transition's own precondition: both statements then see the
 * same rows, so there is an audit row exactly when the transition happened. Client facts only,
 * never personal data.
 */
export function auditTransition(
  db: Db,
  precondition: SQL | undefined,
  event: AccountEvent,
  source: EventSource,
  client: ClientContext | null,
  now: Date,
) {
  return db.insert(accountEvents).select(
    db
      .select({
        id: sql<number>`NULL`.as("id"),
        userId: users.id,
        event: sql<AccountEvent>`${event}`.as("event"),
        source: sql<EventSource>`${source}`.as("source"),
        platform: sql<string | null>`${client?.platform ?? null}`.as("platform"),
        appVersion: sql<string | null>`${client?.appVersion ?? null}`.as("app_version"),
        deviceId: sql<string | null>`${client?.deviceId ?? null}`.as("device_id"),
        createdAt: sql<number>`${now.getTime()}`.as("created_at"),
      })
      .from(users)
      .where(precondition),
  );
}
