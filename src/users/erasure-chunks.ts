import {
  and,
  eq,
  exists,
  inArray,
  isNotNull,
  notExists,
  or,
  type SQL,
  type SQLWrapper,
  sql,
} from "drizzle-orm";
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
 * exists on that shard (the finalization batch writes it on the account's own shard, the hand-off
 * on each other shard that holds halves of its edges), and is idempotent: a chunk run twice, or
 * after the job is done, changes nothing.
 */
export type CleanupStep = (typeof CLEANUP_STEPS)[number];

/**
 * Where a drain goes on: a step on this shard, or, on the account's own shard once its rows are
 * gone, "otherShards": handing the other halves of its follow edges to the shards that hold them
 * (src/jobs/account-drain.ts). Until then the own shard's job row stays, so a lost hand-off is
 * resumed like a stalled chunk.
 */
export type DrainPoint = CleanupStep | "otherShards";

const LAST_STEP = CLEANUP_STEPS[CLEANUP_STEPS.length - 1] as CleanupStep;
const FIRST_EDGE_STEP: CleanupStep = "following";

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
 * done exactly when its last chunk committed. With `handOff` (the account's own shard, when other
 * shards may hold halves of its edges) the row stays, at the last step, for the hand-off.
 */
function finishIfEmpty(db: Db, userId: string, steps: readonly CleanupStep[], handOff: boolean) {
  const empty = and(
    eq(accountCleanupJobs.userId, userId),
    ...steps.map((step) => notExists(STEPS[step].left(db, userId))),
  );
  return handOff
    ? db.update(accountCleanupJobs).set({ step: LAST_STEP }).where(empty)
    : db.delete(accountCleanupJobs).where(empty);
}

/** What a finished shard's drain comes to: the hand-off on the own shard, else done. */
const finished = (handOff: boolean) => (handOff ? "otherShards" : "done");

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
export function firstChunks(db: Db, userId: string, chunkRows: number, handOff: boolean): Statement[] {
  const share = Math.floor(chunkRows / CLEANUP_STEPS.length);
  return [
    ...CLEANUP_STEPS.flatMap((step) => STEPS[step].chunk(db, userId, unitsWithin(step, share))),
    finishIfEmpty(db, userId, CLEANUP_STEPS, handOff),
  ];
}

/**
 * Where the drain goes on after the finalization batch: "done", the hand-off to the other shards,
 * or the first step with rows left.
 */
export function afterFirstChunks(
  results: readonly unknown[],
  chunkRows: number,
  handOff: boolean,
): DrainPoint | "done" {
  if (changesOf(results.at(-1)) > 0) return finished(handOff);
  const share = Math.floor(chunkRows / CLEANUP_STEPS.length);
  // Each step's first chunk is one statement, in CLEANUP_STEPS order.
  const full = CLEANUP_STEPS.find((step, index) => changesOf(results[index]) >= unitsWithin(step, share));
  // None came back full, yet the job is not done: a row arrived meanwhile; go over every step again.
  return full ?? CLEANUP_STEPS[0];
}

/**
 * Runs one chunk of `step` for a finalized account, as one D1 batch of at most `chunkRows` rows
 * written. Says which step comes next, or "done" once nothing is left (the job row is gone); with
 * `handOff`, "otherShards" once nothing is left here (the job row stays for the hand-off).
 */
export async function drainChunk(
  db: Db,
  userId: string,
  step: CleanupStep,
  chunkRows: number,
  now: Date,
  handOff: boolean,
): Promise<DrainPoint | "done"> {
  // Less the job row's own write.
  const units = unitsWithin(step, chunkRows - 1);
  const chunk = STEPS[step].chunk(db, userId, units);
  const last = step === CLEANUP_STEPS.at(-1);
  const results = await db.batch([
    touchJob(db, userId, step, now),
    ...chunk,
    ...(last ? [finishIfEmpty(db, userId, [step], handOff)] : []),
  ]);
  // No job row to touch: an earlier delivery of this message finished it.
  if (changesOf(results[0]) === 0) return "done";
  if (last) return changesOf(results.at(-1)) > 0 ? finished(handOff) : step;
  const full = chunk.some((_, index) => changesOf(results[index + 1]) >= units);
  return full ? step : (CLEANUP_STEPS[CLEANUP_STEPS.indexOf(step) + 1] ?? step);
}

/**
 * On a shard other than the account's own: the clean-up job row, written only if this shard holds
 * a half of one of the account's edges (INSERT OR IGNORE: a replay, or a drain already running,
 * keeps the row it finds), then the row as it stands. Its drain starts at the edges: the account's
 * other rows are on its own shard only. One row written at most.
 */
export function otherShardJob(db: Db, userId: string, now: Date) {
  const edge = db
    .select({
      userId: sql<string>`${userId}`.as("user_id"),
      step: sql<CleanupStep>`${FIRST_EDGE_STEP}`.as("step"),
      enqueuedAt: sql<number>`${now.getTime()}`.as("enqueued_at"),
      updatedAt: sql<number>`${now.getTime()}`.as("updated_at"),
    })
    .from(follows)
    .where(or(eq(follows.followerId, userId), eq(follows.followeeId, userId)))
    .limit(1);
  return [
    db.insert(accountCleanupJobs).select(edge).onConflictDoNothing(),
    db
      .select({ step: accountCleanupJobs.step })
      .from(accountCleanupJobs)
      .where(eq(accountCleanupJobs.userId, userId)),
  ] as const;
}

/** The own shard's job row goes once every other shard has its job (the hand-off is done). */
export const finishHandOff = (db: Db, userId: string) =>
  db.delete(accountCleanupJobs).where(eq(accountCleanupJobs.userId, userId));
