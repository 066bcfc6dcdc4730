import type { Db } from "../../db/client";
import { isUniqueViolation } from "../../db/errors";
import type { UserRow } from "../../db/schema";
import type { AccountHandle } from "../../lib/account-handle";
import { refreshBookmark } from "../../lib/d1-session";
import { ApiError } from "../../lib/errors";
import { accountIsEditable, accountStateError, updateAccount } from "../../users/account-state";
import type { ProfileUpdate } from "./profile.schemas";

/** Replaces the editable profile in one conditional UPDATE; the unique index decides email races. */
export async function updateProfile(
  db: Db,
  account: AccountHandle,
  profile: ProfileUpdate,
): Promise<UserRow> {
  const rows = await updateAccount(db, account.row(accountIsEditable), { ...profile, updatedAt: new Date() })
    .returning()
    .catch(async (error: unknown) => {
      if (isUniqueViolation(error, "users_email_lower_unique")) {
        await refreshBookmark(db);
        throw new ApiError(409, [{ key: "profile.emailTaken" }], { cause: error });
      }
      throw error;
    });
  if (rows[0]) return rows[0];
  throw (await accountStateError(db, account.id)) ?? new ApiError(409);
}
