import { createDb, type Db } from "../db/client";
import { BUCKETS, bucketOf, evenShardOf } from "./buckets";
import { settings } from "./settings";

/**
 * Users live in several D1 databases of one schema (bindings USERS_0 … USERS_{n-1}). A user's
 * shard is a pure function of the id: the id hashes into one of BUCKETS virtual buckets, and each
 * bucket belongs to one shard (SHARD_OF_BUCKET, or an even split of the buckets over the bound
 * shards). A shard grows by moving whole buckets, never by rehashing (README, "Adding a shard").
 */
export { BUCKETS, bucketOf };

const boundShards = new WeakMap<Env, readonly D1Database[]>();

/** The shard bindings in order, USERS_0 first; read once per env object. */
export function shardBindings(env: Env): readonly D1Database[] {
  let bindings = boundShards.get(env);
  if (!bindings) {
    const byName = env as unknown as Record<string, D1Database | undefined>;
    const found: D1Database[] = [];
    for (let binding = byName.USERS_0; binding; binding = byName[`USERS_${found.length}`]) {
      found.push(binding);
    }
    if (found.length === 0) throw new Error("no shard is bound: wrangler.toml needs USERS_0");
    bindings = found;
    boundShards.set(env, bindings);
  }
  return bindings;
}

/** The shard of a bucket: SHARD_OF_BUCKET's entry, or the even split over the bound shards. */
export function shardOfBucket(env: Env, bucket: number): number {
  const assigned = settings(env).SHARD_OF_BUCKET?.[bucket];
  if (assigned !== undefined) return assigned;
  return evenShardOf(bucket, shardBindings(env).length);
}

export const shardOf = (env: Env, userId: string) => shardOfBucket(env, bucketOf(userId));

/** The binding of a shard by index. */
export function shardBinding(env: Env, shard: number): D1Database {
  const binding = shardBindings(env)[shard];
  if (!binding) throw new Error(`no binding USERS_${shard}`);
  return binding;
}

/** A Drizzle client on the shard that holds `userId`, outside a request (jobs, the cron). */
export const shardDbOf = (env: Env, userId: string): Db => createDb(shardBinding(env, shardOf(env, userId)));

/** Every shard's index, for work done shard by shard. */
export const shardIndexes = (env: Env): number[] => shardBindings(env).map((_binding, shard) => shard);
