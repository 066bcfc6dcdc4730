import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, lte } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDb } from "../src/db/client";
import { follows, users } from "../src/db/schema";
import { type CronSummary, runDeletionCron } from "../src/features/account-deletion/deletion-cron";
import worker from "../src/index";
import { newObjectId } from "../src/lib/ids";
import {
  auditEvents,
  countingD1,
  DAY_MS,
  DELETION,
  insertUsers,
  isErased,
  KEPT_COLUMNS,
  rawUser,
  userRow,
} from "./deletion-helpers";
import { call, createUser, db, tokenFor } from "./helpers";

// The Cron Trigger: finalizes due accounts in batches, once each, never a cancelled one, and a
// failure part way leaves whole accounts only. Tests run in order and each leaves no due account.

const CRON_LINE = "account deletion cron";

/** The cron's summary log lines written to `stream` while `run` ran. */
async function cronLines<T>(stream: "log" | "error", run: () => Promise<T>) {
  const spy = vi.spyOn(console, stream);
  try {
    const result = await run().catch((error: unknown) => error);
    const lines = spy.mock.calls
      .map(([first]) => {
        try {
          return typeof first === "string" ? (JSON.parse(first) as Record<string, unknown>) : null;
        } catch {
          return null;
        }
      })
      .filter((line) => line?.message === CRON_LINE) as Record<string, unknown>[];
    return { result, lines };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** Rows of many ids at once (a JSON array bound once, so past D1's 100-parameter limit). */
async function rowsOf(ids: string[]) {
  const { results } = await env.DB.prepare(
    "SELECT id, name, account_deletion_status AS status FROM users WHERE id IN (SELECT value FROM json_each(?))",
  )
    .bind(JSON.stringify(ids))
    .all<{ id: string; name: string | null; status: string | null }>();
  return results;
}

async function finalizedAuditCounts(ids: string[]) {
  const { results } = await env.DB.prepare(
    `SELECT user_id, count(*) AS n, group_concat(DISTINCT source) AS sources, max(platform) AS platform
     FROM account_events WHERE event = 'deletion_finalized' AND user_id IN (SELECT value FROM json_each(?))
     GROUP BY user_id`,
  )
    .bind(JSON.stringify(ids))
    .all<{ user_id: string; n: number; sources: string; platform: string | null }>();
  return results;
}

async function insertFollows(rows: { followerId: string; followeeId: string }[]) {
  const createdAt = new Date();
  for (let start = 0; start < rows.length; start += 30) {
    await db.insert(follows).values(rows.slice(start, start + 30).map((row) => ({ ...row, createdAt })));
  }
}

async function statsOf(userId: string) {
  const { status, body } = await call<{ followersCount: number; followingCount: number }>(
    "/api/v1/users/me/stats",
    {
      token: await tokenFor(userId),
    },
  );
  expect(status).toBe(200);
  return body.data;
}

/** `count` pending accounts due in order (1 ms apart, starting `ago` ms before now). */
function dueRows(count: number, ago = 60 * 60 * 1000) {
  const base = Date.now() - ago;
  return Array.from({ length: count }, (_, index) =>
    userRow({
      accountDeletionStatus: "pending",
      accountDeletionReason: `reason ${index}`,
      accountDeletionRequestedAt: new Date(base - 28 * DAY_MS + index),
      accountDeletionScheduledFor: new Date(base + index),
      bio: `bio ${index}`,
    }),
  );
}

/** A row is whole: either finalized with everything erased, or pending with its data intact. */
async function expectWholeAccount(id: string, keeperId: string) {
  const row = (await rawUser(id)) ?? {};
  const followRows = await db.select().from(follows).where(eq(follows.followerId, id));
  const events = await auditEvents(id);
  if (row.account_deletion_status === "finalized") {
    for (const [column, value] of Object.entries(row)) {
      if (!KEPT_COLUMNS.has(column))
        expect({ id, column, erased: isErased(column, value) }).toEqual({ id, column, erased: true });
    }
    expect(followRows).toEqual([]);
    expect(events).toEqual([{ event: "deletion_finalized", source: "cron" }]);
    return "finalized";
  }
  expect(row.account_deletion_status).toBe("pending");
  expect(row.name).toBe("Bulk");
  expect(row.bio).not.toBeNull();
  expect(row.account_deletion_reason).not.toBeNull();
  expect(followRows.map((follow) => follow.followeeId)).toEqual([keeperId]);
  expect(events).toEqual([]);
  return "pending";
}

describe("the deletion cron at scale", () => {
  it("finalizes 250 due accounts 40 x 3 per run, with D1 calls growing with batches, not accounts", async () => {
    const keeper = await createUser();
    const due = dueRows(250);
    // Every 5th due account has a photo in R2.
    const photoKeys: string[] = [];
    due.forEach((row, index) => {
      if (index % 5 === 0) {
        const key = `profile-photos/${row.id}/${newObjectId()}.jpg`;
        row.profilePhotoId = key.slice(-28, -4);
        row.profilePhotoKey = key;
        photoKeys.push(key);
      }
    });
    const notDue = Array.from({ length: 5 }, () =>
      userRow({
        accountDeletionStatus: "pending",
        accountDeletionRequestedAt: new Date(),
        accountDeletionScheduledFor: new Date(Date.now() + 7 * DAY_MS),
      }),
    );
    const cancelled = Array.from({ length: 5 }, () =>
      userRow({
        accountDeletionStatus: "cancelled",
        accountDeletionRequestedAt: new Date(Date.now() - 30 * DAY_MS),
        accountDeletionScheduledFor: new Date(Date.now() - 2 * DAY_MS),
        accountDeletionCancelledAt: new Date(Date.now() - 20 * DAY_MS),
      }),
    );
    await insertUsers([...due, ...notDue, ...cancelled]);
    await Promise.all(photoKeys.map((key) => env.MEDIA.put(key, "photo bytes")));
    const dueIds = due.map((row) => row.id as string);
    await insertFollows([
      ...dueIds.slice(0, 20).map((id) => ({ followerId: id, followeeId: keeper.id })),
      ...dueIds.slice(100, 105).map((id) => ({ followerId: keeper.id, followeeId: id })),
    ]);
    expect(await statsOf(keeper.id)).toMatchObject({ followersCount: 20, followingCount: 5 });

    const settings = { ACCOUNT_DELETION_BATCH_SIZE: "40", ACCOUNT_DELETION_MAX_BATCHES_PER_RUN: "3" };
    const runs: { summary: CronSummary; d1Calls: { batches: number; statements: number; total: number } }[] =
      [];
    const run = async () => {
      const counter = countingD1(env.DB);
      const { result, lines } = await cronLines("log", () =>
        runDeletionCron({ ...env, ...settings, DB: counter.d1 }, createDb(counter.d1)),
      );
      const summary = result as CronSummary;
      const d1Calls = {
        batches: counter.counts.batches,
        statements: counter.counts.statements,
        total: counter.counts.total,
      };
      // One summary line per run, carrying the summary.
      expect(lines.length).toBe(1);
      expect(lines[0]).toMatchObject({ level: "info", ...summary });
      runs.push({ summary, d1Calls });
      console.log(JSON.stringify({ cronRun: runs.length, summary, d1Calls }));
      return { summary, d1Calls };
    };

    const first = await run();
    expect(first.summary).toEqual({
      found: 250,
      finalized: 120,
      failed: 0,
      batches: 3,
      mediaDeleted: 0,
      mediaFailed: 0,
      outboxLeft: 0,
      // Two prefixes per account (photos, exports), emptied by listing, not by known keys.
      // Which 200 of the 240 prefixes come first depends on the ids; the total is checked below.
      prefixObjectsDeleted: expect.any(Number),
      prefixesFailed: 0,
      prefixesLeft: 40,
      unreferencedDeleted: 0,
      eventsSent: 120,
      eventsFailed: 0,
      eventsLeft: 0,
    });
    // The 120 finalized are the first 120 due, in due order.
    const afterFirst = await rowsOf(dueIds);
    const finalizedIds = new Set(afterFirst.filter((row) => row.status === "finalized").map((row) => row.id));
    expect(finalizedIds).toEqual(new Set(dueIds.slice(0, 120)));
    expect(afterFirst.filter((row) => row.status === "pending").length).toBe(130);

    const second = await run();
    expect(second.summary).toMatchObject({
      found: 130,
      finalized: 120,
      batches: 3,
      failed: 0,
      prefixesLeft: 80,
      eventsSent: 120,
    });
    const third = await run();
    expect(third.summary).toMatchObject({ found: 10, finalized: 10, batches: 1, failed: 0, prefixesLeft: 0 });
    const idle = await run();
    expect(idle.summary).toEqual({
      found: 0,
      finalized: 0,
      failed: 0,
      batches: 0,
      mediaDeleted: 0,
      mediaFailed: 0,
      outboxLeft: 0,
      prefixObjectsDeleted: 0,
      prefixesFailed: 0,
      prefixesLeft: 0,
      unreferencedDeleted: 0,
      eventsSent: 0,
      eventsFailed: 0,
      eventsLeft: 0,
    });
    // Every photo went with its account's prefix.
    expect(runs.reduce((sum, { summary }) => sum + summary.prefixObjectsDeleted, 0)).toBe(photoKeys.length);

    // D1 calls: a handful per run plus one per batch, whatever the number of accounts.
    // The erasure bookkeeping adds a fixed few: prefix jobs (read, one batch, count), the sweep
    // (cursor, owners a page, cursor), events (read and mark a page of 100, count).
    const bookkeeping = 3 + 3 + 2 * 2 + 1;
    for (const { summary, d1Calls } of runs) {
      expect(d1Calls.batches).toBeLessThanOrEqual(summary.batches + 2);
      expect(d1Calls.total).toBeLessThanOrEqual(summary.batches + 5 + bookkeeping);
    }
    expect(first.d1Calls.total).toBeLessThanOrEqual(10 + bookkeeping);
    expect(second.d1Calls.total).toBe(first.d1Calls.total);
    expect(first.d1Calls.total).toBeGreaterThan(idle.d1Calls.total);

    // Every due account once, by the cron; nothing else touched.
    const audits = await finalizedAuditCounts(dueIds);
    expect(audits.length).toBe(250);
    for (const audit of audits)
      expect(audit).toEqual({ user_id: audit.user_id, n: 1, sources: "cron", platform: null });
    const final = await rowsOf(dueIds);
    expect(final.every((row) => row.status === "finalized" && row.name === null)).toBe(true);
    const others = await rowsOf([...notDue, ...cancelled].map((row) => row.id as string));
    expect(others.map((row) => [row.status, row.name]).sort()).toEqual([
      ...Array.from({ length: 5 }, () => ["cancelled", "Bulk"]),
      ...Array.from({ length: 5 }, () => ["pending", "Bulk"]),
    ]);
    expect(await finalizedAuditCounts(others.map((row) => row.id))).toEqual([]);
    expect(await statsOf(keeper.id)).toMatchObject({ followersCount: 0, followingCount: 0 });
    for (const key of photoKeys) expect(await env.MEDIA.head(key)).toBeNull();
  });
});

describe("the deletion cron and concurrency", () => {
  it("two runs at once finalize each account exactly once", async () => {
    const keeper = await createUser();
    const due = dueRows(30);
    await insertUsers(due);
    const ids = due.map((row) => row.id as string);
    await insertFollows(ids.map((id) => ({ followerId: id, followeeId: keeper.id })));
    expect((await statsOf(keeper.id)).followersCount).toBe(30);

    const settings = { ACCOUNT_DELETION_BATCH_SIZE: "4", ACCOUNT_DELETION_MAX_BATCHES_PER_RUN: "10" };
    const [a, b] = await Promise.all([
      runDeletionCron({ ...env, ...settings }, createDb(env.DB)),
      runDeletionCron({ ...env, ...settings }, createDb(env.DB)),
    ]);
    console.log(JSON.stringify({ concurrentRuns: [a, b] }));
    expect(a.finalized + b.finalized).toBe(30);
    const audits = await finalizedAuditCounts(ids);
    expect(audits.length).toBe(30);
    for (const audit of audits) expect(audit.n).toBe(1);
    expect((await rowsOf(ids)).every((row) => row.status === "finalized")).toBe(true);
    // The counter triggers ran once per removed follow: exactly zero, never negative.
    expect((await statsOf(keeper.id)).followersCount).toBe(0);
  });

  it("a cancel racing a run ends cancelled (intact) or finalized, never both, and the answer agrees", async () => {
    const outcomes: string[] = [];
    // The cron starts 0 to 80 ms after the cancel, to hit both sides of the window.
    const delays = [0, 0, 1, 3, 6, 10, 15, 20, 30, 45, 60, 80];
    for (const [round, delay] of delays.entries()) {
      const [row] = dueRows(1);
      if (!row) throw new Error("no row");
      await insertUsers([row]);
      const id = row.id as string;
      const token = await tokenFor(id);
      const cancel = () => call(DELETION, { method: "DELETE", token });
      const cron = async () => {
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        return runDeletionCron(env, createDb(env.DB));
      };
      const [answer] =
        round % 2 === 0
          ? await Promise.all([cancel(), cron()])
          : await Promise.all([cancel(), cron()].reverse()).then(([summary, response]) => [
              response,
              summary,
            ]);
      const response = answer as Awaited<ReturnType<typeof cancel>>;
      const stored = (await rawUser(id)) ?? {};
      const events = (await auditEvents(id)).map((event) => event.event);
      outcomes.push(`${delay}ms:${stored.account_deletion_status}/${response.status}`);
      if (stored.account_deletion_status === "cancelled") {
        expect(response.status).toBe(200);
        expect(stored.name).toBe("Bulk");
        expect(stored.bio).not.toBeNull();
        expect(stored.account_deletion_finalized_at).toBeNull();
        expect(stored.deleted_at).toBeNull();
        expect(events).toEqual(["deletion_cancelled"]);
      } else {
        expect(stored.account_deletion_status).toBe("finalized");
        expect([401, 409]).toContain(response.status);
        expect(stored.name).toBeNull();
        expect(stored.account_deletion_cancelled_at).toBeNull();
        expect(events).toEqual(["deletion_finalized"]);
      }
    }
    console.log(JSON.stringify({ cancelRaceOutcomes: outcomes }));
  });
});

describe("the scheduled handler", () => {
  it("worker.scheduled finalizes a due account and leaves a not-due one", async () => {
    const [dueRow] = dueRows(1);
    const later = userRow({
      accountDeletionStatus: "pending",
      accountDeletionRequestedAt: new Date(),
      accountDeletionScheduledFor: new Date(Date.now() + DAY_MS),
    });
    if (!dueRow) throw new Error("no row");
    await insertUsers([dueRow, later]);

    const { lines } = await cronLines("log", async () => {
      const ctx = createExecutionContext();
      worker.scheduled(
        createScheduledController({ scheduledTime: Date.now(), cron: "*/15 * * * *" }),
        env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
    });
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ level: "info", finalized: 1, failed: 0 });

    const due = (await rawUser(dueRow.id as string)) ?? {};
    expect(due.account_deletion_status).toBe("finalized");
    expect(due.name).toBeNull();
    expect(await auditEvents(dueRow.id as string)).toEqual([{ event: "deletion_finalized", source: "cron" }]);
    const notDue = (await rawUser(later.id as string)) ?? {};
    expect(notDue.account_deletion_status).toBe("pending");
    expect(notDue.name).toBe("Bulk");
  });
});

describe("a run whose D1 batch fails part way", () => {
  it("leaves no half-erased account, and the next healthy run finishes", async () => {
    const keeper = await createUser();
    const due = dueRows(6);
    const keys = due.map((row) => {
      const photoId = newObjectId();
      const key = `profile-photos/${row.id}/${photoId}.jpg`;
      row.profilePhotoId = photoId;
      row.profilePhotoKey = key;
      return key;
    });
    await insertUsers(due);
    await Promise.all(keys.map((key) => env.MEDIA.put(key, "photo bytes")));
    const ids = due.map((row) => row.id as string);
    await insertFollows(ids.map((id) => ({ followerId: id, followeeId: keeper.id })));

    // The second batch gets a failing statement after the outbox insert and the follows delete,
    // before the audit insert and the status flip: D1 must roll the whole batch back.
    const broken = countingD1(env.DB, (call, statements, d1) =>
      call === 2
        ? [...statements.slice(0, 2), d1.prepare("SELECT json('{')"), ...statements.slice(2)]
        : statements,
    );
    const settings = { ACCOUNT_DELETION_BATCH_SIZE: "2", ACCOUNT_DELETION_MAX_BATCHES_PER_RUN: "3" };
    const { result, lines } = await cronLines("error", () =>
      runDeletionCron({ ...env, ...settings, DB: broken.d1 }, createDb(broken.d1)),
    );
    expect(result).toBeInstanceOf(Error);
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ level: "error", found: 6, finalized: 2, failed: 2, batches: 2 });

    const states = [];
    for (const id of ids) states.push(await expectWholeAccount(id, keeper.id));
    expect(states).toEqual(["finalized", "finalized", "pending", "pending", "pending", "pending"]);
    expect((await statsOf(keeper.id)).followersCount).toBe(4);
    // The failed batch queued nothing; the pending accounts' photos are still in place.
    for (const [index, key] of keys.entries()) {
      expect({ index, present: (await env.MEDIA.head(key)) !== null }).toEqual({
        index,
        present: index >= 2,
      });
    }
    const { results: queued } = await env.DB.prepare("SELECT key FROM media_outbox").all();
    expect(queued).toEqual([]);

    const healthy = await runDeletionCron({ ...env, ...settings }, createDb(env.DB));
    expect(healthy).toMatchObject({
      found: 4,
      finalized: 4,
      failed: 0,
      prefixObjectsDeleted: 4,
      prefixesLeft: 0,
    });
    for (const id of ids) expect(await expectWholeAccount(id, keeper.id)).toBe("finalized");
    expect((await statsOf(keeper.id)).followersCount).toBe(0);
    for (const key of keys) expect(await env.MEDIA.head(key)).toBeNull();
    // No due account is left pending in this file.
    const stillDue = await db
      .select({ id: users.id })
      .from(users)
      .where(
        and(eq(users.accountDeletionStatus, "pending"), lte(users.accountDeletionScheduledFor, new Date())),
      );
    expect(stillDue).toEqual([]);
  });
});
