import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { users } from "../src/db/schema";
import { shardBindings, shardOf } from "../src/lib/shards";
import {
  DAY_MS,
  DELETION,
  type DeletionState,
  dateParts,
  FINALIZE_NOW,
  rawAuditRows,
  setFinalizeNowFlag,
} from "./deletion-helpers";
import { call, callWith, createUser, dbOf, ISO_UTC, tokenFor } from "./helpers";

// The account deletion state machine over HTTP: request, state, cancel, finalize-now, audit.

type Requested = { userId: string; status: "pending"; requestedAt: string; scheduledFor: string };
type Cancelled = { userId: string; status: "cancelled"; cancelledAt: string };
type Finalized = { userId: string; status: "finalized"; finalizedAt: string };

const CONFLICT_EN = "Resource already exists or cannot be changed in its current state";
const CONFLICT_TR = "Kaynak zaten mevcut veya mevcut durumunda değiştirilemez";

async function requestDeletion(userId: string, json?: unknown, headers: Record<string, string> = {}) {
  return call<Requested>(DELETION, { method: "POST", token: await tokenFor(userId), json, headers });
}

async function state(userId: string) {
  const { status, body } = await call<DeletionState>(DELETION, { token: await tokenFor(userId) });
  expect(status).toBe(200);
  return body.data;
}

describe("POST /users/me/account-deletion", () => {
  it("starts a 28-day grace period by default (wrangler.toml, and when the setting is unset)", async () => {
    const user = await createUser();
    const before = Date.now();
    const { status, body } = await requestDeletion(user.id, { reason: "too busy" });
    const after = Date.now();
    expect(status).toBe(200);
    expect(body.isSuccess).toBe(true);
    expect(Object.keys(body.data).sort()).toEqual(["requestedAt", "scheduledFor", "status", "userId"]);
    expect(body.data.userId).toBe(user.id);
    expect(body.data.status).toBe("pending");
    expect(body.data.requestedAt).toMatch(ISO_UTC);
    expect(body.data.scheduledFor).toMatch(ISO_UTC);
    const requestedAt = Date.parse(body.data.requestedAt);
    expect(requestedAt).toBeGreaterThanOrEqual(before);
    expect(requestedAt).toBeLessThanOrEqual(after);
    expect(Date.parse(body.data.scheduledFor) - requestedAt).toBe(28 * DAY_MS);

    const unset = await createUser();
    const viaDefault = await callWith<Requested>(
      DELETION,
      { ACCOUNT_DELETION_GRACE_DAYS: "" },
      { method: "POST", token: await tokenFor(unset.id) },
    );
    expect(viaDefault.status).toBe(200);
    expect(Date.parse(viaDefault.body.data.scheduledFor) - Date.parse(viaDefault.body.data.requestedAt)).toBe(
      28 * DAY_MS,
    );
  });

  it("honours ACCOUNT_DELETION_GRACE_DAYS, including 0 (due at once)", async () => {
    const zero = await createUser();
    const { status, body } = await callWith<Requested>(
      DELETION,
      { ACCOUNT_DELETION_GRACE_DAYS: "0" },
      { method: "POST", token: await tokenFor(zero.id) },
    );
    expect(status).toBe(200);
    expect(body.data.scheduledFor).toBe(body.data.requestedAt);

    const three = await createUser();
    const other = await callWith<Requested>(
      DELETION,
      { ACCOUNT_DELETION_GRACE_DAYS: "3" },
      { method: "POST", token: await tokenFor(three.id) },
    );
    expect(Date.parse(other.body.data.scheduledFor) - Date.parse(other.body.data.requestedAt)).toBe(
      3 * DAY_MS,
    );
  });

  it("works with no body at all, and with an empty object", async () => {
    const noBody = await createUser();
    const first = await call<Requested>(DELETION, { method: "POST", token: await tokenFor(noBody.id) });
    expect(first.status).toBe(200);
    expect(first.body.data.status).toBe("pending");

    const empty = await createUser();
    expect((await requestDeletion(empty.id, {})).status).toBe(200);
  });

  it("stores the reason (at most 500 characters) on the row", async () => {
    const user = await createUser();
    const reason = "r".repeat(500);
    expect((await requestDeletion(user.id, { reason })).status).toBe(200);
    const [row] = await dbOf(user.id)
      .select({ reason: users.accountDeletionReason })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.reason).toBe(reason);
  });

  it("refuses a reason over 500 characters and an unknown key with 400, and stays unrequested", async () => {
    const user = await createUser();
    const tooLong = await requestDeletion(user.id, { reason: "r".repeat(501) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0]).toBe("Validation failed");
    expect(tooLong.body.errors.some((message) => message.startsWith("reason"))).toBe(true);

    const unknown = await requestDeletion(user.id, { reason: "ok", deleteNow: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.join(" ")).toContain("deleteNow");

    expect((await state(user.id)).status).toBeNull();
    expect(await rawAuditRows(user.id)).toEqual([]);
  });

  it("a second request while pending is 409 naming the date, in en and tr, and changes nothing", async () => {
    const user = await createUser();
    const first = await requestDeletion(user.id);
    expect(first.status).toBe(200);
    const scheduledFor = new Date(first.body.data.scheduledFor);

    const again = await requestDeletion(user.id, { reason: "again" }, { "X-Timezone": "UTC+03:00" });
    expect(again.status).toBe(409);
    expect(again.body.isSuccess).toBe(false);
    expect(again.body.data).toBeNull();
    expect(again.body.errors[0]).toBe(CONFLICT_EN);
    const en = dateParts(scheduledFor, "UTC+03:00", "en");
    expect(again.body.errors[1]).toContain("already pending");
    expect(again.body.errors[1]).toContain(en.dayMonthYear);
    expect(again.body.errors[1]).toContain(en.time);
    expect(again.body.errors[1]).toContain(en.zone);

    const turkish = await requestDeletion(user.id, undefined, {
      "Accept-Language": "tr",
      "X-Timezone": "UTC",
    });
    expect(turkish.status).toBe(409);
    expect(turkish.response.headers.get("content-language")).toBe("tr");
    expect(turkish.body.errors[0]).toBe(CONFLICT_TR);
    const tr = dateParts(scheduledFor, "UTC", "tr");
    expect(turkish.body.errors[1]).toContain("bekleyen bir hesap silme talebi zaten var");
    expect(turkish.body.errors[1]).toContain(tr.dayMonthYear);
    expect(turkish.body.errors[1]).toContain(tr.time);

    const now = await state(user.id);
    expect(now.requestedAt).toBe(first.body.data.requestedAt);
    expect(now.scheduledFor).toBe(first.body.data.scheduledFor);
    expect((await rawAuditRows(user.id)).length).toBe(1);
  });
});

describe("GET and DELETE /users/me/account-deletion", () => {
  it("shows the state before any request, while pending and after cancel", async () => {
    const user = await createUser();
    expect(await state(user.id)).toEqual({
      userId: user.id,
      status: null,
      requestedAt: null,
      scheduledFor: null,
      cancelledAt: null,
      canCancel: false,
    });

    const { body } = await requestDeletion(user.id);
    expect(await state(user.id)).toEqual({
      userId: user.id,
      status: "pending",
      requestedAt: body.data.requestedAt,
      scheduledFor: body.data.scheduledFor,
      cancelledAt: null,
      canCancel: true,
    });

    const before = Date.now();
    const cancel = await call<Cancelled>(DELETION, { method: "DELETE", token: await tokenFor(user.id) });
    expect(cancel.status).toBe(200);
    expect(Object.keys(cancel.body.data).sort()).toEqual(["cancelledAt", "status", "userId"]);
    expect(cancel.body.data.userId).toBe(user.id);
    expect(cancel.body.data.status).toBe("cancelled");
    expect(cancel.body.data.cancelledAt).toMatch(ISO_UTC);
    expect(Date.parse(cancel.body.data.cancelledAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(cancel.body.data.cancelledAt)).toBeLessThanOrEqual(Date.now());

    expect(await state(user.id)).toEqual({
      userId: user.id,
      status: "cancelled",
      requestedAt: body.data.requestedAt,
      scheduledFor: body.data.scheduledFor,
      cancelledAt: cancel.body.data.cancelledAt,
      canCancel: false,
    });
  });

  it("cancel when nothing is pending is 409 (never requested, and already cancelled), in en and tr", async () => {
    const never = await createUser();
    const first = await call(DELETION, { method: "DELETE", token: await tokenFor(never.id) });
    expect(first.status).toBe(409);
    expect(first.body.errors).toEqual([CONFLICT_EN, "There is no pending account deletion"]);

    const twice = await createUser();
    await requestDeletion(twice.id);
    expect((await call(DELETION, { method: "DELETE", token: await tokenFor(twice.id) })).status).toBe(200);
    const again = await call(DELETION, {
      method: "DELETE",
      token: await tokenFor(twice.id),
      headers: { "Accept-Language": "tr-TR,tr;q=0.9" },
    });
    expect(again.status).toBe(409);
    expect(again.body.errors).toEqual([CONFLICT_TR, "Bekleyen bir hesap silme talebi yok"]);
    expect((await state(twice.id)).status).toBe("cancelled");
  });

  it("a new request after cancel starts a fresh pending period", async () => {
    const user = await createUser();
    const first = await requestDeletion(user.id);
    await call(DELETION, { method: "DELETE", token: await tokenFor(user.id) });
    // A minute later, on the test's clock (only Date is faked: timers and I/O run as usual).
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 60_000 });
    const second = await requestDeletion(user.id, { reason: "now for real" }).finally(() =>
      vi.useRealTimers(),
    );
    expect(second.status).toBe(200);
    expect(second.body.data.status).toBe("pending");
    expect(Date.parse(second.body.data.requestedAt)).toBeGreaterThan(Date.parse(first.body.data.requestedAt));
    const now = await state(user.id);
    expect(now.status).toBe("pending");
    expect(now.cancelledAt).toBeNull();
    expect(now.canCancel).toBe(true);
  });
});

describe("POST /users/me/account-deletion/finalize-now", () => {
  // The flag starts off (KV is empty in this file); these run in order.
  it("is 403 while the flag is off, in en and tr, and leaves the request pending", async () => {
    const user = await createUser();
    await requestDeletion(user.id);
    const off = await call(FINALIZE_NOW, { method: "POST", token: await tokenFor(user.id) });
    expect(off.status).toBe(403);
    expect(off.body.errors).toEqual(["Insufficient permissions", "Immediate finalization is not enabled"]);

    const tr = await call(FINALIZE_NOW, {
      method: "POST",
      token: await tokenFor(user.id),
      headers: { "Accept-Language": "tr" },
    });
    expect(tr.status).toBe(403);
    expect(tr.body.errors).toEqual(["Yetersiz yetki", "Anında sonlandırma etkin değil"]);
    expect((await state(user.id)).status).toBe("pending");
  });

  it("with the flag on: 409 with no pending request, in en and tr", async () => {
    await setFinalizeNowFlag(true);
    const never = await createUser();
    const none = await call(FINALIZE_NOW, { method: "POST", token: await tokenFor(never.id) });
    expect(none.status).toBe(409);
    expect(none.body.errors).toEqual([CONFLICT_EN, "There is no pending account deletion"]);

    const cancelled = await createUser();
    await requestDeletion(cancelled.id);
    await call(DELETION, { method: "DELETE", token: await tokenFor(cancelled.id) });
    const tr = await call(FINALIZE_NOW, {
      method: "POST",
      token: await tokenFor(cancelled.id),
      headers: { "Accept-Language": "tr" },
    });
    expect(tr.status).toBe(409);
    expect(tr.body.errors).toEqual([CONFLICT_TR, "Bekleyen bir hesap silme talebi yok"]);
    expect((await state(cancelled.id)).status).toBe("cancelled");
  });

  it("with the flag on and a pending request: 200 {userId, status, finalizedAt}, then the token is dead", async () => {
    const user = await createUser();
    await requestDeletion(user.id);
    const before = Date.now();
    const { status, body } = await call<Finalized>(FINALIZE_NOW, {
      method: "POST",
      token: await tokenFor(user.id),
    });
    expect(status).toBe(200);
    expect(body.isSuccess).toBe(true);
    expect(Object.keys(body.data).sort()).toEqual(["finalizedAt", "receipt", "status", "userId"]);
    expect(body.data.userId).toBe(user.id);
    expect(body.data.status).toBe("finalized");
    expect(body.data.finalizedAt).toMatch(ISO_UTC);
    expect(Date.parse(body.data.finalizedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(body.data.finalizedAt)).toBeLessThanOrEqual(Date.now());

    const row = await dbOf(user.id).select().from(users).where(eq(users.id, user.id)).get();
    expect(row?.accountDeletionStatus).toBe("finalized");
    expect(row?.accountDeletionFinalizedAt?.toISOString()).toBe(body.data.finalizedAt);
    expect((await call(DELETION, { token: await tokenFor(user.id) })).status).toBe(401);
  });
});

describe("the audit table account_events", () => {
  it("gets one row per transition with the client facts and nothing personal", async () => {
    await setFinalizeNowFlag(true);
    const reason = "secret-reason-text";
    const user = await createUser({
      name: "Auditname",
      surname: "Auditsurname",
      email: "audit.person@example.com",
    });
    const token = await tokenFor(user.id);
    const client = (platform: string, version: string, device: string) => ({
      "X-Platform": platform,
      "X-App-Version": version,
      "X-Device-Id": device,
    });

    const requested = await call<Requested>(DELETION, {
      method: "POST",
      token,
      json: { reason },
      headers: client("mobile_ios", "1.4.2", "device-ios-1"),
    });
    expect(requested.status).toBe(200);
    // Refused transitions leave no row.
    expect((await call(DELETION, { method: "POST", token, json: { reason } })).status).toBe(409);
    const cancelled = await call<Cancelled>(DELETION, {
      method: "DELETE",
      token,
      headers: client("mobile_android", "2.0.0-beta.1", "device-android-2"),
    });
    expect(cancelled.status).toBe(200);
    expect((await call(DELETION, { method: "DELETE", token })).status).toBe(409);
    const again = await call<Requested>(DELETION, { method: "POST", token });
    expect(again.status).toBe(200);
    // Until finalization the rows hold the device ids the clients sent.
    expect((await rawAuditRows(user.id)).map((row) => row.device_id)).toEqual([
      "device-ios-1",
      "device-android-2",
      null,
    ]);
    const finalized = await call<Finalized>(FINALIZE_NOW, {
      method: "POST",
      token,
      headers: client("api", "3.1", "device-api-3"),
    });
    expect(finalized.status).toBe(200);

    const rows = await rawAuditRows(user.id);
    expect(rows.map((row) => Object.keys(row).sort())).toEqual(
      rows.map(() => [
        "app_version",
        "created_at",
        "device_id",
        "event",
        "id",
        "platform",
        "source",
        "user_id",
      ]),
    );
    // Finalization cleared every row's device id (it names a person's phone), its own row's too.
    expect(rows.map(({ id: _id, ...rest }) => rest)).toEqual([
      {
        user_id: user.id,
        event: "deletion_requested",
        source: "user",
        platform: "mobile_ios",
        app_version: "1.4.2",
        device_id: null,
        created_at: Date.parse(requested.body.data.requestedAt),
      },
      {
        user_id: user.id,
        event: "deletion_cancelled",
        source: "user",
        platform: "mobile_android",
        app_version: "2.0.0-beta.1",
        device_id: null,
        created_at: Date.parse(cancelled.body.data.cancelledAt),
      },
      {
        user_id: user.id,
        event: "deletion_requested",
        source: "user",
        platform: "web",
        app_version: null,
        device_id: null,
        created_at: Date.parse(again.body.data.requestedAt),
      },
      {
        user_id: user.id,
        event: "deletion_finalized",
        source: "user",
        platform: "api",
        app_version: "3.1",
        device_id: null,
        created_at: Date.parse(finalized.body.data.finalizedAt),
      },
    ]);
    const stored = JSON.stringify(rows);
    for (const personal of [
      reason,
      "Auditname",
      "Auditsurname",
      "audit.person@example.com",
      user.username ?? "-",
      "device-ios-1",
      "device-android-2",
      "device-api-3",
    ]) {
      expect(stored).not.toContain(personal);
    }
    // Only this user's rows were written, on no shard but the user's own.
    const counts = await Promise.all(
      shardBindings(env).map((shard) =>
        shard
          .prepare("SELECT count(*) AS n FROM account_events WHERE user_id = ?")
          .bind(user.id)
          .first<number>("n"),
      ),
    );
    expect(counts).toEqual(
      shardBindings(env).map((_shard, index) => (index === shardOf(env, user.id) ? 4 : 0)),
    );
  });
});

describe("concurrent requests", () => {
  it("five requests at once: one 200, the rest 409, and one audit row", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call(DELETION, { method: "POST", token, json: { reason: "race" } })),
    );
    expect(results.map((result) => result.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const rows = await rawAuditRows(user.id);
    expect(rows.map((row) => row.event)).toEqual(["deletion_requested"]);
  });

  it("five cancels at once: one 200, the rest 409, and one audit row", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    expect((await call(DELETION, { method: "POST", token })).status).toBe(200);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call(DELETION, { method: "DELETE", token })),
    );
    expect(results.map((result) => result.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const rows = await rawAuditRows(user.id);
    expect(rows.map((row) => row.event)).toEqual(["deletion_requested", "deletion_cancelled"]);
  });

  // Within one millisecond (Date is frozen here, as the Workers clock is between I/O events), a
  // refused repeat must not write an audit row for the transition the earlier request made.
  async function withFrozenClock(run: () => Promise<void>) {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date());
      await run();
    } finally {
      vi.useRealTimers();
    }
  }

  it("a refused repeat request within the same millisecond writes no second audit row", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    await withFrozenClock(async () => {
      expect((await call(DELETION, { method: "POST", token })).status).toBe(200);
      expect((await call(DELETION, { method: "POST", token })).status).toBe(409);
    });
    expect((await rawAuditRows(user.id)).map((row) => row.event)).toEqual(["deletion_requested"]);
  });

  it("a refused repeat cancel within the same millisecond writes no second audit row", async () => {
    const user = await createUser();
    const token = await tokenFor(user.id);
    expect((await call(DELETION, { method: "POST", token })).status).toBe(200);
    await withFrozenClock(async () => {
      expect((await call(DELETION, { method: "DELETE", token })).status).toBe(200);
      expect((await call(DELETION, { method: "DELETE", token })).status).toBe(409);
    });
    expect((await rawAuditRows(user.id)).map((row) => row.event)).toEqual([
      "deletion_requested",
      "deletion_cancelled",
    ]);
  });
});
