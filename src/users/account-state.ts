import { eq, isNull, or } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { type UserRow, users } from "../db/schema";
import type { AccountCondition } from "../lib/account-handle";
import { ApiError, authenticationError } from "../lib/errors";

/**
 * The one way a request writes a user's row: `where` comes from the account handle
 * (`account.row(...)`), so the statement carries the account check. lint/account-writes.grit
 * refuses `db.update(users)` outside src/users/ (and the cron's multi-account finalization).
 */
export function updateAccount(db: Db, where: AccountCondition, values: SQLiteUpdateSetSource<typeof users>) {
  return db.update(users).set(values).where(where);
}

/**
 * What every profile write adds to `account.row()`: the account is not pending deletion. Checked
 * by the primary inside the write itself, so a stale read can never let a locked account change.
 */
export const accountIsEditable = or(
  isNull(users.accountDeletionStatus),
  eq(users.accountDeletionStatus, "cancelled"),
);

export function lockedError(user: Pick<UserRow, "accountDeletionScheduledFor">): ApiError {
  const until = user.accountDeletionScheduledFor ?? new Date();
  return new ApiError(403, [{ key: "account.locked", params: { until } }]);
}

/**
 * After a conditional write changed no row: the error that explains it when the cause is the
 * account's state (finalized or gone: 401; pending deletion: 403), else null.
 */
export async function accountStateError(db: Db, userId: string): Promise<ApiError | null> {
  const [row] = await db
    .select({
      status: users.accountDeletionStatus,
      accountDeletionScheduledFor: users.accountDeletionScheduledFor,
    })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!row || row.status === "finalized") return authenticationError("account");
  if (row.status === "pending") return lockedError(row);
  return null;
}
