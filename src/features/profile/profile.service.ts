import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { isUniqueViolation } from "../../db/errors";
import { type UserRow, users } from "../../db/schema";
import { ApiError } from "../../lib/errors";
import { addDays } from "../../lib/time";
import { accountIsEditable, accountStateError } from "../account-deletion/lock";
import { usernameChangedEvent } from "../account-events/outbox";
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
 * Changes the username when the cooldown allows it. The cooldown, the lock and the write are one
 * statement, and the unique index settles a race for a name, so parallel requests cannot both win.
 */
export async function changeUsername(
  db: Db,
  user: UserRow,
  username: string,
  cooldownDays: number,
): Promise<UserRow> {
  if (username === user.username) throw new ApiError(400, [{ key: "username.unchanged" }]);
  const now = new Date();
  const changeable = and(
    eq(users.id, user.id),
    accountIsEditable,
    or(isNull(users.usernameChangedAt), lte(users.usernameChangedAt, addDays(now, -cooldownDays))),
    // A parallel change of this user's own name may have landed in between.
    sql`${users.username} IS NOT ${username}`,
  );
  const [, rows] = await db
    .batch([
      usernameChangedEvent(db, changeable, username, now),
      db
        .update(users)
        .set({ username, usernameChangedAt: now, updatedAt: now })
        .where(changeable)
        .returning(),
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
  const [current] = await db
    .select({ usernameChangedAt: users.usernameChangedAt })
    .from(users)
    .where(eq(users.id, user.id));
  const next = addDays(current?.usernameChangedAt ?? now, cooldownDays);
  throw new ApiError(409, [{ key: "username.cooldown", params: { next } }]);
}
