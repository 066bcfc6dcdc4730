import { log } from "./lib/log";

/** The Cron Trigger's entry. The account-deletion feature plugs its finalizer in here. */
export async function runScheduled(controller: ScheduledController, _env: Env): Promise<void> {
  log("info", "scheduled run", { cron: controller.cron, scheduledTime: controller.scheduledTime });
}
