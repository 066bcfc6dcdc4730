import { createApp } from "./app";
import type { JobMessage } from "./jobs/messages";

const app = createApp();

export default {
  fetch: app.fetch,
  // The cron's and the jobs' modules are loaded by their first run, not by every isolate's startup.
  scheduled: (controller, env, ctx) =>
    ctx.waitUntil(import("./scheduled").then(({ runScheduled }) => runScheduled(controller, env))),
  queue: (batch, env) =>
    import("./queue").then((jobs) =>
      batch.queue === jobs.DEAD_LETTER_QUEUE ? jobs.runDeadLetters(batch, env) : jobs.runJobs(batch, env),
    ),
} satisfies ExportedHandler<Env, JobMessage>;
