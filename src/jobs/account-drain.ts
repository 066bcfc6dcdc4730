import { createDb, type Db } from "../db/client";
import { settings } from "../lib/settings";
import { shardBinding, shardOf } from "../lib/shards";
import { type DrainPoint, drainChunk, finishHandOff, otherShardJob } from "../users/erasure-chunks";
import { otherShardsOf } from "../users/follows";
import { type JobMessage, sendJobs } from "./messages";

export type DrainBudget = { chunks: number; ms: number };

/** What one queue message may spend: each chunk is its own short transaction. */
export const MESSAGE_DRAIN_BUDGET: DrainBudget = { chunks: 50, ms: 10_000 };

// Workers allow six simultaneous connections an invocation.
const SHARDS_AT_ONCE = 6;

/**
 * Removes a finalized account's remaining rows on `shard` chunk by chunk, from `from` on, within
 * `budget`; what is left goes back to the queue as the next message. Each chunk is one D1 batch of
 * at most FINALIZE_CHUNK_ROWS rows written, so other writes get the database between chunks. On
 * the account's own shard, once its rows are gone, the other halves of its follow edges are handed
 * to the shards that hold them. `done` says whether nothing of the account is left to remove
 * anywhere.
 */
export async function drainAccount(
  env: Env,
  db: Db,
  shard: number,
  userId: string,
  from: DrainPoint,
  budget: DrainBudget,
): Promise<{ done: boolean; chunks: number }> {
  const chunkRows = settings(env).FINALIZE_CHUNK_ROWS;
  const others = shard === shardOf(env, userId) ? otherShardsOf(env, userId) : [];
  const startedAt = Date.now();
  let point: DrainPoint | "done" = from;
  let chunks = 0;
  while (point !== "done" && point !== "otherShards") {
    if (chunks >= budget.chunks || Date.now() - startedAt >= budget.ms) {
      await sendJobs(env, [{ kind: "drain-account", userId, step: point, shard }]);
      return { done: false, chunks };
    }
    point = await drainChunk(db, userId, point, chunkRows, new Date(), others.length > 0);
    chunks += 1;
  }
  if (point === "done") return { done: true, chunks };
  const queued = await handOffToOtherShards(env, db, userId, others, new Date());
  return { done: queued === 0, chunks };
}

/**
 * Gives every shard in `shards` that holds a half of the account's edges its own clean-up job (the
 * job row there, the guard and stall marker its cron resumes, and a `drain-account` message for
 * that shard), then deletes the own shard's job row. A shard that fails does not hold back the
 * others' messages; the own job row then stays, and the hand-off is done again (by the queue's
 * retry or the cron), which changes nothing already done. Says how many shards have edges to
 * remove.
 */
async function handOffToOtherShards(
  env: Env,
  db: Db,
  userId: string,
  shards: readonly number[],
  now: Date,
): Promise<number> {
  const jobs: JobMessage[] = [];
  const failures: unknown[] = [];
  for (let start = 0; start < shards.length; start += SHARDS_AT_ONCE) {
    const outcomes = await Promise.allSettled(
      shards.slice(start, start + SHARDS_AT_ONCE).map(async (shard) => {
        const other = createDb(shardBinding(env, shard));
        const [, [job]] = await other.batch(otherShardJob(other, userId, now));
        if (job) jobs.push({ kind: "drain-account", userId, step: job.step, shard });
      }),
    );
    for (const outcome of outcomes) if (outcome.status === "rejected") failures.push(outcome.reason);
  }
  await sendJobs(env, jobs);
  if (failures.length > 0) throw failures[0];
  await finishHandOff(db, userId);
  return jobs.length;
}
