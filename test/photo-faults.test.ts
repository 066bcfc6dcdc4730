import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mediaOutbox, users } from "../src/db/schema";
import { watchD1 } from "./d1-observer";
import { failingImages, recordingMedia } from "./fault-bindings";
import { gpsJpeg, gpsPng } from "./fixtures";
import { callWith, createUser, dbOf, onShardOf, tokenFor, uploadPhoto } from "./helpers";

// Faults injected into the real MEDIA, DB and IMAGES bindings around a photo upload. What must
// hold whatever fails: the old photo stays until the new one is committed, no object is left
// that no row or outbox entry names (where R2 and D1 allow it), and after the commit the client
// gets its 200.

const PATH = "/api/v1/users/profile/photo";
const OUTBOX_INSERT = /^insert into "media_outbox" .* values /;
const OUTBOX_READ = /^select "key" from "media_outbox"/;

type Uploaded = { profilePhoto: { _id: string } | null } | null;

async function uploadWith(token: string, overrides: Partial<Env>, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append("file", new File([gpsPng], "photo.png", { type: "image/png" }));
  const { response, status, body } = await callWith<Uploaded>(PATH, overrides, {
    method: "PATCH",
    token,
    headers,
    body: form,
  });
  return { status, headers: response.headers, body };
}

/** A user with a photo already stored: its token, row and variant keys. */
async function userWithPhoto() {
  const user = await createUser();
  const token = await tokenFor(user.id);
  await uploadPhoto(token, gpsJpeg, "image/jpeg");
  return { user, token, before: await row(user.id), oldKeys: await objectsOf(user.id) };
}

async function row(userId: string) {
  const [found] = await dbOf(userId).select().from(users).where(eq(users.id, userId));
  if (!found) throw new Error("user not found");
  return found;
}

async function objectsOf(userId: string) {
  return (await env.MEDIA.list({ prefix: `profile-photos/${userId}/` })).objects
    .map((object) => object.key)
    .sort();
}

async function queued(userId: string) {
  return (await dbOf(userId).select().from(mediaOutbox).where(eq(mediaOutbox.userId, userId)))
    .map((entry) => entry.key)
    .sort();
}

/** The log lines written while `run` ran, parsed. */
async function logged<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const capture = (text: unknown) => {
    if (typeof text === "string" && text.startsWith("{"))
      lines.push(JSON.parse(text) as Record<string, unknown>);
  };
  for (const level of ["log", "warn", "error"] as const) vi.spyOn(console, level).mockImplementation(capture);
  const result = await run();
  vi.restoreAllMocks();
  return { result, lines };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("photo upload: an R2 put that stores the object and then throws", () => {
  it("answers 500, deletes what the puts may have stored, and keeps the old photo", async () => {
    const { user, token, before, oldKeys } = await userWithPhoto();
    const media = recordingMedia("put-after-storing");
    const { status, body } = await uploadWith(token, { MEDIA: media.bucket });
    expect(status).toBe(500);
    expect(body.errors).toEqual(["Internal server error"]);
    expect(media.calls.put).toHaveLength(3);
    expect(media.calls.delete.sort()).toEqual(media.calls.put.sort());
    expect(await objectsOf(user.id)).toEqual(oldKeys);
    expect((await row(user.id)).profilePhotoKey).toBe(before.profilePhotoKey);
    expect(await queued(user.id)).toEqual([]);
  });

  it("queues the stored objects in the outbox when the delete fails too", async () => {
    const { user, token, before, oldKeys } = await userWithPhoto();
    const media = recordingMedia("put-after-storing", "delete");
    const { status } = await uploadWith(token, { MEDIA: media.bucket });
    expect(status).toBe(500);
    const newKeys = [...media.calls.put].sort();
    expect(await objectsOf(user.id)).toEqual([...oldKeys, ...newKeys].sort());
    expect(await queued(user.id)).toEqual(newKeys);
    expect((await row(user.id)).profilePhotoKey).toBe(before.profilePhotoKey);
  });

  it("leaves the objects under the user's prefix and logs it when the outbox insert fails as well", async () => {
    const { user, token, before, oldKeys } = await userWithPhoto();
    const media = recordingMedia("put-after-storing", "delete");
    const faulty = (d1: D1Database) =>
      watchD1(d1, { faults: { failPrepare: (sql) => OUTBOX_INSERT.test(sql) } }).d1;
    const { result, lines } = await logged(() =>
      uploadWith(token, { MEDIA: media.bucket, ...onShardOf(user.id, faulty) }),
    );
    expect(result.status).toBe(500);
    expect(await queued(user.id)).toEqual([]);
    expect((await row(user.id)).profilePhotoKey).toBe(before.profilePhotoKey);
    // What the cron's sweep of unreferenced objects relies on: each one under this user's prefix,
    // named by a photo id the row does not hold.
    const orphans = (await objectsOf(user.id)).filter((key) => !oldKeys.includes(key));
    expect(orphans).toEqual([...media.calls.put].sort());
    for (const key of orphans) expect(key.startsWith(`profile-photos/${user.id}/`)).toBe(true);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        message: "could not queue unreferenced photo objects; left to the sweep",
        userId: user.id,
        keys: 3,
      }),
    );
    await env.MEDIA.delete(orphans);
  });
});

describe("photo upload: after the D1 commit", () => {
  it("answers 200 and logs it when reading the outbox for the clean-up fails", async () => {
    const { user, token, oldKeys } = await userWithPhoto();
    const faulty = (d1: D1Database) =>
      watchD1(d1, { faults: { failPrepare: (sql) => OUTBOX_READ.test(sql) } }).d1;
    const { result, lines } = await logged(() => uploadWith(token, onShardOf(user.id, faulty)));
    expect(result.status).toBe(200);
    const current = await row(user.id);
    expect(current.profilePhotoId).toBe(result.body.data?.profilePhoto?._id);
    // The replaced variants stay queued for the cron; nothing was lost.
    expect(await queued(user.id)).toEqual(oldKeys);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "replaced photo clean-up failed; left to the cron",
        userId: user.id,
      }),
    );
  });

  it("answers 200 when R2 deleted the old objects but removing their outbox rows fails", async () => {
    const { user, token, oldKeys } = await userWithPhoto();
    // Batch 1 swaps the photo; batch 2 removes the deleted keys from the outbox.
    const faulty = (d1: D1Database) => watchD1(d1, { faults: { failBatch: (n) => n === 2 } }).d1;
    const { result, lines } = await logged(() => uploadWith(token, onShardOf(user.id, faulty)));
    expect(result.status).toBe(200);
    for (const key of oldKeys) expect(await env.MEDIA.head(key)).toBeNull();
    // Still queued: the cron's delete of an absent key succeeds and then drops the row.
    expect(await queued(user.id)).toEqual(oldKeys);
    expect(lines.some((line) => line.message === "replaced photo clean-up failed; left to the cron")).toBe(
      true,
    );
    await dbOf(user.id).delete(mediaOutbox).where(eq(mediaOutbox.userId, user.id));
  });
});

describe("photo upload: the Images binding fails", () => {
  it.each([
    ["on the first variant", 0],
    ["on the smaller variants", 1],
  ])("answers 503 with Retry-After %s, and keeps the old photo", async (_label, succeeding) => {
    const { user, token, before, oldKeys } = await userWithPhoto();
    const { result, lines } = await logged(() => uploadWith(token, { IMAGES: failingImages(succeeding) }));
    expect(result.status).toBe(503);
    expect(result.headers.get("retry-after")).toBe("30");
    expect(result.body).toMatchObject({ isSuccess: false, statusCode: 503, data: null });
    expect(result.body.errors).toEqual([
      "Service temporarily unavailable",
      "file: photos cannot be processed right now; try again shortly",
    ]);
    expect(await objectsOf(user.id)).toEqual(oldKeys);
    expect((await row(user.id)).profilePhotoKey).toBe(before.profilePhotoKey);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: "error", message: "images binding failed" }),
    );
  });

  it("says it in Turkish", async () => {
    const { token } = await userWithPhoto();
    const { status, body } = await uploadWith(
      token,
      { IMAGES: failingImages() },
      { "accept-language": "tr" },
    );
    expect(status).toBe(503);
    expect(body.errors).toEqual([
      "Hizmet geçici olarak kullanılamıyor",
      "file: fotoğraflar şu anda işlenemiyor; birazdan tekrar deneyin",
    ]);
  });

  it("is 415, not 503, when the binding blames the input (an ImagesError code such as 9412)", async () => {
    const { user, token, oldKeys } = await userWithPhoto();
    const notAnImage = () => Object.assign(new Error("IMAGES_INFO_ERROR 9412: not an image"), { code: 9412 });
    const { status, body } = await uploadWith(token, { IMAGES: failingImages(0, notAnImage) });
    expect(status).toBe(415);
    expect(body.errors).toEqual(["Unsupported media type", "file: could not be decoded as an image"]);
    expect(await objectsOf(user.id)).toEqual(oldKeys);
  });
});
