import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Context } from "hono";
import type { Db } from "../db/client";
import { accountEventOutbox } from "../db/schema";
import { afterResponseOf } from "../lib/after-response";
import type { ApiEnv } from "../lib/app-env";
import { errorFields, log } from "../lib/log";
import type { AccountEventMessage } from "./account-events.schema";

// Queues take at most 100 messages (and 256 KB) a sendBatch.
const SEND_BATCH_LIMIT = 100;

type OutboxRow = typeof accountEventOutbox.$inferSelect;

function messageOf(row: OutboxRow): AccountEventMessage {
  const fields = {
    eventId: row.eventId,
    userId: row.userId,
    sequence: row.sequence,
    occurredAt: row.occurredAt.toISOString(),
    source: row.source,
  };
  if (row.type !== "account.username_changed") return { type: row.type, ...fields };
  return {
    type: row.type,
    ...fields,
    oldUsername: row.payload?.oldUsername ?? null,
    // Both null once EVENT_PII_MAX_HOURS passed unsent (eraseStaleEventUsernames).
    newUsername: row.payload?.newUsername ?? null,
  };
}

export type PublishResult = { sent: number; failed: number };

/**
 * Sends unsent outbox events (one user's, or the oldest of all) to the ACCOUNT_EVENTS queue and
 * marks them sent, clearing their payload. Never rejects: a failure is logged and the events
 * stay unsent for the cron, so delivery is at least once (consumers de-duplicate on eventId).
 */
export async function publishAccountEvents(
  env: Env,
  db: Db,
  scope: { userId?: string; limit?: number } = {},
): Promise<PublishResult> {
  const result: PublishResult = { sent: 0, failed: 0 };
  const rows = await db
    .select()
    .from(accountEventOutbox)
    .where(
      and(
        isNull(accountEventOutbox.sentAt),
        scope.userId ? eq(accountEventOutbox.userId, scope.userId) : undefined,
      ),
    )
    .orderBy(asc(accountEventOutbox.occurredAt), asc(accountEventOutbox.sequence))
    .limit(Math.min(scope.limit ?? SEND_BATCH_LIMIT, SEND_BATCH_LIMIT))
    .catch((error: unknown) => {
      log("warn", "account events not read; left for the cron", { error: errorFields(error).error });
      return [];
    });
  if (rows.length === 0) return result;
  // One bound JSON array, not one parameter per id (D1 binds at most 100 a statement).
  const sentRows = sql`${accountEventOutbox.eventId} IN (SELECT value FROM json_each(${JSON.stringify(
    rows.map((row) => row.eventId),
  )}))`;
  // Through a promise chain, so a binding that throws synchronously counts as a failed send too.
  const sent = await Promise.resolve(
    rows.map((row) => ({ body: messageOf(row), contentType: "json" as const })),
  )
    .then((messages) => env.ACCOUNT_EVENTS.sendBatch(messages))
    .then(
      () => true,
      (error: unknown) => {
        log("warn", "account events not sent; left for the cron", {
          events: rows.length,
          error: errorFields(error).error,
        });
        return false;
      },
    );
  const marked = sent
    ? db.update(accountEventOutbox).set({ sentAt: new Date(), payload: null }).where(sentRows)
    : db
        .update(accountEventOutbox)
        .set({ attempts: sql`${accountEventOutbox.attempts} + 1` })
        .where(sentRows);
  await marked.catch((error: unknown) => {
    // Sent but not marked: the cron sends them again, and consumers drop the duplicates.
    log("warn", "account events outbox not updated", {
      events: rows.length,
      error: errorFields(error).error,
    });
  });
  if (sent) result.sent = rows.length;
  else result.failed = rows.length;
  return result;
}

/** How many events wait to be sent. */
export async function unsentEventCount(db: Db): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)` })
    .from(accountEventOutbox)
    .where(isNull(accountEventOutbox.sentAt));
  return row?.count ?? 0;
}

/** After a transition committed: sends the user's events once the response is out. */
export function publishAfterResponse<E extends ApiEnv>(c: Context<E>, userId: string): void {
  const db = c.get("db");
  afterResponseOf(c.executionCtx)(() => publishAccountEvents(c.env, db, { userId }));
}
