import { and, asc, eq, inArray, lte, or, type SQL } from "drizzle-orm";
import { recordAccountEvent } from "../../account-events/outbox";
import type { Db } from "../../db/client";
import { dataExports, follows, users } from "../../db/schema";
import type { AfterResponse } from "../../lib/after-response";
import type { ClientContext } from "../../lib/client-headers";
import { errorFields, log } from "../../lib/log";
import { deleteQueuedObjects, queuedKeys } from "../../media-store/outbox";
import { emptyUserPrefixes, queueUserPrefixes } from "../../media-store/prefix-jobs";
import { ERASURE, erasedValues, eraseUserRows } from "../../users/erasure";
import { holdFinalizedUsernames } from "../../users/username-hold";
import { auditTransition, type EventSource } from "./audit";

/** The finalized row: every personal column erased (src/users/erasure.ts), the tombstone's state set. */
function finalizedUser(now: Date) {
  return {
    ...erasedValues(ERASURE.users),
    accountDeletionStatus: "finalized" as const,
    accountDeletionFinalizedAt: now,
    deletedAt: now,
    updatedAt: now,
  };
}

/** Which accounts one finalization covers: one forced account, or the next due ones. */
export type FinalizeTarget = { userId: string } | { dueBefore: Date; limit: number };

function targetCondition(db: Db, target: FinalizeTarget): SQL {
  const pending = eq(users.accountDeletionStatus, "pending");
  if ("userId" in target) return and(eq(users.id, target.userId), pending) as SQL;
  // Deterministic order, so every statement of the batch picks the same accounts.
  const due = db
    .select({ id: users.id })
    .from(users)
    .where(and(pending, lte(users.accountDeletionScheduledFor, target.dueBefore)))
    .orderBy(asc(users.accountDeletionScheduledFor), asc(users.id))
    .limit(target.limit);
  return and(inArray(users.id, due), pending) as SQL;
}

/**
 * Finalizes the target accounts in ONE D1 batch, which D1 runs as one transaction: every
 * statement selects the same still-pending accounts, so a cancelled account is never touched, a
 * second run at once finds nothing left to do, and a failure leaves no half-erased account. The
 * last statement flips the status, which is what makes all of it happen once.
 */
export async function finalizeAccounts(
  db: Db,
  target: FinalizeTarget,
  source: EventSource,
  client: ClientContext | null,
  now = new Date(),
): Promise<string[]> {
  const targeted = targetCondition(db, target);
  const accountIds = db.select({ id: users.id }).from(users).where(targeted);
  const [, , , , , , , , finalized] = await db.batch([
    // Every object under the accounts' prefixes, whether or not a row knows its key.
    queueUserPrefixes(db, targeted, now),
    // The counter triggers take every other user's counts down with these rows.
    db
      .delete(follows)
      .where(or(inArray(follows.followerId, accountIds), inArray(follows.followeeId, accountIds))),
    auditTransition(db, targeted, "deletion_finalized", source, client, now),
    recordAccountEvent(db, targeted, "account.finalized", source, now),
    // After the audit insert, so the finalization's own row loses its device id too.
    ...eraseUserRows(db, accountIds),
    // Pending data exports go with the account; their archives are under the user's R2 prefix.
    db.delete(dataExports).where(inArray(dataExports.userId, accountIds)),
    holdFinalizedUsernames(db, targeted, now),
    db.update(users).set(finalizedUser(now)).where(targeted).returning({ id: users.id }),
  ]);
  return finalized.map((row) => row.id);
}

/**
 * Deletes a finalized account's objects from R2 now: its prefixes, listed and deleted straight
 * from R2. Tells whether R2 refused any (they stay queued for the cron). The bookkeeping (the
 * prefix jobs, any outbox key of the account) is `afterResponse`'s, so the request itself makes no
 * more D1 round trips than its finalization batch.
 */
export async function deleteAccountMedia(
  env: Env,
  db: Db,
  userId: string,
  afterResponse: AfterResponse,
): Promise<{ queued: boolean }> {
  const { refused, record } = await emptyUserPrefixes(env, db, userId);
  afterResponse(() =>
    record()
      .then(async () => deleteQueuedObjects(env, db, await queuedKeys(db, 1000, userId)))
      .catch((error: unknown) => {
        log("warn", "finalized account's outbox keys left to the cron", { error: errorFields(error).error });
      }),
  );
  return { queued: refused };
}
