import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import type { JobMessage } from "../src/jobs/messages";
import { STALLED_AFTER_MS } from "../src/media-store/prefix-jobs";
import { DEAD_LETTER_QUEUE } from "../src/queue";

// The jobs queue as the tests drive it: the producer is the real binding, wrapped so that what the
// Worker sends is held here instead of being delivered in the background; `drainJobs` then hands the
// held messages to the Worker's own queue() handler in batches (cloudflare:test's createMessageBatch),
// reads each message's ack or retry (getQueueResult), redelivers retries with one more attempt, and
// after MAX_RETRIES passes them to the dead-letter consumer, as the platform does (wrangler.toml).

export const JOBS_QUEUE = "profile-api-jobs";
export const MAX_RETRIES = 5;
const BATCH_SIZE = 10;

type Held = { id: string; body: JobMessage; attempts: number };

let held: Held[] = [];
let nextId = 0;

const hold = (body: JobMessage) => {
  nextId += 1;
  held.push({ id: `job-${nextId}`, body: structuredClone(body), attempts: 1 });
};

/** env.JOBS that holds what is sent (every other property is the real binding's). */
export const heldJobsQueue: Queue = new Proxy(env.JOBS, {
  get(real, property) {
    if (property === "send") return async (body: JobMessage) => hold(body);
    if (property === "sendBatch") {
      return async (messages: Iterable<MessageSendRequest<JobMessage>>) => {
        for (const message of messages) hold(message.body);
      };
    }
    const value = Reflect.get(real, property, real);
    return typeof value === "function" ? value.bind(real) : value;
  },
});

/** The messages waiting, oldest first. */
export const heldJobs = () => held.map((message) => message.body);

/** Forgets what is held (a test that does not want the work done). */
export function discardHeldJobs() {
  held = [];
}

export type DrainReport = { delivered: number; retried: number; deadLettered: JobMessage[] };

async function deliver(queue: string, messages: Held[], testEnv: Env) {
  const batch = createMessageBatch<JobMessage>(
    queue,
    messages.map((message) => ({ ...message, timestamp: Date.now() })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, testEnv);
  await waitOnExecutionContext(ctx);
  return getQueueResult(batch, ctx);
}

/**
 * Delivers every held message (and what they send in turn) until none is left, `maxRounds` at
 * most. `overrides` go on top of the test env for the consumer (a wrapped binding, a setting).
 */
export async function drainJobs(overrides: Partial<Env> = {}, maxRounds = 10_000): Promise<DrainReport> {
  const testEnv = { ...env, JOBS: heldJobsQueue, ...overrides } as Env;
  const report: DrainReport = { delivered: 0, retried: 0, deadLettered: [] };
  for (let round = 0; round < maxRounds && held.length > 0; round += 1) {
    const messages = held.splice(0, BATCH_SIZE);
    const result = await deliver(JOBS_QUEUE, messages, testEnv);
    report.delivered += messages.length;
    const retried = new Set(result.retryMessages.map((message) => message.msgId));
    for (const message of messages) {
      if (!retried.has(message.id)) continue;
      report.retried += 1;
      if (message.attempts > MAX_RETRIES) {
        await deliver(DEAD_LETTER_QUEUE, [message], testEnv);
        report.deadLettered.push(message.body);
      } else held.push({ ...message, attempts: message.attempts + 1 });
    }
  }
  return report;
}

/** Runs the Cron Trigger at `now` through worker.scheduled, then the queued work it sent. */
export async function runCron(now = new Date(), overrides: Partial<Env> = {}, { drain = true } = {}) {
  const ctx = createExecutionContext();
  const testEnv = { ...env, JOBS: heldJobsQueue, ...overrides } as Env;
  await worker.scheduled(
    createScheduledController({ scheduledTime: now, cron: "*/15 * * * *" }),
    testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return drain ? drainJobs(overrides) : undefined;
}

/** A time when the cron counts the clean-up last touched at `from` as stalled, and resumes it. */
export const afterStall = (from = new Date()) => new Date(from.getTime() + STALLED_AFTER_MS + 60_000);
