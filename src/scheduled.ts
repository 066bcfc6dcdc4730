import { eventsCron } from "./account-events/cron";
import { createDb, type Db } from "./db/client";
import { deletionCron } from "./features/account-deletion/deletion-cron";
import { expireDataExports } from "./features/data-export/data-export.service";
import { errorFields, log } from "./lib/log";
import { shardBinding, shardIndexes } from "./lib/shards";
import { mediaCron, sendMediaSweeps } from "./media-store/cron";
import { directoryCron } from "./users/directory-cron";

type ShardJob = (env: Env, db: Db, now: Date, shard: number) => Promise<Record<string, number>>;

/**
 * What the Cron Trigger runs on every shard, each job owned by its module. Each is small: work
 * that grows with the data is sent to the jobs queue (src/queue.ts) rather than done here.
 */
const SHARD_JOBS: Record<string, ShardJob> = {
  deletions: deletionCron,
  media: mediaCron,
  accountEvents: eventsCron,
  dataExports: expireDataExports,
};

/** What runs once a run, whatever the shards: the R2 bucket and the directory are one for all. */
const ONCE_JOBS: Record<string, (env: Env, now: Date) => Promise<Record<string, number>>> = {
  mediaSweep: sendMediaSweeps,
  directory: directoryCron,
};

/** Runs one job, and logs one line: its summary, or its error. */
async function logged(
  job: string,
  where: Record<string, number>,
  run: () => Promise<Record<string, number>>,
) {
  const startedAt = Date.now();
  const summary = await run().catch((error: unknown) => {
    log("error", "cron job failed", { job, ...where, ...errorFields(error) });
    throw error;
  });
  log("info", "cron job", { job, ...where, ...summary, durationMs: Date.now() - startedAt });
}

/**
 * The Cron Trigger's entry. Shards are worked on side by side (each is its own D1 database, so
 * one more shard does not make a run longer), and jobs are independent: one failing does not stop
 * the others, and the run fails if any did.
 */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = new Date(controller.scheduledTime);
  const outcomes = await Promise.allSettled([
    ...shardIndexes(env).flatMap((shard) => {
      const db = createDb(shardBinding(env, shard));
      return Object.entries(SHARD_JOBS).map(([job, run]) =>
        logged(job, { shard }, () => run(env, db, now, shard)),
      );
    }),
    ...Object.entries(ONCE_JOBS).map(([job, run]) => logged(job, {}, () => run(env, now))),
  ]);
  for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
}
