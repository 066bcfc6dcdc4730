import type { Db } from "../db/client";
import { publishAccountEvents, unsentEventCount } from "./publish";

// 100 events a page, each page one sendBatch: a backlog drains over a few runs.
const EVENT_PAGES_PER_RUN = 10;

/** The cron's share of account events: sends what is still unsent (a queue outage, a lost send). */
export async function eventsCron(env: Env, db: Db) {
  let sent = 0;
  let failed = 0;
  for (let page = 0; page < EVENT_PAGES_PER_RUN; page += 1) {
    const published = await publishAccountEvents(env, db);
    sent += published.sent;
    failed += published.failed;
    if (published.sent === 0) break;
  }
  return { eventsSent: sent, eventsFailed: failed, eventsLeft: await unsentEventCount(db) };
}
