import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are epoch milliseconds; the API renders them as ISO 8601 UTC.
const time = (name: string) => integer(name, { mode: "timestamp_ms" });
const flag = (name: string) => integer(name, { mode: "boolean" });

export const ACCOUNT_DELETION_STATUSES = ["pending", "cancelled", "finalized"] as const;
export const AVAILABILITY_STATUSES = ["available", "busy", "away", "offline"] as const;
export const GENDERS = ["male", "female", "other", "prefer_not_to_say"] as const;
export const ROLES = ["user", "admin"] as const;

export const users = sqliteTable(
  "users",
  {
    // In the seed's order of the user object, which the API view follows.
    id: text("id").primaryKey(),
    name: text("name"),
    surname: text("surname"),
    // Stored lowercased; null once an account is finalized, which frees the name.
    username: text("username"),
    usernameChangedAt: time("username_changed_at"),
    availabilityStatus: text("availability_status", { enum: AVAILABILITY_STATUSES })
      .notNull()
      .default("available"),
    countryCode: text("country_code"),
    phoneNumber: text("phone_number"),
    gender: text("gender", { enum: GENDERS }),
    birthDate: time("birth_date"),
    interests: text("interests", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    expertise: text("expertise"),
    privacyPolicyAccepted: flag("privacy_policy_accepted").notNull().default(false),
    privacyPolicyVersion: text("privacy_policy_version"),
    termsOfUseAccepted: flag("terms_of_use_accepted").notNull().default(false),
    termsOfUseVersion: text("terms_of_use_version"),
    consentFormAccepted: flag("consent_form_accepted").notNull().default(false),
    consentFormVersion: text("consent_form_version"),
    isRegistrationComplete: flag("is_registration_complete").notNull().default(false),
    roles: text("roles", { mode: "json" })
      .$type<(typeof ROLES)[number][]>()
      .notNull()
      .default(sql`'["user"]'`),
    profilePhotoId: text("profile_photo_id"),
    // The R2 key of the current photo; built by the server, never from a file name.
    profilePhotoKey: text("profile_photo_key"),
    lastLogin: time("last_login"),
    createdAt: time("created_at").notNull(),
    updatedAt: time("updated_at").notNull(),
    // Kept as the user typed it; uniqueness is case-insensitive (index below).
    email: text("email"),
    bio: text("bio"),
    instagram: text("instagram"),
    tiktok: text("tiktok"),
    x: text("x"),
    snapchat: text("snapchat"),
    facebook: text("facebook"),
    accountDeletionStatus: text("account_deletion_status", { enum: ACCOUNT_DELETION_STATUSES }),
    accountDeletionReason: text("account_deletion_reason"),
    accountDeletionRequestedAt: time("account_deletion_requested_at"),
    accountDeletionScheduledFor: time("account_deletion_scheduled_for"),
    accountDeletionCancelledAt: time("account_deletion_cancelled_at"),
    accountDeletionFinalizedAt: time("account_deletion_finalized_at"),
    deletedAt: time("deleted_at"),
  },
  (t) => [
    uniqueIndex("users_username_unique").on(t.username),
    uniqueIndex("users_email_lower_unique").on(sql`lower(${t.email})`),
    // The cron's scan: pending accounts in due order, read straight from the index (the id makes
    // the order total, for keyset pages, and the index covering, so no temp B-tree).
    index("users_deletion_due_idx").on(t.accountDeletionStatus, t.accountDeletionScheduledFor, t.id),
  ],
);

// An edge is kept on both users' shards (the follower's for its following, the followee's for its
// followers; one row when they share a shard), so it names users of other databases: no foreign
// keys. Written by src/users/follows.ts.
export const follows = sqliteTable(
  "follows",
  {
    followerId: text("follower_id").notNull(),
    followeeId: text("followee_id").notNull(),
    createdAt: time("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.followerId, t.followeeId] }),
    index("follows_followee_idx").on(t.followeeId),
  ],
);

export const liveStreams = sqliteTable(
  "live_streams",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title"),
    startedAt: time("started_at").notNull(),
    endedAt: time("ended_at"),
  },
  (t) => [index("live_streams_user_idx").on(t.userId)],
);

// One row per user, kept exact by triggers on follows and live_streams (see the counters
// migration), so reading a user's stats costs one row whatever the counts.
export const userCounters = sqliteTable("user_counters", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  followersCount: integer("followers_count").notNull().default(0),
  followingCount: integer("following_count").notNull().default(0),
  liveStreamsCount: integer("live_streams_count").notNull().default(0),
});

export const ACCOUNT_EVENT_TYPES = [
  "deletion_requested",
  "deletion_cancelled",
  "deletion_finalized",
] as const;
export const EVENT_SOURCES = ["user", "cron", "admin"] as const;

// The account lifecycle's audit trail: ids, times and client facts only, never personal data.
export const accountEvents = sqliteTable(
  "account_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id").notNull(),
    event: text("event", { enum: ACCOUNT_EVENT_TYPES }).notNull(),
    source: text("source", { enum: EVENT_SOURCES }).notNull(),
    platform: text("platform"),
    appVersion: text("app_version"),
    deviceId: text("device_id"),
    createdAt: time("created_at").notNull(),
  },
  (t) => [index("account_events_user_idx").on(t.userId, t.createdAt)],
);

// R2 objects still to delete: replaced photos whose delete failed and every object of a
// finalized account. The cron drains it; a row leaves only once R2 confirmed the delete.
export const mediaOutbox = sqliteTable(
  "media_outbox",
  {
    key: text("key").primaryKey(),
    userId: text("user_id").notNull(),
    enqueuedAt: time("enqueued_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
  },
  (t) => [index("media_outbox_enqueued_idx").on(t.enqueuedAt)],
);

export type UserRow = typeof users.$inferSelect;

// ---- Data export -------------------------------------------------------------------------

export const DATA_EXPORT_STATUSES = ["building", "ready", "failed"] as const;

// A user's latest data export, one row per user: the primary key is what makes "one export at a
// time, one a day" a single conditional upsert. The archive's R2 key is fixed when the export
// starts, so an object a build may have stored is always named by a row until its row goes.
export const dataExports = sqliteTable(
  "data_exports",
  {
    userId: text("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    status: text("status", { enum: DATA_EXPORT_STATUSES }).notNull(),
    objectKey: text("object_key").notNull(),
    sizeBytes: integer("size_bytes"),
    requestedAt: time("requested_at").notNull(),
    completedAt: time("completed_at"),
    // When the archive and this row are deleted (the cron), whatever the status.
    expiresAt: time("expires_at").notNull(),
  },
  (t) => [uniqueIndex("data_exports_id_unique").on(t.id), index("data_exports_expires_idx").on(t.expiresAt)],
);

export type DataExportRow = typeof dataExports.$inferSelect;

// ---- Erasure and account events --------------------------------------------------------

export const PUBLISHED_EVENT_TYPES = [
  "account.deletion_requested",
  "account.deletion_cancelled",
  "account.finalized",
  "account.username_changed",
] as const;

/**
 * The events outbox: each account transition writes its event here in the transition's own D1
 * batch, so an event exists exactly when the transition committed. Sent to the ACCOUNT_EVENTS
 * queue after the commit and again by the cron until `sent_at` is set. Rows stay after sending
 * (without their payload) because they number each user's events.
 */
export const accountEventOutbox = sqliteTable(
  "account_event_outbox",
  {
    eventId: text("event_id").primaryKey(),
    userId: text("user_id").notNull(),
    // 1, 2, 3… per user; the unique index makes a second writer of the same number fail its batch.
    sequence: integer("sequence").notNull(),
    type: text("type", { enum: PUBLISHED_EVENT_TYPES }).notNull(),
    source: text("source", { enum: EVENT_SOURCES }).notNull(),
    occurredAt: time("occurred_at").notNull(),
    // The event's own fields (old and new username); cleared once the queue accepted the event.
    payload: text("payload", { mode: "json" }).$type<Record<string, string | null>>(),
    sentAt: time("sent_at"),
    attempts: integer("attempts").notNull().default(0),
  },
  (t) => [
    uniqueIndex("account_event_outbox_user_sequence_unique").on(t.userId, t.sequence),
    index("account_event_outbox_unsent_idx").on(t.sentAt, t.occurredAt),
  ],
);

/**
 * R2 prefixes still to empty (every object under a finalized user's prefixes). A row leaves only
 * once a listing of its prefix came back empty; the cron retries what R2 refused.
 */
export const mediaPrefixJobs = sqliteTable(
  "media_prefix_jobs",
  {
    prefix: text("prefix").primaryKey(),
    userId: text("user_id").notNull(),
    enqueuedAt: time("enqueued_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
  },
  (t) => [
    index("media_prefix_jobs_user_idx").on(t.userId),
    // The cron resends the jobs whose last message is older than a run: oldest first.
    index("media_prefix_jobs_enqueued_idx").on(t.enqueuedAt),
  ],
);

// The text steps first (free text, device ids, queued usernames), then the follow edges: the ones
// the account made (usually few), then its followers (a celebrity's millions).
export const CLEANUP_STEPS = [
  "streamTitles",
  "deviceIds",
  "eventPayloads",
  "following",
  "followers",
] as const;

/**
 * A finalized account whose rows are still being removed in bounded chunks (src/cleanup/): the
 * follow edges both ways, and any free text the finalization batch left for later. Written in
 * the finalization batch, deleted by the chunk that finds nothing left; `updatedAt` moves with
 * every chunk, so the cron can tell a stalled drain (a lost or dead-lettered message) and resume it.
 */
export const accountCleanupJobs = sqliteTable(
  "account_cleanup_jobs",
  {
    userId: text("user_id").primaryKey(),
    step: text("step", { enum: CLEANUP_STEPS }).notNull(),
    enqueuedAt: time("enqueued_at").notNull(),
    updatedAt: time("updated_at").notNull(),
  },
  (t) => [index("account_cleanup_jobs_updated_idx").on(t.updatedAt)],
);

/** Where the cron's sweep for unreferenced objects stopped in the bucket listing, per prefix. */
export const mediaSweepCursors = sqliteTable("media_sweep_cursors", {
  prefix: text("prefix").primaryKey(),
  cursor: text("cursor"),
  updatedAt: time("updated_at").notNull(),
});
