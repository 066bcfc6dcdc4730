import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema";
import { newObjectId } from "../src/lib/ids";
import { gpsJpeg, gpsPng } from "./fixtures";
import { api, callWith, createUser, dbOf, tokenFor } from "./helpers";

// Rate limits with the real Workers Rate Limiting binding: each test swaps one limiter for
// TEST_TIGHT_LIMITER (2 requests a minute per key). That limiter keeps its counts for the whole
// file, so every test uses its own users and IPs.

const ME = "/api/v1/users/me";
const PROFILE = "/api/v1/users/profile";
const PHOTO = "/api/v1/users/profile/photo";
const DELETION = "/api/v1/users/me/account-deletion";

const tight = env.TEST_TIGHT_LIMITER;

async function signedIn() {
  const user = await createUser();
  return { user, token: await tokenFor(user.id) };
}

/** A client IP nobody else in this file uses. */
function freshIp(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `10.${bytes[0]}.${bytes[1]}.${bytes[2]}`;
}

const profile = (name: string) => ({ name, surname: "Limited" });

function expectTooMany(result: Awaited<ReturnType<typeof callWith>>, message = "Too many requests") {
  expect(result.status).toBe(429);
  expect(result.body).toMatchObject({ isSuccess: false, statusCode: 429, data: null });
  expect(result.body.errors[0]).toBe(message);
  const retryAfter = result.response.headers.get("retry-after") ?? "";
  expect(retryAfter).toMatch(/^[1-9]\d*$/);
}

function photoForm(bytes: Uint8Array, type: string) {
  const form = new FormData();
  form.append("file", new File([bytes], "photo", { type }));
  return form;
}

/** env.MEDIA that records the keys of every put. */
function recordingMedia() {
  const puts: string[] = [];
  const bucket = new Proxy(env.MEDIA, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === "put") {
        return (key: string, ...rest: unknown[]) => {
          puts.push(key);
          return (value as (...args: unknown[]) => unknown).call(target, key, ...rest);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { bucket, puts };
}

async function storedUser(id: string) {
  const [row] = await dbOf(id).select().from(users).where(eq(users.id, id));
  if (!row) throw new Error("user not found");
  return row;
}

describe("MUTATION_LIMITER: per user, every request that changes data", () => {
  const limited = { MUTATION_LIMITER: tight };

  it("lets two PUT profile through and refuses the third with 429 and Retry-After", async () => {
    const { user, token } = await signedIn();
    const first = await callWith(PROFILE, limited, { method: "PUT", token, json: profile("One") });
    const second = await callWith(PROFILE, limited, { method: "PUT", token, json: profile("Two") });
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await callWith(PROFILE, limited, { method: "PUT", token, json: profile("Three") });
    expectTooMany(third);
    expect(third.body.errors).toEqual([
      "Too many requests",
      "Too many requests in a short time; try again in 60 seconds",
    ]);
    // The refused request changed nothing.
    expect((await storedUser(user.id)).name).toBe("Two");
  });

  it("says it in Turkish for Accept-Language: tr, and lets browsers read Retry-After", async () => {
    const { token } = await signedIn();
    for (const name of ["One", "Two"]) {
      expect((await callWith(PROFILE, limited, { method: "PUT", token, json: profile(name) })).status).toBe(
        200,
      );
    }
    const refused = await callWith(PROFILE, limited, {
      method: "PUT",
      token,
      json: profile("Three"),
      headers: { "accept-language": "tr", origin: "http://localhost:8787" },
    });
    expectTooMany(refused, "Çok fazla istek");
    expect(refused.response.headers.get("content-language")).toBe("tr");
    // A browser client may read Retry-After.
    const exposed = (refused.response.headers.get("access-control-expose-headers") ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase());
    expect(exposed).toContain("retry-after");
  });

  it("does not count GETs", async () => {
    const { token } = await signedIn();
    for (let i = 0; i < 4; i++) {
      expect((await callWith(ME, limited, { token })).status).toBe(200);
      expect((await callWith("/api/v1/users/me/stats", limited, { token })).status).toBe(200);
    }
    expect((await callWith(PROFILE, limited, { method: "PUT", token, json: profile("One") })).status).toBe(
      200,
    );
    expect((await callWith(PROFILE, limited, { method: "PUT", token, json: profile("Two") })).status).toBe(
      200,
    );
    expectTooMany(await callWith(PROFILE, limited, { method: "PUT", token, json: profile("Three") }));
    // Reads still work for a user over the mutation limit.
    expect((await callWith(ME, limited, { token })).status).toBe(200);
  });

  it("counts per user: another user from the same IP still passes", async () => {
    const ip = freshIp();
    const one = await signedIn();
    const two = await signedIn();
    const headers = { "cf-connecting-ip": ip };
    for (const name of ["One", "Two"]) {
      const ok = await callWith(PROFILE, limited, {
        method: "PUT",
        token: one.token,
        json: profile(name),
        headers,
      });
      expect(ok.status).toBe(200);
    }
    expectTooMany(
      await callWith(PROFILE, limited, { method: "PUT", token: one.token, json: profile("X"), headers }),
    );
    const other = await callWith(PROFILE, limited, {
      method: "PUT",
      token: two.token,
      json: profile("Y"),
      headers,
    });
    expect(other.status).toBe(200);
  });

  it("is one budget across the data-changing routes", async () => {
    const { token } = await signedIn();
    expect((await callWith(PROFILE, limited, { method: "PUT", token, json: profile("One") })).status).toBe(
      200,
    );
    const patched = await callWith("/api/v1/users/profile/username", limited, {
      method: "PATCH",
      token,
      json: { username: `rl_${newObjectId().slice(-10)}` },
    });
    expect(patched.status).toBe(200);
    expectTooMany(await callWith(DELETION, limited, { method: "POST", token, json: {} }));
  });
});

describe("PHOTO_UPLOAD_LIMITER: per user, photo uploads", () => {
  it("refuses the third upload with 429 and writes nothing to R2 for it", async () => {
    const { user, token } = await signedIn();
    const media = recordingMedia();
    const limited = { PHOTO_UPLOAD_LIMITER: tight, MEDIA: media.bucket };
    for (const [bytes, type] of [
      [gpsJpeg, "image/jpeg"],
      [gpsPng, "image/png"],
    ] as const) {
      const ok = await callWith(PHOTO, limited, { method: "PATCH", token, body: photoForm(bytes, type) });
      expect(ok.status).toBe(200);
    }
    // Three variants per photo.
    expect(media.puts).toHaveLength(6);
    const current = (await storedUser(user.id)).profilePhotoKey;
    const listed = await env.MEDIA.list({ prefix: `profile-photos/${user.id}/` });
    const before = listed.objects.map((object) => object.key);
    expect(before).toHaveLength(3);
    expect(before).toContain(current);

    const refused = await callWith(PHOTO, limited, {
      method: "PATCH",
      token,
      body: photoForm(gpsJpeg, "image/jpeg"),
    });
    expectTooMany(refused);
    expect(media.puts).toHaveLength(6);
    const after = await env.MEDIA.list({ prefix: `profile-photos/${user.id}/` });
    expect(after.objects.map((object) => object.key)).toEqual(before);
    expect((await storedUser(user.id)).profilePhotoKey).toBe(current);
  });

  it("leaves other data-changing requests alone", async () => {
    const { token } = await signedIn();
    const limited = { PHOTO_UPLOAD_LIMITER: tight };
    for (let i = 0; i < 3; i++) {
      const ok = await callWith(PROFILE, limited, { method: "PUT", token, json: profile(`N${i}`) });
      expect(ok.status).toBe(200);
    }
  });
});

describe("ACCOUNT_DELETION_LIMITER: per user, deletion calls", () => {
  it("lets request and cancel through and refuses the next request with 429", async () => {
    const { user, token } = await signedIn();
    const limited = { ACCOUNT_DELETION_LIMITER: tight };
    expect((await callWith(DELETION, limited, { method: "POST", token, json: {} })).status).toBe(200);
    expect((await callWith(DELETION, limited, { method: "DELETE", token })).status).toBe(200);
    expectTooMany(await callWith(DELETION, limited, { method: "POST", token, json: {} }));
    expect((await storedUser(user.id)).accountDeletionStatus).toBe("cancelled");
    // Reading the state is not a deletion call.
    expect((await callWith(DELETION, limited, { token })).status).toBe(200);
  });
});

describe("AUTH_FAILURE_LIMITER: per client IP, refused tokens", () => {
  const limited = { AUTH_FAILURE_LIMITER: tight };
  const badToken = "not-a-jwt";

  it("answers 401, 401, then 429 to bad tokens from one IP", async () => {
    const headers = { "cf-connecting-ip": freshIp() };
    expect((await callWith(ME, limited, { token: badToken, headers })).status).toBe(401);
    expect((await callWith(ME, limited, { token: badToken, headers })).status).toBe(401);
    expectTooMany(await callWith(ME, limited, { token: badToken, headers }));
  });

  it("counts valid tokens of unknown users and missing tokens as failures too", async () => {
    const headers = { "cf-connecting-ip": freshIp() };
    expect((await callWith(ME, limited, { token: await tokenFor(newObjectId()), headers })).status).toBe(401);
    expect((await callWith(ME, limited, { headers })).status).toBe(401);
    expectTooMany(await callWith(ME, limited, { token: badToken, headers }));
  });

  it("still serves a good token from a limited IP, and another IP still gets 401", async () => {
    const ip = freshIp();
    const { token } = await signedIn();
    for (let i = 0; i < 2; i++) {
      expect(
        (await callWith(ME, limited, { token: badToken, headers: { "cf-connecting-ip": ip } })).status,
      ).toBe(401);
    }
    expectTooMany(await callWith(ME, limited, { token: badToken, headers: { "cf-connecting-ip": ip } }));

    const good = await callWith(ME, limited, { token, headers: { "cf-connecting-ip": ip } });
    expect(good.status).toBe(200);
    const elsewhere = await callWith(ME, limited, {
      token: badToken,
      headers: { "cf-connecting-ip": freshIp() },
    });
    expect(elsewhere.status).toBe(401);
  });

  it("does not count successful authentications", async () => {
    const headers = { "cf-connecting-ip": freshIp() };
    const { token } = await signedIn();
    for (let i = 0; i < 3; i++) expect((await callWith(ME, limited, { token, headers })).status).toBe(200);
    expect((await callWith(ME, limited, { token: badToken, headers })).status).toBe(401);
    expect((await callWith(ME, limited, { token: badToken, headers })).status).toBe(401);
    expectTooMany(await callWith(ME, limited, { token: badToken, headers }));
  });
});

describe("the 429 in the OpenAPI document", () => {
  type Operation = { responses: Record<string, { headers?: Record<string, unknown> }> };

  it("documents 429 with a Retry-After header for PUT /api/v1/users/profile", async () => {
    const response = await api("/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, Record<string, Operation>> };
    const put = document.paths["/api/v1/users/profile"]?.put;
    expect(put?.responses["429"]).toBeDefined();
    expect(put?.responses["429"]?.headers).toHaveProperty("Retry-After");
  });

  it.each([
    ["patch", "/api/v1/users/profile/photo"],
    ["post", "/api/v1/users/me/account-deletion"],
    ["delete", "/api/v1/users/me/account-deletion"],
    ["get", "/api/v1/users/me"],
  ])("documents 429 for %s %s (every route can hit a limit)", async (method, path) => {
    const document = (await (await api("/openapi.json")).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operation = document.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(operation?.responses["429"]?.headers).toHaveProperty("Retry-After");
  });
});
