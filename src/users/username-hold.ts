import { and, eq, exists, gt, inArray, isNotNull, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { usernameHolds, users } from "../db/schema";
import { addDays } from "../lib/time";

// Statement builders for the username hold. A hold is active while its `releasedAt` is after the
// cutoff, so the setting (USERNAME_HOLD_DAYS) is applied when a name is asked for, and writers
// that know no settings (finalization) only record when a name was released.

/** Holds released after this time are still active. */
export function holdCutoff(now: Date, holdDays: number): Date {
  return addDays(now, -holdDays);
}

function activeHold(db: Db, username: string, cutoff: Date, ...conditions: SQL[]) {
  return db
    .select({ username: usernameHolds.username })
    .from(usernameHolds)
    .where(and(eq(usernameHolds.username, username), gt(usernameHolds.releasedAt, cutoff), ...conditions));
}

const holderIsNot = (userId: string) => sql`${usernameHolds.userId} IS NOT ${userId}`;

/** `username` is held for someone other than `userId` (or for nobody). */
export function heldForOthers(db: Db, username: string, userId: string, cutoff: Date): SQL {
  return exists(activeHold(db, username, cutoff, holderIsNot(userId)));
}

/** `userId` gave `username` up within the hold and may take it back inside the cooldown. */
export function revertibleBy(db: Db, username: string, userId: string, cutoff: Date): SQL {
  return exists(
    activeHold(db, username, cutoff, eq(usernameHolds.userId, userId), eq(usernameHolds.revertible, true)),
  );
}

/**
 * Holds the current username of every user `changing` selects, for that user. Goes in the
 * change's batch, before the UPDATE and with its precondition, so the hold exists exactly when
 * the change happened. A change that is itself a revert leaves a hold that cannot be reverted.
 */
export function holdPreviousUsername(db: Db, changing: SQL, isRevert: SQL, now: Date) {
  return db
    .insert(usernameHolds)
    .select(
      db
        .select({
          username: sql<string>`${users.username}`.as("username"),
          userId: users.id,
          releasedAt: sql<number>`${now.getTime()}`.as("released_at"),
          revertible: sql<boolean>`NOT ${isRevert}`.as("revertible"),
        })
        .from(users)
        .where(and(changing, isNotNull(users.username))),
    )
    .onConflictDoUpdate({
      target: usernameHolds.username,
      set: {
        userId: sql`excluded.user_id`,
        releasedAt: sql`excluded.released_at`,
        revertible: sql`excluded.revertible`,
      },
    });
}

/** A name in use needs no hold: taking a held name (the revert) uses its hold up. */
export function releaseTakenUsername(db: Db, username: string) {
  return db
    .delete(usernameHolds)
    .where(
      and(
        eq(usernameHolds.username, username),
        exists(db.select({ id: users.id }).from(users).where(eq(users.username, username))),
      ),
    );
}

/**
 * Holds the usernames of the accounts `finalizing` selects for nobody, and turns the holds those
 * accounts still had on older names into holds for nobody too (a hold must not tie a name to a
 * finalized account). One statement, for finalization's batch, before the row is erased.
 */
export function holdFinalizedUsernames(db: Db, finalizing: SQL, now: Date) {
  const currentNames = db
    .select({
      username: sql<string>`${users.username}`.as("username"),
      releasedAt: sql<Date>`${now.getTime()}`.as("released_at"),
    })
    .from(users)
    .where(and(finalizing, isNotNull(users.username)));
  const olderNames = db
    .select({ username: usernameHolds.username, releasedAt: usernameHolds.releasedAt })
    .from(usernameHolds)
    .where(inArray(usernameHolds.userId, db.select({ id: users.id }).from(users).where(finalizing)));
  // `WHERE true`: SQLite needs a WHERE before an upsert's ON CONFLICT after INSERT … SELECT.
  return db
    .insert(usernameHolds)
    .select(sql`SELECT username, NULL, released_at, 0 FROM ${currentNames.unionAll(olderNames)} WHERE true`)
    .onConflictDoUpdate({
      target: usernameHolds.username,
      set: { userId: null, releasedAt: sql`excluded.released_at`, revertible: false },
    });
}

/** Expired holds: nothing left to protect. For the cron. */
export function purgeExpiredHolds(db: Db, cutoff: Date) {
  return db.delete(usernameHolds).where(lte(usernameHolds.releasedAt, cutoff));
}
