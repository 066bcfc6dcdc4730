import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { follows, liveStreams, userCounters } from "../src/db/schema";
import { readStats } from "../src/features/users/users.service";
import { newObjectId } from "../src/lib/ids";
import { shardOf } from "../src/lib/shards";
import { writeFollow } from "../src/users/follows";
import { accountHandleOf, call, createUser, d1Of, dbOf, everyShardDb, tokenFor } from "./helpers";

// GET /users/me/stats reads user_counters, which triggers keep in step with follows and live_streams.

type Stats = { followersCount: number; followingCount: number; liveStreamsCount: number };

async function stats(userId: string): Promise<Stats> {
  const { status, body } = await call<Stats>("/api/v1/users/me/stats", { token: await tokenFor(userId) });
  expect(status).toBe(200);
  return body.data;
}

const follow = (followerId: string, followeeId: string) => writeFollow(env, followerId, followeeId);

/** The shards that hold a half of the edge: the follower's and the followee's (one when they share it). */
const edgeShards = (followerId: string, followeeId: string) => [
  ...new Set([d1Of(followerId), d1Of(followeeId)]),
];

/** Deletes both halves of the edge, each on its shard. */
async function unfollow(followerId: string, followeeId: string) {
  for (const d1 of edgeShards(followerId, followeeId)) {
    await createDb(d1)
      .delete(follows)
      .where(and(eq(follows.followerId, followerId), eq(follows.followeeId, followeeId)));
  }
}

async function startStream(userId: string) {
  const id = newObjectId();
  await dbOf(userId).insert(liveStreams).values({ id, userId, title: "live", startedAt: new Date() });
  return id;
}

/** A new user on the same shard as `userId`: for row moves, which a trigger counts within one database. */
function createUserBeside(userId: string) {
  for (;;) {
    const id = newObjectId();
    if (shardOf(env, id) === shardOf(env, userId)) return createUser({ id });
  }
}

describe("GET /api/v1/users/me/stats", () => {
  it("a new user has zeros", async () => {
    const user = await createUser();
    expect(await stats(user.id)).toEqual({ followersCount: 0, followingCount: 0, liveStreamsCount: 0 });
  });

  it("needs a token", async () => {
    const { status } = await call("/api/v1/users/me/stats");
    expect(status).toBe(401);
  });

  it("a follow counts on both sides, and an unfollow takes it back", async () => {
    const alice = await createUser();
    const bob = await createUser();
    const carol = await createUser();

    await follow(alice.id, bob.id);
    expect(await stats(alice.id)).toEqual({ followersCount: 0, followingCount: 1, liveStreamsCount: 0 });
    expect(await stats(bob.id)).toEqual({ followersCount: 1, followingCount: 0, liveStreamsCount: 0 });

    await follow(carol.id, bob.id);
    await follow(bob.id, alice.id);
    await follow(alice.id, carol.id);
    expect(await stats(alice.id)).toEqual({ followersCount: 1, followingCount: 2, liveStreamsCount: 0 });
    expect(await stats(bob.id)).toEqual({ followersCount: 2, followingCount: 1, liveStreamsCount: 0 });
    expect(await stats(carol.id)).toEqual({ followersCount: 1, followingCount: 1, liveStreamsCount: 0 });

    await unfollow(alice.id, bob.id);
    expect(await stats(alice.id)).toEqual({ followersCount: 1, followingCount: 1, liveStreamsCount: 0 });
    expect(await stats(bob.id)).toEqual({ followersCount: 1, followingCount: 1, liveStreamsCount: 0 });
  });

  it("a duplicate follow counts once (whether the insert is refused or ignored)", async () => {
    const alice = await createUser();
    const bob = await createUser();
    await follow(alice.id, bob.id);
    await follow(alice.id, bob.id);
    // Each half again on its shard, as a plain insert and as an ignored one.
    for (const d1 of edgeShards(alice.id, bob.id)) {
      const db = createDb(d1);
      await db.insert(follows).values({ followerId: alice.id, followeeId: bob.id, createdAt: new Date() });
      await db
        .insert(follows)
        .values({ followerId: alice.id, followeeId: bob.id, createdAt: new Date() })
        .onConflictDoNothing();
    }
    expect((await stats(bob.id)).followersCount).toBe(1);
    expect((await stats(alice.id)).followingCount).toBe(1);
  });

  it("deleting many follows at once (as finalizing an account does) keeps the other side exact", async () => {
    const leaving = await createUser();
    const others = [await createUser(), await createUser(), await createUser()];
    for (const other of others) {
      await follow(leaving.id, other.id);
      await follow(other.id, leaving.id);
    }
    expect(await stats(leaving.id)).toMatchObject({ followersCount: 3, followingCount: 3 });

    // Every half of the account's edges, on every shard.
    for (const db of everyShardDb()) {
      await db.delete(follows).where(eq(follows.followerId, leaving.id));
      await db.delete(follows).where(eq(follows.followeeId, leaving.id));
    }
    expect(await stats(leaving.id)).toMatchObject({ followersCount: 0, followingCount: 0 });
    for (const other of others) {
      expect(await stats(other.id)).toEqual({ followersCount: 0, followingCount: 0, liveStreamsCount: 0 });
    }
  });

  it("live streams are counted as they are inserted and deleted", async () => {
    const streamer = await createUser();
    const viewer = await createUser();
    const first = await startStream(streamer.id);
    await startStream(streamer.id);
    await startStream(streamer.id);
    expect(await stats(streamer.id)).toEqual({ followersCount: 0, followingCount: 0, liveStreamsCount: 3 });
    expect((await stats(viewer.id)).liveStreamsCount).toBe(0);

    await dbOf(streamer.id).delete(liveStreams).where(eq(liveStreams.id, first));
    expect((await stats(streamer.id)).liveStreamsCount).toBe(2);

    // Ending a stream keeps it in the total.
    await dbOf(streamer.id)
      .update(liveStreams)
      .set({ endedAt: new Date() })
      .where(eq(liveStreams.userId, streamer.id));
    expect((await stats(streamer.id)).liveStreamsCount).toBe(2);
  });

  it("a half whose other user is on another shard counts for this shard's user only", async () => {
    // The other user's counters row is on its own shard: here the trigger's UPDATE of it matches
    // no row, and nothing refuses the half (follows has no foreign keys).
    const here = await createUser();
    const elsewhere = newObjectId();
    const db = dbOf(here.id);
    await db.insert(follows).values([
      { followerId: here.id, followeeId: elsewhere, createdAt: new Date() },
      { followerId: elsewhere, followeeId: here.id, createdAt: new Date() },
    ]);
    expect(await stats(here.id)).toMatchObject({ followersCount: 1, followingCount: 1 });
    const absent = await db.select().from(userCounters).where(eq(userCounters.userId, elsewhere));
    expect(absent).toEqual([]);
    await db.delete(follows).where(eq(follows.followerId, elsewhere));
    expect(await stats(here.id)).toMatchObject({ followersCount: 0, followingCount: 1 });
  });

  it("INSERT OR REPLACE of an existing follow counts once", async () => {
    const alice = await createUser();
    const bob = await createUser();
    await follow(alice.id, bob.id);
    for (const d1 of edgeShards(alice.id, bob.id)) {
      await d1
        .prepare("INSERT OR REPLACE INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)")
        .bind(alice.id, bob.id, Date.now())
        .run();
    }
    expect((await stats(bob.id)).followersCount).toBe(1);
    expect((await stats(alice.id)).followingCount).toBe(1);
  });

  it("an UPDATE that moves a follow to another followee moves the count too", async () => {
    const fan = await createUser();
    const before = await createUserBeside(fan.id);
    const after = await createUserBeside(fan.id);
    await follow(fan.id, before.id);
    await dbOf(fan.id)
      .update(follows)
      .set({ followeeId: after.id })
      .where(and(eq(follows.followerId, fan.id), eq(follows.followeeId, before.id)));
    expect((await stats(before.id)).followersCount).toBe(0);
    expect((await stats(after.id)).followersCount).toBe(1);
    expect((await stats(fan.id)).followingCount).toBe(1);
  });

  it("an UPDATE that moves a live stream to another user moves the count too", async () => {
    const from = await createUser();
    const to = await createUserBeside(from.id);
    const stream = await startStream(from.id);
    await dbOf(from.id).update(liveStreams).set({ userId: to.id }).where(eq(liveStreams.id, stream));
    expect((await stats(from.id)).liveStreamsCount).toBe(0);
    expect((await stats(to.id)).liveStreamsCount).toBe(1);
  });
});

describe("the stats read costs the same whatever the counts", () => {
  const MANY = 10_000;
  let few: string;
  let many: string;

  /**
   * Inserts `count` follower accounts of `followeeId` in two statements (ids: prefix + 8 hex
   * digits), all on the followee's shard on purpose: one SQL statement each for speed, whatever
   * shard their ids would hash to. Only the followee's counters and its followers' half are read.
   */
  async function addFollowers(followeeId: string, count: number) {
    const prefix = newObjectId().slice(0, 16);
    const now = Date.now();
    const shard = d1Of(followeeId);
    await shard
      .prepare(
        `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1)
       INSERT INTO users (id, created_at, updated_at) SELECT ?2 || printf('%08x', n), ?3, ?3 FROM seq`,
      )
      .bind(count, prefix, now)
      .run();
    await shard
      .prepare(
        `INSERT INTO follows (follower_id, followee_id, created_at)
       SELECT id, ?1, ?2 FROM users WHERE id >= ?3 AND id <= ?4`,
      )
      .bind(followeeId, now, `${prefix}00000000`, `${prefix}ffffffff`)
      .run();
  }

  /** The statement readStats sends, captured through drizzle's logger, so this test tracks the code. */
  async function statsStatement(userId: string) {
    const logged: { sql: string; params: unknown[] }[] = [];
    const recording = drizzle(d1Of(userId), {
      logger: { logQuery: (sql, params) => logged.push({ sql, params }) },
    });
    await readStats(recording, await accountHandleOf(userId));
    expect(logged).toHaveLength(1);
    const [statement] = logged;
    if (!statement) throw new Error("readStats sent no query");
    return statement;
  }

  /** Rows read by the statement on `userId`'s shard, where its stats are read. */
  async function rowsRead(userId: string, sql: string, params: unknown[]) {
    const result = await d1Of(userId)
      .prepare(sql)
      .bind(...params)
      .all();
    return result.meta.rows_read;
  }

  beforeAll(async () => {
    few = (await createUser()).id;
    many = (await createUser()).id;
    await addFollowers(few, 10);
    await addFollowers(many, MANY);
  }, 60_000);

  it("the counters are exact at scale", async () => {
    expect((await stats(few)).followersCount).toBe(10);
    expect((await stats(many)).followersCount).toBe(MANY);
  });

  it("reads at most 2 rows, the same for 10 and for 10,000 followers", async () => {
    const forFew = await statsStatement(few);
    const forMany = await statsStatement(many);
    expect(forMany.sql).toBe(forFew.sql);
    const fewRows = await rowsRead(few, forFew.sql, forFew.params);
    const manyRows = await rowsRead(many, forMany.sql, forMany.params);
    expect(manyRows).toBe(fewRows);
    expect(manyRows).toBeGreaterThanOrEqual(1);
    expect(manyRows).toBeLessThanOrEqual(2);
  });

  it("(control) counting the follow rows instead would read one row per follower", async () => {
    const sql = "SELECT count(*) AS n FROM follows WHERE followee_id = ?";
    expect(await rowsRead(many, sql, [many])).toBeGreaterThanOrEqual(MANY);
    expect(await rowsRead(few, sql, [few])).toBeLessThan(100);
  });
});
