import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { shardBinding, shardBindings, shardOf } from "../src/lib/shards";
import { type FollowEdge, writeFollows } from "../src/users/follows";
import { watchD1 } from "./d1-observer";
import { DAY_MS, DELETION, FINALIZE_NOW, setFinalizeNowFlag } from "./deletion-helpers";
import { call, type createUser, createUsers, idOnShard, onEveryShard, tokenFor } from "./helpers";
import { afterStall, discardHeldJobs, drainJobs, heldJobs, heldJobsQueue, runCron } from "./jobs";

// The follow graph over the suite's four shards (every bucket spread evenly): an edge is on
// the follower's shard and on the followee's, and finalizing an account removes both halves, the
// other shards' through the queue, with every counter exact on every shard once it is drained.

const SHARDS = shardBindings(env).length;
const CHUNK_ROWS = 100;

/** Creates complete users, one on each of `shards`; returns their ids. */
async function usersOn(shards: number[], overrides: Parameters<typeof createUser>[0] = {}) {
  const created = await createUsers(shards.map((shard) => ({ ...overrides, id: idOnShard(shard) })));
  return created.map((user) => user.id);
}

const everyShard = (count: number) => Array.from({ length: SHARDS * count }, (_, index) => index % SHARDS);

type Graph = { leaving: string; others: string[]; edges: FollowEdge[] };

/**
 * An account on shard 0, pending and due, followed by `followersPerShard` users on every shard and
 * following one on each; the others follow each other across shards too.
 */
async function graph(followersPerShard: number, dueAgo = DAY_MS): Promise<Graph> {
  const [leaving] = await usersOn([0], {
    accountDeletionStatus: "pending",
    accountDeletionRequestedAt: new Date(Date.now() - 2 * dueAgo),
    accountDeletionScheduledFor: new Date(Date.now() - dueAgo),
  });
  if (!leaving) throw new Error("no user");
  const followers = await usersOn(everyShard(followersPerShard));
  const followees = await usersOn(everyShard(1));
  const others = [...followers, ...followees];
  const createdAt = new Date();
  const edges = [
    ...followers.map((followerId) => ({ followerId, followeeId: leaving, createdAt })),
    ...followees.map((followeeId) => ({ followerId: leaving, followeeId, createdAt })),
    // Between the others, across shards: these stay.
    ...followers.map((followerId, index) => ({
      followerId,
      followeeId: followees[index % followees.length] as string,
      createdAt,
    })),
    ...followees.map((followerId, index) => ({
      followerId,
      followeeId: followees[(index + 1) % followees.length] as string,
      createdAt,
    })),
  ];
  await writeFollows(env, edges);
  return { leaving, others, edges };
}

type Row = Record<string, string | number>;

async function rowsOf(shard: number, query: string, ids: string[]) {
  const { results } = await shardBinding(env, shard).prepare(query).all<Row>();
  const wanted = new Set(ids);
  return results.filter((row) => Object.values(row).some((value) => wanted.has(value as string)));
}

/** Every shard's follows, clean-up jobs and counters rows that name the graph's users. */
async function state({ leaving, others }: Graph) {
  const ids = [leaving, ...others];
  const shards = [];
  for (let shard = 0; shard < SHARDS; shard += 1) {
    shards.push({
      follows: await rowsOf(shard, "SELECT follower_id, followee_id FROM follows ORDER BY 1, 2", ids),
      jobs: await rowsOf(shard, "SELECT user_id FROM account_cleanup_jobs", ids),
      counters: await rowsOf(
        shard,
        "SELECT user_id, followers_count, following_count FROM user_counters ORDER BY 1",
        ids,
      ),
    });
  }
  return shards;
}

/** What every shard must hold for `edges`: each half on its users' shards, counters from the edges. */
function expected({ leaving, others }: Graph, edges: FollowEdge[], leavingGone: boolean) {
  const ids = leavingGone ? others : [leaving, ...others];
  return Array.from({ length: SHARDS }, (_, shard) => {
    const here = (id: string) => shardOf(env, id) === shard;
    return {
      follows: edges
        .filter((edge) => here(edge.followerId) || here(edge.followeeId))
        .map((edge) => ({ follower_id: edge.followerId, followee_id: edge.followeeId }))
        .sort((a, b) =>
          a.follower_id === b.follower_id
            ? a.followee_id.localeCompare(b.followee_id)
            : a.follower_id.localeCompare(b.follower_id),
        ),
      jobs: [],
      counters: ids
        .filter(here)
        .sort()
        .map((id) => ({
          user_id: id,
          followers_count: edges.filter((edge) => edge.followeeId === id).length,
          following_count: edges.filter((edge) => edge.followerId === id).length,
        })),
    };
  });
}

const without = (edges: FollowEdge[], userId: string) =>
  edges.filter((edge) => edge.followerId !== userId && edge.followeeId !== userId);

/** One shard's binding replaced, as overrides (Env types USERS_0 only: the rest are numbered). */
const onShard = (shard: number, binding: D1Database) => ({ [`USERS_${shard}`]: binding }) as Partial<Env>;

describe("a follow edge on both users' shards", () => {
  it("is written once on each user's shard, counted there, and a replay changes nothing", async () => {
    const [a, b, c] = await usersOn([1, 2, 2]);
    const graphOf = { leaving: a as string, others: [b as string, c as string], edges: [] };
    const createdAt = new Date();
    const edges = [
      { followerId: a as string, followeeId: b as string, createdAt },
      { followerId: b as string, followeeId: c as string, createdAt },
      { followerId: c as string, followeeId: a as string, createdAt },
    ];
    await writeFollows(env, edges);
    await writeFollows(env, edges);
    expect(await state(graphOf)).toEqual(expected(graphOf, edges, false));
  });
});

describe("finalizing an account whose follows are on every shard", () => {
  beforeAll(async () => {
    await setFinalizeNowFlag(true);
  });

  it("finalize-now says the follows are queued, and once the queue is drained no edge of theirs is left on any shard, every counter exact", async () => {
    const g = await graph(3);
    expect(await state(g)).toEqual(expected(g, g.edges, false));
    const token = await tokenFor(g.leaving);
    // call drains the queue after the response.
    const { status, body } = await call<{ receipt: { followsQueued: boolean } }>(FINALIZE_NOW, {
      method: "POST",
      token,
    });
    expect(status).toBe(200);
    expect(body.data.receipt.followsQueued).toBe(true);
    expect(await state(g)).toEqual(expected(g, without(g.edges, g.leaving), true));
  });

  it("finalize-now says nothing is queued for an account without follows", async () => {
    const [lonely] = await usersOn([0]);
    const token = await tokenFor(lonely as string);
    expect((await call(DELETION, { method: "POST", token, json: {} })).status).toBe(200);
    const { status, body } = await call<{ receipt: { followsQueued: boolean } }>(FINALIZE_NOW, {
      method: "POST",
      token,
    });
    expect(status).toBe(200);
    expect(body.data.receipt.followsQueued).toBe(false);
    expect(heldJobs()).toEqual([]);
  });

  it("through the cron, in batches of at most FINALIZE_CHUNK_ROWS rows on every shard; redelivered messages change nothing", async () => {
    // 60 followers a shard: more than one chunk on each (49 edges a chunk at 100 rows).
    const g = await graph(60);
    const watched: ReturnType<typeof watchD1>[] = [];
    const metered = onEveryShard((binding) => {
      const shard = watchD1(binding);
      watched.push(shard);
      return shard.d1;
    });
    const overrides = { ...metered, FINALIZE_CHUNK_ROWS: String(CHUNK_ROWS) };
    await runCron(new Date(), {}, { drain: false });
    expect(heldJobs().filter((job) => job.kind === "finalize-account")).toEqual([
      { kind: "finalize-account", userId: g.leaving },
    ]);
    // The finalization and its own shard's drain, up to the hand-off's messages.
    await drainJobs(overrides, 1);
    const handedOff = heldJobs().filter((job) => job.kind === "drain-account");
    expect(handedOff.map((job) => job.shard).sort()).toEqual([1, 2, 3]);
    const report = await drainJobs(overrides);
    expect(report).toMatchObject({ retried: 0, deadLettered: [] });
    const after = await state(g);
    expect(after).toEqual(expected(g, without(g.edges, g.leaving), true));

    // The own shard's first batch is the finalization itself; every other batch is a chunk.
    const written = watched.map(({ trips }) =>
      trips.filter((trip) => trip.kind === "batch").map((trip) => trip.rowsWritten),
    );
    const [, ...ownChunks] = written[0] ?? [];
    for (const rows of [...ownChunks, ...written.slice(1).flat()])
      expect(rows).toBeLessThanOrEqual(CHUNK_ROWS);
    // Each remote shard drained its 60 followers' halves and 2 followees' in more than one chunk.
    for (const shard of [1, 2, 3]) expect(written[shard]?.length).toBeGreaterThan(2);

    // At least once: every message delivered again, and the cron run again, change nothing.
    await heldJobsQueue.sendBatch(handedOff.map((body) => ({ body })));
    await heldJobsQueue.send({ kind: "drain-account", userId: g.leaving, step: "otherShards", shard: 0 });
    await heldJobsQueue.send({ kind: "finalize-account", userId: g.leaving });
    expect(await drainJobs(overrides)).toMatchObject({ retried: 0, deadLettered: [] });
    await runCron(afterStall());
    expect(await state(g)).toEqual(after);
  });
});

describe("a shard that fails while the other halves are removed", () => {
  it("is retried by the queue: its drain fails twice, then completes", async () => {
    const g = await graph(2);
    // The hand-off's batch goes through; the drain's next two fail.
    const flaky = watchD1(shardBinding(env, 2), { faults: { failBatch: (n) => n === 2 || n === 3 } }).d1;
    // The cron's own work on shard 2 is not the point: only the queued work goes through `flaky`.
    await runCron(new Date(), {}, { drain: false });
    expect(await drainJobs(onShard(2, flaky))).toMatchObject({
      retried: 2,
      deadLettered: [],
    });
    expect(await state(g)).toEqual(expected(g, without(g.edges, g.leaving), true));
  });

  it("down through the whole run: the own shard's job row stays, and the cron's next run hands the rest over", async () => {
    const g = await graph(2);
    let down = true;
    const outage = watchD1(shardBinding(env, 2), { faults: { failBatch: () => down } }).d1;
    const now = new Date();
    await runCron(now, {}, { drain: false });
    expect(await drainJobs(onShard(2, outage))).toMatchObject({ deadLettered: [] });
    const during = await state(g);
    // Shards 1 and 3 are clean; shard 2 still holds its halves, and shard 0 the job row.
    const [own, one, two, three] = expected(g, without(g.edges, g.leaving), true);
    expect(during[0]).toEqual({ ...own, jobs: [{ user_id: g.leaving }] });
    expect(during[1]).toEqual(one);
    expect(during[3]).toEqual(three);
    expect(during[2]?.follows.length).toBeGreaterThan(two?.follows.length ?? 0);

    down = false;
    discardHeldJobs();
    await runCron(afterStall(now));
    expect(await state(g)).toEqual(expected(g, without(g.edges, g.leaving), true));
  });

  it("a drain message without a shard (sent before edges were kept on both sides) works on the account's own", async () => {
    const g = await graph(1);
    let down = true;
    const outage = watchD1(shardBinding(env, 3), { faults: { failBatch: () => down } }).d1;
    await runCron(new Date(), {}, { drain: false });
    await drainJobs(onShard(3, outage));
    expect((await state(g))[0]?.jobs).toEqual([{ user_id: g.leaving }]);
    down = false;
    await heldJobsQueue.send({ kind: "drain-account", userId: g.leaving, step: "followers" });
    expect(await drainJobs()).toMatchObject({ retried: 0, deadLettered: [] });
    expect(await state(g)).toEqual(expected(g, without(g.edges, g.leaving), true));
  });
});
