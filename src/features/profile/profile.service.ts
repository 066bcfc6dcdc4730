import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { isUniqueViolation } from "../../db/errors";
import { type UserRow, users } from "../../db/schema";
import { refreshBookmark } from "../../lib/d1-session";
import { ApiError } from "../../lib/errors";
import { accountIsEditable, accountStateError } from "../../users/account-state";
import type { ProfileUpdate } from "./profile.schemas";

/** Replaces the editable profile in one conditional UPDATE; the unique index decides email races. */
export async function updateProfile(db: Db, userId: string, profile: ProfileUpdate): Promise<UserRow> {
  const rows = await db
    .update(users)
    .set({ ...profile, updatedAt: new Date() })
    .where(and(eq(users.id, userId), accountIsEditable))
    .returning()
    .catch(async (error: unknown) => {
      if (isUniqueViolation(error, "users_email_lower_unique")) {
        await refreshBookmark(db);
        throw new ApiError(409, [{ key: "profile.emailTaken" }], { cause: error });
      }
      throw error;
    });
  if (rows[0]) return rows[0];
  throw (await accountStateError(db, userId)) ?? new ApiError(409);
}
