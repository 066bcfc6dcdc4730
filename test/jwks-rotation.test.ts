import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { callWith, createUser } from "./helpers";
import { claimsFor, publicJwk, rsaKeyPair, signJwt } from "./jwt";

// The issuer's key set (lib/auth.ts): a kid missing from the cached set re-fetches it, at most
// once a minute; a failing endpoint is not fetched on every request; the last good set outlives
// an outage for a while. Only the JWKS endpoint is mocked; time moves through Date.now.

const MINUTE = 60_000;

type Endpoint = { keys: unknown[] } | "down";
const endpoints = new Map<string, Endpoint>();
const fetched: string[] = [];
const signals: unknown[] = [];
let fetchSpy: MockInstance<typeof fetch>;
let clockSpy: MockInstance<typeof Date.now>;
let offsetMs = 0;

let userId: string;
let pairs: CryptoKeyPair[];
let jwks: Awaited<ReturnType<typeof publicJwk>>[];

beforeAll(async () => {
  userId = (await createUser()).id;
  pairs = await Promise.all([rsaKeyPair(), rsaKeyPair()]);
  jwks = await Promise.all(pairs.map((pair, index) => publicJwk(pair, `key-${index + 1}`, "RS256")));
  const realFetch = globalThis.fetch;
  fetchSpy = vi.spyOn(globalThis, "fetch");
  fetchSpy.mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const endpoint = endpoints.get(url);
    if (!endpoint) return realFetch(input, init);
    fetched.push(url);
    signals.push(init?.signal);
    if (endpoint === "down") return new Response("unavailable", { status: 503 });
    return Response.json(endpoint);
  });
  const realNow = Date.now.bind(Date);
  clockSpy = vi.spyOn(Date, "now").mockImplementation(() => realNow() + offsetMs);
});
afterAll(() => {
  fetchSpy.mockRestore();
  clockSpy.mockRestore();
});

const advance = (ms: number) => {
  offsetMs += ms;
};
const fetchesOf = (url: string) => fetched.filter((each) => each === url).length;

let endpointSequence = 0;
function endpoint(initial: Endpoint) {
  const url = `https://issuer.example/${++endpointSequence}/jwks.json`;
  endpoints.set(url, initial);
  return url;
}

/** GET /users/me with an RS256 token signed by key `index` (or naming another kid). */
async function me(url: string, index: number, kid = `key-${index + 1}`) {
  const pair = pairs[index];
  if (!pair) throw new Error("no such key");
  const token = await signJwt({ alg: "RS256", typ: "JWT", kid }, claimsFor(userId), pair.privateKey);
  const { status, body } = await callWith<{ _id: string }>(
    "/api/v1/users/me",
    { JWT_ALGORITHM: "RS256", JWT_JWKS_URL: url },
    { headers: { authorization: `Bearer ${token}` } },
  );
  return { status, errors: body.errors, id: body.data?._id };
}

describe("key rotation", () => {
  it("a token signed with a newly published key is accepted after one re-fetch", async () => {
    const url = endpoint({ keys: [jwks[0]] });
    expect((await me(url, 0)).status).toBe(200);
    expect(fetchesOf(url)).toBe(1);

    // The issuer publishes key-2 and starts signing with it.
    endpoints.set(url, { keys: [jwks[0], jwks[1]] });
    advance(MINUTE + 1000);
    const rotated = await me(url, 1);
    expect(rotated).toMatchObject({ status: 200, id: userId });
    expect(fetchesOf(url)).toBe(2);
    // Both keys now come from the cache.
    expect((await me(url, 1)).status).toBe(200);
    expect((await me(url, 0)).status).toBe(200);
    expect(fetchesOf(url)).toBe(2);
  });

  it("within a minute of the last fetch an unknown kid is refused without a fetch", async () => {
    const url = endpoint({ keys: [jwks[0]] });
    expect((await me(url, 0)).status).toBe(200);
    endpoints.set(url, { keys: [jwks[0], jwks[1]] });
    const early = await me(url, 1);
    expect(early.status).toBe(401);
    expect(early.errors).toEqual(["Authentication required", "The bearer token's signature is not valid"]);
    expect(fetchesOf(url)).toBe(1);
  });

  it("made-up kids cost one fetch a minute, however many arrive at once", async () => {
    const url = endpoint({ keys: [jwks[0]] });
    expect((await me(url, 0)).status).toBe(200);
    advance(MINUTE + 1000);
    const flood = await Promise.all(Array.from({ length: 5 }, (_, index) => me(url, 0, `made-up-${index}`)));
    expect(flood.map((result) => result.status)).toEqual([401, 401, 401, 401, 401]);
    expect(fetchesOf(url)).toBe(2);
    for (let index = 0; index < 3; index += 1) expect((await me(url, 0, `again-${index}`)).status).toBe(401);
    expect(fetchesOf(url)).toBe(2);
  });
});

describe("a token whose header cannot be read", () => {
  it("is refused with 401, not a server error", async () => {
    const url = endpoint({ keys: [jwks[0]] });
    const { status, body } = await callWith(
      "/api/v1/users/me",
      { JWT_ALGORITHM: "RS256", JWT_JWKS_URL: url },
      { headers: { authorization: "Bearer bm90LWpzb24.e30.c2ln" } },
    );
    expect(status).toBe(401);
    expect(body.errors).toEqual(["Authentication required", "The bearer token is malformed"]);
  });
});

describe("an outage of the key-set endpoint", () => {
  it("with no key set yet: 500, and the endpoint is fetched once per 30 seconds, not per request", async () => {
    const url = endpoint("down");
    for (let index = 0; index < 3; index += 1) {
      const { status, errors } = await me(url, 0);
      expect(status).toBe(500);
      expect(errors).toEqual(["Internal server error"]);
    }
    expect(fetchesOf(url)).toBe(1);
    advance(31_000);
    expect((await me(url, 0)).status).toBe(500);
    expect(fetchesOf(url)).toBe(2);
  });

  it("after a good fetch: the cached keys keep working past their 10 minutes, for up to an hour more", async () => {
    const url = endpoint({ keys: [jwks[0]] });
    expect((await me(url, 0)).status).toBe(200);
    endpoints.set(url, "down");
    advance(11 * MINUTE);
    expect((await me(url, 0)).status).toBe(200);
    expect((await me(url, 0)).status).toBe(200);
    expect(fetchesOf(url)).toBe(2);
    // Back up: the next fetch after the negative cache gets the fresh set.
    endpoints.set(url, { keys: [jwks[0], jwks[1]] });
    advance(31_000);
    expect((await me(url, 1)).status).toBe(200);
    expect(fetchesOf(url)).toBe(3);
    // Down for longer than the stale grace: the old set is no longer trusted.
    endpoints.set(url, "down");
    advance(71 * MINUTE);
    expect((await me(url, 0)).status).toBe(500);
  });

  it("every fetch carries an abort signal (AbortSignal.timeout)", () => {
    expect(signals.length).toBeGreaterThan(0);
    for (const signal of signals) expect(signal).toBeInstanceOf(AbortSignal);
  });
});
