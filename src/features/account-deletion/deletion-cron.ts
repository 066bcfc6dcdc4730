import { and, eq, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { users } from "../../db/schema";
import { errorFields, log } from "../../lib/log";
import { settings } from "../../lib/settings";
import { deleteQueuedObjects, outboxSize, queuedKeys } from "../../media-store/outbox";
import { type ErasureCronSummary, runErasureBookkeeping } from "./erasure-cron";
import { finalizeAccounts } from "./finalize";

// A Cron Trigger may run for minutes, but each D1 call and R2 call counts against the
// invocation's subrequest limit (1,000 on the paid plan): stay far below both and let the next
// run, 15 minutes later, carry on.
const RUN_BUDGET_MS = 60_000;
// Each deleted key also costs a Cache API purge, so pages stay small.
const OUTBOX_PAGE = 100;
const MAX_OUTBOX_PAGES = 5;

export type CronSummary = {
  found: number;
  finalized: number;
  failed: number;
  batches: number;
  mediaDeleted: number;
  mediaFailed: number;
  outboxLeft: number;
} & ErasureCronSummary;

async function countDue(db: Db, now: Date): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)` })
    .from(users)
    .where(and(eq(users.accountDeletionStatus, "pending"), lte(users.accountDeletionScheduledFor, now)));
  return row?.count ?? 0;
}

/**
 * Finalizes due accounts in batches (each batch one D1 call), then drains the media outbox.
 * Idempotent: a run that dies part way leaves only whole batches done, and the next run finds
 * the rest still pending or still queued.
 */
export async function runDeletionCron(env: Env, db: Db, now = new Date()): Promise<CronSummary> {
  const startedAt = Date.now();
  const withinBudget = () => Date.now() - startedAt < RUN_BUDGET_MS;
  const { ACCOUNT_DELETION_BATCH_SIZE: batchSize, ACCOUNT_DELETION_MAX_BATCHES_PER_RUN: maxBatches } =
    settings(env);
  const summary: Omit<CronSummary, keyof ErasureCronSummary> = {
    found: await countDue(db, now),
    finalized: 0,
    failed: 0,
    batches: 0,
    mediaDeleted: 0,
    mediaFailed: 0,
    outboxLeft: 0,
  };
  let failure: unknown;

  while (summary.finalized < summary.found && summary.batches < maxBatches && withinBudget()) {
    summary.batches += 1;
    const finalized = await finalizeAccounts(
      db,
      { dueBefore: now, limit: batchSize },
      "cron",
      null,
      now,
    ).catch((error: unknown) => {
      failure = error;
      return null;
    });
    if (!finalized) {
      summary.failed = Math.min(batchSize, summary.found - summary.finalized);
      break;
    }
    summary.finalized += finalized.length;
    if (finalized.length < batchSize) break;
  }

  for (let page = 0; page < MAX_OUTBOX_PAGES && withinBudget(); page += 1) {
    const keys = await queuedKeys(db, OUTBOX_PAGE);
    if (keys.length === 0) break;
    const drained = await deleteQueuedObjects(env, db, keys);
    summary.mediaDeleted += drained.deleted;
    summary.mediaFailed += drained.failed;
    if (drained.failed > 0 || keys.length < OUTBOX_PAGE) break;
  }
  summary.outboxLeft = await outboxSize(db);
  const result: CronSummary = { ...summary, ...(await runErasureBookkeeping(env, db, now, withinBudget)) };

  log(failure ? "error" : "info", "account deletion cron", {
    ...result,
    durationMs: Date.now() - startedAt,
    error: failure === undefined ? undefined : errorFields(failure).error,
  });
  // Logged with the summary first; rethrown so the platform records the run as failed.
  if (failure) throw failure;
  return result;
}
