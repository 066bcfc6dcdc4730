import { env } from "cloudflare:workers";
import { eq, getTableColumns } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { beforeAll, describe, expect, it } from "vitest";
import { unsentEventCount } from "../src/account-events/publish";
import { accountEvents, liveStreams, mediaPrefixJobs, users } from "../src/db/schema";
import { newObjectId } from "../src/lib/ids";
import { shardBindings } from "../src/lib/shards";
import { type ColumnPlan, ERASURE } from "../src/users/erasure";
import { watchD1 } from "./d1-observer";
import {
  DAY_MS,
  DELETION,
  FINALIZE_NOW,
  personalData,
  rawUser,
  setFinalizeNowFlag,
} from "./deletion-helpers";
import { outboxOf, recordingQueue } from "./event-helpers";
import { failing } from "./fault-bindings";
import { call, callWith, createUser, d1Of, dbOf, everyShardDb, onShardOf, tokenFor } from "./helpers";
import { afterStall, runCron } from "./jobs";

// Finalization reaches every table and every object under the account's R2 prefixes, whatever
// failed on the way; the cron removes unreferenced photo objects of live accounts.

const HOUR_MS = 60 * 60 * 1000;
const eqId = (id: string) => eq(users.id, id);

beforeAll(async () => {
  await setFinalizeNowFlag(true);
});

/** A user's rows of `table`, on its shard. */
async function rowsOf(table: string, userId: string) {
  const { results } = await d1Of(userId)
    .prepare(`SELECT * FROM ${table} WHERE user_id = ? ORDER BY rowid`)
    .bind(userId)
    .all<Record<string, unknown>>();
  return results;
}

async function keysUnder(prefix: string) {
  return (await env.MEDIA.list({ prefix })).objects.map((object) => object.key);
}

/** Every row's every column compared with its decision: the erased value, or unchanged. */
function expectDecisions<T extends SQLiteTable>(
  table: T,
  decisions: ColumnPlan<T["$inferSelect"]>,
  before: Record<string, unknown>[],
  after: Record<string, unknown>[],
) {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => [key, column.name] as const);
  // Every column of the table has a decision, and nothing else does.
  expect(Object.keys(decisions).sort()).toEqual(columns.map(([key]) => key).sort());
  expect(after.length).toBe(before.length);
  for (const [index, row] of after.entries()) {
    expect(Object.keys(row).sort()).toEqual(columns.map(([, name]) => name).sort());
    for (const [key, name] of columns) {
      const decision = decisions[key as keyof typeof decisions] as { erase: unknown } | { keep: string };
      const expected = "erase" in decision ? decision.erase : before[index]?.[name];
      expect({ column: name, value: row[name] }).toEqual({ column: name, value: expected });
    }
  }
}

describe("finalization erases each table's columns as its decisions say", () => {
  let userId: string;
  const before: Record<string, Record<string, unknown>[]> = {};

  beforeAll(async () => {
    const user = await createUser();
    userId = user.id;
    const token = await tokenFor(userId);
    const device = {
      "X-Platform": "mobile_ios",
      "X-App-Version": "7.1.0",
      "X-Device-Id": "iPhone-of-Zeynep-Kaya-5F2A",
    };
    await dbOf(userId)
      .insert(liveStreams)
      .values([
        {
          id: newObjectId(),
          userId,
          title: "Zeynep live from home, Moda Cd. 12 Kadikoy",
          startedAt: new Date(),
        },
        { id: newObjectId(), userId, title: "second", startedAt: new Date(), endedAt: new Date() },
      ]);
    expect((await call(DELETION, { method: "POST", token, headers: device })).status).toBe(200);
    expect((await call(DELETION, { method: "DELETE", token, headers: device })).status).toBe(200);
    expect((await call(DELETION, { method: "POST", token, headers: device })).status).toBe(200);
    before.account_events = await rowsOf("account_events", userId);
    before.live_streams = await rowsOf("live_streams", userId);
    expect(before.account_events.map((row) => row.device_id)).toEqual(Array(3).fill(device["X-Device-Id"]));
    const finalized = await callWith(FINALIZE_NOW, {}, { method: "POST", token, headers: device });
    expect(finalized.status).toBe(200);
    // The finalization's own audit row: written with the client's facts, then its device id cleared.
    const own = (await rowsOf("account_events", userId)).at(-1);
    expect(own).toMatchObject({ event: "deletion_finalized", platform: "mobile_ios", app_version: "7.1.0" });
    before.account_events.push({ ...own, device_id: device["X-Device-Id"] });
  });

  it("account_events: device ids cleared; user, event, source, platform, app version, time kept", async () => {
    const after = await rowsOf("account_events", userId);
    expect(after.map((row) => row.event)).toEqual([
      "deletion_requested",
      "deletion_cancelled",
      "deletion_requested",
      "deletion_finalized",
    ]);
    expectDecisions(accountEvents, ERASURE.accountEvents, before.account_events ?? [], after);
    expect(JSON.stringify(after)).not.toContain("Zeynep");
  });

  it("live_streams: titles erased; the rows and their times kept", async () => {
    const after = await rowsOf("live_streams", userId);
    expectDecisions(liveStreams, ERASURE.liveStreams, before.live_streams ?? [], after);
    expect(after.map((row) => row.title)).toEqual([null, null]);
  });
});

describe("the deletion reason", () => {
  it("is erased at cancel", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const reason = `my own words ${user.id.slice(-6)}`;
    expect((await call(DELETION, { method: "POST", token, json: { reason } })).status).toBe(200);
    expect((await rawUser(user.id))?.account_deletion_reason).toBe(reason);
    expect((await call(DELETION, { method: "DELETE", token })).status).toBe(200);
    expect((await rawUser(user.id))?.account_deletion_reason).toBeNull();
  });
});

describe("finalization empties the account's R2 prefixes, not only the keys rows know", () => {
  it("a stray photo, an export archive and pages of objects: listed by cursor, deleted a page a call", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const photos = `profile-photos/${user.id}/`;
    const exports = `exports/${user.id}/`;
    // What an R2 put that stored the object and then reported a failure leaves behind: a key no
    // row or outbox entry names.
    await env.MEDIA.put(`${photos}${newObjectId()}-512.webp`, "stray");
    await env.MEDIA.put(`${exports}${newObjectId()}.json`, "{}");
    const many = Array.from(
      { length: 24 },
      (_, index) => `${photos}old-${String(index).padStart(2, "0")}.webp`,
    );
    await Promise.all(many.map((key) => env.MEDIA.put(key, "x")));
    // Another user's objects are not touched.
    const neighbour = `profile-photos/${newObjectId()}/kept.webp`;
    await env.MEDIA.put(neighbour, "x");

    // R2 may return fewer keys than asked for: this bucket answers 10 at most a page, so the
    // 25 photo objects take three pages and two cursors.
    const listLimits: (number | undefined)[] = [];
    const cursors: (string | undefined)[] = [];
    const deleteSizes: number[] = [];
    const media = new Proxy(env.MEDIA, {
      get(target, property) {
        if (property === "list") {
          return (options: R2ListOptions = {}) => {
            listLimits.push(options.limit);
            cursors.push(options.cursor);
            return target.list({ ...options, limit: Math.min(options.limit ?? 1000, 10) });
          };
        }
        if (property === "delete") {
          return (keys: string | string[]) => {
            deleteSizes.push(Array.isArray(keys) ? keys.length : 1);
            return target.delete(keys);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    expect((await call(DELETION, { method: "POST", token })).status).toBe(200);
    const { status, body } = await callWith<{ receipt: { photoObjectsQueued: boolean } }>(
      FINALIZE_NOW,
      { MEDIA: media },
      { method: "POST", token },
    );
    expect(status).toBe(200);
    expect(body.data.receipt.photoObjectsQueued).toBe(false);
    expect(await keysUnder(photos)).toEqual([]);
    expect(await keysUnder(exports)).toEqual([]);
    expect(await env.MEDIA.head(neighbour)).not.toBeNull();
    // Pages of 1,000 asked for; the short pages followed by cursor; one bulk delete a page.
    expect(new Set(listLimits)).toEqual(new Set([1000]));
    expect(cursors.filter((cursor) => cursor !== undefined).length).toBe(2);
    expect(deleteSizes).toEqual([1, 10, 10, 5]);
  });
});

describe("the cron removes unreferenced photo objects of live accounts", () => {
  it("older than an hour and referenced by no row: deleted; the current photo's variants and young objects: kept", async () => {
    const id = newObjectId();
    const photoId = newObjectId();
    const root = `profile-photos/${id}/`;
    // Variants share the photo id; the row names one of them.
    const current = [`${root}${photoId}-512.webp`, `${root}${photoId}-256.webp`, `${root}${photoId}-96.webp`];
    const user = await createUser({ id, profilePhotoId: photoId, profilePhotoKey: current[0] });
    const replaced = `${root}${newObjectId()}-512.webp`;
    const stray = `${root}${newObjectId()}.jpg`;
    const unknownOwner = `profile-photos/${newObjectId()}/${newObjectId()}-512.webp`;
    await Promise.all([...current, replaced, stray, unknownOwner].map((key) => env.MEDIA.put(key, "x")));

    // Just uploaded: an upload in flight may own them, so nothing is touched.
    await runCron(new Date());
    expect((await keysUnder(root)).length).toBe(5);

    // Two hours later: the unreferenced ones go, the current photo's variants stay.
    await runCron(new Date(Date.now() + 2 * HOUR_MS));
    expect((await keysUnder(root)).sort()).toEqual([...current].sort());
    expect(await env.MEDIA.head(unknownOwner)).toBeNull();
    expect((await call("/api/v1/users/me", { token: await tokenFor(user.id) })).status).toBe(200);
  });
});

describe("faults injected in R2, D1 and the queue end, after one more cron run, with nothing left", () => {
  it("no object under a finalized prefix, no personal value in any table, every committed event delivered", async () => {
    const tag = newObjectId().slice(-8);
    const personal = personalData(tag);
    const device = { "X-Device-Id": `Pixel-of-${personal.name}` };
    // A: finalized now while R2 deletes and queue sends fail.
    const a = await createUser({ ...personal, profilePhotoId: `${tag}photo0000000000`.slice(0, 24) });
    const aPhoto = `profile-photos/${a.id}/${a.profilePhotoId}-512.webp`;
    await dbOf(a.id).update(users).set({ profilePhotoKey: aPhoto }).where(eqId(a.id));
    await Promise.all(
      [aPhoto, `profile-photos/${a.id}/${newObjectId()}.jpg`, `exports/${a.id}/archive.json`].map((key) =>
        env.MEDIA.put(key, "x"),
      ),
    );
    await dbOf(a.id)
      .insert(liveStreams)
      .values({
        id: newObjectId(),
        userId: a.id,
        title: `Live with ${personal.name}`,
        startedAt: new Date(),
      });
    // B: due for the cron, whose first run has its D1 batch fail.
    const bPersonal = personalData(newObjectId().slice(-8));
    const b = await createUser({
      ...bPersonal,
      accountDeletionStatus: "pending",
      accountDeletionRequestedAt: new Date(Date.now() - 30 * DAY_MS),
      accountDeletionScheduledFor: new Date(Date.now() - DAY_MS),
    });
    await env.MEDIA.put(`profile-photos/${b.id}/${newObjectId()}-96.webp`, "x");

    const r2 = failing(env.MEDIA, ["delete"], "throws");
    const queue = failing(env.ACCOUNT_EVENTS, ["sendBatch", "send"], "throws");
    const faults = { MEDIA: r2.binding, ACCOUNT_EVENTS: queue.binding };
    const token = await tokenFor(a.id);
    const renamed = await callWith("/api/v1/users/profile/username", faults, {
      method: "PATCH",
      token,
      json: { username: `moved_${tag}` },
      headers: device,
    });
    expect(renamed.status).toBe(200);
    expect(
      (
        await callWith(DELETION, faults, {
          method: "POST",
          token,
          json: { reason: personal.accountDeletionReason },
          headers: device,
        })
      ).status,
    ).toBe(200);
    const finalized = await callWith<{ receipt: { photoObjectsQueued: boolean } }>(FINALIZE_NOW, faults, {
      method: "POST",
      token,
      headers: device,
    });
    expect(finalized.status).toBe(200);
    expect(finalized.body.data.receipt.photoObjectsQueued).toBe(true);

    // B's shard breaks every batch longer than five statements (its finalization) part way.
    const brokenD1 = (shard: D1Database) =>
      watchD1(shard, {
        faults: { breakBatchAt: (_n, statements) => (statements.length > 5 ? 3 : undefined) },
      }).d1;
    // B's finalization fails every time: retried by the queue, then dead-lettered; nothing half done.
    const failedRun = await runCron(new Date(), { ...faults, ...onShardOf(b.id, brokenD1) });
    expect(failedRun?.deadLettered).toContainEqual({ kind: "finalize-account", userId: b.id });
    expect((await rawUser(b.id))?.account_deletion_status).toBe("pending");

    // One more healthy cron run, once A's refused prefix counts as stalled.
    const delivered = recordingQueue();
    const healthy = await runCron(afterStall(), { ACCOUNT_EVENTS: delivered.binding });
    expect(healthy?.deadLettered).toEqual([]);
    for (const db of everyShardDb()) {
      expect(await db.select().from(mediaPrefixJobs)).toEqual([]);
      expect(await unsentEventCount(db)).toBe(0);
    }

    for (const id of [a.id, b.id]) {
      expect(await keysUnder(`profile-photos/${id}/`)).toEqual([]);
      expect(await keysUnder(`exports/${id}/`)).toEqual([]);
      expect((await rawUser(id))?.account_deletion_status).toBe("finalized");
    }
    // Every table of every shard and of the directory, every row: none holds a personal value of
    // either person.
    const databases = [
      ...shardBindings(env).map((d1, shard) => ({ name: `USERS_${shard}`, d1 })),
      { name: "DIRECTORY", d1: env.DIRECTORY },
    ];
    const personalValues = [personal, bPersonal].flatMap((data) =>
      Object.values(data).filter((value): value is string => typeof value === "string" && value.length > 3),
    );
    personalValues.push(device["X-Device-Id"], `Live with ${personal.name}`, `moved_${tag}`);
    // The one exception, by its erase decision (src/users/erasure.ts): a finalized account's
    // usernames stay held, for nobody, for USERNAME_HOLD_DAYS so nobody can take them over.
    const usernames = new Set([personal.username, bPersonal.username, `moved_${tag}`]);
    const { results: holds } = await env.DIRECTORY.prepare(
      "SELECT username, user_id FROM username_holds",
    ).all<{
      username: string;
      user_id: string | null;
    }>();
    for (const hold of holds.filter((row) => usernames.has(row.username))) expect(hold.user_id).toBeNull();
    for (const database of databases) {
      const { results: tables } = await database.d1
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'",
        )
        .all<{ name: string }>();
      expect(tables.length).toBeGreaterThanOrEqual(database.name === "DIRECTORY" ? 3 : 9);
      for (const { name } of tables) {
        const { results } = await database.d1.prepare(`SELECT * FROM ${name}`).all();
        const stored = JSON.stringify(results);
        for (const value of personalValues.filter(
          (value) => name !== "username_holds" || !usernames.has(value),
        ))
          expect({ database: database.name, table: name, value, found: stored.includes(value) }).toEqual({
            database: database.name,
            table: name,
            value,
            found: false,
          });
      }
    }
    // Every committed transition's event was delivered: A's rename, request and finalization, B's finalization.
    const ids = new Set(delivered.delivered.map((event) => event.eventId));
    for (const id of [a.id, b.id]) {
      for (const row of await outboxOf(id)) {
        expect(row.sentAt).not.toBeNull();
        expect(ids.has(row.eventId)).toBe(true);
      }
    }
    expect((await outboxOf(a.id)).map((row) => row.type)).toEqual([
      "account.username_changed",
      "account.deletion_requested",
      "account.finalized",
    ]);
    expect((await outboxOf(b.id)).map((row) => row.type)).toEqual(["account.finalized"]);
  });
});

/**
 * `d1` (the shard the request works on) whose request sessions fail every statement once one batch
 * has committed: the bookkeeping after a transition's commit meets a D1 outage.
 */
function d1FailingAfterFirstBatch(d1: D1Database) {
  let committed = false;
  const outage = () => Promise.reject(new Error("simulated D1 outage"));
  const EXECUTING = new Set<PropertyKey>(["all", "raw", "run", "first"]);
  // Wraps the database, its sessions and every prepared (and bound) statement.
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(inner, property) {
        const value = Reflect.get(inner, property, inner);
        if (typeof value !== "function") return value;
        const call = (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(inner, args);
        if (property === "batch") {
          return async (...args: unknown[]) => {
            if (committed) return outage();
            const result = await call(...args);
            committed = true;
            return result;
          };
        }
        if (EXECUTING.has(property)) return (...args: unknown[]) => (committed ? outage() : call(...args));
        if (property === "prepare" || property === "bind" || property === "withSession") {
          return (...args: unknown[]) => wrap(call(...args) as object);
        }
        return value.bind(inner);
      },
    });
  return wrap(d1);
}

describe("after the commit, a bookkeeping failure is the cron's, not the client's", () => {
  it("finalize-now answers 200 when D1 fails right after the finalization committed", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    await env.MEDIA.put(`profile-photos/${user.id}/${newObjectId()}-512.webp`, "x");
    expect((await call(DELETION, { method: "POST", token })).status).toBe(200);
    const { status, body } = await callWith<{ status: string; receipt: { photoObjectsQueued: boolean } }>(
      FINALIZE_NOW,
      onShardOf(user.id, d1FailingAfterFirstBatch),
      { method: "POST", token },
    );
    expect(status).toBe(200);
    expect(body.data.status).toBe("finalized");
    // R2 confirmed the deletions before the answer; only D1's bookkeeping failed, which the cron
    // repeats (listing the now empty prefixes), so nothing of the photos is still queued.
    expect(body.data.receipt.photoObjectsQueued).toBe(false);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
    expect((await rawUser(user.id))?.account_deletion_status).toBe("finalized");

    const queue = recordingQueue();
    await runCron(afterStall(), { ACCOUNT_EVENTS: queue.binding });
    for (const db of everyShardDb()) {
      expect(await db.select().from(mediaPrefixJobs)).toEqual([]);
      expect(await unsentEventCount(db)).toBe(0);
    }
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
    expect(queue.delivered.filter((event) => event.userId === user.id).map((event) => event.type)).toEqual([
      "account.finalized",
    ]);
  });
});
