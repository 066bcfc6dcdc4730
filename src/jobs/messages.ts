import type { DrainPoint } from "../users/erasure-chunks";

/**
 * The background work of the service, one Queue message per unit (src/queue.ts runs them): a
 * failure retries that unit alone, with backoff, and after `max_retries` it goes to the dead-letter
 * queue (wrangler.toml). Every job is idempotent, since a message may arrive more than once.
 * Messages carry ids and storage keys only, never personal data.
 */
export type JobMessage =
  /** Finalize one account whose grace period has passed (sent by the cron). */
  | { kind: "finalize-account"; userId: string }
  /**
   * Remove the next chunks of a finalized account's rows on `shard`, from `step` on (on the
   * account's own shard, then the other halves of its follow edges on theirs). Without `shard`:
   * the account's own (a message sent before edges were kept on both users' shards).
   */
  | { kind: "drain-account"; userId: string; step: DrainPoint; shard?: number }
  /** Give a finalized account's username and email up in the directory (idempotent). */
  | { kind: "release-account"; userId: string }
  /** Empty an R2 prefix of a finalized account (its job row on `shard`), from `cursor` on. */
  | { kind: "empty-prefix"; shard: number; prefix: string; cursor?: string }
  /** Delete objects under one media root that were unreferenced at `asOf` (the cron's time, ms). */
  | { kind: "sweep-media"; root: string; asOf: number }
  /** Build a data export's archive. `requestUrl` locates the media route for the photo URL. */
  | { kind: "build-export"; exportId: string; userId: string; objectKey: string; requestUrl: string };

export type JobKind = JobMessage["kind"];
export type Job<Kind extends JobKind> = Extract<JobMessage, { kind: Kind }>;

// Queues take at most 100 messages (and 256 KB) a sendBatch.
const SEND_BATCH_LIMIT = 100;

/** Sends `jobs` to the jobs queue, 100 a call. */
export async function sendJobs(env: Env, jobs: readonly JobMessage[]): Promise<void> {
  for (let start = 0; start < jobs.length; start += SEND_BATCH_LIMIT) {
    await env.JOBS.sendBatch(
      jobs.slice(start, start + SEND_BATCH_LIMIT).map((body) => ({ body, contentType: "json" as const })),
    );
  }
}

/** The ids a log line may name for a job: never more than ids and key prefixes. */
export function jobFields(job: JobMessage): Record<string, string> {
  switch (job.kind) {
    case "empty-prefix":
      return { kind: job.kind, shard: String(job.shard), prefix: job.prefix };
    case "sweep-media":
      return { kind: job.kind, root: job.root };
    case "build-export":
      return { kind: job.kind, exportId: job.exportId, userId: job.userId };
    case "drain-account":
      return {
        kind: job.kind,
        userId: job.userId,
        ...(job.shard === undefined ? {} : { shard: String(job.shard) }),
      };
    default:
      return { kind: job.kind, userId: job.userId };
  }
}
