import { inArray, type SQLWrapper } from "drizzle-orm";
import type { Db } from "../db/client";
import { type accountEventOutbox, accountEvents, liveStreams } from "../db/schema";

/**
 * What finalizing an account does to each column of a row about that person: erased (set to the
 * value given), or kept, with the reason it may outlive the account. Typed per column, so a
 * column added to a table is a type error here until someone decides about it.
 */
type ColumnDecision<T> = { erase: T } | { keep: string };
export type ColumnPlan<Row> = { [Column in keyof Row]-?: ColumnDecision<Row[Column]> };

export const ERASURE = {
  liveStreams: {
    id: { keep: "the platform's record that a stream took place" },
    userId: { keep: "the tombstone's id, not a person's data" },
    // Free text people write about themselves and where they are.
    title: { erase: null },
    startedAt: { keep: "the platform's record of a stream" },
    endedAt: { keep: "the platform's record of a stream" },
  },
  accountEvents: {
    id: { keep: "the audit trail's own sequence" },
    userId: { keep: "the audit trail says whose account changed, by id" },
    event: { keep: "which transition happened; describes the account, not the person" },
    source: { keep: "who started it (user, cron, admin)" },
    platform: { keep: "a client kind (web, mobile_ios…), which identifies nobody" },
    appVersion: { keep: "a version number shared by every user of that build" },
    // A device id names a person's phone (often literally: "iPhone-of-…").
    deviceId: { erase: null },
    createdAt: { keep: "when the transition happened" },
  },
  // Finalization erases nothing here: each event must still reach the other services (at least
  // once), and the sender drops the usernames as soon as the queue accepted the event.
  accountEventOutbox: {
    eventId: { keep: "an id for de-duplication" },
    userId: { keep: "the tombstone's id: whose account changed" },
    sequence: { keep: "numbers the user's events; the next one continues from it" },
    type: { keep: "which transition happened" },
    source: { keep: "who started it (user, cron, admin)" },
    occurredAt: { keep: "when the transition happened" },
    payload: { keep: "old and new username until the queue accepted the event; then cleared by the sender" },
    sentAt: { keep: "delivery state" },
    attempts: { keep: "delivery state" },
  },
} satisfies {
  liveStreams: ColumnPlan<typeof liveStreams.$inferSelect>;
  accountEvents: ColumnPlan<typeof accountEvents.$inferSelect>;
  accountEventOutbox: ColumnPlan<typeof accountEventOutbox.$inferSelect>;
};

type ErasedColumns<Plan> = {
  [Column in keyof Plan as Plan[Column] extends { erase: unknown } ? Column : never]: Plan[Column] extends {
    erase: infer Value;
  }
    ? Value
    : never;
};

/** The erased values of a table's plan: the SET of the UPDATE that finalizes its rows. */
export function erasedValues<Plan extends Record<string, ColumnDecision<unknown>>>(
  plan: Plan,
): ErasedColumns<Plan> {
  const values: Record<string, unknown> = {};
  for (const [column, decision] of Object.entries(plan)) {
    if ("erase" in decision) values[column] = structuredClone(decision.erase);
  }
  return values as ErasedColumns<Plan>;
}

/**
 * The finalization UPDATEs of the user's rows in other tables, for the users `accountIds`
 * selects. They go in the finalization's one D1 batch, before the statement that flips the
 * status (which `accountIds` depends on).
 */
export function eraseUserRows(db: Db, accountIds: SQLWrapper) {
  return [
    db
      .update(accountEvents)
      .set(erasedValues(ERASURE.accountEvents))
      .where(inArray(accountEvents.userId, accountIds)),
    db
      .update(liveStreams)
      .set(erasedValues(ERASURE.liveStreams))
      .where(inArray(liveStreams.userId, accountIds)),
  ] as const;
}
