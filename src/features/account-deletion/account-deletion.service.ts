import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { accountEvents, type UserRow, users } from "../../db/schema";
import type { ClientContext } from "../../lib/client-headers";
import { ApiError } from "../../lib/errors";
import { addDays } from "../../lib/time";

type Transition = "deletion_requested" | "deletion_cancelled";

/**
 * The audit row of a transition, written in the same batch as the transition and only when the
 * row shows it happened (its timestamp is this request's), so no audit row exists without it.
 */
function auditWhenApplied(
  db: Db,
  userId: string,
  event: Transition,
  client: ClientContext,
  proof: ReturnType<typeof eq>,
  now: Date,
) {
  return db.insert(accountEvents).select(
    db
      .select({
        id: sql<number>`NULL`.as("id"),
        userId: users.id,
        event: sql<Transition>`${event}`.as("event"),
        source: sql<"user">`'user'`.as("source"),
        platform: sql<string>`${client.platform}`.as("platform"),
        appVersion: sql<string | null>`${client.appVersion}`.as("app_version"),
        deviceId: sql<string | null>`${client.deviceId}`.as("device_id"),
        createdAt: sql<number>`${now.getTime()}`.as("created_at"),
      })
      .from(users)
      .where(and(eq(users.id, userId), proof)),
  );
}

export async function requestDeletion(
  db: Db,
  userId: string,
  reason: string | null,
  graceDays: number,
  client: ClientContext,
): Promise<UserRow> {
  const now = new Date();
  const [updated] = await db.batch([
    db
      .update(users)
      .set({
        accountDeletionStatus: "pending",
        accountDeletionReason: reason,
        accountDeletionRequestedAt: now,
        accountDeletionScheduledFor: addDays(now, graceDays),
        accountDeletionCancelledAt: null,
        updatedAt: now,
      })
      .where(
        and(
          eq(users.id, userId),
          or(isNull(users.accountDeletionStatus), eq(users.accountDeletionStatus, "cancelled")),
        ),
      )
      .returning(),
    auditWhenApplied(
      db,
      userId,
      "deletion_requested",
      client,
      eq(users.accountDeletionRequestedAt, now),
      now,
    ),
  ]);
  if (updated[0]) return updated[0];
  const [row] = await db
    .select({ status: users.accountDeletionStatus, until: users.accountDeletionScheduledFor })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (row?.status === "pending" && row.until) {
    throw new ApiError(409, [{ key: "deletion.alreadyPending", params: { until: row.until } }]);
  }
  throw new ApiError(!row || row.status === "finalized" ? 401 : 409);
}

export async function cancelDeletion(db: Db, userId: string, client: ClientContext): Promise<UserRow> {
  const now = new Date();
  const [updated] = await db.batch([
    db
      .update(users)
      .set({ accountDeletionStatus: "cancelled", accountDeletionCancelledAt: now, updatedAt: now })
      .where(and(eq(users.id, userId), eq(users.accountDeletionStatus, "pending")))
      .returning(),
    auditWhenApplied(
      db,
      userId,
      "deletion_cancelled",
      client,
      eq(users.accountDeletionCancelledAt, now),
      now,
    ),
  ]);
  if (updated[0]) return updated[0];
  throw new ApiError(409, [{ key: "deletion.notPending" }]);
}
