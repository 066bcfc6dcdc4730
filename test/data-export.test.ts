import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dataExports, liveStreams, mediaOutbox } from "../src/db/schema";
import type { DataExportArchive } from "../src/features/data-export/data-export.archive";
import { buildExport } from "../src/features/data-export/data-export.archive";
import type { DataExportState } from "../src/features/data-export/data-export.routes";
import { startExport } from "../src/features/data-export/data-export.service";
import { signDownload } from "../src/features/data-export/signed-link";
import worker from "../src/index";
import { newObjectId } from "../src/lib/ids";
import { writeFollows } from "../src/users/follows";
import { DAY_MS, DELETION, FINALIZE_NOW, setFinalizeNowFlag } from "./deletion-helpers";
import { failing } from "./fault-bindings";
import { gpsJpeg } from "./fixtures";
import {
  call,
  createUser,
  dbOf,
  everyShardDb,
  messageOf,
  tokenFor,
  USER_FIELDS,
  uploadPhoto,
} from "./helpers";
import { drainJobs, heldJobsQueue, MAX_RETRIES } from "./jobs";

// POST and GET /users/me/data-export and the signed download link, with the real local D1 and R2.
// Builds run in the response's waitUntil: each request gets its own execution context, and a test
// waits for it (or holds the build at R2's put) to see each state.

const EXPORT = "/api/v1/users/me/data-export";

type Envelope<T> = { isSuccess: boolean; statusCode: number; data: T; errors: string[] };
type Init = { method?: string; token?: string; headers?: Record<string, string>; json?: unknown };

/** One request through the Worker, with `overrides` on the env; `built` runs the build it queued. */
async function send(path: string, init: Init = {}, overrides: Partial<Env> = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://localhost${path}`, {
      method: init.method ?? "GET",
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    }),
    { ...env, JOBS: heldJobsQueue, ...overrides },
    ctx,
  );
  const built = async () => {
    await waitOnExecutionContext(ctx);
    await drainJobs(overrides);
  };
  return { response, status: response.status, built };
}

async function sendJson<T>(path: string, init: Init = {}, overrides: Partial<Env> = {}) {
  const sent = await send(path, init, overrides);
  const body = (await sent.response.json()) as Envelope<T>;
  return { ...sent, body };
}

async function signedIn() {
  const user = await createUser();
  return { user, token: await tokenFor(user.id) };
}

const getState = (token: string) => sendJson<DataExportState>(EXPORT, { token });

/** Starts an export and waits for its build; returns the state once built. */
async function exportNow(token: string, overrides: Partial<Env> = {}) {
  const started = await sendJson<DataExportState>(EXPORT, { method: "POST", token }, overrides);
  expect(started.status).toBe(202);
  await started.built();
  const { body } = await getState(token);
  return body.data;
}

/** The path and query of a state's download link. */
function linkOf(state: DataExportState): string {
  if (!state.downloadUrl) throw new Error(`no download link in state ${state.status}`);
  const url = new URL(state.downloadUrl);
  return url.pathname + url.search;
}

async function download(path: string) {
  const { response, status } = await send(path);
  return { response, status };
}

/** A MEDIA binding whose put waits until `release()`: the build stays "building" meanwhile. */
function heldAtPut() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const binding = new Proxy(env.MEDIA, {
    get(target, property) {
      if (property === "put") {
        return async (...args: Parameters<R2Bucket["put"]>) => {
          await gate;
          return target.put(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { binding, release };
}

async function exportRow(userId: string) {
  const [row] = await dbOf(userId).select().from(dataExports).where(eq(dataExports.userId, userId));
  return row;
}

describe("POST then GET /users/me/data-export", () => {
  it("goes none → building → ready, with a 24-hour link and a 7-day archive", async () => {
    const { token } = await signedIn();
    const before = await getState(token);
    expect(before.status).toBe(200);
    expect(before.body.data).toEqual({
      exportId: null,
      status: "none",
      requestedAt: null,
      completedAt: null,
      archiveExpiresAt: null,
      downloadUrl: null,
      downloadUrlExpiresAt: null,
    });

    const held = heldAtPut();
    const started = await sendJson<DataExportState>(
      EXPORT,
      { method: "POST", token },
      { MEDIA: held.binding },
    );
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ isSuccess: true, statusCode: 202, errors: [] });
    expect(started.body.data).toMatchObject({ status: "building", downloadUrl: null, completedAt: null });
    expect((await getState(token)).body.data.status).toBe("building");

    held.release();
    await started.built();
    const ready = (await getState(token)).body.data;
    expect(ready.status).toBe("ready");
    expect(ready.exportId).toBe(started.body.data.exportId);
    const requestedAt = Date.parse(ready.requestedAt ?? "");
    expect(Date.parse(ready.archiveExpiresAt ?? "")).toBe(requestedAt + 7 * DAY_MS);
    const linkExpiry = Date.parse(ready.downloadUrlExpiresAt ?? "");
    expect(linkExpiry).toBeGreaterThan(Date.now() + DAY_MS - 60_000);
    expect(linkExpiry).toBeLessThanOrEqual(Date.now() + DAY_MS);
    expect(new URL(ready.downloadUrl ?? "").searchParams.get("expires")).toBe(String(linkExpiry / 1000));
  });

  it("answers 409 while an export is being built, in en and tr", async () => {
    const { token } = await signedIn();
    const held = heldAtPut();
    const first = await send(EXPORT, { method: "POST", token }, { MEDIA: held.binding });
    expect(first.status).toBe(202);

    const again = await sendJson(EXPORT, { method: "POST", token });
    expect(again.status).toBe(409);
    expect(again.body.errors).toEqual([messageOf("status.409"), messageOf("dataExport.inProgress")]);
    const turkish = await sendJson(EXPORT, { method: "POST", token, headers: { "accept-language": "tr" } });
    expect(turkish.status).toBe(409);
    expect(turkish.body.errors).toEqual([
      messageOf("status.409", "tr"),
      messageOf("dataExport.inProgress", "tr"),
    ]);

    held.release();
    await first.built();
    expect((await getState(token)).body.data.status).toBe("ready");
  });

  it("allows one export a day: 429 with Retry-After until the day is over", async () => {
    const { token } = await signedIn();
    const ready = await exportNow(token);
    const refused = await sendJson(EXPORT, { method: "POST", token, headers: { "x-timezone": "UTC+03:00" } });
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0]).toBe(messageOf("status.429"));
    expect(refused.body.errors[1]).toMatch(
      /^A data export can be started once a day; the next one from .+\(UTC\+03:00\)$/,
    );
    const retryAfter = Number(refused.response.headers.get("retry-after"));
    const untilNextDay = (Date.parse(ready.requestedAt ?? "") + DAY_MS - Date.now()) / 1000;
    expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(untilNextDay));
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(untilNextDay) + 1);
    // The refused request changed nothing.
    expect((await getState(token)).body.data).toMatchObject({ status: "ready", exportId: ready.exportId });
  });

  it("reports a failed build as failed, and lets the user start again at once", async () => {
    const { token } = await signedIn();
    const broken = failing(env.MEDIA, ["put"]);
    const failed = await exportNow(token, { MEDIA: broken.binding });
    // Retried by the queue, then dead-lettered, which marks the export failed.
    expect(broken.calls.count).toBe(MAX_RETRIES + 1);
    expect(failed).toMatchObject({ status: "failed", downloadUrl: null });
    expect(failed.completedAt).not.toBeNull();

    const retried = await exportNow(token);
    expect(retried.status).toBe("ready");
    expect(retried.exportId).not.toBe(failed.exportId);
  });

  it("keeps an archive whose put stored it and then failed named, and queues it when replaced", async () => {
    const { user, token } = await signedIn();
    const ambiguous = new Proxy(env.MEDIA, {
      get(target, property) {
        if (property === "put") {
          return async (...args: Parameters<R2Bucket["put"]>) => {
            await target.put(...args);
            throw new Error("simulated connection reset after the write");
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const failed = await exportNow(token, { MEDIA: ambiguous });
    expect(failed.status).toBe("failed");
    const row = await exportRow(user.id);
    if (!row) throw new Error("no export row");
    expect(await env.MEDIA.head(row.objectKey)).not.toBeNull();

    expect((await exportNow(token)).status).toBe("ready");
    const queued = await dbOf(user.id).select().from(mediaOutbox).where(eq(mediaOutbox.key, row.objectKey));
    expect(queued).toHaveLength(1);
  });

  it("counts a build that never finished as failed after its timeout, and replaces it", async () => {
    const { user, token } = await signedIn();
    const longAgo = new Date(Date.now() - 60 * 60 * 1000);
    const stuck = await startExport(dbOf(user.id), user.id, longAgo);
    expect((await getState(token)).body.data).toMatchObject({ status: "failed", exportId: stuck.id });

    const replaced = await exportNow(token);
    expect(replaced.status).toBe("ready");
    // The stuck build's archive key stays named: queued for deletion with its replacement.
    const [queued] = await dbOf(user.id)
      .select()
      .from(mediaOutbox)
      .where(eq(mediaOutbox.key, stuck.objectKey));
    expect(queued?.userId).toBe(user.id);
  });

  it("queues the previous archive for deletion when a new export replaces it", async () => {
    const { user } = await signedIn();
    const yesterday = new Date(Date.now() - DAY_MS - 60_000);
    const first = await startExport(dbOf(user.id), user.id, yesterday);
    await buildExport(env, dbOf(user.id), {
      exportId: first.id,
      userId: user.id,
      objectKey: first.objectKey,
      requestUrl: "http://localhost/",
    });
    expect(await env.MEDIA.head(first.objectKey)).not.toBeNull();

    const second = await startExport(dbOf(user.id), user.id);
    expect(second.id).not.toBe(first.id);
    const queued = await dbOf(user.id).select().from(mediaOutbox).where(eq(mediaOutbox.key, first.objectKey));
    expect(queued).toHaveLength(1);
  });

  it("needs a token, and documents the production warning on POST only", async () => {
    expect((await sendJson(EXPORT, { method: "POST" })).status).toBe(401);
    expect((await sendJson(EXPORT)).status).toBe(401);
    const { body } = await call<never>("/openapi.json");
    const document = body as unknown as {
      paths: Record<string, Record<string, { description?: string; security?: unknown[] }>>;
    };
    const paths = document.paths;
    expect(paths["/api/v1/users/me/data-export"]?.post?.description).toContain("**Production warning:**");
    expect(paths["/api/v1/users/me/data-export"]?.get?.description).not.toContain("Production warning");
    expect(paths["/api/v1/data-exports/{exportId}/download"]?.get?.security).toEqual([]);
  });
});

describe("the archive", () => {
  it("holds every category: user, consents, followers, following, live streams, events, photo", async () => {
    const { user, token } = await signedIn();
    const follower = await createUser();
    const followed = await createUser();
    // Both halves of each edge, as every follow is written; the archive reads the user's shard.
    await writeFollows(env, [
      { followerId: follower.id, followeeId: user.id, createdAt: new Date() },
      { followerId: user.id, followeeId: followed.id, createdAt: new Date() },
    ]);
    const streamId = newObjectId();
    await dbOf(user.id)
      .insert(liveStreams)
      .values({
        id: streamId,
        userId: user.id,
        title: "Morning run",
        startedAt: new Date("2026-03-01T08:00:00.000Z"),
        endedAt: new Date("2026-03-01T09:00:00.000Z"),
      });
    const { photo, key } = await uploadPhoto(token, gpsJpeg, "image/jpeg");
    const device = { "x-device-id": "test-device-42", "x-platform": "mobile_ios", "x-app-version": "2.1.0" };
    expect((await call(DELETION, { method: "POST", token, json: {}, headers: device })).status).toBe(200);
    expect((await call(DELETION, { method: "DELETE", token, headers: device })).status).toBe(200);

    const state = await exportNow(token);
    const { response, status } = await download(linkOf(state));
    expect(status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="data-export-${state.exportId}.json"`,
    );
    const archive = (await response.json()) as DataExportArchive;

    expect(archive).toMatchObject({
      format: "profile-api.data-export",
      version: 1,
      exportId: state.exportId,
    });
    expect(Object.keys(archive.user)).toEqual([...USER_FIELDS]);
    expect(archive.user).toMatchObject({ _id: user.id, username: user.username, email: user.email });
    expect(archive.user.profilePhoto?._id).toBe(photo._id);
    expect(archive.consents).toEqual([
      { document: "privacyPolicy", accepted: true, version: null },
      { document: "termsOfUse", accepted: true, version: null },
      { document: "consentForm", accepted: true, version: null },
    ]);
    expect(archive.followers).toEqual([
      { _id: follower.id, username: follower.username, followedAt: expect.any(String) },
    ]);
    expect(archive.following).toEqual([
      { _id: followed.id, username: followed.username, followedAt: expect.any(String) },
    ]);
    expect(archive.liveStreams).toEqual([
      {
        _id: streamId,
        title: "Morning run",
        startedAt: "2026-03-01T08:00:00.000Z",
        endedAt: "2026-03-01T09:00:00.000Z",
      },
    ]);
    expect(
      archive.accountEvents.map(({ event, source, platform, appVersion, deviceId }) => ({
        event,
        source,
        platform,
        appVersion,
        deviceId,
      })),
    ).toEqual([
      {
        event: "deletion_requested",
        source: "user",
        platform: "mobile_ios",
        appVersion: "2.1.0",
        deviceId: "test-device-42",
      },
      {
        event: "deletion_cancelled",
        source: "user",
        platform: "mobile_ios",
        appVersion: "2.1.0",
        deviceId: "test-device-42",
      },
    ]);

    const stored = await env.MEDIA.get(key);
    const storedBytes = new Uint8Array((await stored?.arrayBuffer()) ?? new ArrayBuffer(0));
    expect(storedBytes.byteLength).toBeGreaterThan(0);
    const exported = Uint8Array.from(atob(archive.profilePhoto?.base64 ?? ""), (char) => char.charCodeAt(0));
    expect(exported).toEqual(storedBytes);
    expect(archive.profilePhoto).toMatchObject({
      _id: photo._id,
      contentType: "image/webp",
      byteLength: storedBytes.byteLength,
    });
  });

  it("has empty categories for a user with nothing in them", async () => {
    const { token } = await signedIn();
    const archive = (await (
      await download(linkOf(await exportNow(token)))
    ).response.json()) as DataExportArchive;
    expect(archive).toMatchObject({
      followers: [],
      following: [],
      liveStreams: [],
      accountEvents: [],
      profilePhoto: null,
    });
    expect(archive.user.profilePhoto).toBeNull();
  });

  it("can be exported while the account is pending deletion", async () => {
    const { token } = await signedIn();
    expect((await call(DELETION, { method: "POST", token, json: {} })).status).toBe(200);
    // The account is locked for profile changes...
    expect(
      (
        await call("/api/v1/users/profile/username", {
          method: "PATCH",
          token,
          json: { username: "lockedname" },
        })
      ).status,
    ).toBe(403);
    // ...but not for taking its data out.
    const state = await exportNow(token);
    expect(state.status).toBe("ready");
    const archive = (await (await download(linkOf(state))).response.json()) as DataExportArchive;
    expect(archive.user.accountDeletionStatus).toBe("pending");
    expect(archive.accountEvents.map((event) => event.event)).toEqual(["deletion_requested"]);
  });
});

describe("the download link", () => {
  it("works without a token", async () => {
    const { user, token } = await signedIn();
    const { response, status } = await download(linkOf(await exportNow(token)));
    expect(status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(((await response.json()) as DataExportArchive).user._id).toBe(user.id);
  });

  it("refuses a changed signature, expiry or export id with 403 in the envelope", async () => {
    const { token } = await signedIn();
    const other = await signedIn();
    const mine = await exportNow(token);
    const theirs = await exportNow(other.token);
    const url = new URL(mine.downloadUrl ?? "");
    const signature = url.searchParams.get("signature") ?? "";
    const expires = Number(url.searchParams.get("expires"));

    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    const tampered = [
      `${url.pathname}?expires=${expires}&signature=${flipped}`,
      `${url.pathname}?expires=${expires + 3600}&signature=${signature}`,
      // Another user's export under my signature.
      `/api/v1/data-exports/${theirs.exportId}/download?expires=${expires}&signature=${signature}`,
    ];
    for (const path of tampered) {
      const { status, body } = await sendJson(path);
      expect(status, path).toBe(403);
      expect(body).toMatchObject({ isSuccess: false, statusCode: 403, data: null });
      expect(body.errors).toEqual([messageOf("status.403"), messageOf("dataExport.linkInvalid")]);
    }
    // A malformed signature or expiry is the same refusal as a changed one (README: 403).
    for (const query of [`expires=${expires}&signature=short`, `expires=soon&signature=${signature}`, ""]) {
      const malformed = await sendJson(`${url.pathname}?${query}`);
      expect(malformed.status, query).toBe(403);
      expect(malformed.body.errors).toEqual([messageOf("status.403"), messageOf("dataExport.linkInvalid")]);
    }
  });

  it("refuses an expired link with 403, localized", async () => {
    const { token } = await signedIn();
    const state = await exportNow(token);
    const exportId = state.exportId ?? "";
    const past = await signDownload(env.EXPORT_SIGNING_SECRET, exportId, new Date(Date.now() - 1000));
    const path = `/api/v1/data-exports/${exportId}/download?expires=${past.expires}&signature=${past.signature}`;
    const { status, body } = await sendJson(path, { headers: { "accept-language": "tr" } });
    expect(status).toBe(403);
    expect(body.errors).toEqual([
      "Yetersiz yetki",
      "İndirme bağlantısının süresi doldu; GET /api/v1/users/me/data-export yenisini verir",
    ]);
  });

  it("reaches no other user's export: each user sees only their own", async () => {
    const owner = await signedIn();
    const stranger = await signedIn();
    const owned = await exportNow(owner.token);
    expect((await getState(stranger.token)).body.data.status).toBe("none");
    const theirs = await exportNow(stranger.token);
    expect(theirs.exportId).not.toBe(owned.exportId);
    const archive = (await (await download(linkOf(theirs))).response.json()) as DataExportArchive;
    expect(archive.user._id).toBe(stranger.user.id);
    // A link signed for an export id that does not exist is refused like a deleted one.
    const missing = newObjectId();
    const link = await signDownload(env.EXPORT_SIGNING_SECRET, missing, new Date(Date.now() + 60_000));
    const { status, body } = await sendJson(
      `/api/v1/data-exports/${missing}/download?expires=${link.expires}&signature=${link.signature}`,
    );
    expect(status).toBe(404);
    expect(body.errors).toEqual([messageOf("status.404"), messageOf("dataExport.gone")]);
  });

  it("is rate limited per export: 429 with Retry-After", async () => {
    const { token } = await signedIn();
    const path = linkOf(await exportNow(token));
    const tight = { DATA_EXPORT_DOWNLOAD_LIMITER: env.TEST_TIGHT_LIMITER };
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { response, status } = await send(path, {}, tight);
      statuses.push(status);
      if (status === 429) expect(response.headers.get("retry-after")).toBe("60");
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe("deleting exports", () => {
  async function runCron(at: Date) {
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: at.getTime(), cron: "*/15 * * * *" }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
  }

  it("the cron deletes an export and its archive 7 days after it was asked for, not before", async () => {
    const { user, token } = await signedIn();
    const state = await exportNow(token);
    const row = await exportRow(user.id);
    if (!row) throw new Error("no export row");
    const requestedAt = Date.parse(state.requestedAt ?? "");

    await runCron(new Date(requestedAt + 6 * DAY_MS));
    expect(await exportRow(user.id)).toBeDefined();
    expect(await env.MEDIA.head(row.objectKey)).not.toBeNull();

    await runCron(new Date(requestedAt + 7 * DAY_MS + 1000));
    expect(await exportRow(user.id)).toBeUndefined();
    expect(await env.MEDIA.head(row.objectKey)).toBeNull();
    for (const shard of everyShardDb()) {
      expect(await shard.select().from(mediaOutbox).where(eq(mediaOutbox.key, row.objectKey))).toEqual([]);
    }
    expect((await getState(token)).body.data.status).toBe("none");
    expect((await download(linkOf(state))).status).toBe(404);
  });

  it("finalization deletes the user's export rows in its batch, and the link stops working", async () => {
    const { user, token } = await signedIn();
    const state = await exportNow(token);
    expect(await exportRow(user.id)).toBeDefined();
    await setFinalizeNowFlag(true);
    expect((await call(DELETION, { method: "POST", token, json: {} })).status).toBe(200);
    expect((await call(FINALIZE_NOW, { method: "POST", token })).status).toBe(200);
    await setFinalizeNowFlag(false);

    expect(await exportRow(user.id)).toBeUndefined();
    expect((await download(linkOf(state))).status).toBe(404);
  });

  it("a build that ends after its export was deleted deletes its archive again", async () => {
    const { user } = await signedIn();
    const started = await startExport(dbOf(user.id), user.id);
    await dbOf(user.id).delete(dataExports).where(eq(dataExports.userId, user.id));
    await buildExport(env, dbOf(user.id), {
      exportId: started.id,
      userId: user.id,
      objectKey: started.objectKey,
      requestUrl: "http://localhost/",
    });
    expect(await env.MEDIA.head(started.objectKey)).toBeNull();
  });
});
