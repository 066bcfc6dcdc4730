import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { userCounters, users } from "../../db/schema";
import { activeAccount } from "../../lib/auth";

/**
 * The counts, in the same statement as the token's account check (one round trip), from one
 * primary-key row whatever the counts: the triggers keep it exact. Null: no active account.
 */
export async function readStats(db: Db, userId: string) {
  const [row] = await db
    .select({
      followersCount: sql<number>`coalesce(${userCounters.followersCount}, 0)`,
      followingCount: sql<number>`coalesce(${userCounters.followingCount}, 0)`,
      liveStreamsCount: sql<number>`coalesce(${userCounters.liveStreamsCount}, 0)`,
    })
    .from(users)
    .leftJoin(userCounters, sql`${userCounters.userId} = ${users.id}`)
    .where(activeAccount(userId))
    .limit(1);
  return row ?? null;
}
