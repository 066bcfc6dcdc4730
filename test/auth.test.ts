import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { newObjectId } from "../src/lib/ids";
import { callWith, createUser, messageOf, tokenFor } from "./helpers";
import {
  base64url,
  type Claims,
  claimsFor,
  ecKeyPair,
  fromBase64url,
  hmacKey,
  nowSeconds,
  part,
  publicJwk,
  rsaKeyPair,
  signJwt,
} from "./jwt";

// The JWT matrix on GET /api/v1/users/me. Every refusal is the 401 envelope.

const ME = "/api/v1/users/me";

/** Calls the Worker's fetch with `overrides` on top of the test env. */
async function fetchMe(authorization: string | null, overrides: Partial<Env> = {}) {
  const headers = new Headers();
  if (authorization !== null) headers.set("authorization", authorization);
  return callWith<{ _id: string; roles: string[] }>(ME, overrides, { headers });
}

const bearer = (token: string) => `Bearer ${token}`;

async function expectAccepted(authorization: string, userId: string, overrides: Partial<Env> = {}) {
  const { status, body } = await fetchMe(authorization, overrides);
  expect(status).toBe(200);
  expect(body.data._id).toBe(userId);
}

// Why a 401 was given, in English, from the catalog's `auth.*` messages.
const REASONS = {
  missing: messageOf("auth.missing"),
  malformed: messageOf("auth.malformed"),
  signature: messageOf("auth.signature"),
  expired: messageOf("auth.expired"),
  notYetValid: messageOf("auth.notYetValid"),
  claims: messageOf("auth.claims"),
  account: messageOf("auth.account"),
};
type Reason = keyof typeof REASONS;

/**
 * A 401 that says why, as RFC 6750 does: the challenge names the realm, and once a token was
 * sent, `invalid_token` with the same reason `errors[1]` gives people.
 */
async function expectRefused(authorization: string | null, overrides: Partial<Env> = {}, reason?: Reason) {
  const { status, body, response } = await fetchMe(authorization, overrides);
  expect(status).toBe(401);
  expect(body).toMatchObject({ isSuccess: false, statusCode: 401, data: null });
  expect(body.errors).toHaveLength(2);
  expect(body.errors[0]).toBe(messageOf("status.401"));
  expect(Object.values(REASONS)).toContain(body.errors[1]);
  if (reason) expect(body.errors[1]).toBe(REASONS[reason]);
  const challenge = response.headers.get("www-authenticate");
  expect(challenge).toBe(
    body.errors[1] === REASONS.missing
      ? 'Bearer realm="api"'
      : `Bearer realm="api", error="invalid_token", error_description="${body.errors[1]}"`,
  );
}

let userId: string;
beforeAll(async () => {
  userId = (await createUser()).id;
});

describe("the Authorization header", () => {
  it("a good HS256 bearer token passes (the control for every refusal below)", async () => {
    await expectAccepted(bearer(await tokenFor(userId)), userId);
  });

  it("no header is refused", () => expectRefused(null, {}, "missing"));

  it("an empty header is refused", () => expectRefused("", {}, "missing"));

  it("`Bearer` with no token is refused", () => expectRefused("Bearer", {}, "missing"));

  it("the Basic scheme is refused", async () => {
    await expectRefused(`Basic ${btoa(`${userId}:${await tokenFor(userId)}`)}`, {}, "missing");
  });

  it("the Token scheme is refused", async () => expectRefused(`Token ${await tokenFor(userId)}`));

  it("a bare token without a scheme is refused", async () => expectRefused(await tokenFor(userId)));

  // RFC 9110: the scheme name is case-insensitive.
  it("lowercase `bearer` is accepted", async () =>
    expectAccepted(`bearer ${await tokenFor(userId)}`, userId));

  it("two spaces after Bearer are refused", async () => expectRefused(`Bearer  ${await tokenFor(userId)}`));

  it("a token with a fourth part is refused", async () =>
    expectRefused(bearer(`${await tokenFor(userId)}.AAAA`)));

  it("garbage is refused", () => expectRefused("Bearer not-a-jwt", {}, "malformed"));
});

describe("algorithm and signature", () => {
  it("alg none (no signature) is refused", async () => {
    await expectRefused(bearer(`${part({ alg: "none", typ: "JWT" })}.${part(claimsFor(userId))}.`));
  });

  it("alg none with the HS256 signature of the same payload kept is refused", async () => {
    const [, payload, signature] = (await tokenFor(userId)).split(".");
    await expectRefused(bearer(`${part({ alg: "none", typ: "JWT" })}.${payload}.${signature}`));
  });

  it("HS512 with the right secret is refused (the algorithm is pinned)", async () => {
    const token = await signJwt(
      { alg: "HS512", typ: "JWT" },
      claimsFor(userId),
      await hmacKey(env.JWT_SECRET, "SHA-512"),
    );
    await expectRefused(bearer(token));
  });

  it("an RS256 token is refused", async () => {
    const pair = await rsaKeyPair();
    await expectRefused(
      bearer(await signJwt({ alg: "RS256", typ: "JWT" }, claimsFor(userId), pair.privateKey)),
    );
  });

  it("a token signed with another secret is refused", async () => {
    await expectRefused(
      bearer(await tokenFor(userId, {}, "another-secret-0123456789abcdef0123456789")),
      {},
      "signature",
    );
  });

  it("a token signed with an empty secret is refused", async () => {
    const token = await signJwt(
      { alg: "HS256", typ: "JWT" },
      claimsFor(userId),
      await hmacKey("x", "SHA-256"),
    );
    await expectRefused(bearer(token));
  });

  it("one flipped byte in the signature is refused", async () => {
    const [header, payload, signature = ""] = (await tokenFor(userId)).split(".");
    const bytes = fromBase64url(signature);
    bytes[7] = (bytes[7] ?? 0) ^ 0x01;
    await expectRefused(bearer(`${header}.${payload}.${base64url(bytes)}`));
  });

  it("one changed byte in the payload (a digit of exp) is refused", async () => {
    const [header, payload = "", signature] = (await tokenFor(userId)).split(".");
    const json = new TextDecoder().decode(fromBase64url(payload));
    // The last digit of exp, changed: still valid JSON, still in the future, one byte different.
    const changed = json.replace(
      /("exp":\d*)(\d)/,
      (_whole, head: string, digit: string) => `${head}${digit === "9" ? "8" : Number(digit) + 1}`,
    );
    expect(changed).not.toBe(json);
    expect(changed).toHaveLength(json.length);
    await expectRefused(bearer(`${header}.${base64url(new TextEncoder().encode(changed))}.${signature}`));
  });

  it("a payload re-pointed at another real account, with the original signature, is refused", async () => {
    const other = await createUser();
    const [header, , signature] = (await tokenFor(userId)).split(".");
    await expectAccepted(bearer(await tokenFor(other.id)), other.id);
    await expectRefused(bearer(`${header}.${part(claimsFor(other.id))}.${signature}`));
  });

  it("a header with crit is refused", async () => {
    const token = await signJwt(
      { alg: "HS256", typ: "JWT", crit: ["exp"] },
      claimsFor(userId),
      await hmacKey(env.JWT_SECRET, "SHA-256"),
    );
    await expectRefused(bearer(token));
  });
});

describe("every 401 says why, in the request's language", () => {
  it("gives the reason in Turkish, and the challenge in English (its ASCII description)", async () => {
    const token = await tokenFor(userId, { iat: nowSeconds() - 3600, exp: nowSeconds() - 120 });
    const { status, body, response } = await callWith(
      ME,
      {},
      {
        headers: { authorization: bearer(token), "accept-language": "tr" },
      },
    );
    expect(status).toBe(401);
    expect(body.errors).toEqual([messageOf("status.401", "tr"), messageOf("auth.expired", "tr")]);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer realm="api", error="invalid_token", error_description="${REASONS.expired}"`,
    );
  });

  it("on a route that checks the account in its own statement too", async () => {
    const { status, body, response } = await callWith(
      "/api/v1/users/me/stats",
      {},
      {
        headers: { authorization: bearer(await tokenFor(newObjectId())) },
      },
    );
    expect(status).toBe(401);
    expect(body.errors).toEqual([messageOf("status.401"), REASONS.account]);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});

describe("time claims (30 s leeway)", () => {
  it("expired 2 minutes ago is refused", async () => {
    await expectRefused(
      bearer(await tokenFor(userId, { iat: nowSeconds() - 3600, exp: nowSeconds() - 120 })),
      {},
      "expired",
    );
  });

  it("expired 10 seconds ago is still accepted (leeway)", async () => {
    await expectAccepted(
      bearer(await tokenFor(userId, { iat: nowSeconds() - 3600, exp: nowSeconds() - 10 })),
      userId,
    );
  });

  it("no exp at all is refused", async () => {
    await expectRefused(bearer(await tokenFor(userId, { exp: undefined })), {}, "malformed");
  });

  it("a non-numeric exp is refused", async () => {
    await expectRefused(bearer(await tokenFor(userId, { exp: String(nowSeconds() + 3600) })));
  });

  it("nbf 2 minutes ahead is refused", async () => {
    await expectRefused(bearer(await tokenFor(userId, { nbf: nowSeconds() + 120 })), {}, "notYetValid");
  });

  it("nbf 10 seconds ahead is accepted (leeway)", async () => {
    await expectAccepted(bearer(await tokenFor(userId, { nbf: nowSeconds() + 10 })), userId);
  });

  it("iat 2 minutes ahead is refused", async () => {
    await expectRefused(bearer(await tokenFor(userId, { iat: nowSeconds() + 120 })));
  });

  it("iat 10 seconds ahead is accepted (leeway)", async () => {
    await expectAccepted(bearer(await tokenFor(userId, { iat: nowSeconds() + 10 })), userId);
  });
});

describe("iss and aud when configured", () => {
  const configured = { JWT_ISSUER: "https://issuer.example", JWT_AUDIENCE: "profile-api" };

  it("the right iss and aud pass", async () => {
    const token = await tokenFor(userId, { iss: "https://issuer.example", aud: "profile-api" });
    await expectAccepted(bearer(token), userId, configured);
  });

  it("aud as an array containing ours passes", async () => {
    const token = await tokenFor(userId, {
      iss: "https://issuer.example",
      aud: ["other-api", "profile-api"],
    });
    await expectAccepted(bearer(token), userId, configured);
  });

  it("a wrong iss is refused", async () => {
    const token = await tokenFor(userId, { iss: "https://evil.example", aud: "profile-api" });
    await expectRefused(bearer(token), configured, "claims");
  });

  it("a missing iss is refused", async () => {
    await expectRefused(bearer(await tokenFor(userId, { aud: "profile-api" })), configured);
  });

  it("a wrong aud is refused", async () => {
    const token = await tokenFor(userId, { iss: "https://issuer.example", aud: "other-api" });
    await expectRefused(bearer(token), configured, "claims");
  });

  it("a missing aud is refused", async () => {
    await expectRefused(bearer(await tokenFor(userId, { iss: "https://issuer.example" })), configured);
  });

  it("when not configured, iss and aud are not required", async () => {
    await expectAccepted(bearer(await tokenFor(userId)), userId);
  });
});

describe("sub and the account", () => {
  it.each([
    ["uppercase hex", (id: string) => id.toUpperCase()],
    ["23 characters", (id: string) => id.slice(1)],
    ["25 characters", (id: string) => `${id}0`],
    ["not hex", (id: string) => `${id.slice(0, -1)}g`],
    ["a number", () => 12345],
    ["missing", () => undefined],
  ])("a sub that is %s is refused", async (_name, sub) => {
    const token = await tokenFor(userId, { sub: sub(userId) });
    // tokenFor puts its own sub first; the claim above replaces it.
    await expectRefused(bearer(token));
  });

  it("a valid token for an id with no user row is refused", async () => {
    await expectRefused(bearer(await tokenFor(newObjectId())), {}, "account");
  });

  it("a finalized account is refused", async () => {
    const now = new Date();
    const user = await createUser({
      accountDeletionStatus: "finalized",
      accountDeletionRequestedAt: now,
      accountDeletionScheduledFor: now,
      accountDeletionFinalizedAt: now,
      deletedAt: now,
    });
    await expectRefused(bearer(await tokenFor(user.id)), {}, "account");
  });

  it("a pending or cancelled deletion still authenticates", async () => {
    const pending = await createUser({
      accountDeletionStatus: "pending",
      accountDeletionRequestedAt: new Date(),
    });
    await expectAccepted(bearer(await tokenFor(pending.id)), pending.id);
    const cancelled = await createUser({
      accountDeletionStatus: "cancelled",
      accountDeletionCancelledAt: new Date(),
    });
    await expectAccepted(bearer(await tokenFor(cancelled.id)), cancelled.id);
  });

  it("roles come from the row: a token claiming admin gets nothing", async () => {
    const { status, body } = await fetchMe(
      bearer(await tokenFor(userId, { roles: ["admin"], role: "admin" })),
    );
    expect(status).toBe(200);
    expect(body.data.roles).toEqual(["user"]);
  });

  it("an admin row is an admin whatever the token says", async () => {
    const admin = await createUser({ roles: ["user", "admin"] });
    const { body } = await fetchMe(bearer(await tokenFor(admin.id, { roles: [] })));
    expect(body.data.roles).toEqual(["user", "admin"]);
  });
});

describe("JWKS mode (RS256 / ES256 against a remote key set)", () => {
  const RS_URL = "https://issuer.example/jwks.json";
  const ES_URL = "https://issuer.example/es/jwks.json";
  const DOWN_URL = "https://issuer.example/down/jwks.json";
  const rsEnv = { JWT_ALGORITHM: "RS256", JWT_JWKS_URL: RS_URL };
  const esEnv = { JWT_ALGORITHM: "ES256", JWT_JWKS_URL: ES_URL };

  let rsa: CryptoKeyPair;
  let otherRsa: CryptoKeyPair;
  let ec: CryptoKeyPair;
  let rsaJwk: Awaited<ReturnType<typeof publicJwk>>;
  const requested: string[] = [];
  let fetchSpy: MockInstance<typeof fetch>;

  beforeAll(async () => {
    rsa = await rsaKeyPair();
    otherRsa = await rsaKeyPair();
    ec = await ecKeyPair();
    rsaJwk = await publicJwk(rsa, "rsa-1", "RS256");
    const keySets: Record<string, unknown> = {
      [RS_URL]: { keys: [rsaJwk] },
      [ES_URL]: { keys: [await publicJwk(ec, "ec-1", "ES256")] },
    };
    const realFetch = globalThis.fetch;
    fetchSpy = vi.spyOn(globalThis, "fetch");
    // Only the key-set endpoints are mocked; anything else goes to the real fetch.
    fetchSpy.mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url === DOWN_URL) {
        requested.push(url);
        return new Response("unavailable", { status: 503 });
      }
      const keySet = keySets[url];
      if (!keySet) return realFetch(input, init);
      requested.push(url);
      return Response.json(keySet);
    });
  });
  afterAll(() => {
    fetchSpy.mockRestore();
  });

  const rs256 = (claims: Claims, kid = "rsa-1", key?: CryptoKey) =>
    signJwt({ alg: "RS256", typ: "JWT", kid }, claims, key ?? rsa.privateKey);

  it("a good RS256 token passes", async () => {
    await expectAccepted(bearer(await rs256(claimsFor(userId))), userId, rsEnv);
    expect(requested).toContain(RS_URL);
  });

  it("a good ES256 token passes in ES256 mode", async () => {
    const token = await signJwt({ alg: "ES256", typ: "JWT", kid: "ec-1" }, claimsFor(userId), ec.privateKey);
    await expectAccepted(bearer(token), userId, esEnv);
  });

  it("the key set is cached, not fetched on every request", async () => {
    await expectAccepted(bearer(await rs256(claimsFor(userId))), userId, rsEnv);
    const before = requested.filter((url) => url === RS_URL).length;
    await expectAccepted(bearer(await rs256(claimsFor(userId))), userId, rsEnv);
    await expectAccepted(bearer(await rs256(claimsFor(userId))), userId, rsEnv);
    expect(requested.filter((url) => url === RS_URL).length).toBe(before);
  });

  it("an HS256 token signed with JWT_SECRET is refused", async () => {
    await expectRefused(bearer(await tokenFor(userId)), rsEnv);
  });

  it("an HS256 token keyed with the public key and naming its kid is refused (key confusion)", async () => {
    const key = await hmacKey(JSON.stringify(rsaJwk), "SHA-256");
    await expectRefused(
      bearer(await signJwt({ alg: "HS256", typ: "JWT", kid: "rsa-1" }, claimsFor(userId), key)),
      rsEnv,
    );
  });

  it("an unknown kid is refused", async () => {
    await expectRefused(bearer(await rs256(claimsFor(userId), "rsa-unknown")), rsEnv);
  });

  it("no kid is refused", async () => {
    await expectRefused(
      bearer(await signJwt({ alg: "RS256", typ: "JWT" }, claimsFor(userId), rsa.privateKey)),
      rsEnv,
    );
  });

  it("the right kid signed by another key is refused", async () => {
    await expectRefused(bearer(await rs256(claimsFor(userId), "rsa-1", otherRsa.privateKey)), rsEnv);
  });

  it("an ES256 token is refused in RS256 mode", async () => {
    const token = await signJwt({ alg: "ES256", typ: "JWT", kid: "rsa-1" }, claimsFor(userId), ec.privateKey);
    await expectRefused(bearer(token), rsEnv);
  });

  it("an expired RS256 token is refused", async () => {
    await expectRefused(bearer(await rs256(claimsFor(userId, { exp: nowSeconds() - 120 }))), rsEnv);
  });

  it("alg none is refused", async () => {
    await expectRefused(
      bearer(`${part({ alg: "none", typ: "JWT", kid: "rsa-1" })}.${part(claimsFor(userId))}.`),
      rsEnv,
    );
  });

  it("a key-set outage is the server's failure (500), not the client's (401)", async () => {
    const { status, body } = await fetchMe(bearer(await rs256(claimsFor(userId))), {
      JWT_ALGORITHM: "RS256",
      JWT_JWKS_URL: DOWN_URL,
    });
    expect(status).toBe(500);
    expect(body.errors).toEqual([messageOf("status.500")]);
  });
});
