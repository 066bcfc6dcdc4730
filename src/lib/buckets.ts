// Which bucket a user id falls in, without dependencies: the Worker (src/lib/shards.ts) and the
// local scripts (seed, dev:user) place users with this one function.

/** The virtual buckets users hash into: fixed for the life of the data. */
export const BUCKETS = 1024;

/** FNV-1a: stable, synchronous and cheap; ids come from our token issuer, not from clients. */
export function bucketOf(userId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < userId.length; index += 1) {
    hash ^= userId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}

/** A bucket's shard when no SHARD_OF_BUCKET is set: the buckets split evenly, in order. */
export const evenShardOf = (bucket: number, shardCount: number) =>
  Math.floor((bucket * shardCount) / BUCKETS);
