import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { liveStreams } from "../src/db/schema";
import { newObjectId } from "../src/lib/ids";
import { writeFollow } from "../src/users/follows";
import { gpsJpeg } from "./fixtures";
import { api, createUser, dbOf, type Envelope, tokenFor } from "./helpers";

// Revalidated private reads: GET /users/me, /users/me/stats and /users/me/account-deletion send a
// weak ETag of their data with `Cache-Control: private, no-cache`, and answer a matching
// If-None-Match with 304 and no body. The tag must change with every write that changes the data.

const ME = "/api/v1/users/me";
const STATS = "/api/v1/users/me/stats";
const DELETION = "/api/v1/users/me/account-deletion";
const WEAK_ETAG = /^W\/"[0-9a-f]{16}"$/;
const READS = [
  ["GET /users/me", ME],
  ["GET /users/me/stats", STATS],
  ["GET /users/me/account-deletion", DELETION],
] as const;

async function signedIn() {
  const user = await createUser();
  return { user, token: await tokenFor(user.id) };
}

/** A 200 read: its weak ETag and parsed envelope. */
async function read(path: string, token: string) {
  const response = await api(path, { token });
  expect(response.status).toBe(200);
  const etag = response.headers.get("etag") ?? "";
  expect(etag).toMatch(WEAK_ETAG);
  return { response, etag, body: (await response.json()) as Envelope };
}

async function conditional(path: string, token: string, ifNoneMatch: string) {
  const response = await api(path, { token, headers: { "if-none-match": ifNoneMatch } });
  const text = await response.text();
  return { response, status: response.status, text };
}

describe.each(READS)("%s", (_label, path) => {
  it("sends a weak ETag and Cache-Control: private, no-cache", async () => {
    const { token } = await signedIn();
    const { response, body } = await read(path, token);
    expect(response.headers.get("cache-control")).toBe("private, no-cache");
    expect(body.isSuccess).toBe(true);
  });

  it("answers If-None-Match with its ETag with 304, no body, and the ETag", async () => {
    const { token } = await signedIn();
    const { etag } = await read(path, token);
    const { response, status, text } = await conditional(path, token, etag);
    expect(status).toBe(304);
    expect(text).toBe("");
    expect(response.headers.get("etag")).toBe(etag);
    expect(response.headers.get("cache-control")).toBe("private, no-cache");
  });

  it("matches the strong form of the same tag (weak comparison)", async () => {
    const { token } = await signedIn();
    const { etag } = await read(path, token);
    const { status, text } = await conditional(path, token, etag.replace(/^W\//, ""));
    expect(status).toBe(304);
    expect(text).toBe("");
  });

  it("matches * and a list holding the tag", async () => {
    const { token } = await signedIn();
    const { etag } = await read(path, token);
    expect((await conditional(path, token, "*")).status).toBe(304);
    expect((await conditional(path, token, `"0123", ${etag}`)).status).toBe(304);
  });

  it("answers 200 with the body to another tag", async () => {
    const { token } = await signedIn();
    const { etag } = await read(path, token);
    const other = `W/"${"0".repeat(32)}"`;
    expect(other).not.toBe(etag);
    const { response, status, text } = await conditional(path, token, other);
    expect(status).toBe(200);
    expect(response.headers.get("etag")).toBe(etag);
    expect((JSON.parse(text) as Envelope).isSuccess).toBe(true);
  });

  it("gives the same ETag to two reads without a change, whatever the envelope's timestamp", async () => {
    const { token } = await signedIn();
    const first = await read(path, token);
    await scheduler.wait(5);
    const second = await read(path, token);
    expect(second.body.timestamp).not.toBe(first.body.timestamp);
    expect(second.etag).toBe(first.etag);
  });
});

describe("the ETag changes with every write that changes the data", () => {
  it("GET /users/me: after PUT profile", async () => {
    const { token } = await signedIn();
    const before = await read(ME, token);
    const put = await api("/api/v1/users/profile", {
      method: "PUT",
      token,
      json: { name: "Changed", surname: "Name" },
    });
    expect(put.status).toBe(200);
    const after = await read(ME, token);
    expect(after.etag).not.toBe(before.etag);
    expect((await conditional(ME, token, before.etag)).status).toBe(200);
  });

  it("GET /users/me: after PATCH username", async () => {
    const { token } = await signedIn();
    const before = await read(ME, token);
    const patch = await api("/api/v1/users/profile/username", {
      method: "PATCH",
      token,
      json: { username: `etag_${newObjectId().slice(-10)}` },
    });
    expect(patch.status).toBe(200);
    const after = await read(ME, token);
    expect(after.etag).not.toBe(before.etag);
    expect((await conditional(ME, token, before.etag)).status).toBe(200);
  });

  it("GET /users/me: after a photo upload", async () => {
    const { token } = await signedIn();
    const before = await read(ME, token);
    const form = new FormData();
    form.append("file", new File([gpsJpeg], "photo.jpg", { type: "image/jpeg" }));
    const upload = await api("/api/v1/users/profile/photo", { method: "PATCH", token, body: form });
    expect(upload.status).toBe(200);
    const after = await read(ME, token);
    expect(after.etag).not.toBe(before.etag);
    expect((await conditional(ME, token, before.etag)).status).toBe(200);
  });

  it("GET /users/me/stats: after a follow is inserted", async () => {
    const { user, token } = await signedIn();
    const follower = await createUser();
    const before = await read(STATS, token);
    // Both halves, as every follow is written; the followee's shard counts its stats.
    await writeFollow(env, follower.id, user.id);
    const after = await read(STATS, token);
    expect(after.body.data).toMatchObject({ followersCount: 1 });
    expect(after.etag).not.toBe(before.etag);
    expect((await conditional(STATS, token, before.etag)).status).toBe(200);
  });

  it("GET /users/me/stats: after a live stream is inserted", async () => {
    const { user, token } = await signedIn();
    const before = await read(STATS, token);
    await dbOf(user.id)
      .insert(liveStreams)
      .values({ id: newObjectId(), userId: user.id, startedAt: new Date() });
    const after = await read(STATS, token);
    expect(after.body.data).toMatchObject({ liveStreamsCount: 1 });
    expect(after.etag).not.toBe(before.etag);
    expect((await conditional(STATS, token, before.etag)).status).toBe(200);
  });

  it("GET /users/me/account-deletion and GET /users/me: after a deletion request and after its cancel", async () => {
    const { token } = await signedIn();
    const state0 = await read(DELETION, token);
    const me0 = await read(ME, token);

    const requested = await api(DELETION, { method: "POST", token, json: {} });
    expect(requested.status).toBe(200);
    const state1 = await read(DELETION, token);
    const me1 = await read(ME, token);
    expect(state1.body.data).toMatchObject({ status: "pending", canCancel: true });
    expect(state1.etag).not.toBe(state0.etag);
    expect(me1.etag).not.toBe(me0.etag);
    expect((await conditional(DELETION, token, state0.etag)).status).toBe(200);
    expect((await conditional(ME, token, me0.etag)).status).toBe(200);

    const cancelled = await api(DELETION, { method: "DELETE", token });
    expect(cancelled.status).toBe(200);
    const state2 = await read(DELETION, token);
    const me2 = await read(ME, token);
    expect(state2.body.data).toMatchObject({ status: "cancelled", canCancel: false });
    expect(new Set([state0.etag, state1.etag, state2.etag]).size).toBe(3);
    expect(new Set([me0.etag, me1.etag, me2.etag]).size).toBe(3);
    expect((await conditional(DELETION, token, state1.etag)).status).toBe(200);
    expect((await conditional(ME, token, me1.etag)).status).toBe(200);
  });
});
