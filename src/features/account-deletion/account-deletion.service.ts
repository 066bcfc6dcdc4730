import { eq, isNull, or } from "drizzle-orm";
import { recordAccountEvent } from "../../account-events/outbox";
import type { Db } from "../../db/client";
import { type UserRow, users } from "../../db/schema";
import type { AccountHandle } from "../../lib/account-handle";
import type { ClientContext } from "../../lib/client-headers";
import { ApiError, authenticationError } from "../../lib/errors";
import { addDays } from "../../lib/time";
import { accountStateError, updateAccount } from "../../users/account-state";
import { auditTransition } from "./audit";

export async function requestDeletion(
  db: Db,
  account: AccountHandle,
  reason: string | null,
  graceDays: number,
  client: ClientContext,
): Promise<UserRow> {
  const now = new Date();
  const requestable = account.row(
    or(isNull(users.accountDeletionStatus), eq(users.accountDeletionStatus, "cancelled")),
  );
  const [, , updated] = await db.batch([
    auditTransition(db, requestable, "deletion_requested", "user", client, now),
    recordAccountEvent(db, requestable, "account.deletion_requested", "user", now),
    updateAccount(db, requestable, {
      accountDeletionStatus: "pending",
      accountDeletionReason: reason,
      accountDeletionRequestedAt: now,
      accountDeletionScheduledFor: addDays(now, graceDays),
      accountDeletionCancelledAt: null,
      updatedAt: now,
    }).returning(),
  ]);
  if (updated[0]) return updated[0];
  const [row] = await db
    .select({ status: users.accountDeletionStatus, until: users.accountDeletionScheduledFor })
    .from(users)
    .where(eq(users.id, account.id))
    .limit(1);
  if (row?.status === "pending" && row.until) {
    throw new ApiError(409, [{ key: "deletion.alreadyPending", params: { until: row.until } }]);
  }
  throw !row || row.status === "finalized" ? authenticationError("account") : new ApiError(409);
}

export async function cancelDeletion(
  db: Db,
  account: AccountHandle,
  client: ClientContext,
): Promise<UserRow> {
  const now = new Date();
  const cancellable = account.row(eq(users.accountDeletionStatus, "pending"));
  const [, , updated] = await db.batch([
    auditTransition(db, cancellable, "deletion_cancelled", "user", client, now),
    recordAccountEvent(db, cancellable, "account.deletion_cancelled", "user", now),
    // The reason is the person's own words: it goes with the request it explained.
    updateAccount(db, cancellable, {
      accountDeletionStatus: "cancelled",
      accountDeletionReason: null,
      accountDeletionCancelledAt: now,
      updatedAt: now,
    }).returning(),
  ]);
  if (updated[0]) return updated[0];
  // Not pending: a 401 when the token's account is gone, else nothing to cancel.
  const state = await accountStateError(db, account.id);
  throw state?.status === 401 ? state : new ApiError(409, [{ key: "deletion.notPending" }]);
}
