import { createDb } from "../db/client";
import { follows } from "../db/schema";
import { BUCKETS, shardBinding, shardOf, shardOfBucket } from "../lib/shards";

export type FollowEdge = { followerId: string; followeeId: string; createdAt: Date };

// D1 binds at most 100 parameters a statement; an edge takes three.
const EDGES_PER_STATEMENT = 33;

/**
 * Writes follow edges where they live: on the follower's shard (its following) and on the
 * followee's (its followers), one row when both are on the same shard. Each half is an INSERT OR
 * IGNORE (and migration 0002's trigger ignores a duplicate whatever the conflict clause), so a
 * replay changes nothing; the counter triggers count each half on its own user's shard. Each
 * shard's halves are one batch; the shards are written side by side.
 */
export async function writeFollows(env: Env, edges: readonly FollowEdge[]): Promise<void> {
  const byShard = new Map<number, FollowEdge[]>();
  for (const edge of edges) {
    for (const shard of new Set([shardOf(env, edge.followerId), shardOf(env, edge.followeeId)])) {
      byShard.set(shard, [...(byShard.get(shard) ?? []), edge]);
    }
  }
  await Promise.all(
    [...byShard].map(async ([shard, halves]) => {
      const db = createDb(shardBinding(env, shard));
      const statements = [];
      for (let start = 0; start < halves.length; start += EDGES_PER_STATEMENT) {
        statements.push(
          db
            .insert(follows)
            .values(halves.slice(start, start + EDGES_PER_STATEMENT))
            .onConflictDoNothing(),
        );
      }
      const [head, ...rest] = statements;
      if (head) await db.batch([head, ...rest]);
    }),
  );
}

/** One follow: `followerId` follows `followeeId`. */
export const writeFollow = (env: Env, followerId: string, followeeId: string, createdAt = new Date()) =>
  writeFollows(env, [{ followerId, followeeId, createdAt }]);

const bucketHolders = new WeakMap<Env, ReadonlySet<number>>();

/**
 * The shards other than the user's own that may hold the other halves of the user's follow edges:
 * every shard that holds a bucket (a shard without buckets holds no user, so no half of an edge).
 */
export function otherShardsOf(env: Env, userId: string): number[] {
  let holders = bucketHolders.get(env);
  if (!holders) {
    const found = new Set<number>();
    for (let bucket = 0; bucket < BUCKETS; bucket += 1) found.add(shardOfBucket(env, bucket));
    holders = found;
    bucketHolders.set(env, holders);
  }
  const own = shardOf(env, userId);
  return [...holders].filter((shard) => shard !== own).sort((a, b) => a - b);
}
