import { inArray, type SQLWrapper } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { accountEvents, liveStreams } from "../db/schema";

/**
 * What finalization does with each column of a table that holds a user's rows: erased (to the
 * value given) or kept, with the reason it may stay. Typed per column, so a column added to the
 * table is a type error here until someone decides about it.
 */
export type ErasureDecisions<Row> = {
  [Column in keyof Row]: { readonly erased: Row[Column] } | { readonly kept: string };
};

export const accountEventsErasure = {
  id: { kept: "row number of the audit trail" },
  userId: { kept: "the tombstone's id, which the audit trail is about" },
  event: { kept: "which transition happened; describes the account, not the person" },
  source: { kept: "who started it (user, cron, admin)" },
  platform: { kept: "a client class shared by millions (web, mobile_ios…)" },
  appVersion: { kept: "a build number shared by every user of that build" },
  // A device id names a person's phone (often literally: "iPhone-of-…").
  deviceId: { erased: null },
  createdAt: { kept: "when the transition happened" },
} as const satisfies ErasureDecisions<typeof accountEvents.$inferSelect>;

export const liveStreamsErasure = {
  id: { kept: "the platform's own record that a stream took place" },
  userId: { kept: "the tombstone's id" },
  // Free text people write about themselves and where they are.
  title: { erased: null },
  startedAt: { kept: "when the stream ran; describes the platform's usage" },
  endedAt: { kept: "when the stream ended" },
} as const satisfies ErasureDecisions<typeof liveStreams.$inferSelect>;

/** The erased columns of `decisions` with their erased values: the SET of a finalization UPDATE. */
export function erasedValues<Table extends SQLiteTable>(
  _table: Table,
  decisions: ErasureDecisions<Table["$inferSelect"]>,
): Partial<Table["$inferInsert"]> {
  return Object.fromEntries(
    Object.entries(decisions).flatMap(([column, decision]) =>
      "erased" in (decision as object) ? [[column, (decision as { erased: unknown }).erased]] : [],
    ),
  ) as Partial<Table["$inferInsert"]>;
}

/**
 * The finalization UPDATEs of the tables above for the users `accountIds` selects. They go in the
 * finalization's one D1 batch, before the statement that flips the status (which `accountIds`
 * depends on).
 */
export function eraseUserRows(db: Db, accountIds: SQLWrapper) {
  return [
    db
      .update(accountEvents)
      .set(erasedValues(accountEvents, accountEventsErasure))
      .where(inArray(accountEvents.userId, accountIds)),
    db
      .update(liveStreams)
      .set(erasedValues(liveStreams, liveStreamsErasure))
      .where(inArray(liveStreams.userId, accountIds)),
  ] as const;
}
