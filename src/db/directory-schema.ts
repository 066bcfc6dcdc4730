import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

// The directory (binding DIRECTORY, migrations in migrations-directory/): one small database, the
// only judge of what must be unique across the users' shards. Its primary keys settle races
// between users on different shards. Times are epoch milliseconds, as in the shards.
const time = (name: string) => integer(name, { mode: "timestamp_ms" });
const flag = (name: string) => integer(name, { mode: "boolean" });

/**
 * Usernames in use (stored lowercased), each by one user. A change claims the new name here first
 * (`pendingSince` set), then writes the user's shard, then marks the claim applied and gives the old
 * name up; the cron settles a claim left pending (the shard write failed, or the request died).
 */
export const usernames = sqliteTable(
  "usernames",
  {
    username: text("username").primaryKey(),
    userId: text("user_id").notNull(),
    claimedAt: time("claimed_at").notNull(),
    pendingSince: time("pending_since"),
  },
  (t) => [index("usernames_user_idx").on(t.userId), index("usernames_pending_idx").on(t.pendingSince)],
);

// A username given up recently, held so nobody can snipe it: for the user who gave it up
// (`userId`, who may take it back), or for nobody (`userId` null: a finalized account's name).
// Active while `releasedAt` is within USERNAME_HOLD_DAYS; the primary key is the race arbiter.
export const usernameHolds = sqliteTable(
  "username_holds",
  {
    username: text("username").primaryKey(),
    userId: text("user_id"),
    releasedAt: time("released_at").notNull(),
    // Whether the owner may take it back inside the change cooldown: once, so a revert's own
    // given-up name is held without it.
    revertible: flag("revertible").notNull().default(false),
  },
  (t) => [
    index("username_holds_released_idx").on(t.releasedAt),
    // Finalization and the revert look a user's holds up by owner.
    index("username_holds_user_idx").on(t.userId),
  ],
);

/**
 * Emails in use, as a keyed hash of the normalized address (EMAIL_HASH_SECRET), never the address:
 * the directory can say "taken" without holding anyone's email. Claimed like usernames.
 */
export const emails = sqliteTable(
  "emails",
  {
    emailHash: text("email_hash").primaryKey(),
    userId: text("user_id").notNull(),
    claimedAt: time("claimed_at").notNull(),
    pendingSince: time("pending_since"),
  },
  (t) => [index("emails_user_idx").on(t.userId), index("emails_pending_idx").on(t.pendingSince)],
);
