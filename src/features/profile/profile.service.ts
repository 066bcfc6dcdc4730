import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { isUniqueViolation } from "../../db/errors";
import { type UserRow, users } from "../../db/schema";
import type { AccountHandle } from "../../lib/account-handle";
import type { AfterResponse } from "../../lib/after-response";
import { refreshBookmark } from "../../lib/d1-session";
import { ApiError } from "../../lib/errors";
import { errorFields, log } from "../../lib/log";
import { accountIsEditable, accountStateError, updateAccount } from "../../users/account-state";
import {
  abandonEmailClaim,
  claimEmail,
  directoryOf,
  emailHash,
  finishEmailChange,
} from "../../users/directory";
import type { ProfileUpdate } from "./profile.schemas";

/**
 * Replaces the editable profile. With the email unchanged, one conditional UPDATE (one round trip).
 * A new email is claimed in the directory first (the judge across shards), then written, then the
 * old one given up; a refusal gives the claim back.
 */
export async function updateProfile(
  env: Env,
  db: Db,
  account: AccountHandle,
  profile: ProfileUpdate,
  afterResponse: AfterResponse,
): Promise<UserRow> {
  const now = new Date();
  const values = { ...profile, updatedAt: now };
  const sameEmail = sql`lower(${users.email}) IS lower(${profile.email})`;
  const [row] = await updateAccount(db, account.row(accountIsEditable, sameEmail), values).returning();
  if (row) return row;
  // Refused by the account's state (401, 403), or the email is new.
  const refusal = await accountStateError(db, account.id);
  if (refusal) throw refusal;
  const directory = directoryOf(env);
  const hash = profile.email === null ? null : await emailHash(env, profile.email);
  if (hash && !(await claimEmail(directory, account.id, hash, now))) {
    throw new ApiError(409, [{ key: "profile.emailTaken" }]);
  }
  const giveBack = () => (hash ? abandonEmailClaim(directory, account.id, hash) : Promise.resolve());
  const rows = await updateAccount(db, account.row(accountIsEditable), values)
    .returning()
    .catch(async (error: unknown) => {
      await giveBack();
      if (isUniqueViolation(error, "users_email_lower_unique")) {
        await refreshBookmark(db);
        throw new ApiError(409, [{ key: "profile.emailTaken" }], { cause: error });
      }
      throw error;
    });
  if (!rows[0]) {
    await giveBack();
    throw (await accountStateError(db, account.id)) ?? new ApiError(409);
  }
  // The shard has the email: the directory is brought along once the response is out; a failure
  // leaves the claim pending, and the cron applies it.
  afterResponse(() =>
    finishEmailChange(directory, account.id, hash).catch((error: unknown) =>
      log("warn", "email claim left pending; the cron applies it", { error: errorFields(error).error }),
    ),
  );
  return rows[0];
}
