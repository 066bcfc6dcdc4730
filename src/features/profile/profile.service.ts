import { and, eq, isNull, lte, not, or, type SQL, sql } from "drizzle-orm";
import { usernameChangedEvent } from "../../account-events/outbox";
import type { Db } from "../../db/client";
import { isUniqueViolation } from "../../db/errors";
import { type UserRow, users } from "../../db/schema";
import { ApiError } from "../../lib/errors";
import { addDays } from "../../lib/time";
import { accountIsEditable, accountStateError } from "../../users/account-state";
import {
  heldForOthers,
  holdCutoff,
  holdPreviousUsername,
  isHeldForOthers,
  releaseTakenUsername,
  revertibleBy,
} from "../../users/username-hold";
import type { ProfileUpdate } from "./profile.schemas";

/** Replaces the editable profile in one conditional UPDATE; the unique index decides email races. */
export async function updateProfile(db: Db, userId: string, profile: ProfileUpdate): Promise<UserRow> {
  const rows = await db
    .update(users)
    .set({ ...profile, updatedAt: new Date() })
    .where(and(eq(users.id, userId), accountIsEditable))
    .returning()
    .catch((error: unknown) => {
      if (isUniqueViolation(error, "users_email_lower_unique")) {
        throw new ApiError(409, [{ key: "profile.emailTaken" }], { cause: error });
      }
      throw error;
    });
  if (rows[0]) return rows[0];
  throw (await accountStateError(db, userId)) ?? new ApiError(409);
}

/**
 * Changes the username when the cooldown allows it, or takes back a name the user gave up within
 * its hold (once, even inside the cooldown). The batch's statements share one precondition (the
 * lock, the cooldown, the hold, the name this request saw) and the hold is written before the
 * UPDATE, so it exists exactly when the change happened; the unique indexes settle races for a
 * name, so parallel requests cannot both win. More statements of the change go in the same batch,
 * before the UPDATE, with `changing` as their condition.
 */
export async function changeUsername(
  db: Db,
  user: UserRow,
  username: string,
  cooldownDays: number,
  holdDays: number,
): Promise<UserRow> {
  if (username === user.username) throw new ApiError(400, [{ key: "username.unchanged" }]);
  const now = new Date();
  const cutoff = holdCutoff(now, holdDays);
  const isRevert = revertibleBy(db, username, user.id, cutoff);
  const changing = and(
    eq(users.id, user.id),
    accountIsEditable,
    or(isNull(users.usernameChangedAt), lte(users.usernameChangedAt, addDays(now, -cooldownDays)), isRevert),
    not(heldForOthers(db, username, user.id, cutoff)),
    // A parallel change of this user's own name may have landed in between.
    sql`${users.username} IS ${user.username}`,
  ) as SQL;
  const [, , rows] = await db
    .batch([
      usernameChangedEvent(db, changing, username, now),
      holdPreviousUsername(db, changing, isRevert, now),
      db
        .update(users)
        // Taking a name back undoes a change: it starts no new cooldown.
        .set({
          username,
          usernameChangedAt: sql`CASE WHEN ${isRevert} THEN ${users.usernameChangedAt} ELSE ${now.getTime()} END`,
          updatedAt: now,
        })
        .where(changing)
        .returning(),
      releaseTakenUsername(db, username),
    ])
    .catch((error: unknown) => {
      if (isUniqueViolation(error, "users.username")) {
        throw new ApiError(409, [{ key: "username.taken" }], { cause: error });
      }
      throw error;
    });
  if (rows[0]) return rows[0];
  const stateError = await accountStateError(db, user.id);
  if (stateError) throw stateError;
  if (await isHeldForOthers(db, username, user.id, cutoff))
    throw new ApiError(409, [{ key: "username.recentlyUsed" }]);
  const [current] = await db
    .select({ usernameChangedAt: users.usernameChangedAt })
    .from(users)
    .where(eq(users.id, user.id));
  const next = addDays(current?.usernameChangedAt ?? now, cooldownDays);
  throw new ApiError(409, [{ key: "username.cooldown", params: { next } }]);
}
