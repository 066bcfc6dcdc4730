import { eq, exists, isNull, lte, not, or, sql } from "drizzle-orm";
import { usernameChangedEvent } from "../../account-events/outbox";
import type { Db } from "../../db/client";
import { isUniqueViolation } from "../../db/errors";
import { type UserRow, users } from "../../db/schema";
import type { AccountHandle } from "../../lib/account-handle";
import { refreshBookmark } from "../../lib/d1-session";
import { ApiError, authenticationError } from "../../lib/errors";
import { addDays } from "../../lib/time";
import { accountIsEditable, lockedError, updateAccount } from "../../users/account-state";
import {
  heldForOthers,
  holdCutoff,
  holdPreviousUsername,
  releaseTakenUsername,
  revertibleBy,
} from "../../users/username-hold";
import type { AvailabilityReason, UsernameAvailability } from "./username.schemas";
import { reservedNameRule } from "./username-lookalikes";

/**
 * Changes the username when the cooldown allows it, or takes back a name the user gave up within
 * its hold (once, even inside the cooldown). The batch's statements share one precondition (the
 * account, its lock, the cooldown, the hold, a name that differs) and the hold is written before
 * the UPDATE, so it exists exactly when the change happened; the unique indexes settle races for a
 * name, so parallel requests cannot both win. One round trip; a refusal reads once more to say why.
 */
export async function changeUsername(
  db: Db,
  account: AccountHandle,
  username: string,
  cooldownDays: number,
  holdDays: number,
): Promise<UserRow> {
  const now = new Date();
  const cutoff = holdCutoff(now, holdDays);
  const isRevert = revertibleBy(db, username, account.id, cutoff);
  const changing = account.row(
    accountIsEditable,
    or(isNull(users.usernameChangedAt), lte(users.usernameChangedAt, addDays(now, -cooldownDays)), isRevert),
    not(heldForOthers(db, username, account.id, cutoff)),
    // Unchanged, or a parallel change of this user's own name landed first: nothing to do.
    sql`${users.username} IS NOT ${username}`,
  );
  const [, , rows] = await db
    .batch([
      usernameChangedEvent(db, changing, username, now),
      holdPreviousUsername(db, changing, isRevert, now),
      // Taking a name back undoes a change: it starts no new cooldown.
      updateAccount(db, changing, {
        username,
        usernameChangedAt: sql`CASE WHEN ${isRevert} THEN ${users.usernameChangedAt} ELSE ${now.getTime()} END`,
        updatedAt: now,
      }).returning(),
      releaseTakenUsername(db, username),
    ])
    .catch(async (error: unknown) => {
      if (isUniqueViolation(error, "users.username")) {
        await refreshBookmark(db);
        throw new ApiError(409, [{ key: "username.taken" }], { cause: error });
      }
      throw error;
    });
  if (rows[0]) return rows[0];
  throw await usernameRefusal(db, account.id, username, cutoff, cooldownDays, now);
}

/** Why a username change changed nothing, from one read. */
async function usernameRefusal(
  db: Db,
  userId: string,
  username: string,
  cutoff: Date,
  cooldownDays: number,
  now: Date,
): Promise<ApiError> {
  const [row] = await db
    .select({
      status: users.accountDeletionStatus,
      accountDeletionScheduledFor: users.accountDeletionScheduledFor,
      username: users.username,
      usernameChangedAt: users.usernameChangedAt,
      heldForOthers: sql<number>`${heldForOthers(db, username, userId, cutoff)}`,
    })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!row || row.status === "finalized") return authenticationError("account");
  if (row.username === username) return new ApiError(400, [{ key: "username.unchanged" }]);
  if (row.status === "pending") return lockedError(row);
  if (row.heldForOthers) return new ApiError(409, [{ key: "username.recentlyUsed" }]);
  const next = addDays(row.usernameChangedAt ?? now, cooldownDays);
  return new ApiError(409, [{ key: "username.cooldown", params: { next } }]);
}

/**
 * Whether the caller could take `username` (well-formed, lowercased) now, and why not: one read,
 * which is also the token's account check (a missing or finalized account is 401). The reasons
 * are the change's own rules; the caller's own held name is available to them.
 */
export async function usernameAvailability(
  db: Db,
  account: AccountHandle,
  username: string,
  holdDays: number,
): Promise<UsernameAvailability> {
  const cutoff = holdCutoff(new Date(), holdDays);
  const [row] = await db
    .select({
      current: users.username,
      taken: sql<number>`${exists(db.select({ id: users.id }).from(users).where(eq(users.username, username)))}`,
      held: sql<number>`${heldForOthers(db, username, account.id, cutoff)}`,
    })
    .from(users)
    .where(account.row())
    .limit(1);
  if (!row) throw authenticationError("account");
  const reason: AvailabilityReason | null =
    row.current === username
      ? "current"
      : reservedNameRule(username)
        ? "reserved"
        : row.taken
          ? "taken"
          : row.held
            ? "held"
            : null;
  return { username, available: reason === null, reason };
}
