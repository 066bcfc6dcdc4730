import { eq } from "drizzle-orm";
import { users } from "../db/schema";
import { settings } from "../lib/settings";
import { shardDbOf } from "../lib/shards";
import {
  abandonEmailClaim,
  abandonUsernameClaim,
  CLAIM_STALE_MS,
  directoryOf,
  emailHash,
  finishEmailChange,
  finishUsernameChange,
  stalePendingClaims,
} from "./directory";
import { holdCutoff, purgeExpiredHolds } from "./username-hold";

/** What the owner's shard says now: its username and email, or nothing for an account gone. */
async function ownerRow(env: Env, userId: string) {
  const [row] = await shardDbOf(env, userId)
    .select({ username: users.username, email: users.email, status: users.accountDeletionStatus })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row && row.status !== "finalized" ? row : undefined;
}

/**
 * The cron's share of the directory, once a run: expired holds go, and claims left pending past
 * any request are settled from the owner's shard: kept (and finished) when the shard has the
 * value, dropped when it does not.
 */
export async function directoryCron(env: Env, now: Date) {
  const directory = directoryOf(env);
  const purged = await purgeExpiredHolds(directory, holdCutoff(now, settings(env).USERNAME_HOLD_DAYS));
  const { names, mails } = await stalePendingClaims(directory, new Date(now.getTime() - CLAIM_STALE_MS));
  let kept = 0;
  for (const claim of names) {
    const owner = await ownerRow(env, claim.userId);
    if (owner?.username === claim.username) {
      // The change's own revert flag is lost with the request: the old name is held, not revertible.
      await finishUsernameChange(directory, claim.userId, claim.username, false, now);
      kept += 1;
    } else await abandonUsernameClaim(directory, claim.userId, claim.username);
  }
  for (const claim of mails) {
    const owner = await ownerRow(env, claim.userId);
    if (owner?.email && (await emailHash(env, owner.email)) === claim.emailHash) {
      await finishEmailChange(directory, claim.userId, claim.emailHash);
      kept += 1;
    } else await abandonEmailClaim(directory, claim.userId, claim.emailHash);
  }
  return {
    holdsPurged: purged.meta.changes,
    claimsSettled: names.length + mails.length,
    claimsKept: kept,
  };
}
