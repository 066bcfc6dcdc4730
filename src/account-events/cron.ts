import type { Db } from "../db/client";
import { settings } from "../lib/settings";
import { publishAccountEvents, unsentEventCount } from "./publish";
import { eraseStaleEventUsernames } from "./username-expiry";

// 100 events a page, each page one sendBatch: a backlog drains over a few runs.
const EVENT_PAGES_PER_RUN = 10;

/**
 * The cron's share of account events: first erases the usernames of events older than
 * EVENT_PII_MAX_HOURS (sent or not), then sends what is still unsent (a queue outage, a lost send).
 */
export async function eventsCron(env: Env, db: Db, now = new Date()) {
  const usernamesErased = await eraseStaleEventUsernames(db, now, settings(env).EVENT_PII_MAX_HOURS);
  let sent = 0;
  let failed = 0;
  for (let page = 0; page < EVENT_PAGES_PER_RUN; page += 1) {
    const published = await publishAccountEvents(env, db);
    sent += published.sent;
    failed += published.failed;
    if (published.sent === 0) break;
  }
  return { usernamesErased, eventsSent: sent, eventsFailed: failed, eventsLeft: await unsentEventCount(db) };
}
