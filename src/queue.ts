import { createDb, type Db } from "./db/client";
import { finalizeDueAccount } from "./features/account-deletion/finalize";
import { buildExport, markExportFailed } from "./features/data-export/data-export.archive";
import { drainAccount, MESSAGE_DRAIN_BUDGET } from "./jobs/account-drain";
import { type Job, type JobKind, type JobMessage, jobFields, sendJobs } from "./jobs/messages";
import { errorFields, log } from "./lib/log";
import { shardBinding, shardDbOf, shardOf } from "./lib/shards";
import { SWEPT_ROOTS, type SweptRoot, sweepUnreferenced } from "./media-store/orphan-sweep";
import { emptyPrefixJob } from "./media-store/prefix-jobs";
import { directoryOf, releaseAccount } from "./users/directory";

// Pages of the bucket one sweep message walks.
const SWEEP_PAGES = 3;

type JobHandlers = { [Kind in JobKind]: (env: Env, db: Db, job: Job<Kind>) => Promise<unknown> };

/** Each kind of job, run by the module that owns it. */
const HANDLERS: JobHandlers = {
  "finalize-account": (env, db, job) => finalizeDueAccount(env, db, job.userId, MESSAGE_DRAIN_BUDGET),
  "drain-account": (env, db, job) =>
    drainAccount(env, db, drainShard(env, job), job.userId, job.step, MESSAGE_DRAIN_BUDGET),
  "release-account": (env, _db, job) => releaseAccount(directoryOf(env), job.userId, new Date()),
  "empty-prefix": async (env, db, job) => {
    const { cursor } = await emptyPrefixJob(env, db, job.prefix, job.cursor);
    if (cursor) await sendJobs(env, [{ ...job, cursor }]);
  },
  "sweep-media": (env, db, job) =>
    SWEPT_ROOTS.includes(job.root as SweptRoot)
      ? sweepUnreferenced(env, db, job.root as SweptRoot, new Date(job.asOf), SWEEP_PAGES)
      : Promise.resolve(),
  "build-export": (env, db, job) => buildExport(env, db, job),
};

/** What a job does once the dead-letter queue has it: most need nothing but the log line. */
const ON_DEAD_LETTER: { [Kind in JobKind]?: (env: Env, db: Db, job: Job<Kind>) => Promise<unknown> } = {
  // The person sees "failed" at once, and may ask again.
  "build-export": (_env, db, job) => markExportFailed(db, job.exportId),
};

/** Seconds before a failed message's next attempt: 10, 20, 40… up to 5 minutes. */
export const retryDelay = (attempts: number) => Math.min(300, 10 * 2 ** Math.max(0, attempts - 1));

/** The shard a drain works on: the one it names, else its account's own. */
const drainShard = (env: Env, job: Job<"drain-account">) => job.shard ?? shardOf(env, job.userId);

/**
 * The database a job works on: a drain's shard; its user's shard; a prefix job's own shard; for
 * the sweep, the first shard, which keeps the sweep's place in the bucket (shared by every shard).
 */
function dbOf(env: Env, job: JobMessage): Db {
  if (job.kind === "drain-account") return createDb(shardBinding(env, drainShard(env, job)));
  if ("userId" in job) return shardDbOf(env, job.userId);
  return createDb(shardBinding(env, job.kind === "empty-prefix" ? job.shard : 0));
}

function run<Kind extends JobKind>(env: Env, job: Job<Kind>) {
  const handler = HANDLERS[job.kind] as (env: Env, db: Db, job: Job<Kind>) => Promise<unknown>;
  return handler(env, dbOf(env, job), job);
}

/**
 * The jobs queue's consumer: one message at a time (D1 runs one query at a time anyway), each
 * acknowledged on success or retried alone with backoff; after `max_retries` the platform moves it
 * to the dead-letter queue.
 */
export async function runJobs(batch: MessageBatch<JobMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    await run(env, message.body).then(
      () => message.ack(),
      (error: unknown) => {
        log("warn", "job failed; retried", {
          ...jobFields(message.body),
          attempts: message.attempts,
          error: errorFields(error).error,
        });
        message.retry({ delaySeconds: retryDelay(message.attempts) });
      },
    );
  }
}

/** The dead-letter queue's consumer: logs each job set aside, and tells its owner. */
export async function runDeadLetters(batch: MessageBatch<JobMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const job = message.body;
    log("error", "job dead-lettered", { ...jobFields(job), attempts: message.attempts });
    const handler = ON_DEAD_LETTER[job.kind] as
      | ((env: Env, db: Db, job: JobMessage) => Promise<unknown>)
      | undefined;
    await handler?.(env, dbOf(env, job), job);
    message.ack();
  }
}

export const DEAD_LETTER_QUEUE = "profile-api-jobs-dead";
