import { and, eq, exists, gt, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { usernameHolds } from "../db/directory-schema";
import { addDays } from "../lib/time";

// Statement builders for the username hold, in the directory. A hold is active while its
// `releasedAt` is after the cutoff, so the setting (USERNAME_HOLD_DAYS) is applied when a name is
// asked for, and writers that know no settings (finalization) only record when a name was released.

/** Holds released after this time are still active. */
export function holdCutoff(now: Date, holdDays: number): Date {
  return addDays(now, -holdDays);
}

function activeHold(directory: Db, username: string, cutoff: Date, ...conditions: SQL[]) {
  return directory
    .select({ username: usernameHolds.username })
    .from(usernameHolds)
    .where(and(eq(usernameHolds.username, username), gt(usernameHolds.releasedAt, cutoff), ...conditions));
}

/** `username` is held for someone other than `userId` (or for nobody). */
export function heldForOthers(directory: Db, username: string, userId: string, cutoff: Date): SQL {
  return exists(activeHold(directory, username, cutoff, sql`${usernameHolds.userId} IS NOT ${userId}`));
}

/** `userId` gave `username` up within the hold and may take it back inside the cooldown. */
export function revertibleBy(directory: Db, username: string, userId: string, cutoff: Date): SQL {
  return exists(
    activeHold(
      directory,
      username,
      cutoff,
      eq(usernameHolds.userId, userId),
      eq(usernameHolds.revertible, true),
    ),
  );
}

/** Expired holds: nothing left to protect. For the cron. */
export function purgeExpiredHolds(directory: Db, cutoff: Date) {
  return directory.delete(usernameHolds).where(lte(usernameHolds.releasedAt, cutoff));
}
