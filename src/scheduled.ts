import { eventsCron } from "./account-events/cron";
import { createDb, type Db } from "./db/client";
import { deletionCron } from "./features/account-deletion/deletion-cron";
import { expireDataExports } from "./features/data-export/data-export.service";
import { errorFields, log } from "./lib/log";
import { settings } from "./lib/settings";
import { mediaCron } from "./media-store/cron";
import { holdCutoff, purgeExpiredHolds } from "./users/username-hold";

type CronJob = (env: Env, db: Db, now: Date) => Promise<Record<string, number>>;

/**
 * What the Cron Trigger runs, each owned by its module. Each is small: work that grows with the
 * data is sent to the jobs queue (src/queue.ts) rather than done here.
 */
const CRON_JOBS: Record<string, CronJob> = {
  deletions: deletionCron,
  media: mediaCron,
  accountEvents: eventsCron,
  dataExports: expireDataExports,
  usernameHolds: async (env, db, now) => {
    // Expired username holds protect nothing, and a finalized account's name should not linger.
    const purged = await purgeExpiredHolds(db, holdCutoff(now, settings(env).USERNAME_HOLD_DAYS));
    return { holdsPurged: purged.meta.changes };
  },
};

/**
 * The Cron Trigger's entry. The jobs are independent: one failing does not stop the others; each
 * logs one line (its summary, or its error), and the run fails if any did.
 */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const db = createDb(env.DB);
  const now = new Date(controller.scheduledTime);
  const outcomes = await Promise.allSettled(
    Object.entries(CRON_JOBS).map(async ([job, run]) => {
      const startedAt = Date.now();
      const summary = await run(env, db, now).catch((error: unknown) => {
        log("error", "cron job failed", { job, ...errorFields(error) });
        throw error;
      });
      log("info", "cron job", { job, ...summary, durationMs: Date.now() - startedAt });
    }),
  );
  for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
}
