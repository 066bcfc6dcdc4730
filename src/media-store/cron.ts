import type { Db } from "../db/client";
import { type JobMessage, sendJobs } from "../jobs/messages";
import { SWEPT_ROOTS } from "./orphan-sweep";
import { deleteQueuedObjects, outboxSize, queuedKeys } from "./outbox";
import { stalledPrefixes } from "./prefix-jobs";

// Each deleted key may cost a Cache API purge too (bounded in purgeCachedCopies): a few small pages.
const OUTBOX_PAGE = 100;
const MAX_OUTBOX_PAGES = 5;

/**
 * The cron's share of media clean-up on one shard: deletes the outbox's queued objects (replaced
 * photos and expired archives whose delete R2 refused), and sends the queue the prefixes whose
 * emptying stalled.
 */
export async function mediaCron(env: Env, db: Db, now: Date, shard: number) {
  let deleted = 0;
  let failed = 0;
  for (let page = 0; page < MAX_OUTBOX_PAGES; page += 1) {
    const keys = await queuedKeys(db, OUTBOX_PAGE);
    if (keys.length === 0) break;
    const drained = await deleteQueuedObjects(env, db, keys);
    deleted += drained.deleted;
    failed += drained.failed;
    if (drained.failed > 0 || keys.length < OUTBOX_PAGE) break;
  }
  const prefixes = await stalledPrefixes(db, now);
  await sendJobs(
    env,
    prefixes.map((prefix): JobMessage => ({ kind: "empty-prefix", shard, prefix })),
  );
  return {
    outboxDeleted: deleted,
    outboxFailed: failed,
    outboxLeft: await outboxSize(db),
    prefixesResumed: prefixes.length,
  };
}

/** Once a run, whatever the shards: one sweep of unreferenced objects per root of the bucket. */
export async function sendMediaSweeps(env: Env, now: Date) {
  await sendJobs(
    env,
    SWEPT_ROOTS.map((root): JobMessage => ({ kind: "sweep-media", root, asOf: now.getTime() })),
  );
  return { sweepsSent: SWEPT_ROOTS.length };
}
