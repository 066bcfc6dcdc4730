import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { userCounters } from "../../db/schema";

/** One primary-key row, whatever the counts: the triggers keep it exact. */
export async function readStats(db: Db, userId: string) {
  const [row] = await db
    .select({
      followersCount: userCounters.followersCount,
      followingCount: userCounters.followingCount,
      liveStreamsCount: userCounters.liveStreamsCount,
    })
    .from(userCounters)
    .where(eq(userCounters.userId, userId))
    .limit(1);
  return row ?? { followersCount: 0, followingCount: 0, liveStreamsCount: 0 };
}
