import { createApp } from "./app";

const app = createApp();

export default {
  fetch: app.fetch,
  // The cron's modules are loaded by its first run, not by every isolate's startup.
  scheduled: (controller, env, ctx) =>
    ctx.waitUntil(import("./scheduled").then(({ runScheduled }) => runScheduled(controller, env))),
} satisfies ExportedHandler<Env>;
