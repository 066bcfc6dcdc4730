import { eq, isNull, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { type UserRow, users } from "../db/schema";
import { ApiError, authenticationError } from "../lib/errors";

/**
 * The SQL condition every profile write carries: the account is neither pending deletion nor
 * finalized. Checked by the primary inside the write itself, so a stale read can never let a
 * locked account change.
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
