import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema";
import {
  DELETION,
  type DeletionState,
  dateParts,
  FINALIZE_NOW,
  setFinalizeNowFlag,
} from "./deletion-helpers";
import { progressiveJpeg } from "./fixtures";
import { api, call, createUser, dbOf, tokenFor } from "./helpers";

// While a deletion is pending the account is locked for profile, username and photo changes;
// reads, cancel and finalize-now keep working, and cancel unlocks it.

type User = { _id: string; name: string; username: string; profilePhoto: { _id: string } | null };

// 22:30 UTC is already the next day at UTC+03:00: the message must show 5 March 2030, 01:30.
const SCHEDULED_FOR = new Date("2030-03-04T22:30:00.000Z");

async function pendingUser() {
  const user = await createUser();
  const token = await tokenFor(user.id);
  const { status } = await call(DELETION, { method: "POST", token });
  expect(status).toBe(200);
  await dbOf(user.id)
    .update(users)
    .set({ accountDeletionScheduledFor: SCHEDULED_FOR })
    .where(eq(users.id, user.id));
  return { user, token };
}

function putProfile(token: string, headers: Record<string, string> = {}) {
  return call<User>("/api/v1/users/profile", {
    method: "PUT",
    token,
    headers,
    json: { name: "Changed", surname: "Person", bio: "new bio" },
  });
}

function patchUsername(token: string, username: string, headers: Record<string, string> = {}) {
  return call<User>("/api/v1/users/profile/username", {
    method: "PATCH",
    token,
    headers,
    json: { username },
  });
}

function patchPhoto(token: string, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append("file", new File([progressiveJpeg], "me.jpg", { type: "image/jpeg" }));
  return call<User>("/api/v1/users/profile/photo", { method: "PATCH", token, headers, body: form });
}

async function photoObjects(userId: string) {
  return (await env.MEDIA.list({ prefix: `profile-photos/${userId}/` })).objects.map((object) => object.key);
}

function expectLocked(result: { status: number; body: { errors: string[] } }, timezone: string) {
  expect(result.status).toBe(403);
  expect(result.body.errors[0]).toBe("Insufficient permissions");
  const message = result.body.errors[1] ?? "";
  expect(message).toContain("pending deletion");
  const parts = dateParts(SCHEDULED_FOR, timezone, "en");
  expect(message).toContain(parts.dayMonthYear);
  expect(message).toContain(parts.time);
  expect(message).toContain(parts.zone);
}

describe("a pending deletion locks the account", () => {
  it("PUT /users/profile is 403 saying until when (X-Timezone UTC+03:00), and nothing changes", async () => {
    const { user, token } = await pendingUser();
    const result = await putProfile(token, { "X-Timezone": "UTC+03:00" });
    expectLocked(result, "UTC+03:00");
    expect(result.body.errors[1]).toContain("5 March 2030");
    expect(result.body.errors[1]).not.toContain("22:30");
    const [row] = await dbOf(user.id).select().from(users).where(eq(users.id, user.id));
    expect(row?.name).toBe(user.name);
    expect(row?.bio).toBeNull();
  });

  it("PATCH /users/profile/username is 403 saying until when, and the name is not taken", async () => {
    const { user, token } = await pendingUser();
    const wanted = `locked_${user.id.slice(-6)}`;
    const result = await patchUsername(token, wanted, { "X-Timezone": "UTC-05:00" });
    expectLocked(result, "UTC-05:00");
    const [row] = await dbOf(user.id).select().from(users).where(eq(users.id, user.id));
    expect(row?.username).toBe(user.username);
    expect(row?.usernameChangedAt).toBeNull();
  });

  it("PATCH /users/profile/photo is 403 saying until when, and leaves no object in R2", async () => {
    const { user, token } = await pendingUser();
    const result = await patchPhoto(token, { "X-Timezone": "UTC+03:00" });
    expectLocked(result, "UTC+03:00");
    const [row] = await dbOf(user.id).select().from(users).where(eq(users.id, user.id));
    expect(row?.profilePhotoKey).toBeNull();
    expect(await photoObjects(user.id)).toEqual([]);
  });

  it("the lock message is in Turkish with Accept-Language: tr", async () => {
    const { token } = await pendingUser();
    const result = await putProfile(token, { "Accept-Language": "tr", "X-Timezone": "UTC+03:00" });
    expect(result.status).toBe(403);
    expect(result.body.errors[0]).toBe("Yetersiz yetki");
    const parts = dateParts(SCHEDULED_FOR, "UTC+03:00", "tr");
    expect(result.body.errors[1]).toContain("silinmeyi bekliyor");
    expect(result.body.errors[1]).toContain(parts.dayMonthYear);
    expect(result.body.errors[1]).toContain(parts.time);
    expect(result.body.errors[1]).toContain(parts.zone);
  });

  it("reads, the state and cancel still work while locked", async () => {
    const { user, token } = await pendingUser();
    const me = await call<User>("/api/v1/users/me", { token });
    expect(me.status).toBe(200);
    expect(me.body.data._id).toBe(user.id);
    const stats = await call("/api/v1/users/me/stats", { token });
    expect(stats.status).toBe(200);
    expect(stats.body.data).toEqual({ followersCount: 0, followingCount: 0, liveStreamsCount: 0 });
    const state = await call<DeletionState>(DELETION, { token });
    expect(state.status).toBe(200);
    expect(state.body.data.status).toBe("pending");
    expect(state.body.data.scheduledFor).toBe(SCHEDULED_FOR.toISOString());
    expect(state.body.data.canCancel).toBe(true);
    const cancel = await call(DELETION, { method: "DELETE", token });
    expect(cancel.status).toBe(200);
  });

  it("finalize-now still works while locked (flag on)", async () => {
    const { user, token } = await pendingUser();
    // Flag off: its own 403, not the lock's.
    const off = await call(FINALIZE_NOW, { method: "POST", token });
    expect(off.status).toBe(403);
    expect(off.body.errors[1]).toBe("Immediate finalization is not enabled");

    await setFinalizeNowFlag(true);
    const on = await call<{ status: string }>(FINALIZE_NOW, { method: "POST", token });
    expect(on.status).toBe(200);
    expect(on.body.data.status).toBe("finalized");
    const [row] = await dbOf(user.id).select().from(users).where(eq(users.id, user.id));
    expect(row?.accountDeletionStatus).toBe("finalized");
  });

  it("after cancel the same edits succeed", async () => {
    const { user, token } = await pendingUser();
    expect((await putProfile(token)).status).toBe(403);
    expect((await call(DELETION, { method: "DELETE", token })).status).toBe(200);

    const profile = await putProfile(token);
    expect(profile.status).toBe(200);
    expect(profile.body.data.name).toBe("Changed");

    const wanted = `unlocked_${user.id.slice(-6)}`;
    const username = await patchUsername(token, wanted);
    expect(username.status).toBe(200);
    expect(username.body.data.username).toBe(wanted);

    const photo = await patchPhoto(token);
    expect(photo.status).toBe(200);
    expect(photo.body.data.profilePhoto).not.toBeNull();
    const keys = await photoObjects(user.id);
    const photoId = photo.body.data.profilePhoto?._id;
    expect(keys).toEqual(
      ["256", "512", "96"].map((size) => `profile-photos/${user.id}/${photoId}-${size}.webp`),
    );
    // The stored photo is served.
    const served = await api(`/media/${keys[0]}`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/webp");
  });
});
