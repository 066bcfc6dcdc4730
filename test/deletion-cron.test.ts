import { env } from "cloudflare:workers";
import { eq, inArray, or } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { accountCleanupJobs, follows, users } from "../src/db/schema";
import { drainAccount } from "../src/jobs/account-drain";
import { shardBinding, shardOf } from "../src/lib/shards";
import { writeFollow } from "../src/users/follows";
import { watchD1 } from "./d1-observer";
import { auditEvents, DAY_MS, DELETION, isErased, KEPT_COLUMNS, rawUser } from "./deletion-helpers";
import { call, createUser, createUsers, d1Of, dbOf, everyShardDb, onShardOf, tokenFor } from "./helpers";
import { drainJobs, heldJobs, runCron } from "./jobs";

// The Cron Trigger finalizes through the jobs queue: one message per due account, then the
// account's rows drained in bounded chunks. Counted, not timed: rows read and written come from
// D1's own `meta`, read through the watched binding (test/d1-observer.ts).

// The tests that make thousands of accounts with one SQL statement, for speed, put them all on the
// first shard on purpose: the Worker (cron and queue) runs with every bucket pinned there, and the
// test reads that shard. The other tests place each account on its own shard.
const PINNED = { SHARD_OF_BUCKET: "0-1023:0" } as Partial<Env>;
const pinnedEnv = { ...env, ...PINNED } as Env;
const pinnedShard = shardBinding(pinnedEnv, 0);

/**
 * `count` users made by SQL (a recursive CTE) on the pinned shard, ids `{prefix}{n}`; optionally all
 * following `followee` (on that shard too: under PINNED, both halves of every edge are there).
 */
async function bulkUsers(
  prefix: string,
  count: number,
  fields: { followee?: string; dueAgoMs?: number; scheduledInMs?: number } = {},
) {
  const now = Date.now();
  const scheduled =
    fields.dueAgoMs !== undefined
      ? now - fields.dueAgoMs
      : fields.scheduledInMs !== undefined
        ? now + fields.scheduledInMs
        : null;
  await pinnedShard
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO users (id, name, created_at, updated_at, account_deletion_status, account_deletion_requested_at, account_deletion_scheduled_for)
     SELECT ?2 || printf('%08d', i), 'Bulk', ?3, ?3, CASE WHEN ?4 IS NULL THEN NULL ELSE 'pending' END, ?3, ?4 + i FROM n`,
    )
    .bind(count, prefix, now, scheduled)
    .run();
  if (fields.followee) {
    await pinnedShard
      .prepare(
        `INSERT INTO follows (follower_id, followee_id, created_at)
       SELECT id, ?1, ?2 FROM users WHERE id >= ?3 AND id < ?3 || 'z'`,
      )
      .bind(fields.followee, now, prefix)
      .run();
  }
}

/** The user's counters on `d1`, its shard. */
async function counters(d1: D1Database, userId: string) {
  return d1
    .prepare(
      "SELECT followers_count AS followers, following_count AS following FROM user_counters WHERE user_id = ?",
    )
    .bind(userId)
    .first<{ followers: number; following: number }>();
}

describe("finalizing an account with 100,000 followers", { timeout: 120_000 }, () => {
  it("erases the person in one small batch, then drains the edges in chunks of at most FINALIZE_CHUNK_ROWS rows", async () => {
    // Every account on the pinned shard: the fans are made by SQL there.
    const celebrity = await createUser(
      { accountDeletionStatus: "pending", accountDeletionScheduledFor: new Date(Date.now() - DAY_MS) },
      pinnedEnv,
    );
    await bulkUsers("fan", 100_000, { followee: celebrity.id });
    const bystander = await createUser({}, pinnedEnv);
    await writeFollow(pinnedEnv, "fan00000001", bystander.id);
    expect(await counters(pinnedShard, celebrity.id)).toEqual({ followers: 100_000, following: 0 });

    await runCron(new Date(), PINNED, { drain: false });
    // The queued work, through the metered binding: its first batch is the finalization.
    const metered = watchD1(pinnedShard);
    const report = await drainJobs({ ...PINNED, USERS_0: metered.d1, FINALIZE_CHUNK_ROWS: "4000" });
    expect(report.deadLettered).toEqual([]);

    const batches = metered.trips.filter((trip) => trip.kind === "batch");
    const [finalization, ...chunks] = batches;
    // The finalization batch erased the person and took a first, bounded chunk of the edges.
    expect(finalization?.rowsWritten).toBeGreaterThan(0);
    expect(finalization?.rowsWritten).toBeLessThanOrEqual(4000);
    expect(chunks.length).toBeGreaterThanOrEqual(50);
    const largest = Math.max(...batches.map((batch) => batch.rowsWritten));
    expect(largest).toBeLessThanOrEqual(4000);

    for (const db of everyShardDb()) {
      const left = await db
        .select()
        .from(follows)
        .where(or(eq(follows.followerId, celebrity.id), eq(follows.followeeId, celebrity.id)));
      expect(left).toEqual([]);
    }
    // Every fan's following count went down by exactly one; the other follow stays counted.
    const wrong = await pinnedShard
      .prepare(
        "SELECT count(*) AS n FROM user_counters WHERE user_id >= 'fan' AND user_id < 'fanz' AND following_count <> CASE WHEN user_id = 'fan00000001' THEN 1 ELSE 0 END",
      )
      .first<{ n: number }>();
    expect(wrong?.n).toBe(0);
    expect(await counters(pinnedShard, bystander.id)).toEqual({ followers: 1, following: 0 });
    const row = (await rawUser(celebrity.id, pinnedEnv)) ?? {};
    for (const [column, value] of Object.entries(row)) {
      if (!KEPT_COLUMNS.has(column))
        expect({ column, erased: isErased(column, value) }).toEqual({ column, erased: true });
    }
    for (const db of everyShardDb()) expect(await db.select().from(accountCleanupJobs)).toEqual([]);
  });
});

describe("the due selection", { timeout: 120_000 }, () => {
  it("reads the 50 due accounts, not the 10,000 still in their grace period", async () => {
    await bulkUsers("grace", 10_000, { scheduledInMs: 7 * DAY_MS });
    await bulkUsers("due", 50, { dueAgoMs: DAY_MS });
    const metered = watchD1(pinnedShard, { meterSelects: true });
    await runCron(new Date(), { ...PINNED, USERS_0: metered.d1 }, { drain: false });
    const finalizations = heldJobs().filter((job) => job.kind === "finalize-account");
    expect(finalizations).toHaveLength(50);
    const dueReads = metered.trips.filter(
      (trip) =>
        trip.kind === "statement" && trip.sql.some((sql) => sql.includes("account_deletion_scheduled_for")),
    );
    expect(dueReads.length).toBeGreaterThan(0);
    const read = dueReads.reduce((sum, trip) => sum + trip.rowsRead, 0);
    expect(read).toBeGreaterThanOrEqual(50);
    expect(read).toBeLessThanOrEqual(50 + 5);
    const plan = await pinnedShard
      .prepare(
        "EXPLAIN QUERY PLAN SELECT id FROM users WHERE account_deletion_status = 'pending' AND account_deletion_scheduled_for <= ? ORDER BY account_deletion_scheduled_for, id LIMIT 100",
      )
      .bind(Date.now())
      .all<{ detail: string }>();
    const details = plan.results.map((step) => step.detail).join(" | ");
    expect(details).toContain("users_deletion_due_idx");
    expect(details).not.toContain("TEMP B-TREE");
    await runCron(new Date(), PINNED);
  });
});

describe("one account whose finalization always fails", { timeout: 120_000 }, () => {
  it("is dead-lettered while the 49 others are finalized", async () => {
    const created = await createUsers(
      Array.from({ length: 50 }, (_, index) => ({
        accountDeletionStatus: "pending" as const,
        accountDeletionRequestedAt: new Date(Date.now() - 30 * DAY_MS),
        accountDeletionScheduledFor: new Date(Date.now() - DAY_MS + index),
      })),
    );
    const ids = created.map((user) => user.id);
    const poison = ids[7] as string;
    // Its finalization batch, on its shard, always throws; everything else reaches the real binding.
    const poisoning = (real: D1Database) =>
      watchD1(real, {
        faults: { failBatch: (_n, statements) => statements.some((sent) => sent.values.includes(poison)) },
      }).d1;
    const report = await runCron(new Date(), onShardOf(poison, poisoning));
    expect(report?.deadLettered).toEqual([{ kind: "finalize-account", userId: poison }]);
    const statuses = new Map<string | null, number>();
    for (const db of everyShardDb()) {
      for (const row of await db
        .select({ status: users.accountDeletionStatus })
        .from(users)
        .where(inArray(users.id, ids))) {
        statuses.set(row.status, (statuses.get(row.status) ?? 0) + 1);
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ finalized: 49, pending: 1 });
    expect((await rawUser(poison))?.name).toBe(created[7]?.name);
    // The next run, with D1 healthy, finalizes it.
    await runCron(new Date());
    expect((await rawUser(poison))?.account_deletion_status).toBe("finalized");
  });
});

describe("the deletion cron and concurrency", { timeout: 60_000 }, () => {
  /** An account whose grace period ended yesterday. */
  const DUE = {
    accountDeletionStatus: "pending" as const,
    accountDeletionRequestedAt: new Date(Date.now() - 30 * DAY_MS),
    accountDeletionScheduledFor: new Date(Date.now() - DAY_MS),
  };

  it("two deliveries of one account's finalization finalize it once", async () => {
    const { id } = await createUser(DUE);
    await runCron(new Date(), {}, { drain: false });
    await runCron(new Date());
    expect(await auditEvents(id)).toEqual([{ event: "deletion_finalized", source: "cron" }]);
  });

  it("a cancel racing the queued finalization ends cancelled (intact) or finalized, never both", async () => {
    for (let round = 0; round < 6; round += 1) {
      const { id, name } = await createUser(DUE);
      const token = await tokenFor(id);
      const [response] = await Promise.all([
        call(DELETION, { method: "DELETE", token }),
        runCron(new Date()),
      ]);
      const stored = (await rawUser(id)) ?? {};
      const events = (await auditEvents(id)).map((event) => event.event);
      if (stored.account_deletion_status === "cancelled") {
        expect(response.status).toBe(200);
        expect(stored.name).toBe(name);
        expect(events).toEqual(["deletion_cancelled"]);
      } else {
        expect(stored.account_deletion_status).toBe("finalized");
        expect([401, 409]).toContain(response.status);
        expect(events).toEqual(["deletion_finalized"]);
      }
    }
  });

  it("a drain message for an account that was never finalized changes nothing", async () => {
    const [live, fan] = await createUsers([{}, {}]);
    if (!live || !fan) throw new Error("no users");
    await writeFollow(env, fan.id, live.id);
    const liveId = live.id;
    const outcome = await drainAccount(env, dbOf(liveId), shardOf(env, liveId), liveId, "followers", {
      chunks: 3,
      ms: 1000,
    });
    expect(outcome.done).toBe(true);
    expect(await counters(d1Of(liveId), liveId)).toEqual({ followers: 1, following: 0 });
  });
});
