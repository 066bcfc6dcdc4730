import { createDb } from "./db/client";
import { runDeletionCron } from "./features/account-deletion/deletion-cron";
import { DEFAULT_USERNAME_HOLD_DAYS, holdCutoff, purgeExpiredHolds } from "./features/profile/username-hold";
import { wholeNumberSetting } from "./lib/time";

/** The Cron Trigger's entry: finalizes due account deletions and drains the media outbox. */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const db = createDb(env.DB);
  const now = new Date(controller.scheduledTime);
  await runDeletionCron(env, db, now);
  // Expired username holds protect nothing, and a finalized account's name should not linger.
  const holdDays = wholeNumberSetting(env.USERNAME_HOLD_DAYS, DEFAULT_USERNAME_HOLD_DAYS);
  await purgeExpiredHolds(db, holdCutoff(now, holdDays));
}
