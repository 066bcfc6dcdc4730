import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { userCounters, users } from "../../db/schema";
import type { AccountHandle } from "../../lib/account-handle";

/**
 * The counts, in the same statement as the token's account check (one round trip), from one
 * primary-key row whatever the counts: the triggers keep it exact. Null: no active account.
 */
export async function readStats(db: Db, account: AccountHandle) {
  const [row] = await db
    .select({
      followersCount: sql<number>`coalesce(${userCounters.followersCount}, 0)`,
      followingCount: sql<number>`coalesce(${userCounters.followingCount}, 0)`,
      liveStreamsCount: sql<number>`coalesce(${userCounters.liveStreamsCount}, 0)`,
    })
    .from(users)
    .leftJoin(userCounters, sql`${userCounters.userId} = ${users.id}`)
    .where(account.row())
    .limit(1);
  return row ?? null;
}
