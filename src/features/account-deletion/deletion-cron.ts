import { and, asc, eq, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { accountCleanupJobs, users } from "../../db/schema";
import { type JobMessage, sendJobs } from "../../jobs/messages";
import { STALLED_AFTER_MS } from "../../media-store/prefix-jobs";

// A page of due accounts is one indexed read and one sendBatch (100 messages at most); a run
// sends up to 10,000 finalizations, about 200 subrequests. A larger backlog goes on next run.
const DUE_PAGE = 100;
const MAX_DUE_PAGES = 100;
const RESEND_LIMIT = 500;

type DueKey = { scheduledFor: number; id: string };

/**
 * One page of pending accounts whose grace period has passed, in due order, after `after`. The
 * query reads `users_deletion_due_idx` (status, scheduled_for, id) as a range: its cost is the
 * page, not the accounts still in their grace period, and no sort is needed.
 */
async function duePage(db: Db, now: Date, after: DueKey | undefined): Promise<DueKey[]> {
  const scheduledFor = sql<number>`${users.accountDeletionScheduledFor}`;
  return db
    .select({ scheduledFor, id: users.id })
    .from(users)
    .where(
      and(
        eq(users.accountDeletionStatus, "pending"),
        lte(users.accountDeletionScheduledFor, now),
        after ? sql`(${scheduledFor}, ${users.id}) > (${after.scheduledFor}, ${after.id})` : undefined,
      ),
    )
    .orderBy(asc(users.accountDeletionScheduledFor), asc(users.id))
    .limit(DUE_PAGE);
}

/**
 * The cron's share of deletion on one shard: one `finalize-account` message per due account, and
 * the drains that stalled on this shard sent again (the account's own, or the other halves of its
 * follow edges that this shard holds). The queue does the work, each account on its own, so one account
 * that keeps failing is retried and dead-lettered without holding back the others. An account
 * still queued from an earlier run is sent again: finalizing is idempotent.
 */
export async function deletionCron(env: Env, db: Db, now: Date, shard: number) {
  let due = 0;
  let after: DueKey | undefined;
  for (let page = 0; page < MAX_DUE_PAGES; page += 1) {
    const accounts = await duePage(db, now, after);
    await sendJobs(
      env,
      accounts.map((account): JobMessage => ({ kind: "finalize-account", userId: account.id })),
    );
    due += accounts.length;
    after = accounts.at(-1);
    if (accounts.length < DUE_PAGE) break;
  }
  const stalled = await stalledDrains(db, now);
  await sendJobs(
    env,
    stalled.map((job): JobMessage => ({ kind: "drain-account", userId: job.userId, step: job.step, shard })),
  );
  return { finalizationsQueued: due, drainsResumed: stalled.length };
}

/**
 * Drains whose last chunk is older than STALLED_AFTER_MS (a lost message, or one dead-lettered),
 * marked as resumed now so that the next run does not send them again at once.
 */
async function stalledDrains(db: Db, now: Date) {
  const stalled = db
    .select({ userId: accountCleanupJobs.userId })
    .from(accountCleanupJobs)
    .where(lte(accountCleanupJobs.updatedAt, new Date(now.getTime() - STALLED_AFTER_MS)))
    .orderBy(asc(accountCleanupJobs.updatedAt))
    .limit(RESEND_LIMIT);
  return db
    .update(accountCleanupJobs)
    .set({ updatedAt: now })
    .where(inArray(accountCleanupJobs.userId, stalled) as SQL)
    .returning({ userId: accountCleanupJobs.userId, step: accountCleanupJobs.step });
}
