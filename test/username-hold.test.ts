import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { usernameHolds } from "../src/db/directory-schema";
import { users } from "../src/db/schema";
import worker from "../src/index";
import { directoryOf } from "../src/users/directory";
import { DAY_MS } from "./deletion-helpers";
import { call, callWith, createUser, dbOf, everyShardDb, tokenFor } from "./helpers";
import { runCron } from "./jobs";

const directory = directoryOf(env);

// After a change the old name is held for USERNAME_HOLD_DAYS (default 14): others get 409, its
// owner may take it back once, even inside the cooldown. A finalized account's name is held for
// nobody.

const PATH = "/api/v1/users/profile/username";
const CONFLICT = "Resource already exists or cannot be changed in its current state";
const RECENTLY_USED = "username: was used recently by another account and is held for now; choose another";
const RECENTLY_USED_TR =
  "username: yakın zamanda başka bir hesap tarafından kullanıldı ve şimdilik ayrılmış; başka bir ad seçin";

let sequence = 0;
const freeName = (prefix = "held") => `${prefix}_${++sequence}_${crypto.randomUUID().slice(0, 6)}`;

async function person(username = freeName()) {
  const user = await createUser({ username });
  const token = await tokenFor(user.id);
  const patch = (name: string, headers: Record<string, string> = {}) =>
    call<{ username: string }>(PATH, { method: "PATCH", token, json: { username: name }, headers });
  return { user, token, patch };
}

async function stored(id: string) {
  const [row] = await dbOf(id).select().from(users).where(eq(users.id, id));
  if (!row) throw new Error("user not found");
  return row;
}

/** Who has `username` on any shard (there must be one at most). */
async function holdersOf(username: string) {
  const found = await Promise.all(
    everyShardDb().map((shard) =>
      shard.select({ id: users.id }).from(users).where(eq(users.username, username)),
    ),
  );
  return found.flat();
}

/** Moves the release of `username` `days` into the past. */
async function releasedDaysAgo(username: string, days: number) {
  await directory
    .update(usernameHolds)
    .set({ releasedAt: new Date(Date.now() - days * DAY_MS) })
    .where(eq(usernameHolds.username, username));
}

describe("the old username is held", () => {
  it("for its owner: anyone else gets 409 saying it was recently used, in en and tr", async () => {
    const old = freeName();
    const owner = await person(old);
    expect((await owner.patch(freeName())).status).toBe(200);

    const other = await person();
    const en = await other.patch(old);
    expect(en.status).toBe(409);
    expect(en.body.errors).toEqual([CONFLICT, RECENTLY_USED]);
    const tr = await other.patch(old.toUpperCase(), { "accept-language": "tr" });
    expect(tr.status).toBe(409);
    expect(tr.body.errors).toEqual([
      "Kaynak zaten mevcut veya mevcut durumunda değiştirilemez",
      RECENTLY_USED_TR,
    ]);
    expect((await stored(other.user.id)).username).toBe(other.user.username);
  });

  it("its owner takes it back inside the cooldown, once, without a new cooldown", async () => {
    const old = freeName();
    const next = freeName();
    const owner = await person(old);
    expect((await owner.patch(next)).status).toBe(200);
    const changedAt = (await stored(owner.user.id)).usernameChangedAt;
    expect(changedAt).not.toBeNull();

    // Any other name is still inside the cooldown...
    const elsewhere = await owner.patch(freeName());
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body.errors[1]).toContain("can be changed again from");
    // ...the old one comes back.
    const back = await owner.patch(old);
    expect(back.status).toBe(200);
    expect(back.body.data.username).toBe(old);
    const row = await stored(owner.user.id);
    expect(row.username).toBe(old);
    expect(row.usernameChangedAt).toEqual(changedAt);
    expect(await directory.select().from(usernameHolds).where(eq(usernameHolds.username, old))).toEqual([]);

    // Once: the name given up by the revert is held for its owner, but not to flip back to.
    const again = await owner.patch(next);
    expect(again.status).toBe(409);
    expect(again.body.errors[1]).toContain("can be changed again from");
    const other = await person();
    expect((await other.patch(next)).body.errors).toEqual([CONFLICT, RECENTLY_USED]);
  });

  it("after the hold, the name is free for others and no longer a revert for its owner", async () => {
    const old = freeName();
    const owner = await person(old);
    expect((await owner.patch(freeName())).status).toBe(200);
    await releasedDaysAgo(old, 15);

    // Inside the 30-day cooldown, the expired hold no longer lets the owner back.
    const late = await owner.patch(old);
    expect(late.status).toBe(409);
    expect(late.body.errors[1]).toContain("can be changed again from");

    const other = await person();
    const taken = await other.patch(old);
    expect(taken.status).toBe(200);
    expect(taken.body.data.username).toBe(old);
    // A name in use needs no hold.
    expect(await directory.select().from(usernameHolds).where(eq(usernameHolds.username, old))).toEqual([]);
  });

  it("lasts USERNAME_HOLD_DAYS", async () => {
    const old = freeName();
    const owner = await person(old);
    expect((await owner.patch(freeName())).status).toBe(200);
    await releasedDaysAgo(old, 2);
    const other = await person();
    const ask = (days: string) =>
      callWith<{ username: string }>(
        PATH,
        { USERNAME_HOLD_DAYS: days },
        { method: "PATCH", token: other.token, json: { username: old } },
      );
    expect((await ask("3")).status).toBe(409);
    const taken = await ask("1");
    expect(taken.status).toBe(200);
    expect(taken.body.data.username).toBe(old);
  });
});

describe("races for a held or released name", () => {
  it("a held name: of its owner and 9 others asking at once, exactly the owner wins", async () => {
    const old = freeName("race");
    const owner = await person(old);
    expect((await owner.patch(freeName())).status).toBe(200);
    const others = await Promise.all(Array.from({ length: 9 }, () => person()));
    const results = await Promise.all([owner, ...others].map(({ patch }) => patch(old)));
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses[0]).toBe(200);
    // Held while the owner had not taken it yet, in use once they had.
    for (const { status, body } of results.slice(1)) {
      expect(status).toBe(409);
      expect([RECENTLY_USED, "username: is already taken"]).toContain(body.errors[1]);
    }
    const holders = await holdersOf(old);
    expect(holders).toEqual([{ id: owner.user.id }]);
  });

  it("a released name: of 10 users asking at once, exactly one wins", async () => {
    const old = freeName("race");
    const owner = await person(old);
    expect((await owner.patch(freeName())).status).toBe(200);
    await releasedDaysAgo(old, 15);
    const contenders = await Promise.all(Array.from({ length: 10 }, () => person()));
    const results = await Promise.all(contenders.map(({ patch }) => patch(old)));
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(9);
    const winner = contenders[statuses.indexOf(200)];
    const holders = await holdersOf(old);
    expect(holders).toEqual([{ id: winner?.user.id }]);
  });
});

describe("a finalized account's username", () => {
  it("is held for nobody, and so are the names the account still held", async () => {
    const first = freeName("gone");
    const current = freeName("gone");
    const leaving = await person(first);
    expect((await leaving.patch(current)).status).toBe(200);
    await dbOf(leaving.user.id)
      .update(users)
      .set({ accountDeletionStatus: "pending", accountDeletionScheduledFor: new Date(Date.now() - 1000) })
      .where(eq(users.id, leaving.user.id));
    const report = await runCron();
    expect(report?.deadLettered).toEqual([]);

    const holds = await directory
      .select({ username: usernameHolds.username, userId: usernameHolds.userId })
      .from(usernameHolds)
      .where(inArray(usernameHolds.username, [first, current]));
    expect(holds.sort((a, b) => a.username.localeCompare(b.username))).toEqual(
      [first, current].sort().map((username) => ({ username, userId: null })),
    );
    const other = await person();
    for (const name of [first, current]) {
      expect((await other.patch(name)).body.errors).toEqual([CONFLICT, RECENTLY_USED]);
    }
    // Nothing ties a held name to the finalized account any more.
    const [tied] = await env.DIRECTORY.prepare("SELECT count(*) AS n FROM username_holds WHERE user_id = ?")
      .bind(leaving.user.id)
      .all<{ n: number }>()
      .then((result) => result.results);
    expect(tied?.n).toBe(0);
  });
});

describe("the cron", () => {
  it("deletes expired holds and keeps active ones", async () => {
    const expired = freeName("expired");
    const active = freeName("active");
    await directory.insert(usernameHolds).values([
      { username: expired, userId: null, releasedAt: new Date(Date.now() - 15 * DAY_MS) },
      { username: active, userId: null, releasedAt: new Date(Date.now() - 13 * DAY_MS) },
    ]);
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: "*/15 * * * *" }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const left = await directory
      .select({ username: usernameHolds.username })
      .from(usernameHolds)
      .where(inArray(usernameHolds.username, [expired, active]));
    expect(left).toEqual([{ username: active }]);
  });
});
