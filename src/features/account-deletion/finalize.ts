import { and, eq, inArray, lte, type SQL, sql } from "drizzle-orm";
import { recordAccountEvent } from "../../account-events/outbox";
import { publishAccountEvents } from "../../account-events/publish";
import type { Db } from "../../db/client";
import { accountCleanupJobs, dataExports, userCounters, users } from "../../db/schema";
import { type DrainBudget, drainAccount } from "../../jobs/account-drain";
import type { AfterResponse } from "../../lib/after-response";
import type { ClientContext } from "../../lib/client-headers";
import { errorFields, log } from "../../lib/log";
import { settings } from "../../lib/settings";
import { shardOf } from "../../lib/shards";
import { deleteQueuedObjects, queuedKeys } from "../../media-store/outbox";
import { emptyUserPrefixes, queueUserPrefixes } from "../../media-store/prefix-jobs";
import { directoryOf, releaseAccount } from "../../users/directory";
import { ERASURE, erasedValues } from "../../users/erasure";
import { afterFirstChunks, type CleanupStep, type DrainPoint, firstChunks } from "../../users/erasure-chunks";
import { otherShardsOf } from "../../users/follows";
import { auditTransition, type EventSource } from "./audit";

/** The finalized row: every personal column erased (src/users/erasure.ts), the tombstone's state set. */
function finalizedUser(now: Date) {
  return {
    ...erasedValues(ERASURE.users),
    accountDeletionStatus: "finalized" as const,
    accountDeletionFinalizedAt: now,
    deletedAt: now,
    updatedAt: now,
  };
}

/** Hands the finalized account to the chunked drain: its job row, in the finalization batch. */
function startCleanupJob(db: Db, targeted: SQL, now: Date) {
  return db
    .insert(accountCleanupJobs)
    .select(
      db
        .select({
          userId: users.id,
          step: sql<CleanupStep>`'streamTitles'`.as("step"),
          enqueuedAt: sql<number>`${now.getTime()}`.as("enqueued_at"),
          updatedAt: sql<number>`${now.getTime()}`.as("updated_at"),
        })
        .from(users)
        .where(targeted),
    )
    .onConflictDoNothing();
}

export type FinalizeOptions = {
  source: EventSource;
  client: ClientContext | null;
  now: Date;
  /** Only if the grace period has passed by then (the cron's finalizations). */
  dueBefore?: Date;
  chunkRows: number;
  /**
   * Whether other shards may hold halves of the account's follow edges (`otherShardsOf`): then the
   * job row stays after the account's own rows are gone, until the drain has handed them over.
   */
  otherShards: boolean;
};

/**
 * Finalizes one account, if it is still pending, in ONE D1 batch (one transaction) whose size
 * does not depend on the account's followers, streams or events: it erases the person (the user
 * row's columns, holds, exports, counters, and a first bounded chunk of the stream titles, device
 * ids, queued usernames and follow edges: all of them for any ordinary account), audits, records
 * the event, queues the R2 prefixes and hands whatever is left to the chunked drain. The last
 * statement flips the status: every statement sees the same pending row, so a cancelled account
 * is never touched and a second run finds nothing to do. Returns where the drain starts, or null
 * when the account was not finalized now.
 */
export async function finalizeAccount(
  db: Db,
  userId: string,
  { source, client, now, dueBefore, chunkRows, otherShards }: FinalizeOptions,
): Promise<{ drainFrom: DrainPoint | "done" } | null> {
  const targeted = and(
    eq(users.id, userId),
    eq(users.accountDeletionStatus, "pending"),
    dueBefore ? lte(users.accountDeletionScheduledFor, dueBefore) : undefined,
  ) as SQL;
  const accountIds = db.select({ id: users.id }).from(users).where(targeted);
  const fixed = [
    // Every object under the account's prefixes, whether or not a row knows its key.
    queueUserPrefixes(db, targeted, now),
    // Before the first chunks, which only touch an account whose job row exists.
    startCleanupJob(db, targeted, now),
    // Before the edges go, so their deletions do not write the account's own counts.
    db.delete(userCounters).where(inArray(userCounters.userId, accountIds)),
    auditTransition(db, targeted, "deletion_finalized", source, client, now),
    recordAccountEvent(db, targeted, "account.finalized", source, now),
    // Pending data exports go with the account; their archives are under the user's R2 prefix.
    db.delete(dataExports).where(inArray(dataExports.userId, accountIds)),
  ] as const;
  // After the audit insert and the event, so the finalization's own rows are erased too.
  const chunks = firstChunks(db, userId, chunkRows, otherShards);
  const results = await db.batch([
    ...fixed,
    ...chunks,
    db.update(users).set(finalizedUser(now)).where(targeted).returning({ id: users.id }),
  ]);
  const finalized = results.at(-1) as { id: string }[];
  if (finalized.length === 0) return null;
  return {
    drainFrom: afterFirstChunks(
      results.slice(fixed.length, fixed.length + chunks.length),
      chunkRows,
      otherShards,
    ),
  };
}

/**
 * Deletes a finalized account's objects from R2 now: its prefixes, listed and deleted straight
 * from R2. Tells whether R2 refused any (they stay queued for the cron). The bookkeeping (the
 * prefix jobs, any outbox key of the account) is `afterResponse`'s, so the request itself makes no
 * more D1 round trips than its finalization.
 */
export async function deleteAccountMedia(
  env: Env,
  db: Db,
  userId: string,
  afterResponse: AfterResponse,
): Promise<{ queued: boolean }> {
  const { refused, record } = await emptyUserPrefixes(env, db, userId);
  afterResponse(() =>
    record()
      .then(async () => deleteQueuedObjects(env, db, await queuedKeys(db, 1000, userId)))
      .catch((error: unknown) => {
        log("warn", "finalized account's outbox keys left to the cron", { error: errorFields(error).error });
      }),
  );
  return { queued: refused };
}

/**
 * After the finalization batch committed: drains the account's rows within `budget` (the rest is
 * queued), and hands the other halves of its follow edges to their shards once its own are gone
 * (whatever the budget: one small batch a shard, side by side, so `done` is the truth). A failure
 * here is logged, never the caller's: the job row stays, and the cron resumes a drain that stalls.
 */
export async function startDrain(
  env: Env,
  db: Db,
  userId: string,
  from: DrainPoint | "done",
  budget: DrainBudget,
): Promise<{ done: boolean }> {
  if (from === "done") return { done: true };
  return drainAccount(env, db, shardOf(env, userId), userId, from, budget).catch((error: unknown) => {
    log("warn", "finalized account's drain left to the queue and the cron", {
      userId,
      error: errorFields(error).error,
    });
    return { done: false };
  });
}

/**
 * The queued finalization of one due account (a `finalize-account` message): the batch, its
 * event, the drain, and the account's R2 prefixes. Nothing to do when the account is no longer
 * pending and due (cancelled, or finalized by an earlier delivery).
 */
export async function finalizeDueAccount(
  env: Env,
  db: Db,
  userId: string,
  budget: DrainBudget,
): Promise<void> {
  const now = new Date();
  const outcome = await finalizeAccount(db, userId, {
    source: "cron",
    client: null,
    now,
    dueBefore: now,
    chunkRows: settings(env).FINALIZE_CHUNK_ROWS,
    otherShards: otherShardsOf(env, userId).length > 0,
  });
  if (!outcome) {
    // Finalized by an earlier delivery that may have stopped before the directory: release again.
    if (await isFinalized(db, userId)) await releaseAccount(directoryOf(env), userId, now);
    return;
  }
  await releaseAccount(directoryOf(env), userId, now);
  await publishAccountEvents(env, db, { userId });
  await startDrain(env, db, userId, outcome.drainFrom, budget);
  const { record } = await emptyUserPrefixes(env, db, userId);
  await record();
}

async function isFinalized(db: Db, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ status: users.accountDeletionStatus })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row?.status === "finalized";
}
