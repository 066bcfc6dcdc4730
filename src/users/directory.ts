import { and, asc, eq, isNotNull, isNull, lte, ne, not, type SQL, sql } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import { emails, usernameHolds, usernames } from "../db/directory-schema";
import { settings } from "../lib/settings";
import { emailHash as hashEmail } from "./email-hash";
import { heldForOthers, revertibleBy } from "./username-hold";

// Uniqueness across shards. A change claims in the directory first (the primary key settles any
// race between shards), then writes the user's shard, then marks the claim applied and gives up
// what the user held before. A claim left pending (the shard write failed, or the request died)
// is settled by the cron from the shard's own row: kept if the shard has it, dropped if not.

/** The directory, always at its primary: its reads decide availability. */
export const directoryOf = (env: Env): Db => createDb(env.DIRECTORY);

/** Holds the claimed names `which` selects: for `holder` (a column or NULL), released now. */
function holdNames(directory: Db, which: SQL, holder: SQL, revertible: boolean, now: Date) {
  return directory
    .insert(usernameHolds)
    .select(
      directory
        .select({
          username: usernames.username,
          userId: sql<string | null>`${holder}`.as("user_id"),
          releasedAt: sql<number>`${now.getTime()}`.as("released_at"),
          revertible: sql<boolean>`${revertible ? 1 : 0}`.as("revertible"),
        })
        .from(usernames)
        .where(which),
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

export type UsernameClaim = { claimed: boolean; revert: boolean; heldForOthers: boolean };

/**
 * Claims `username` for `userId` unless another user has it or it is held for someone else; a
 * claim the user already has counts, left as it is. One directory batch, which also says whether
 * the user is taking back a name they gave up (a revert, allowed inside the cooldown).
 */
export async function claimUsername(
  directory: Db,
  userId: string,
  username: string,
  cutoff: Date,
  now: Date,
): Promise<UsernameClaim> {
  const candidate = directory
    .select({
      username: sql<string>`${username}`.as("username"),
      userId: sql<string>`${userId}`.as("user_id"),
      claimedAt: sql<number>`${now.getTime()}`.as("claimed_at"),
      pendingSince: sql<number>`${now.getTime()}`.as("pending_since"),
    })
    .from(sql`(SELECT 1)`)
    .where(not(heldForOthers(directory, username, userId, cutoff)));
  const [claimed, [facts]] = await directory.batch([
    directory
      .insert(usernames)
      .select(candidate)
      // The user's own claim stays as it is (applied or pending): this change did not make it.
      .onConflictDoUpdate({
        target: usernames.username,
        set: { claimedAt: sql`${usernames.claimedAt}` },
        setWhere: sql`${usernames.userId} = excluded.user_id`,
      })
      .returning({ username: usernames.username }),
    directory
      .select({
        revert: sql<number>`${revertibleBy(directory, username, userId, cutoff)}`,
        heldForOthers: sql<number>`${heldForOthers(directory, username, userId, cutoff)}`,
      })
      .from(sql`(SELECT 1)`),
  ]);
  return {
    claimed: claimed.length > 0,
    revert: Boolean(facts?.revert),
    heldForOthers: Boolean(facts?.heldForOthers),
  };
}

/**
 * After the shard took `username`: the claim is applied, every other name the user had (applied)
 * is held for them (revertible unless this change was itself a revert), and a hold on the new name
 * is used up. Idempotent.
 */
export function finishUsernameChange(
  directory: Db,
  userId: string,
  username: string,
  revertible: boolean,
  now: Date,
) {
  // Applied claims only: a parallel change's pending claim is that change's to apply or give back.
  const others = and(
    eq(usernames.userId, userId),
    ne(usernames.username, username),
    isNull(usernames.pendingSince),
  ) as SQL;
  return directory.batch([
    holdNames(directory, others, sql`${usernames.userId}`, revertible, now),
    directory.delete(usernames).where(others),
    directory
      .update(usernames)
      .set({ pendingSince: null })
      .where(and(eq(usernames.username, username), eq(usernames.userId, userId))),
    directory.delete(usernameHolds).where(eq(usernameHolds.username, username)),
  ]);
}

/** The shard refused the change: the name goes back, if the claim was this change's. */
export function abandonUsernameClaim(directory: Db, userId: string, username: string) {
  return directory
    .delete(usernames)
    .where(
      and(eq(usernames.username, username), eq(usernames.userId, userId), isNotNull(usernames.pendingSince)),
    );
}

// ---- Emails ----------------------------------------------------------------------------------

/** The directory's name for an email: a keyed hash (EMAIL_HASH_SECRET), never the address. */
export async function emailHash(env: Env, email: string): Promise<string> {
  const secret = settings(env).EMAIL_HASH_SECRET;
  if (!secret) throw new Error("EMAIL_HASH_SECRET is not configured");
  return hashEmail(secret, email);
}

/** Claims an email (by hash) for `userId` unless another user has it; one statement. */
export async function claimEmail(directory: Db, userId: string, hash: string, now: Date): Promise<boolean> {
  const claimed = await directory
    .insert(emails)
    .values({ emailHash: hash, userId, claimedAt: now, pendingSince: now })
    .onConflictDoUpdate({
      target: emails.emailHash,
      // The user's own claim stays as it is (applied or pending): this change did not make it.
      set: { claimedAt: sql`${emails.claimedAt}` },
      setWhere: sql`${emails.userId} = excluded.user_id`,
    })
    .returning({ emailHash: emails.emailHash });
  return claimed.length > 0;
}

/** After the shard took the email (or cleared it: `hash` null): the user's other emails go. */
export function finishEmailChange(directory: Db, userId: string, hash: string | null) {
  return directory.batch([
    directory
      .delete(emails)
      .where(and(eq(emails.userId, userId), hash === null ? undefined : ne(emails.emailHash, hash))),
    directory
      .update(emails)
      .set({ pendingSince: null })
      .where(and(eq(emails.emailHash, hash ?? ""), eq(emails.userId, userId))),
  ]);
}

export function abandonEmailClaim(directory: Db, userId: string, hash: string) {
  return directory
    .delete(emails)
    .where(and(eq(emails.emailHash, hash), eq(emails.userId, userId), isNotNull(emails.pendingSince)));
}

// ---- Finalization and the cron ----------------------------------------------------------------

/**
 * A finalized account gives everything up: its username is held for nobody (as are the names it
 * still held), its email is forgotten. One directory batch, idempotent: run by the account's drain.
 */
export function releaseAccount(directory: Db, userId: string, now: Date) {
  return directory.batch([
    holdNames(directory, eq(usernames.userId, userId), sql`NULL`, false, now),
    directory
      .update(usernameHolds)
      .set({ userId: null, revertible: false })
      .where(eq(usernameHolds.userId, userId)),
    directory.delete(usernames).where(eq(usernames.userId, userId)),
    directory.delete(emails).where(eq(emails.userId, userId)),
  ]);
}

/** A claim pending this long has outlived any request: the cron settles it. */
export const CLAIM_STALE_MS = 15 * 60 * 1000;
const SETTLE_PAGE = 100;

/** The oldest claims still pending before `before`, usernames and emails. */
export async function stalePendingClaims(directory: Db, before: Date) {
  const [names, mails] = await directory.batch([
    directory
      .select({ username: usernames.username, userId: usernames.userId })
      .from(usernames)
      .where(lte(usernames.pendingSince, before))
      .orderBy(asc(usernames.pendingSince))
      .limit(SETTLE_PAGE),
    directory
      .select({ emailHash: emails.emailHash, userId: emails.userId })
      .from(emails)
      .where(lte(emails.pendingSince, before))
      .orderBy(asc(emails.pendingSince))
      .limit(SETTLE_PAGE),
  ]);
  return { names, mails };
}
