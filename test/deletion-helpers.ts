import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { accountEvents } from "../src/db/schema";
import { clearFlagCache } from "../src/flags/flags";
import { newObjectId } from "../src/lib/ids";
import { shardBinding, shardOf } from "../src/lib/shards";
import { call, createUser, d1Of, dbOf, tokenFor } from "./helpers";

// Shared by the account-deletion, account-lock, feature-flags, finalize and deletion-cron tests.

export const DELETION = "/api/v1/users/me/account-deletion";
export const FINALIZE_NOW = `${DELETION}/finalize-now`;
export const FLAG = "account-deletion-finalize-now";
export const DAY_MS = 24 * 60 * 60 * 1000;

export type DeletionState = {
  userId: string;
  status: "pending" | "cancelled" | "finalized" | null;
  requestedAt: string | null;
  scheduledFor: string | null;
  cancelledAt: string | null;
  canCancel: boolean;
};

/** Creates an admin (roles from the database row) and sets the finalize-now flag through the API. */
export async function setFinalizeNowFlag(enabled: boolean) {
  const admin = await createUser({ roles: ["user", "admin"] });
  const { status, body } = await call<{ key: string; enabled: boolean }>(
    `/api/v1/admin/feature-flags/${FLAG}`,
    {
      method: "PUT",
      token: await tokenFor(admin.id),
      json: { enabled },
    },
  );
  if (status !== 200 || body.data.enabled !== enabled) {
    throw new Error(`could not set ${FLAG}: ${status} ${JSON.stringify(body)}`);
  }
  clearFlagCache();
}

/**
 * The user row exactly as stored on its shard in `layout` (the test env unless a test pins the
 * buckets its own way): snake_case columns, raw values, or null.
 */
export async function rawUser(id: string, layout: Env = env): Promise<Record<string, unknown> | null> {
  return shardBinding(layout, shardOf(layout, id))
    .prepare("SELECT * FROM users WHERE id = ?")
    .bind(id)
    .first<Record<string, unknown>>();
}

/** A user's audit rows as stored on its shard, oldest first. */
export async function rawAuditRows(userId: string): Promise<Record<string, unknown>[]> {
  const { results } = await d1Of(userId)
    .prepare("SELECT * FROM account_events WHERE user_id = ? ORDER BY id")
    .bind(userId)
    .all<Record<string, unknown>>();
  return results;
}

export async function auditEvents(userId: string) {
  return dbOf(userId)
    .select({ event: accountEvents.event, source: accountEvents.source })
    .from(accountEvents)
    .where(eq(accountEvents.userId, userId))
    .orderBy(accountEvents.id);
}

/**
 * Columns a finalized row may keep: ids, timestamps, roles, consent records and the deletion's own
 * state. Every other column must be erased (null, [] or the neutral availability), so a personal
 * column added later fails the finalize tests until finalization erases it too.
 */
export const KEPT_COLUMNS = new Set([
  "id",
  "created_at",
  "updated_at",
  "roles",
  "is_registration_complete",
  "privacy_policy_accepted",
  "privacy_policy_version",
  "terms_of_use_accepted",
  "terms_of_use_version",
  "consent_form_accepted",
  "consent_form_version",
  "account_deletion_status",
  "account_deletion_requested_at",
  "account_deletion_scheduled_for",
  "account_deletion_cancelled_at",
  "account_deletion_finalized_at",
  "deleted_at",
]);

/** Whether a stored value counts as erased. */
export function isErased(column: string, value: unknown): boolean {
  if (column === "interests") return value === "[]";
  if (column === "availability_status") return value === "offline";
  return value === null;
}

/** Personal data for every personal column; unique per call. */
export function personalData(tag = newObjectId().slice(-8)) {
  return {
    username: `person_${tag}`,
    usernameChangedAt: new Date(Date.now() - 40 * DAY_MS),
    name: `Name${tag}`,
    surname: `Surname${tag}`,
    email: `person.${tag}@example.com`,
    availabilityStatus: "busy" as const,
    countryCode: "90",
    phoneNumber: `555${tag.replace(/\D/g, "").padEnd(7, "1").slice(0, 7)}`,
    gender: "female" as const,
    birthDate: new Date("1995-06-15T00:00:00.000Z"),
    interests: [`music${tag}`, "travel"],
    expertise: `designer ${tag}`,
    bio: `bio of ${tag}`,
    instagram: `insta_${tag}`,
    tiktok: `tiktok_${tag}`,
    x: `x_${tag}`,
    snapchat: `snap_${tag}`,
    facebook: `facebook.${tag}`,
    lastLogin: new Date(Date.now() - DAY_MS),
    accountDeletionReason: `reason ${tag}`,
  };
}

// ---- Dates in human messages ------------------------------------------------------------

const MONTHS = {
  en: [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
  ],
  tr: [
    "Ocak",
    "Şubat",
    "Mart",
    "Nisan",
    "Mayıs",
    "Haziran",
    "Temmuz",
    "Ağustos",
    "Eylül",
    "Ekim",
    "Kasım",
    "Aralık",
  ],
} as const;

/**
 * The parts a human message must show for `date` at `timezone` (e.g. "UTC+03:00"): day, month
 * name, year and HH:MM at that offset, and the offset itself. Written independently of src/.
 */
export function dateParts(date: Date, timezone: string, language: "en" | "tr") {
  const match = /^UTC([+-])(\d{2}):(\d{2})$/.exec(timezone);
  const minutes = match ? (Number(match[2]) * 60 + Number(match[3])) * (match[1] === "-" ? -1 : 1) : 0;
  const shifted = new Date(date.getTime() + minutes * 60_000);
  const hhmm = `${String(shifted.getUTCHours()).padStart(2, "0")}:${String(shifted.getUTCMinutes()).padStart(2, "0")}`;
  return {
    dayMonthYear: `${shifted.getUTCDate()} ${MONTHS[language][shifted.getUTCMonth()]} ${shifted.getUTCFullYear()}`,
    time: hhmm,
    zone: `(${timezone})`,
  };
}
