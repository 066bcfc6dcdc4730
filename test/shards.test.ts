import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bucketInObjectId, newObjectIdInBucket } from "../src/lib/ids";
import { settings } from "../src/lib/settings";
import { BUCKETS, bucketOf, shardBindings, shardOf, shardOfBucket } from "../src/lib/shards";

// A user's shard is a pure function of the id: a bucket from a stable hash, and the bucket's shard
// from SHARD_OF_BUCKET (or an even split over the bound USERS_* bindings).

/** The test env with its buckets placed by `map` (the test env's own SHARD_OF_BUCKET is empty). */
const mapped = (map: string) => ({ ...env, SHARD_OF_BUCKET: map }) as Env;

describe("the shard of a user", () => {
  it("hashes an id to the same bucket every time, and ids spread evenly over the buckets", () => {
    expect(bucketOf("507f1f77bcf86cd799439011")).toBe(bucketOf("507f1f77bcf86cd799439011"));
    const perShard = [0, 0, 0, 0];
    for (let index = 0; index < 8000; index += 1) {
      const id = index.toString(16).padStart(24, "0");
      const bucket = bucketOf(id);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(BUCKETS);
      perShard[shardOf(env, id)] = (perShard[shardOf(env, id)] ?? 0) + 1;
    }
    // Even within 10% of 2,000 each, for sequential ids (the hardest case for a weak hash).
    for (const count of perShard) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });

  it("splits the buckets evenly over the bound shards when SHARD_OF_BUCKET is empty", () => {
    expect(env.SHARD_OF_BUCKET).toBe("");
    expect(shardBindings(env)).toHaveLength(4);
    expect([0, 255, 256, 511, 512, 1023].map((bucket) => shardOfBucket(env, bucket))).toEqual([
      0, 0, 1, 1, 2, 3,
    ]);
  });

  it("follows SHARD_OF_BUCKET's ranges", () => {
    const moved = mapped("0-9:3, 10-1023:0");
    expect([0, 9, 10, 1023].map((bucket) => shardOfBucket(moved, bucket))).toEqual([3, 3, 0, 0]);
  });

  it.each([
    ["a bucket without a shard", "0-1022:0", "bucket 1023 has no shard"],
    ["a bucket named twice", "0-1023:0,5-5:1", "bucket 5 is named twice"],
    ["something else", "all:0", "expected ranges like 0-511:0,512-1023:1"],
  ])("refuses %s, naming the setting", (_label, map, problem) => {
    expect(() => settings(mapped(map))).toThrow(`SHARD_OF_BUCKET: ${problem}`);
  });

  it("an export id carries its owner's bucket, so its download finds the shard without a lookup", () => {
    for (const bucket of [0, 1, 511, 1023]) {
      const id = newObjectIdInBucket(bucket);
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(bucketInObjectId(id)).toBe(bucket);
    }
  });
});
