import { eq, isNull, lte, or, sql } from "drizzle-orm";
import { usernameChangedEvent } from "../../account-events/outbox";
import type { Db } from "../../db/client";
import { usernames } from "../../db/directory-schema";
import { type UserRow, users } from "../../db/schema";
import type { AccountHandle } from "../../lib/account-handle";
import type { AfterResponse } from "../../lib/after-response";
import { ApiError, authenticationError } from "../../lib/errors";
import { errorFields, log } from "../../lib/log";
import { addDays } from "../../lib/time";
import { accountIsEditable, lockedError, updateAccount } from "../../users/account-state";
import {
  abandonUsernameClaim,
  claimUsername,
  finishUsernameChange,
  type UsernameClaim,
} from "../../users/directory";
import { heldForOthers, holdCutoff } from "../../users/username-hold";
import type { AvailabilityReason, UsernameAvailability } from "./username.schemas";
import { reservedNameRule } from "./username-lookalikes";

/**
 * Changes the username when the cooldown allows it, or takes back a name the user gave up within
 * its hold (once, even inside the cooldown). The directory decides who may have the name: it is
 * claimed there first (so two users on different shards cannot both win it), then the user's
 * shard takes it in one conditional batch with the event (the account, its lock, the cooldown, a
 * name that differs): two round trips. After the response the directory applies the claim and
 * holds the old name. A refusal gives the claim back and reads once more to say why.
 */
export async function changeUsername(
  directory: Db,
  db: Db,
  account: AccountHandle,
  username: string,
  cooldownDays: number,
  holdDays: number,
  afterResponse: AfterResponse,
): Promise<UserRow> {
  const now = new Date();
  const cutoff = holdCutoff(now, holdDays);
  const claim = await claimUsername(directory, account.id, username, cutoff, now);
  if (!claim.claimed) throw await usernameRefusal(db, account.id, username, cooldownDays, now, claim);
  const changing = account.row(
    accountIsEditable,
    claim.revert
      ? undefined
      : or(isNull(users.usernameChangedAt), lte(users.usernameChangedAt, addDays(now, -cooldownDays))),
    // Unchanged, or a parallel change of this user's own name landed first: nothing to do.
    sql`${users.username} IS NOT ${username}`,
  );
  const [, rows] = await db
    .batch([
      usernameChangedEvent(db, changing, username, now),
      // Taking a name back undoes a change: it starts no new cooldown.
      updateAccount(db, changing, {
        username,
        usernameChangedAt: claim.revert ? sql`${users.usernameChangedAt}` : now,
        updatedAt: now,
      }).returning(),
    ])
    .catch(async (error: unknown) => {
      await abandonUsernameClaim(directory, account.id, username);
      throw error;
    });
  const row = rows[0];
  if (!row) {
    await abandonUsernameClaim(directory, account.id, username);
    throw await usernameRefusal(db, account.id, username, cooldownDays, now, claim);
  }
  // The shard has the name: the directory is brought along once the response is out; a failure
  // leaves the claim pending, and the cron applies it.
  afterResponse(() =>
    finishUsernameChange(directory, account.id, username, !claim.revert, now).catch((error: unknown) =>
      log("warn", "username claim left pending; the cron applies it", { error: errorFields(error).error }),
    ),
  );
  return row;
}

/** Why a username change changed nothing, from one read of the shard and the directory's answer. */
async function usernameRefusal(
  db: Db,
  userId: string,
  username: string,
  cooldownDays: number,
  now: Date,
  claim: UsernameClaim,
): Promise<ApiError> {
  const [row] = await db
    .select({
      status: users.accountDeletionStatus,
      accountDeletionScheduledFor: users.accountDeletionScheduledFor,
      username: users.username,
      usernameChangedAt: users.usernameChangedAt,
    })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!row || row.status === "finalized") return authenticationError("account");
  if (row.username === username) return new ApiError(400, [{ key: "username.unchanged" }]);
  if (row.status === "pending") return lockedError(row);
  if (claim.heldForOthers) return new ApiError(409, [{ key: "username.recentlyUsed" }]);
  const next = addDays(row.usernameChangedAt ?? now, cooldownDays);
  const cooldown = new ApiError(409, [{ key: "username.cooldown", params: { next } }]);
  if (!claim.revert && row.usernameChangedAt && next > now) return cooldown;
  if (!claim.claimed) return new ApiError(409, [{ key: "username.taken" }]);
  // The shard changed nothing although every rule allowed it: a parallel change landed first.
  return cooldown;
}

/**
 * Whether the caller could take `username` (well-formed, lowercased) now, and why not: one read,
 * which is also the token's account check (a missing or finalized account is 401). The reasons
 * are the change's own rules; the caller's own held name is available to them.
 */
export async function usernameAvailability(
  directory: Db,
  db: Db,
  account: AccountHandle,
  username: string,
  holdDays: number,
): Promise<UsernameAvailability> {
  const cutoff = holdCutoff(new Date(), holdDays);
  // The account's shard and the directory, side by side: one round trip's time.
  const [[row], [claim]] = await Promise.all([
    db.select({ current: users.username }).from(users).where(account.row()).limit(1),
    directory
      .select({
        takenBy: sql<
          string | null
        >`(SELECT ${usernames.userId} FROM ${usernames} WHERE ${usernames.username} = ${username})`,
        held: sql<number>`${heldForOthers(directory, username, account.id, cutoff)}`,
      })
      .from(sql`(SELECT 1)`),
  ]);
  if (!row) throw authenticationError("account");
  const takenByOther = claim?.takenBy != null && claim.takenBy !== account.id;
  const reason: AvailabilityReason | null =
    row.current === username
      ? "current"
      : reservedNameRule(username)
        ? "reserved"
        : takenByOther
          ? "taken"
          : claim?.held
            ? "held"
            : null;
  return { username, available: reason === null, reason };
}
