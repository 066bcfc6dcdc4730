import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type * as directorySchema from "../db/directory-schema";
import type * as schema from "../db/schema";

/**
 * What finalizing an account does to each column of a row about that person: erased (set to the
 * value given), or kept, with the reason it may outlive the account.
 */
type ColumnDecision<T> = { erase: T } | { keep: string };
export type ColumnPlan<Row> = { [Column in keyof Row]-?: ColumnDecision<Row[Column]> };
/** A table whose rows about the person go entirely. */
type RowsDeleted = { deleteRows: string };

// The shards' tables and the directory's.
type AllTables = typeof schema & typeof directorySchema;
type Tables = {
  [Name in keyof AllTables as AllTables[Name] extends SQLiteTable ? Name : never]: AllTables[Name];
};
type Row<Name extends keyof Tables> = Tables[Name] extends { $inferSelect: infer R } ? R : never;

/**
 * The one place that decides, for every table and every column, what an account deletion erases.
 * A new table or column without a decision here is a type error.
 */
export const ERASURE = {
  users: {
    id: { keep: "the tombstone's identity: other records refer to it" },
    username: { erase: null },
    usernameChangedAt: { erase: null },
    name: { erase: null },
    surname: { erase: null },
    email: { erase: null },
    availabilityStatus: { erase: "offline" },
    countryCode: { erase: null },
    phoneNumber: { erase: null },
    gender: { erase: null },
    birthDate: { erase: null },
    interests: { erase: [] },
    expertise: { erase: null },
    bio: { erase: null },
    instagram: { erase: null },
    tiktok: { erase: null },
    x: { erase: null },
    snapchat: { erase: null },
    facebook: { erase: null },
    privacyPolicyAccepted: { keep: "consent record: what the person agreed to, describing nobody" },
    privacyPolicyVersion: { keep: "consent record" },
    termsOfUseAccepted: { keep: "consent record" },
    termsOfUseVersion: { keep: "consent record" },
    consentFormAccepted: { keep: "consent record" },
    consentFormVersion: { keep: "consent record" },
    isRegistrationComplete: { keep: "account state, not about the person" },
    roles: { keep: "account state: who could do what while the account existed" },
    profilePhotoId: { erase: null },
    profilePhotoKey: { erase: null },
    lastLogin: { erase: null },
    createdAt: { keep: "the account's lifecycle times" },
    updatedAt: { keep: "set to the finalization time" },
    accountDeletionStatus: { keep: "set to finalized: the tombstone's state" },
    accountDeletionReason: { erase: null },
    accountDeletionRequestedAt: { keep: "the account's lifecycle times" },
    accountDeletionScheduledFor: { keep: "the account's lifecycle times" },
    accountDeletionCancelledAt: { keep: "the account's lifecycle times" },
    accountDeletionFinalizedAt: { keep: "set to the finalization time" },
    deletedAt: { keep: "set to the finalization time" },
  },
  follows: { deleteRows: "who someone follows, and who follows them, describes them; both directions go" },
  liveStreams: {
    id: { keep: "the platform's record that a stream took place" },
    userId: { keep: "the tombstone's id, not a person's data" },
    // Free text people write about themselves and where they are.
    title: { erase: null },
    startedAt: { keep: "the platform's record of a stream" },
    endedAt: { keep: "the platform's record of a stream" },
  },
  // Gone in the finalization batch: after it the counts describe nobody, and without the row the
  // follow edges' deletions write only the other users' counters (src/users/erasure-chunks.ts).
  userCounters: { deleteRows: "a finalized account has no stats to show" },
  accountEvents: {
    id: { keep: "the audit trail's own sequence" },
    userId: { keep: "the audit trail says whose account changed, by id" },
    event: { keep: "the audit trail" },
    source: { keep: "the audit trail" },
    platform: { keep: "a client kind (web, mobile_ios…), which identifies nobody" },
    appVersion: { keep: "a version number shared by every user of that build" },
    // A device id names a person's phone (often literally: "iPhone-of-…").
    deviceId: { erase: null },
    createdAt: { keep: "the audit trail" },
  },
  // Each event must still reach the other services (at least once); the usernames go once the
  // queue accepted the event, after EVENT_PII_MAX_HOURS whether sent or not
  // (eraseStaleEventUsernames), or at finalization; the event is then sent without them.
  accountEventOutbox: {
    eventId: { keep: "an id for de-duplication" },
    userId: { keep: "the tombstone's id: whose account changed" },
    sequence: { keep: "numbers the user's events; the next one continues from it" },
    type: { keep: "which transition happened" },
    source: { keep: "who started it (user, cron, admin)" },
    occurredAt: { keep: "when the transition happened" },
    payload: { erase: null },
    sentAt: { keep: "delivery state" },
    attempts: { keep: "delivery state" },
  },
  mediaOutbox: { deleteRows: "each row goes once R2 confirmed its object's deletion" },
  mediaPrefixJobs: { deleteRows: "each job goes once R2 confirmed its prefix is empty" },
  mediaSweepCursors: {
    prefix: { keep: "the sweep's own bookkeeping: an R2 key prefix" },
    cursor: { keep: "where the sweep stopped; an R2 listing cursor" },
    updatedAt: { keep: "the sweep's own bookkeeping" },
  },
  usernames: { deleteRows: "a finalized account's name becomes a hold for nobody (usernameHolds)" },
  emails: { deleteRows: "a finalized account's email hash goes when the account is released" },
  usernameHolds: {
    username: {
      keep: "a public handle, held for nobody for USERNAME_HOLD_DAYS so nobody can take it over, then purged",
    },
    userId: { erase: null },
    releasedAt: { keep: "when the hold ends" },
    revertible: { erase: false },
  },
  accountCleanupJobs: {
    userId: { keep: "the tombstone's id: whose rows are still being removed" },
    step: { keep: "the drain's own bookkeeping" },
    enqueuedAt: { keep: "the drain's own bookkeeping" },
    updatedAt: { keep: "the drain's own bookkeeping" },
  },
  dataExports: {
    deleteRows: "an export is a copy of the person's data: the rows go in the finalization batch",
  },
} satisfies { [Name in keyof Tables]: ColumnPlan<Row<Name>> | RowsDeleted };

type ErasedColumns<Plan> = {
  [Column in keyof Plan as Plan[Column] extends { erase: unknown } ? Column : never]: Plan[Column] extends {
    erase: infer Value;
  }
    ? Value
    : never;
};

/** The erased values of a table's plan, for the UPDATE that finalizes its rows. */
export function erasedValues<Plan extends Record<string, ColumnDecision<unknown>>>(
  plan: Plan,
): ErasedColumns<Plan> {
  const values: Record<string, unknown> = {};
  for (const [column, decision] of Object.entries(plan)) {
    if ("erase" in decision) values[column] = structuredClone(decision.erase);
  }
  return values as ErasedColumns<Plan>;
}
