import { publishAccountEvents, unsentEventCount } from "../../account-events/publish";
import type { Db } from "../../db/client";
import { errorFields, log } from "../../lib/log";
import { sweepUnreferencedPhotos } from "../../media-store/orphan-sweep";
import { drainPrefixJobs, prefixJobCount } from "../../media-store/prefix-jobs";

// Each prefix costs at least one R2 list (a subrequest): with the outbox pages and the event
// sends, a run stays well under the invocation's subrequest limit. The rest waits 15 minutes.
const PREFIX_JOBS_PER_RUN = 200;
const SWEEP_PAGES_PER_RUN = 3;
const EVENT_PAGES_PER_RUN = 10;

export type ErasureCronSummary = {
  prefixObjectsDeleted: number;
  prefixesFailed: number;
  prefixesLeft: number;
  unreferencedDeleted: number;
  eventsSent: number;
  eventsFailed: number;
  eventsLeft: number;
};

/**
 * The cron's share of erasure, after the finalizations: empties the finalized accounts' R2
 * prefixes, deletes unreferenced photo objects of live accounts, and sends every account event
 * still unsent. Each part retries next run what failed this one.
 */
export async function runErasureBookkeeping(
  env: Env,
  db: Db,
  now: Date,
  withinBudget: () => boolean,
): Promise<ErasureCronSummary> {
  const prefixes = await drainPrefixJobs(env, db, { limit: PREFIX_JOBS_PER_RUN });
  const sweep = withinBudget()
    ? await sweepUnreferencedPhotos(env, db, now, SWEEP_PAGES_PER_RUN).catch((error: unknown) => {
        log("warn", "unreferenced photo sweep failed; it resumes next run", {
          error: errorFields(error).error,
        });
        return { deleted: 0 };
      })
    : { deleted: 0 };
  let eventsSent = 0;
  let eventsFailed = 0;
  for (let page = 0; page < EVENT_PAGES_PER_RUN && withinBudget(); page += 1) {
    const published = await publishAccountEvents(env, db);
    eventsSent += published.sent;
    eventsFailed += published.failed;
    if (published.sent === 0) break;
  }
  return {
    prefixObjectsDeleted: prefixes.objectsDeleted,
    prefixesFailed: prefixes.prefixesFailed,
    prefixesLeft: await prefixJobCount(db),
    unreferencedDeleted: sweep.deleted,
    eventsSent,
    eventsFailed,
    eventsLeft: await unsentEventCount(db),
  };
}
