import { createDb } from "./db/client";
import { runDeletionCron } from "./features/account-deletion/deletion-cron";

/** The Cron Trigger's entry: finalizes due account deletions and drains the media outbox. */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  await runDeletionCron(env, createDb(env.DB), new Date(controller.scheduledTime));
}
