import { and, eq, exists, inArray, isNotNull, notExists, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import {
  accountCleanupJobs,
  accountEventOutbox,
  accountEvents,
  CLEANUP_STEPS,
  follows,
  liveStreams,
} from "../db/schema";
import { ERASURE, erasedValues } from "./erasure";

/**
 * The part of an account's erasure whose size grows with the account: rows about the person in
 * other tables (free text, device ids, queued usernames) and the follow edges both ways. They are
 * removed in chunks of a bounded number of rows, so no D1 batch holds the single writer for long
 * whatever the account's size. Every statement only touches an account whose clean-up job row
 * exists (the finalization batch writes it), and is idempotent: a chunk run twice, or after the
 * job is done, changes nothing.
 */
export type CleanupStep = (typeof CLEANUP_STEPS)[number];

/** Only a user the finalization batch handed over (its job row exists) is ever drained. */
const isDraining = (db: Db, userId: string) =>
  exists(db.select({ one: sql`1` }).from(accountCleanupJobs).where(eq(accountCleanupJobs.userId, userId)));

type Statement = BatchItem<"sqlite">;
type Step = {
  /** A subquery that finds a row this step has left. */
  left: (db: Db, userId: string) => SQLWrapper;
  /** One chunk's statements, each taking `limit` units at most. */
  chunk: (db: Db, userId: string, limit: number) => Statement[];
  /** D1 rows written per unit. */
  rowsPerUnit: number;
};

type Erasable = typeof liveStreams | typeof accountEvents | typeof accountEventOutbox;

/** A text step: one table's personal column, erased `limit` rows at a time. */
function textStep<Table extends Erasable>(
  table: Table,
  column: Table["userId"],
  personal: SQL,
  values: object,
): Step {
  const left = (userId: string) => and(eq(column, userId), personal) as SQL;
  return {
    left: (db: Db, userId: string) => db.select({ one: sql`1` }).from(table).where(left(userId)),
    // D1's SQLite has no UPDATE … LIMIT: the rows are picked by rowid.
    chunk: (db: Db, userId: string, limit: number) => [
      db
        .update(table)
        .set(values)
        .where(
          and(
            inArray(
              sql`rowid`,
              db.select({ rowid: sql`rowid` }).from(table).where(left(userId)).limit(limit),
            ),
            isDraining(db, userId),
          ),
        ),
    ],
    rowsPerUnit: 1,
  };
}

// The account's own counters row goes in the finalization batch, so deleting an edge writes two
// rows: the edge, and the other user's counter (the counter triggers, migrations 0001 and 0002).
const ROWS_PER_EDGE = 2;

/** One direction of the follow edges: the account's followers, or the accounts it follows. */
function edges(userId: string, direction: "followers" | "following") {
  const [own, other] =
    direction === "followers"
      ? [follows.followeeId, follows.followerId]
      : [follows.followerId, follows.followeeId];
  return { own: eq(own, userId), other };
}

/** The follow edges of one direction, `limit` at a time. */
function edgeStep(direction: "followers" | "following"): Step {
  return {
    left: (db, userId) => db.select({ one: sql`1` }).from(follows).where(edges(userId, direction).own),
    chunk: (db, userId, limit) => {
      const { own, other } = edges(userId, direction);
      const picked = db.select({ id: other }).from(follows).where(own).limit(limit);
      return [db.delete(follows).where(and(own, inArray(other, picked), isDraining(db, userId)))];
    },
    rowsPerUnit: ROWS_PER_EDGE,
  };
}

const STEPS = {
  streamTitles: textStep(
    liveStreams,
    liveStreams.userId,
    isNotNull(liveStreams.title),
    erasedValues(ERASURE.liveStreams),
  ),
  deviceIds: textStep(
    accountEvents,
    accountEvents.userId,
    isNotNull(accountEvents.deviceId),
    erasedValues(ERASURE.accountEvents),
  ),
  eventPayloads: textStep(
    accountEventOutbox,
    accountEventOutbox.userId,
    isNotNull(accountEventOutbox.payload),
    erasedValues(ERASURE.accountEventOutbox),
  ),
  following: edgeStep("following"),
  followers: edgeStep("followers"),
} satisfies Record<CleanupStep, Step>;

/**
 * The job row goes, in the same transaction, once none of `steps` leaves a row: the drain is
 * done exactly when its last chunk committed.
 */
function finishIfEmpty(db: Db, userId: string, steps: readonly CleanupStep[]) {
  return db
    .delete(accountCleanupJobs)
    .where(
      and(
        eq(accountCleanupJobs.userId, userId),
        ...steps.map((step) => notExists(STEPS[step].left(db, userId))),
      ),
    );
}

function touchJob(db: Db, userId: string, step: CleanupStep, now: Date) {
  return db
    .update(accountCleanupJobs)
    .set({ step, updatedAt: now })
    .where(eq(accountCleanupJobs.userId, userId));
}

const changesOf = (result: unknown) => (result as { meta: { changes: number } }).meta.changes;

/** Units (rows or edges each way) one chunk of `step` may take within `rows` rows written. */
const unitsWithin = (step: CleanupStep, rows: number) =>
  Math.max(1, Math.floor(rows / STEPS[step].rowsPerUnit));

/**
 * The first chunk of every step, for the finalization batch itself, after the statement that
 * writes the job row: `chunkRows` rows written at most in all, which is the whole drain for any
 * ordinary account. Read the outcome of the batch's results for these statements with
 * `afterFirstChunks`.
 */
export function firstChunks(db: Db, userId: string, chunkRows: number): Statement[] {
  const share = Math.floor(chunkRows / CLEANUP_STEPS.length);
  return [
    ...CLEANUP_STEPS.flatMap((step) => STEPS[step].chunk(db, userId, unitsWithin(step, share))),
    finishIfEmpty(db, userId, CLEANUP_STEPS),
  ];
}

/** Where the drain goes on after the finalization batch: "done", or the first step with rows left. */
export function afterFirstChunks(results: readonly unknown[], chunkRows: number): CleanupStep | "done" {
  if (changesOf(results.at(-1)) > 0) return "done";
  const share = Math.floor(chunkRows / CLEANUP_STEPS.length);
  // Each step's first chunk is one statement, in CLEANUP_STEPS order.
  const full = CLEANUP_STEPS.find((step, index) => changesOf(results[index]) >= unitsWithin(step, share));
  // None came back full, yet the job is not done: a row arrived meanwhile; go over every step again.
  return full ?? CLEANUP_STEPS[0];
}

/**
 * Runs one chunk of `step` for a finalized account, as one D1 batch of at most `chunkRows` rows
 * written. Says which step comes next, or "done" once nothing is left (the job row is gone).
 */
export async function drainChunk(
  db: Db,
  userId: string,
  step: CleanupStep,
  chunkRows: number,
  now: Date,
): Promise<CleanupStep | "done"> {
  // Less the job row's own write.
  const units = unitsWithin(step, chunkRows - 1);
  const chunk = STEPS[step].chunk(db, userId, units);
  const last = step === CLEANUP_STEPS.at(-1);
  const results = await db.batch([
    touchJob(db, userId, step, now),
    ...chunk,
    ...(last ? [finishIfEmpty(db, userId, [step])] : []),
  ]);
  // No job row to touch: an earlier delivery of this message finished it.
  if (changesOf(results[0]) === 0) return "done";
  if (last) return changesOf(results.at(-1)) > 0 ? "done" : step;
  const full = chunk.some((_, index) => changesOf(results[index + 1]) >= units);
  return full ? step : (CLEANUP_STEPS[CLEANUP_STEPS.indexOf(step) + 1] ?? step);
}
