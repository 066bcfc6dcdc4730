import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mediaOutbox, users } from "../src/db/schema";
import { inspectImage } from "../src/features/profile/photo-image";
import { gif, gpsJpeg, gpsPng, gpsWebp, pixelFloodPng, polyglotJpeg, svg, tooSmallPng } from "./fixtures";
import { api, call, callWith, createUser, db, type Envelope, tokenFor } from "./helpers";

const PATH = "/api/v1/users/profile/photo";
const MIB = 1024 * 1024;

type Photo = { _id: string; url: string; type: string } | null;
type User = { _id: string; profilePhoto: Photo } & Record<string, unknown>;

const encode = (text: string) => new TextEncoder().encode(text);

function contains(haystack: Uint8Array, needle: string): boolean {
  const bytes = encode(needle);
  outer: for (
    let at = haystack.indexOf(bytes[0] ?? 0);
    at >= 0;
    at = haystack.indexOf(bytes[0] ?? 0, at + 1)
  ) {
    for (let i = 1; i < bytes.length; i++) if (haystack[at + i] !== bytes[i]) continue outer;
    return true;
  }
  return false;
}

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

/** A binding that behaves like `target` except for the methods in `failing`, which throw. */
function failing<T extends object>(target: T, methods: string[]): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === "string" && methods.includes(property)) {
        return () => Promise.reject(new Error(`simulated ${property} failure`));
      }
      const value = Reflect.get(object, property);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/** env.MEDIA that records the keys of every put and delete, and throws on `fail`. */
function recordingMedia(fail?: "put" | "delete") {
  const calls = { put: [] as string[], delete: [] as string[] };
  const real = env.MEDIA;
  const bucket = new Proxy(real, {
    get(object, property) {
      if (property === "put" || property === "delete") {
        return (key: string | string[], ...rest: unknown[]) => {
          calls[property].push(...(Array.isArray(key) ? key : [key]));
          if (property === fail) return Promise.reject(new Error(`simulated ${property} failure`));
          const method = object[property] as (...args: unknown[]) => Promise<unknown>;
          return method.call(object, key, ...rest);
        };
      }
      const value = Reflect.get(object, property);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
  return { bucket, calls };
}

/** The D1 binding whose `batch()` throws, also inside the sessions it opens (the app queries through one). */
function dbFailingBatch(): D1Database {
  const real = env.DB;
  return new Proxy(real, {
    get(object, property) {
      if (property === "batch") return () => Promise.reject(new Error("simulated batch failure"));
      if (property === "withSession") {
        return (constraint?: string) => failing(object.withSession(constraint), ["batch"]);
      }
      const value = Reflect.get(object, property);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await env.MEDIA.list({ prefix });
  return listed.objects.map((object) => object.key).sort();
}

async function stored(userId: string) {
  const [row] = await db.select().from(users).where(eq(users.id, userId));
  if (!row) throw new Error("user not found");
  return row;
}

async function outboxRows() {
  return db.select().from(mediaOutbox);
}

/** Uploads the GPS JPEG and returns the stored key. */
async function uploadFirst(token: string, userId: string) {
  const { status } = await upload(token, formWith(gpsJpeg, "image/jpeg"));
  expect(status).toBe(200);
  const key = (await stored(userId)).profilePhotoKey;
  if (!key) throw new Error("no photo key");
  expect(await env.MEDIA.head(key)).not.toBeNull();
  return key;
}

describe("PATCH /api/v1/users/profile/photo: accepted photos", () => {
  // Markers the fixtures carry in EXIF GPS, XMP and text metadata (see scripts/make-photo-fixtures.mjs).
  const secrets = ["fixture-gps-datum", "fixture-secret-location", "GPSLatitude", "http://ns.adobe.com/"];

  it.each([
    ["JPEG", gpsJpeg, "image/jpeg", "jpg", ["Exif\0\0", "fixture-jpeg-comment"]],
    ["PNG", gpsPng, "image/png", "png", ["eXIf", "tEXt", "iTXt", "zTXt", "fixture-png-text"]],
    ["WebP", gpsWebp, "image/webp", "webp", ["EXIF", "XMP "]],
  ] as const)(
    "stores a %s without its metadata",
    async (_label, bytes, contentType, extension, typeSecrets) => {
      const markers = [...secrets, ...typeSecrets];
      for (const marker of markers) expect(contains(bytes, marker), `fixture has ${marker}`).toBe(true);
      const original = inspectImage(bytes);
      if (!original.ok) throw new Error("fixture is not an image");

      const { user, token } = await photoUser();
      const { status, body } = await upload(token, formWith(bytes, contentType, `me.${extension}`));
      expect(status).toBe(200);
      expect(body.isSuccess).toBe(true);
      const photo = body.data?.profilePhoto;
      expect(photo?.type).toBe("image");
      expect(photo?._id).toMatch(/^[0-9a-f]{24}$/);
      const key = `profile-photos/${user.id}/${photo?._id}.${extension}`;
      expect(photo?.url).toBe(`http://localhost/media/${key}`);
      expect(body.data?._id).toBe(user.id);

      const object = await env.MEDIA.get(key);
      if (!object) throw new Error(`no object at ${key}`);
      expect(object.httpMetadata?.contentType).toBe(contentType);
      const storedBytes = new Uint8Array(await object.arrayBuffer());
      for (const marker of markers) expect(contains(storedBytes, marker), `stored has ${marker}`).toBe(false);
      const inspected = inspectImage(storedBytes);
      expect(inspected).toEqual({
        ok: true,
        image: expect.objectContaining({
          contentType,
          width: original.image.width,
          height: original.image.height,
        }),
      });
      expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([key]);
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
      new RegExp(`/profile-photos/${user.id}/[0-9a-f]{24}\\.png$`),
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
      new RegExp(`/profile-photos/${user.id}/[0-9a-f]{24}\\.jpg$`),
    );
  });

  it("never builds the key from the uploaded file name", async () => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(gpsJpeg, "image/jpeg", "../../evil.jpg"));
    expect(status).toBe(200);
    const key = (await stored(user.id)).profilePhotoKey ?? "";
    expect(key).toBe(`profile-photos/${user.id}/${body.data?.profilePhoto?._id}.jpg`);
    expect(key).not.toContain("evil");
    expect(key).not.toContain("..");
    const all = (await env.MEDIA.list()).objects.map((object) => object.key);
    expect(all.filter((name) => name.includes("evil"))).toEqual([]);
  });
});

describe("PATCH /api/v1/users/profile/photo: refused uploads", () => {
  it("refuses a PNG declared as image/jpeg with 400", async () => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(gpsPng, "image/jpeg", "photo.jpg"));
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      "Validation failed",
      "file: declared as image/jpeg but its content is image/png",
    ]);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
  });

  it.each([
    ["a GIF", gif, "image/gif"],
    ["an SVG", svg, "image/svg+xml"],
    ["HTML text", encode("<!doctype html><html><script>alert(1)</script></html>"), "text/html"],
    ["a JPEG/HTML polyglot", polyglotJpeg, "image/jpeg"],
  ])("refuses %s with 415", async (_label, bytes, type) => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(bytes, type));
    expect(status).toBe(415);
    expect(body).toMatchObject({ isSuccess: false, statusCode: 415, data: null });
    expect(body.errors).toEqual(["Unsupported media type", "file: must be a JPEG, PNG or WebP image"]);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
    expect((await stored(user.id)).profilePhotoKey).toBeNull();
  });

  it.each([
    ["a too-small PNG", tooSmallPng],
    ["a pixel-flood PNG header", pixelFloodPng],
  ])("refuses %s with 400", async (_label, bytes) => {
    const { user, token } = await photoUser();
    const { status, body } = await upload(token, formWith(bytes, "image/png"));
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      "Validation failed",
      "file: width and height must each be 32 to 8192 pixels",
    ]);
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
    expect(body.errors[0]).toBe("Payload too large");
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([]);
  });

  it("refuses a form without the file field with 400", async () => {
    const { token } = await photoUser();
    const form = new FormData();
    form.append("photo", new File([gpsJpeg], "photo.jpg", { type: "image/jpeg" }));
    const { status, body } = await upload(token, form);
    expect(status).toBe(400);
    expect(body.errors[0]).toBe("Validation failed");
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
    expect(body.errors[0]).toBe("Unsupported media type");
  });
});

describe("PATCH /api/v1/users/profile/photo: replacing a photo", () => {
  it("deletes the old object, keeps the new one and leaves the outbox empty", async () => {
    const { user, token } = await photoUser();
    const oldKey = await uploadFirst(token, user.id);

    const { status, body } = await upload(token, formWith(gpsWebp, "image/webp"));
    expect(status).toBe(200);
    const newKey = `profile-photos/${user.id}/${body.data?.profilePhoto?._id}.webp`;
    expect(newKey).not.toBe(oldKey);
    expect(await env.MEDIA.head(oldKey)).toBeNull();
    expect(await env.MEDIA.head(newKey)).not.toBeNull();
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([newKey]);
    expect(await outboxRows()).toEqual([]);
  });
});

describe("PATCH /api/v1/users/profile/photo: parallel uploads", () => {
  it("leaves exactly the current photo in R2 and nothing queued", async () => {
    const { user, token } = await photoUser();
    const results = await Promise.all([
      upload(token, formWith(gpsJpeg, "image/jpeg")),
      upload(token, formWith(gpsPng, "image/png")),
      upload(token, formWith(gpsWebp, "image/webp")),
    ]);
    const statuses = results.map((result) => result.status);
    console.log(`photo race, 3 parallel uploads: statuses ${statuses.join(",")}`);
    expect(statuses).toEqual([200, 200, 200]);
    const current = (await stored(user.id)).profilePhotoKey;
    expect(current).not.toBeNull();
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([current]);
    expect(await outboxRows()).toEqual([]);
  });
});

describe("PATCH /api/v1/users/profile/photo: failures", () => {
  it("answers 500 when R2 refuses the put, and keeps the old photo", async () => {
    const { user, token } = await photoUser();
    const oldKey = await uploadFirst(token, user.id);
    const before = await stored(user.id);

    const media = recordingMedia("put");
    const { status, body } = await uploadWithEnv(token, formWith(gpsPng, "image/png"), {
      MEDIA: media.bucket,
    });
    expect(status).toBe(500);
    expect(media.calls.put).toHaveLength(1);
    expect(media.calls.put[0]).toMatch(new RegExp(`^profile-photos/${user.id}/[0-9a-f]{24}\\.png$`));
    expect(body).toMatchObject({ isSuccess: false, statusCode: 500, data: null });
    expect(body.errors).toEqual(["Internal server error"]);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([oldKey]);
    const after = await stored(user.id);
    expect(after.profilePhotoKey).toBe(oldKey);
    expect(after.profilePhotoId).toBe(before.profilePhotoId);
    expect(await outboxRows()).toEqual([]);
  });

  it("answers 200 when the old object cannot be deleted, and queues it in the outbox", async () => {
    const { user, token } = await photoUser();
    const oldKey = await uploadFirst(token, user.id);

    const media = recordingMedia("delete");
    const { status, body } = await uploadWithEnv(token, formWith(gpsPng, "image/png"), {
      MEDIA: media.bucket,
    });
    expect(status).toBe(200);
    expect(media.calls.delete).toEqual([oldKey]);
    const newKey = `profile-photos/${user.id}/${body.data?.profilePhoto?._id}.png`;
    expect((await stored(user.id)).profilePhotoKey).toBe(newKey);
    expect(await env.MEDIA.head(newKey)).not.toBeNull();
    const queued = await outboxRows();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ key: oldKey, userId: user.id, attempts: 1 });
    // Clean up for the other tests of this file, which expect an empty outbox.
    await env.MEDIA.delete(oldKey);
    await db.delete(mediaOutbox).where(eq(mediaOutbox.key, oldKey));
  });

  it("answers 500 when the row update fails, deletes the new object and keeps the old photo", async () => {
    const { user, token } = await photoUser();
    const oldKey = await uploadFirst(token, user.id);
    const before = await stored(user.id);

    const media = recordingMedia();
    const { status, body } = await uploadWithEnv(token, formWith(gpsPng, "image/png"), {
      DB: dbFailingBatch(),
      MEDIA: media.bucket,
    });
    expect(status).toBe(500);
    expect(body.errors).toEqual(["Internal server error"]);
    // The new object was written, then deleted again once the row could not point at it.
    expect(media.calls.put).toHaveLength(1);
    expect(media.calls.put[0]).not.toBe(oldKey);
    expect(media.calls.delete).toEqual(media.calls.put);
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([oldKey]);
    const after = await stored(user.id);
    expect(after.profilePhotoKey).toBe(oldKey);
    expect(after.profilePhotoId).toBe(before.profilePhotoId);
    const [count] = await db.select({ n: sql<number>`count(*)` }).from(mediaOutbox);
    expect(count?.n).toBe(0);
  });

  it("answers 403 for an account pending deletion and leaves no new object", async () => {
    const { user, token } = await photoUser();
    const oldKey = await uploadFirst(token, user.id);
    await db
      .update(users)
      .set({
        accountDeletionStatus: "pending",
        accountDeletionRequestedAt: new Date(),
        accountDeletionScheduledFor: new Date(Date.now() + 28 * 86_400_000),
      })
      .where(eq(users.id, user.id));

    const { status, body } = await upload(token, formWith(gpsPng, "image/png"));
    expect(status).toBe(403);
    expect(body.errors[0]).toBe("Insufficient permissions");
    expect(await keysUnder(`profile-photos/${user.id}/`)).toEqual([oldKey]);
    expect((await stored(user.id)).profilePhotoKey).toBe(oldKey);
    expect(await outboxRows()).toEqual([]);
  });
});
