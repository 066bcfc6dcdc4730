import { env } from "cloudflare:workers";
import { eq, or } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { follows } from "../src/db/schema";
import { drainAccount } from "../src/jobs/account-drain";
import { writeFollow } from "../src/users/follows";
import {
  auditEvents,
  DAY_MS,
  DELETION,
  insertUsers,
  isErased,
  KEPT_COLUMNS,
  rawUser,
  userRow,
} from "./deletion-helpers";
import { wrapped } from "./fault-bindings";
import { call, db, tokenFor } from "./helpers";
import { drainJobs, heldJobs, runCron } from "./jobs";

// The Cron Trigger finalizes through the jobs queue: one message per due account, then the
// account's rows drained in bounded chunks. Counted, not timed: rows read and written come from
// D1's own `meta`, read through a wrapped binding.

type Meta = { rows_read: number; rows_written: number };

/** env.USERS_0 that records every batch's rows read and written (summed over its statements). */
function meteredD1() {
  const batches: { read: number; written: number; sql: string[] }[] = [];
  const statements: { read: number; sql: string }[] = [];
  const real = env.USERS_0;
  const d1 = wrapped(real, {
    batch: async (list: D1PreparedStatement[]) => {
      const results = await real.batch(list);
      const metas = results.map((result) => result.meta as unknown as Meta);
      batches.push({
        read: metas.reduce((sum, meta) => sum + meta.rows_read, 0),
        written: metas.reduce((sum, meta) => sum + meta.rows_written, 0),
        sql: [],
      });
      return results;
    },
    prepare: (query: string) => {
      const statement = real.prepare(query);
      const record = (result: D1Result) => {
        statements.push({ read: (result.meta as unknown as Meta).rows_read, sql: query });
        return result;
      };
      const bindable = (prepared: D1PreparedStatement): D1PreparedStatement =>
        wrapped(prepared, {
          bind: (...values: unknown[]) => bindable(prepared.bind(...values)),
          all: () => prepared.all().then(record),
          run: () => prepared.run().then(record),
          raw: (options?: { columnNames?: boolean }) =>
            prepared.all().then((result) => {
              record(result);
              return (prepared as D1PreparedStatement).raw(options as { columnNames: true });
            }),
        });
      return bindable(statement);
    },
  });
  return { d1, batches, statements };
}

/** `count` users made by SQL (a recursive CTE), ids `{prefix}{n}`; optionally all following `followee`. */
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
  await env.USERS_0.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO users (id, name, created_at, updated_at, account_deletion_status, account_deletion_requested_at, account_deletion_scheduled_for)
     SELECT ?2 || printf('%08d', i), 'Bulk', ?3, ?3, CASE WHEN ?4 IS NULL THEN NULL ELSE 'pending' END, ?3, ?4 + i FROM n`,
  )
    .bind(count, prefix, now, scheduled)
    .run();
  if (fields.followee) {
    await env.USERS_0.prepare(
      `INSERT INTO follows (follower_id, followee_id, created_at)
       SELECT id, ?1, ?2 FROM users WHERE id >= ?3 AND id < ?3 || 'z'`,
    )
      .bind(fields.followee, now, prefix)
      .run();
  }
}

async function counters(userId: string) {
  return env.USERS_0.prepare(
    "SELECT followers_count AS followers, following_count AS following FROM user_counters WHERE user_id = ?",
  )
    .bind(userId)
    .first<{ followers: number; following: number }>();
}

describe("finalizing an account with 100,000 followers", { timeout: 120_000 }, () => {
  it("erases the person in one small batch, then drains the edges in chunks of at most FINALIZE_CHUNK_ROWS rows", async () => {
    const [celebrity] = [
      userRow({
        accountDeletionStatus: "pending",
        accountDeletionScheduledFor: new Date(Date.now() - DAY_MS),
      }),
    ];
    if (!celebrity?.id) throw new Error("no row");
    await insertUsers([celebrity]);
    await bulkUsers("fan", 100_000, { followee: celebrity.id });
    const bystander = userRow();
    await insertUsers([bystander]);
    await writeFollow(env, "fan00000001", bystander.id as string);
    expect(await counters(celebrity.id)).toEqual({ followers: 100_000, following: 0 });

    await runCron(new Date(), {}, { drain: false });
    // The queued work, through the metered binding: its first batch is the finalization.
    const metered = meteredD1();
    const report = await drainJobs({ USERS_0: metered.d1, FINALIZE_CHUNK_ROWS: "4000" });
    expect(report.deadLettered).toEqual([]);

    const [finalization, ...chunks] = metered.batches;
    // The finalization batch erased the person and took a first, bounded chunk of the edges.
    expect(finalization?.written).toBeGreaterThan(0);
    expect(finalization?.written).toBeLessThanOrEqual(4000);
    expect(chunks.length).toBeGreaterThanOrEqual(50);
    const largest = Math.max(...metered.batches.map((batch) => batch.written));
    expect(largest).toBeLessThanOrEqual(4000);

    const left = await db
      .select()
      .from(follows)
      .where(or(eq(follows.followerId, celebrity.id), eq(follows.followeeId, celebrity.id)));
    expect(left).toEqual([]);
    // Every fan's following count went down by exactly one; the other follow stays counted.
    const wrong = await env.USERS_0.prepare(
      "SELECT count(*) AS n FROM user_counters WHERE user_id >= 'fan' AND user_id < 'fanz' AND following_count <> CASE WHEN user_id = 'fan00000001' THEN 1 ELSE 0 END",
    ).first<{ n: number }>();
    expect(wrong?.n).toBe(0);
    expect(await counters(bystander.id as string)).toEqual({ followers: 1, following: 0 });
    const row = (await rawUser(celebrity.id)) ?? {};
    for (const [column, value] of Object.entries(row)) {
      if (!KEPT_COLUMNS.has(column))
        expect({ column, erased: isErased(column, value) }).toEqual({ column, erased: true });
    }
    expect(await env.USERS_0.prepare("SELECT * FROM account_cleanup_jobs").all()).toMatchObject({
      results: [],
    });
  });
});

describe("the due selection", { timeout: 120_000 }, () => {
  it("reads the 50 due accounts, not the 10,000 still in their grace period", async () => {
    await bulkUsers("grace", 10_000, { scheduledInMs: 7 * DAY_MS });
    await bulkUsers("due", 50, { dueAgoMs: DAY_MS });
    const metered = meteredD1();
    await runCron(new Date(), { USERS_0: metered.d1 }, { drain: false });
    const finalizations = heldJobs().filter((job) => job.kind === "finalize-account");
    expect(finalizations).toHaveLength(50);
    const dueReads = metered.statements.filter((statement) =>
      statement.sql.includes("account_deletion_scheduled_for"),
    );
    const read = dueReads.reduce((sum, statement) => sum + statement.read, 0);
    expect(read).toBeLessThanOrEqual(50 + 5);
    const plan = await env.USERS_0.prepare(
      "EXPLAIN QUERY PLAN SELECT id FROM users WHERE account_deletion_status = 'pending' AND account_deletion_scheduled_for <= ? ORDER BY account_deletion_scheduled_for, id LIMIT 100",
    )
      .bind(Date.now())
      .all<{ detail: string }>();
    const details = plan.results.map((step) => step.detail).join(" | ");
    expect(details).toContain("users_deletion_due_idx");
    expect(details).not.toContain("TEMP B-TREE");
    await runCron(new Date());
  });
});

describe("one account whose finalization always fails", { timeout: 120_000 }, () => {
  it("is dead-lettered while the 49 others are finalized", async () => {
    await bulkUsers("batch", 50, { dueAgoMs: DAY_MS });
    const poison = "batch00000007";
    // Its finalization batch always throws; everything else reaches the real binding.
    const poisoned = new WeakSet<object>();
    const d1 = wrapped(env.USERS_0, {
      prepare: (query: string) => {
        const statement = env.USERS_0.prepare(query);
        return wrapped(statement, {
          bind: (...values: unknown[]) => {
            const bound = statement.bind(...values);
            if (values.includes(poison)) poisoned.add(bound);
            return bound;
          },
        });
      },
      batch: (list: D1PreparedStatement[]) =>
        list.some((statement) => poisoned.has(statement))
          ? Promise.reject(new Error("simulated poison account"))
          : env.USERS_0.batch(list),
    });
    const report = await runCron(new Date(), { USERS_0: d1 });
    expect(report?.deadLettered).toEqual([{ kind: "finalize-account", userId: poison }]);
    const statuses = await env.USERS_0.prepare(
      "SELECT account_deletion_status AS status, count(*) AS n FROM users WHERE id >= 'batch' AND id < 'batchz' GROUP BY 1 ORDER BY 1",
    ).all();
    expect(statuses.results).toEqual([
      { status: "finalized", n: 49 },
      { status: "pending", n: 1 },
    ]);
    expect((await rawUser(poison))?.name).toBe("Bulk");
    // The next run, with D1 healthy, finalizes it.
    await runCron(new Date());
    expect((await rawUser(poison))?.account_deletion_status).toBe("finalized");
  });
});

describe("the deletion cron and concurrency", { timeout: 60_000 }, () => {
  it("two deliveries of one account's finalization finalize it once", async () => {
    await bulkUsers("twice", 1, { dueAgoMs: DAY_MS });
    const id = "twice00000001";
    await runCron(new Date(), {}, { drain: false });
    await runCron(new Date());
    expect(await auditEvents(id)).toEqual([{ event: "deletion_finalized", source: "cron" }]);
  });

  it("a cancel racing the queued finalization ends cancelled (intact) or finalized, never both", async () => {
    for (let round = 0; round < 6; round += 1) {
      const row = userRow({
        accountDeletionStatus: "pending",
        accountDeletionRequestedAt: new Date(Date.now() - 30 * DAY_MS),
        accountDeletionScheduledFor: new Date(Date.now() - DAY_MS),
      });
      await insertUsers([row]);
      const id = row.id as string;
      const token = await tokenFor(id);
      const [response] = await Promise.all([
        call(DELETION, { method: "DELETE", token }),
        runCron(new Date()),
      ]);
      const stored = (await rawUser(id)) ?? {};
      const events = (await auditEvents(id)).map((event) => event.event);
      if (stored.account_deletion_status === "cancelled") {
        expect(response.status).toBe(200);
        expect(stored.name).toBe("Bulk");
        expect(events).toEqual(["deletion_cancelled"]);
      } else {
        expect(stored.account_deletion_status).toBe("finalized");
        expect([401, 409]).toContain(response.status);
        expect(events).toEqual(["deletion_finalized"]);
      }
    }
  });

  it("a drain message for an account that was never finalized changes nothing", async () => {
    const live = userRow();
    const fan = userRow();
    await insertUsers([live, fan]);
    await writeFollow(env, fan.id as string, live.id as string);
    const outcome = await drainAccount(env, createDb(env.USERS_0), 0, live.id as string, "followers", {
      chunks: 3,
      ms: 1000,
    });
    expect(outcome.done).toBe(true);
    expect(await counters(live.id as string)).toEqual({ followers: 1, following: 0 });
  });
});
