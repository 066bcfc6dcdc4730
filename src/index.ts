import { createApp } from "./app";
import type { JobMessage } from "./jobs/messages";
import { DEAD_LETTER_QUEUE, runDeadLetters, runJobs } from "./queue";
import { runScheduled } from "./scheduled";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => ctx.waitUntil(runScheduled(controller, env)),
  queue: (batch, env) =>
    batch.queue === DEAD_LETTER_QUEUE ? runDeadLetters(batch, env) : runJobs(batch, env),
} satisfies ExportedHandler<Env, JobMessage>;
