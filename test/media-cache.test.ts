import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clearFlagCache } from "../src/flags/flags";
import worker from "../src/index";
import { mediaCacheRequest } from "../src/media-store/keys";
import { gpsJpeg, gpsPng } from "./fixtures";
import { call, createUser, tokenFor, uploadPhoto } from "./helpers";

// The media route serves repeat reads from this location's Cache API before R2, and deleting an
// object (replaced photo, finalized account) purges the cached copy so it is never served again.

const DELETION = "/api/v1/users/me/account-deletion";
const FLAG = "account-deletion-finalize-now";

/** GET through the Worker, waiting for its waitUntil work (the cache put) before returning. */
async function get(path: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://localhost${path}`, { headers }), env, ctx);
  const bytes = new Uint8Array(await response.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return { response, status: response.status, bytes, cache: response.headers.get("x-media-cache") };
}

async function cachedCopy(key: string) {
  return caches.default.match(mediaCacheRequest(key));
}

async function userWithPhoto() {
  const user = await createUser();
  const token = await tokenFor(user.id);
  return { user, token, ...(await uploadPhoto(token, gpsJpeg, "image/jpeg")) };
}

/** Serves the photo once, so this location holds a cached copy; returns that first response. */
async function servedAndCached(path: string, key: string) {
  const first = await get(path);
  expect(first.status).toBe(200);
  const cached = await cachedCopy(key);
  expect(cached?.status).toBe(200);
  await cached?.arrayBuffer();
  return first;
}

async function expectGone(path: string, key: string) {
  const after = await get(path);
  expect(after.status).toBe(404);
  expect(after.cache).toBeNull();
  expect(await env.MEDIA.head(key)).toBeNull();
  expect(await cachedCopy(key)).toBeUndefined();
}

describe("GET /media/...: the Cache API in front of R2", () => {
  it("misses first, then hits with the same bytes and ETag", async () => {
    const { path, key } = await userWithPhoto();
    const object = await env.MEDIA.get(key);
    if (!object) throw new Error("photo not in R2");
    const stored = new Uint8Array(await object.arrayBuffer());
    expect(await cachedCopy(key)).toBeUndefined();

    const first = await get(path);
    expect(first.status).toBe(200);
    expect(first.cache).toBe("miss");
    expect(first.bytes).toEqual(stored);
    const etag = first.response.headers.get("etag");
    expect(etag).toBe(object.httpEtag);

    const cached = await cachedCopy(key);
    expect(cached?.status).toBe(200);
    expect(cached?.headers.get("etag")).toBe(etag);
    expect(cached?.headers.get("content-type")).toBe("image/webp");
    expect(new Uint8Array((await cached?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(stored);

    const second = await get(path);
    expect(second.status).toBe(200);
    expect(second.cache).toBe("hit");
    expect(second.bytes).toEqual(first.bytes);
    expect(second.response.headers.get("etag")).toBe(etag);
    expect(second.response.headers.get("content-type")).toBe("image/webp");
    expect(second.response.headers.get("content-length")).toBe(String(stored.length));
    // The client sees its year-long immutable policy, not the cached copy's shorter one.
    expect(second.response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("serves a hit even with R2 unavailable", async () => {
    const { path, key } = await userWithPhoto();
    const first = await servedAndCached(path, key);
    const ctx = createExecutionContext();
    const broken = new Proxy(env.MEDIA, {
      get: () => () => Promise.reject(new Error("R2 must not be read on a hit")),
    });
    const response = await worker.fetch(
      new Request(`http://localhost${path}`),
      { ...env, MEDIA: broken },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-media-cache")).toBe("hit");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(first.bytes);
  });

  it("answers 304 with no body from the cached copy", async () => {
    const { path, key } = await userWithPhoto();
    const first = await servedAndCached(path, key);
    const etag = first.response.headers.get("etag") ?? "";

    const revalidated = await get(path, { "if-none-match": etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.cache).toBe("hit");
    expect(revalidated.bytes.byteLength).toBe(0);
    expect(revalidated.response.headers.get("etag")).toBe(etag);
  });

  it("answers 404 for the old URL once the photo is replaced, and drops the cached copy", async () => {
    const { path, key, token } = await userWithPhoto();
    await servedAndCached(path, key);

    const replacement = await uploadPhoto(token, gpsPng, "image/png");
    expect(replacement.key).not.toBe(key);

    await expectGone(path, key);
    const current = await get(replacement.path);
    expect(current.status).toBe(200);
    expect(current.cache).toBe("miss");
  });

  it("answers 404 for the photo of a finalized account, and drops the cached copy", async () => {
    const admin = await createUser({ roles: ["user", "admin"] });
    const flag = await call<{ enabled: boolean }>(`/api/v1/admin/feature-flags/${FLAG}`, {
      method: "PUT",
      token: await tokenFor(admin.id),
      json: { enabled: true },
    });
    expect(flag.status).toBe(200);
    expect(flag.body.data.enabled).toBe(true);
    clearFlagCache();

    const { path, key, token } = await userWithPhoto();
    await servedAndCached(path, key);
    expect((await call(DELETION, { method: "POST", token, json: {} })).status).toBe(200);
    const finalized = await call<{ status: string }>(`${DELETION}/finalize-now`, { method: "POST", token });
    expect(finalized.status).toBe(200);
    expect(finalized.body.data.status).toBe("finalized");

    await expectGone(path, key);
  });

  // A read that missed the cache takes the object from R2 and stores its copy in waitUntil, which
  // completes only once the whole body has been read from R2. A replacement that deletes the object
  // and purges the cache in the meantime must not leave that copy behind for the old URL.
  it("does not keep a copy stored by a read that overlapped the photo's replacement", async () => {
    const { path, key, token } = await userWithPhoto();
    const gate = Promise.withResolvers<void>();
    const slowMedia = new Proxy(env.MEDIA, {
      get(target, property) {
        if (property === "get") {
          return async (name: string) => {
            const object = await target.get(name);
            if (!object) return object;
            // R2 streams the body slowly: nothing arrives until the gate opens.
            const body = new ReadableStream<Uint8Array>({
              async start(controller) {
                await gate.promise;
                controller.enqueue(new Uint8Array(await object.arrayBuffer()));
                controller.close();
              },
            });
            return new Proxy(object, {
              get: (inner, field) => (field === "body" ? body : Reflect.get(inner, field, inner)),
            });
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const ctx = createExecutionContext();
    const overlapping = await worker.fetch(
      new Request(`http://localhost${path}`),
      { ...env, MEDIA: slowMedia },
      ctx,
    );
    expect(overlapping.status).toBe(200);
    expect(overlapping.headers.get("x-media-cache")).toBe("miss");

    // Meanwhile the user replaces the photo: the old object is deleted and its copy purged.
    await uploadPhoto(token, gpsPng, "image/png");
    expect(await env.MEDIA.head(key)).toBeNull();

    gate.resolve();
    await overlapping.arrayBuffer();
    await waitOnExecutionContext(ctx);
    const after = await get(path);
    expect(after.status).toBe(404);
    const cached = await cachedCopy(key);
    await cached?.arrayBuffer();
    expect(cached).toBeUndefined();
  });
});
