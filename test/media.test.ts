import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mediaCacheRequest } from "../src/media-store/keys";
import { gpsJpeg, gpsPng } from "./fixtures";
import { api, apiWith, call, createUser, tokenFor, uploadPhoto } from "./helpers";

type Photo = { _id: string; url: string; type: "image"; variants: Record<"96" | "256" | "512", string> };
type User = { _id: string; profilePhoto: Photo | null };

/** A user with an uploaded photo: its id, token, URL path and R2 key. */
async function userWithPhoto(bytes: Uint8Array = gpsJpeg, type = "image/jpeg") {
  const user = await createUser();
  const token = await tokenFor(user.id);
  return { user, token, ...(await uploadPhoto(token, bytes, type)) };
}

async function expectNotFound(path: string) {
  const response = await api(path);
  expect(response.status).toBe(404);
  const body = (await response.json()) as { isSuccess: boolean; statusCode: number; errors: string[] };
  expect(body).toMatchObject({ isSuccess: false, statusCode: 404, data: null });
  expect(body.errors).toEqual(["Resource not found"]);
}

describe("GET /media/profile-photos/{userId}/{file}", () => {
  it.each(["96", "256", "512"] as const)(
    "serves the %s px variant with its type, a strong ETag and immutable caching",
    async (size) => {
      const { user, photo } = await userWithPhoto();
      const path = new URL(photo.variants[size]).pathname;
      expect(path).toBe(`/media/profile-photos/${user.id}/${photo._id}-${size}.webp`);
      const key = path.replace(/^\/media\//, "");
      const object = await env.MEDIA.get(key);
      if (!object) throw new Error("photo not in R2");
      const storedBytes = new Uint8Array(await object.arrayBuffer());

      const response = await api(path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/webp");
      const etag = response.headers.get("etag") ?? "";
      expect(etag).toMatch(/^"[^"]+"$/);
      expect(etag.startsWith("W/")).toBe(false);
      expect(etag).toBe(object.httpEtag);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp.split(";").map((part) => part.trim())).toContain("default-src 'none'");
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(bytes).toEqual(storedBytes);
      expect(response.headers.get("content-length")).toBe(String(storedBytes.length));
    },
  );

  it("serves a PNG upload as WebP", async () => {
    const { path } = await userWithPhoto(gpsPng, "image/png");
    const response = await api(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    await response.arrayBuffer();
  });

  // Uploaded before variants existed: one object under its own type, served as it is.
  it.each([
    ["jpg", "image/jpeg", gpsJpeg],
    ["png", "image/png", gpsPng],
  ] as const)(
    "serves a photo stored before variants (.%s) with its own type",
    async (extension, type, bytes) => {
      const user = await createUser();
      const key = `profile-photos/${user.id}/65f0c0ffee0000000000a11e.${extension}`;
      await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: type } });
      const response = await api(`/media/${key}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(type);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    },
  );

  it("answers 304 with no body to If-None-Match with the current ETag", async () => {
    const { path } = await userWithPhoto();
    const first = await api(path);
    const etag = first.headers.get("etag") ?? "";
    await first.arrayBuffer();

    const response = await api(path, { headers: { "if-none-match": etag } });
    expect(response.status).toBe(304);
    expect(response.headers.get("etag")).toBe(etag);
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers 304 when the current ETag is one of several in If-None-Match", async () => {
    const { path } = await userWithPhoto();
    const first = await api(path);
    const etag = first.headers.get("etag") ?? "";
    await first.arrayBuffer();

    const response = await api(path, { headers: { "if-none-match": `"0123456789abcdef", ${etag}` } });
    expect(response.status).toBe(304);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers 200 with the body to If-None-Match with another ETag", async () => {
    const { path } = await userWithPhoto();
    const response = await api(path, { headers: { "if-none-match": '"0123456789abcdef0123456789abcdef"' } });
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  // A failed If-Match or If-Unmodified-Since is 412 (RFC 9110 13.1.1, 13.1.4), or, if the server
  // ignores those headers on a GET, a plain 200; never "Not Modified" to a client that sent no
  // If-None-Match (the route once forwarded every precondition to R2 and answered any failure 304).
  it.each([
    ["If-Match with another ETag", { "if-match": '"0123456789abcdef0123456789abcdef"' }],
    ["If-Unmodified-Since before the upload", { "if-unmodified-since": "Mon, 01 Jan 2001 00:00:00 GMT" }],
  ])("never answers 304 to a failed %s", async (_label, headers) => {
    const { path } = await userWithPhoto();
    const response = await api(path, { headers });
    const bytes = await response.arrayBuffer();
    expect(response.status).not.toBe(304);
    expect([200, 412]).toContain(response.status);
    if (response.status === 200) expect(bytes.byteLength).toBeGreaterThan(0);
  });

  // BUG (src/lib/http-cache.ts, ifNoneMatchMatches): If-None-Match uses the weak comparison
  // (RFC 9110 13.1.2), so W/"<etag>" (what a compressing proxy hands the browser) must match too.
  it("answers 304 to If-None-Match with the weak form of the ETag", async () => {
    const { path } = await userWithPhoto();
    const first = await api(path);
    const etag = first.headers.get("etag") ?? "";
    await first.arrayBuffer();
    expect(etag).toMatch(/^"/);

    const response = await api(path, { headers: { "if-none-match": `W/${etag}` } });
    const bytes = await response.arrayBuffer();
    expect(response.status).toBe(304);
    expect(bytes.byteLength).toBe(0);
  });

  it("answers 404 in the envelope for a well-formed name that is not stored", async () => {
    const { user } = await userWithPhoto();
    await expectNotFound(`/media/profile-photos/${user.id}/0123456789abcdef01234567.jpg`);
    await expectNotFound(`/media/profile-photos/${user.id}/0123456789abcdef01234567-96.webp`);
    await expectNotFound(`/media/profile-photos/0123456789abcdef01234567/0123456789abcdef01234567.png`);
  });

  it("answers 404 for the old URL once a photo is replaced, even after it was served", async () => {
    const { path, key, token } = await userWithPhoto();
    const served = await api(path);
    expect(served.status).toBe(200);
    await served.arrayBuffer();
    // The route keeps a copy in this location's cache (written in waitUntil): wait until it is there.
    let cached: Response | undefined;
    for (let attempt = 0; attempt < 50 && !cached; attempt++) {
      cached = await caches.default.match(mediaCacheRequest(key));
      if (!cached) await scheduler.wait(20);
    }
    expect(cached?.status).toBe(200);
    await cached?.arrayBuffer();

    const form = new FormData();
    form.append("file", new File([gpsPng], "photo", { type: "image/png" }));
    const replaced = await call<User>("/api/v1/users/profile/photo", { method: "PATCH", token, body: form });
    expect(replaced.status).toBe(200);
    expect(await env.MEDIA.head(key)).toBeNull();
    await expectNotFound(path);
    const current = await api(new URL(replaced.body.data.profilePhoto?.url ?? "http://x/").pathname);
    expect(current.status).toBe(200);
    await current.arrayBuffer();
  });

  it.each([
    ["a .gif name", (userId: string) => `/media/profile-photos/${userId}/0123456789abcdef01234567.gif`],
    ["x.gif", (userId: string) => `/media/profile-photos/${userId}/x.gif`],
    ["an encoded ../x", (userId: string) => `/media/profile-photos/${userId}/..%2Fx`],
    ["a ../x path", (userId: string) => `/media/profile-photos/${userId}/../x`],
    ["an upper-case id", (userId: string) => `/media/profile-photos/${userId.toUpperCase()}/x.jpg`],
    [
      "a name with a suffix",
      (userId: string) => `/media/profile-photos/${userId}/0123456789abcdef01234567.jpg.html`,
    ],
    [
      "a size with no variant",
      (userId: string) => `/media/profile-photos/${userId}/0123456789abcdef01234567-128.webp`,
    ],
    [
      "a variant in another format",
      (userId: string) => `/media/profile-photos/${userId}/0123456789abcdef01234567-512.jpg`,
    ],
    [
      "a variant with a suffix",
      (userId: string) => `/media/profile-photos/${userId}/0123456789abcdef01234567-512.webp.html`,
    ],
  ])("answers 404 for a malformed name (%s)", async (_label, pathFor) => {
    const { user } = await userWithPhoto();
    await expectNotFound(pathFor(user.id));
  });

  it("never serves the stored object under a malformed name", async () => {
    const { user, photo } = await userWithPhoto();
    await expectNotFound(`/media/profile-photos/${user.id}/${photo._id.toUpperCase()}-512.webp`);
    await expectNotFound(`/media/profile-photos/${user.id}/${photo._id}-512.WEBP`);
    await expectNotFound(`/media/profile-photos/${user.id}/${photo._id}.webp`);
  });
});

describe("PUBLIC_MEDIA_BASE_URL", () => {
  it.each([["https://media.example.com"], ["https://media.example.com/"]])(
    "puts photo URLs on that domain (%s)",
    async (base) => {
      const { token, key, user, photo } = await userWithPhoto();
      const response = await apiWith("/api/v1/users/me", { PUBLIC_MEDIA_BASE_URL: base }, { token });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: User };
      expect(key).toBe(`profile-photos/${user.id}/${photo._id}-512.webp`);
      const variant = `https://media.example.com/profile-photos/${user.id}/${photo._id}`;
      expect(body.data.profilePhoto).toEqual({
        _id: photo._id,
        url: `https://media.example.com/${key}`,
        type: "image",
        variants: { 96: `${variant}-96.webp`, 256: `${variant}-256.webp`, 512: `${variant}-512.webp` },
      });
      // The same keys are what the bucket's domain serves, stored for immutable caching there too.
      for (const url of Object.values(body.data.profilePhoto?.variants ?? {})) {
        const object = await env.MEDIA.head(new URL(url).pathname.slice(1));
        expect(object?.httpMetadata).toMatchObject({
          contentType: "image/webp",
          cacheControl: "public, max-age=31536000, immutable",
        });
      }
    },
  );

  it("is not used when empty", async () => {
    const { token, key } = await userWithPhoto();
    const me = await call<User>("/api/v1/users/me", { token });
    expect(me.body.data.profilePhoto?.url).toBe(`http://localhost/media/${key}`);
  });
});
