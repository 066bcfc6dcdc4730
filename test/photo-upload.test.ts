import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mediaOutbox, users } from "../src/db/schema";
import { watchD1 } from "./d1-observer";
import { recordingMedia } from "./fault-bindings";
import {
  emptyIdatPng,
  gif,
  gpsJpeg,
  gpsPng,
  gpsWebp,
  headersOnlyJpeg,
  phonePhotos,
  pixelFloodPng,
  polyglotJpeg,
  svg,
  tooSmallPng,
} from "./fixtures";
import {
  api,
  call,
  callWith,
  createUser,
  dbOf,
  type Envelope,
  everyShardDb,
  messageOf,
  onShardOf,
  tokenFor,
} from "./helpers";
import { contains, expectCleanVariant, VARIANT_KEY } from "./photo-assertions";

const PATH = "/api/v1/users/profile/photo";
const MIB = 1024 * 1024;
const SIZES = ["96", "256", "512"] as const;

type Photo = {
  _id: string;
  url: string;
  type: string;
  variants: Record<(typeof SIZES)[number], string>;
} | null;
type User = { _id: string; profilePhoto: Photo } & Record<string, unknown>;

const encode = (text: string) => new TextEncoder().encode(text);

function padded(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}

function formWith(bytes: Uint8Array | string, type: string, name = "photo") {
  const form = new FormData();
  form.append("file", new File([bytes], name, { type }));
  return form;
}

async function photoUser() {
  const user = await createUser();
  return { user, token: await tokenFor(user.id) };
}

async function upload(token: string, body: FormData | string, headers: Record<string, string> = {}) {
  const response = await api(PATH, { method: "PATCH", token, body, headers });
  return { status: response.status, body: (await response.json()) as Envelope<User | null> };
}

/** The request through the Worker with some bindings replaced. */
function uploadWithEnv(token: string, form: FormData, overrides: Partial<Env>) {
  return callWith<User | null>(PATH, overrides, { method: "PATCH", token, body: form });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await env.MEDIA.list({ prefix });
  return listed.objects.map((object) => object.key).sort();
}

async function stored(userId: string) {
  const [row] = await dbOf(userId).select().from(users).where(eq(users.id, userId));
  if (!row) throw new Error("user not found");
  return row;
}

/** The media outbox of every shard. */
async function outboxRows() {
  return (await Promise.all(everyShardDb().map((shard) => shard.select().from(mediaOutbox)))).flat();
}

/** The three variant keys of a photo, sorted as R2 lists them. */
const variantKeys = (userId: string, photoId: string | undefined) =>
  SIZES.map((size) => `profile-photos/${userId}/${photoId}-${size}.webp`).sort();

/** Uploads the GPS JPEG and returns the stored variant keys. */
async function uploadFirst(token: string, userId: string) {
  const { status, body } = await upload(token, formWith(gpsJpeg, "image/jpeg"));
  expect(status).toBe(200);
  const keys = variantKeys(userId, body.data?.profilePhoto?._id);
  expect(await keysUnder(`profile-photos/${userId}/`)).toEqual(keys);
  return keys;
}

describe("PATCH /api/v1/users/profile/photo: accepted photos", () => {
  // Markers the fixtures carry in EXIF GPS, XMP and text metadata (see scripts/make-photo-fixtures.mjs).
  const secrets = ["fixture-gps-datum", "fixture-secret-location", "GPSLatitude", "http://ns.adobe.com/"];

  it.each([
    ["JPEG", gpsJpeg, "image/jpeg", ["Exif\0\0", "fixture-jpeg-comment", "fixture-icc-profile"]],
    ["PNG", gpsPng, "image/png", ["eXIf", "tEXt", "iTXt", "zTXt", "fixture-png-text"]],
    ["WebP", gpsWebp, "image/webp", ["EXIF", "XMP ", "fixture-icc-profile"]],
  ] as const)(
    "stores a %s as three square WebP variants without its metadata",
    async (_label, bytes, contentType, typeSecrets) => {
      const markers = [...secrets, ...typeSecrets];
      for (const marker of markers) expect(contains(bytes, marker), `fixture has ${marker}`).toBe(true);

      const { user, token } = await photoUser();
      const { status, body } = await upload(token, formWith(bytes, contentType, "me.img"));
      expect(status).toBe(200);
      expect(body.isSuccess).toBe(true);
      const photo = body.data?.profilePhoto;
      expect(photo?.type).toBe("image");
      expect(photo?._id).toMatch(/^[0-9a-f]{24}$/);
      const base = `http://localhost/media/profile-photos/${user.id}/${photo?._id}`;
      expect(photo?.variants).toEqual({
        96: `${base}-96.webp`,
        256: `${base}-256.webp`,
        512: `${base}-512.webp`,
      });
      expect(photo?.url).toBe(photo?.variants[512]);
      expect(body.data?._id).toBe(user.id);
      expect((await stored(user.id)).profilePhotoKey).toBe(
        `profile-photos/${user.id}/${photo?._id}-512.webp`,
      );

      const keys = await keysUnder(`profile-photos/${user.id}/`);
      expect(keys).toEqual(variantKeys(user.id, photo?._id));
      for (const key of keys) {
        expect(key).toMatch(VARIANT_KEY);
        const object = await env.MEDIA.get(key);
        if (!object) throw new Error(`no object at ${key}`);
        expect(object.httpMetadata?.contentType).toBe("image/webp");
        const storedBytes = new Uint8Array(await object.arrayBuffer());
        for (const marker of markers)
          expect(contains(storedBytes, marker), `${key} has ${marker}`).toBe(false);
        await expectCleanVariant(storedBytes, Number(/-(\d+)\.webp$/.exec(key)?.[1]), key);
      }
      // And a later read shows the same photo.
      const me = await call<User>("/api/v1/users/me", { token });
      expect(me.body.data.profilePhoto).toEqual(photo);
    },
  );

  it("accepts a generic declared type (application/octet-stream) and trusts the bytes", async () => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(gpsPng, "application/octet-stream", "blob"));
    expect(status).toBe(200);
    expect(body.data?.profilePhoto?.url).toMatch(
      new RegExp(`/profile-photos/${user.id}/[0-9a-f]{24}-512\\.webp$`),
    );
  });

  // "image/jpg" is the alias many clients (React Native and Expo pickers among them) declare for a
  // JPEG; it does not disagree with the bytes.
  it("accepts a JPEG declared as image/jpg", async () => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(gpsJpeg, "image/jpg", "photo.jpg"));
    expect(body.errors).toEqual([]);
    expect(status).toBe(200);
    expect(body.data?.profilePhoto?.url).toMatch(
      new RegExp(`/profile-photos/${user.id}/[0-9a-f]{24}-512\\.webp$`),
    );
  });

  it("never builds the key from the uploaded file name", async () => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(gpsJpeg, "image/jpeg", "../../evil.jpg"));
    expect(status).toBe(200);
    const key = (await stored(user.id)).profilePhotoKey ?? "";
    expect(key).toBe(`profile-photos/${user.id}/${body.data?.profilePhoto?._id}-512.webp`);
    expect(key).not.toContain("evil");
    expect(key).not.toContain("..");
    const all = (await env.MEDIA.list()).objects.map((object) => object.key);
    expect(all.filter((name) => name.includes("evil"))).toEqual([]);
  });

  // A JPEG with an HTML page after its EOI is accepted like a multi-picture JPEG (the bytes after
  // the first EOI are the decoder's business); the page cannot survive re-encoding.
  it("stores a JPEG/HTML polyglot's pixels only", async () => {
    expect(contains(polyglotJpeg, "<script>")).toBe(true);
    const { user, token } = await photoUser();
    const { status } = await upload(token, formWith(polyglotJpeg, "image/jpeg"));
    expect(status).toBe(200);
    for (const key of await keysUnder(`profile-photos/${user.id}/`)) {
      const bytes = new Uint8Array(await ((await env.MEDIA.get(key))?.arrayBuffer() ?? new ArrayBuffer(0)));
      await expectCleanVariant(bytes, Number(/-(\d+)\.webp$/.exec(key)?.[1]), key);
    }
  });
});

describe("PATCH /api/v1/users/profile/photo: refused uploads", () => {
  it("refuses a PNG declared as image/jpeg with 400", async () => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(gpsPng, "image/jpeg", "photo.jpg"));
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      messageOf("status.400"),
      messageOf("photo.typeMismatch", "en", { declared: "image/jpeg", actual: "image/png" }),
    ]);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
  });

  it.each([
    ["a GIF", gif, "image/gif"],
    ["an SVG", svg, "image/svg+xml"],
    ["HTML text", encode("<!doctype html><html><script>alert(1)</script></html>"), "text/html"],
    ["a JPEG with headers and no scan", headersOnlyJpeg, "image/jpeg"],
    ["a PNG whose only IDAT is empty", emptyIdatPng, "image/png"],
  ])("refuses %s with 415 before decoding", async (_label, bytes, type) => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(bytes, type));
    expect(status).toBe(415);
    expect(body).toMatchObject({ isSuccess: false, statusCode: 415, data: null });
    expect(body.errors).toEqual([messageOf("status.415"), messageOf("photo.unsupported")]);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
    expect((await stored(user.id)).profilePhotoKey).toBeNull();
  });

  // Headers that pass the cheap check over pixel data the decoder cannot read.
  it.each([
    ["a JPEG cut off inside its scan", halfOf(phonePhotos, "progressive JPEG"), "image/jpeg"],
    ["a PNG with corrupt image data", corruptIdat(gpsPng), "image/png"],
  ])("refuses %s with 415 once the decoder fails, in the request's language", async (_label, bytes, type) => {
    const { user, token } = await photoUser();
    const en = await upload(token, formWith(bytes, type));
    expect(en.status).toBe(415);
    expect(en.body.errors).toEqual([messageOf("status.415"), messageOf("photo.undecodable")]);
    const tr = await upload(token, formWith(bytes, type), { "accept-language": "tr" });
    expect(tr.status).toBe(415);
    expect(tr.body.errors).toEqual([messageOf("status.415", "tr"), messageOf("photo.undecodable", "tr")]);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
    expect(await outboxRows()).toEqual([]);
  });

  it.each([
    ["a too-small PNG", tooSmallPng],
    ["a pixel-flood PNG header", pixelFloodPng],
  ])("refuses %s with 400", async (_label, bytes) => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(bytes, "image/png"));
    expect(status).toBe(400);
    expect(body.errors).toEqual([messageOf("status.400"), messageOf("photo.dimensions")]);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
  });

  it.each([
    ["one byte over 5 MiB", 5 * MIB + 1],
    ["6 MiB", 6 * MIB],
  ])("refuses a file %s with 413 and writes nothing", async (_label, size) => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(padded(gpsJpeg, size), "image/jpeg"));
    expect(status).toBe(413);
    expect(body).toMatchObject({ isSuccess: false, statusCode: 413 });
    expect(body.errors[0]).toBe(messageOf("status.413"));
    expect(body.errors[1]).toMatch(
      /^(file|body): must be at most \d+ bytes|^file: must be at most 5 MiB \(5242880 bytes\)$/,
    );
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
  });

  it("refuses a form without the file field with 400", async () => {
    const { token } = await photoUser();
    const form = new FormData();
    form.append("photo", new File([gpsJpeg], "photo.jpg", { type: "image/jpeg" }));
    const { status, body } = await upload(token, form);
    expect(status).toBe(400);
    expect(body.errors[0]).toBe(messageOf("status.400"));
    expect(body.errors.some((message) => message.startsWith("file:"))).toBe(true);
  });

  it("refuses a text field named file with 400", async () => {
    const { token } = await photoUser();
    const form = new FormData();
    form.append("file", "not a file");
    const { status, body } = await upload(token, form);
    expect(status).toBe(400);
    expect(body.errors.some((message) => message.startsWith("file:"))).toBe(true);
  });

  it("refuses a JSON body with 415", async () => {
    const { token } = await photoUser();
    const { status, body } = await upload(token, JSON.stringify({ file: "x" }), {
      "content-type": "application/json",
    });
    expect(status).toBe(415);
    expect(body.errors[0]).toBe(messageOf("status.415"));
  });

  it("refuses a form-urlencoded body with 415 too: it cannot carry a file", async () => {
    const { token } = await photoUser();
    const { status, body } = await upload(token, "file=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(status).toBe(415);
    expect(body.errors).toEqual([messageOf("status.415")]);
  });
});

describe("PATCH /api/v1/users/profile/photo: replacing a photo", () => {
  it("deletes every old variant, keeps the new ones and leaves the outbox empty", async () => {
    const { user, token } = await photoUser();
    const oldKeys = await uploadFirst(token, user.id);

    const { status, body } = await upload(token, formWith(gpsWebp, "image/webp"));
    expect(status).toBe(200);
    const newKeys = variantKeys(user.id, body.data?.profilePhoto?._id);
    expect(newKeys).not.toEqual(oldKeys);
    for (const key of oldKeys) expect(await env.MEDIA.head(key)).toBeNull();
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual(newKeys);
    expect(await outboxRows()).toEqual([]);
  });

  it("replaces a photo stored before variants (one object) and deletes that object", async () => {
    const { user, token } = await photoUser();
    const photoId = "65f0c0ffee0000000000a11e";
    const legacyKey = `profile-photos/${user.id}/${photoId}.jpg`;
    await env.MEDIA.put(legacyKey, gpsJpeg, { httpMetadata: { contentType: "image/jpeg" } });
    await dbOf(user.id)
      .update(users)
      .set({ profilePhotoId: photoId, profilePhotoKey: legacyKey })
      .where(eq(users.id, user.id));
    const before = await call<User>("/api/v1/users/me", { token });
    const legacyUrl = `http://localhost/media/${legacyKey}`;
    expect(before.body.data.profilePhoto).toEqual({
      _id: photoId,
      url: legacyUrl,
      type: "image",
      variants: { 96: legacyUrl, 256: legacyUrl, 512: legacyUrl },
    });

    const { status, body } = await upload(token, formWith(gpsPng, "image/png"));
    expect(status).toBe(200);
    expect(await env.MEDIA.head(legacyKey)).toBeNull();
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual(
      variantKeys(user.id, body.data?.profilePhoto?._id),
    );
    expect(await outboxRows()).toEqual([]);
  });
});

describe("PATCH /api/v1/users/profile/photo: parallel uploads", () => {
  it("leaves exactly the current photo's variants in R2 and nothing queued", async () => {
    const { user, token } = await photoUser();
    const results = await Promise.all([
      upload(token, formWith(gpsJpeg, "image/jpeg")),
      upload(token, formWith(gpsPng, "image/png")),
      upload(token, formWith(gpsWebp, "image/webp")),
    ]);
    const statuses = results.map((result) => result.status);
    expect(statuses).toEqual([200, 200, 200]);
    const current = await stored(user.id);
    expect(current.profilePhotoKey).not.toBeNull();
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual(
      variantKeys(user.id, current.profilePhotoId ?? ""),
    );
    expect(await outboxRows()).toEqual([]);
  });
});

describe("PATCH /api/v1/users/profile/photo: failures", () => {
  it("answers 500 when R2 refuses the put, and keeps the old photo", async () => {
    const { user, token } = await photoUser();
    const oldKeys = await uploadFirst(token, user.id);
    const before = await stored(user.id);

    const media = recordingMedia("put");
    const { status, body } = await uploadWithEnv(token, formWith(gpsPng, "image/png"), {
      MEDIA: media.bucket,
    });
    expect(status).toBe(500);
    expect(media.calls.put).toHaveLength(3);
    for (const key of media.calls.put)
      expect(key).toMatch(new RegExp(`^profile-photos/${user.id}/[0-9a-f]{24}-(96|256|512)\\.webp$`));
    expect(body).toMatchObject({ isSuccess: false, statusCode: 500, data: null });
    expect(body.errors).toEqual([messageOf("status.500")]);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual(oldKeys);
    const after = await stored(user.id);
    expect(after.profilePhotoKey).toBe(before.profilePhotoKey);
    expect(after.profilePhotoId).toBe(before.profilePhotoId);
    expect(await outboxRows()).toEqual([]);
  });

  it("answers 200 when the old objects cannot be deleted, and queues them in the outbox", async () => {
    const { user, token } = await photoUser();
    const oldKeys = await uploadFirst(token, user.id);

    const media = recordingMedia("delete");
    const { status, body } = await uploadWithEnv(token, formWith(gpsPng, "image/png"), {
      MEDIA: media.bucket,
    });
    expect(status).toBe(200);
    expect(media.calls.delete.sort()).toEqual(oldKeys);
    const newKeys = variantKeys(user.id, body.data?.profilePhoto?._id);
    expect((await stored(user.id)).profilePhotoKey).toBe(newKeys.find((key) => key.endsWith("-512.webp")));
    for (const key of newKeys) expect(await env.MEDIA.head(key)).not.toBeNull();
    const queued = await outboxRows();
    expect(queued.map((row) => row.key).sort()).toEqual(oldKeys);
    for (const row of queued) expect(row).toMatchObject({ userId: user.id, attempts: 1 });
    // Clean up for the other tests of this file, which expect an empty outbox.
    await env.MEDIA.delete(oldKeys);
    await dbOf(user.id).delete(mediaOutbox).where(eq(mediaOutbox.userId, user.id));
  });

  it("answers 500 when the row update fails, deletes the new objects and keeps the old photo", async () => {
    const { user, token } = await photoUser();
    const oldKeys = await uploadFirst(token, user.id);
    const before = await stored(user.id);

    const media = recordingMedia();
    const { status, body } = await uploadWithEnv(token, formWith(gpsPng, "image/png"), {
      ...onShardOf(user.id, (d1) => watchD1(d1, { faults: { failBatch: () => true } }).d1),
      MEDIA: media.bucket,
    });
    expect(status).toBe(500);
    expect(body.errors).toEqual([messageOf("status.500")]);
    // The new objects were written, then deleted again once the row could not point at them.
    expect(media.calls.put).toHaveLength(3);
    for (const key of oldKeys) expect(media.calls.put).not.toContain(key);
    expect(media.calls.delete.sort()).toEqual(media.calls.put.sort());
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual(oldKeys);
    const after = await stored(user.id);
    expect(after.profilePhotoKey).toBe(before.profilePhotoKey);
    expect(after.profilePhotoId).toBe(before.profilePhotoId);
    expect(await outboxRows()).toEqual([]);
  });

  it("answers 403 for an account pending deletion and leaves no new object", async () => {
    const { user, token } = await photoUser();
    const oldKeys = await uploadFirst(token, user.id);
    const before = await stored(user.id);
    await dbOf(user.id)
      .update(users)
      .set({
        accountDeletionStatus: "pending",
        accountDeletionRequestedAt: new Date(),
        accountDeletionScheduledFor: new Date(Date.now() + 28 * 86_400_000),
      })
      .where(eq(users.id, user.id));

    const { status, body } = await upload(token, formWith(gpsPng, "image/png"));
    expect(status).toBe(403);
    expect(body.errors[0]).toBe(messageOf("status.403"));
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual(oldKeys);
    expect((await stored(user.id)).profilePhotoKey).toBe(before.profilePhotoKey);
    expect(await outboxRows()).toEqual([]);
  });
});

/** The PNG with one byte of its IDAT data flipped: the header check passes, the decoder fails. */
function corruptIdat(png: Uint8Array): Uint8Array {
  const copy = png.slice();
  const idat = new TextDecoder("latin1").decode(copy).indexOf("IDAT");
  for (let at = idat + 6; at < idat + 30; at++) copy[at] = (copy[at] ?? 0) ^ 0x5a;
  return copy;
}

/** The first half of a fixture's bytes. */
function halfOf(fixtures: { name: string; bytes: Uint8Array }[], name: string): Uint8Array {
  const bytes = fixtures.find((fixture) => fixture.name === name)?.bytes ?? new Uint8Array(0);
  return bytes.subarray(0, Math.floor(bytes.length / 2));
}
