import { createDb } from "./db/client";
import { runDeletionCron } from "./features/account-deletion/deletion-cron";
import { expireDataExports } from "./features/data-export/data-export.service";
import { settings } from "./lib/settings";
import { holdCutoff, purgeExpiredHolds } from "./users/username-hold";

/**
 * The Cron Trigger's entry: finalizes due account deletions and drains the media outbox, and
 * deletes data exports past their retention. The jobs are independent: one failing does not stop
 * the other, and the run still fails with it.
 */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const db = createDb(env.DB);
  const now = new Date(controller.scheduledTime);
  const purgeHolds = () =>
    // Expired username holds protect nothing, and a finalized account's name should not linger.
    purgeExpiredHolds(db, holdCutoff(now, settings(env).USERNAME_HOLD_DAYS));
  const outcomes = await Promise.allSettled([
    runDeletionCron(env, db, now).then(purgeHolds),
    expireDataExports(env, db, now),
  ]);
  for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
}
