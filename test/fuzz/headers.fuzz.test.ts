import { env } from "cloudflare:workers";
import fc from "fast-check";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { PLATFORMS, TIMEZONES } from "../../src/lib/client-headers";
import { createUser, tokenFor } from "../helpers";
import {
  acceptLanguageValue,
  appVersionValue,
  authorizationValue,
  bookmarkValue,
  deviceIdValue,
  objectText,
  platformValue,
  randomHeaderValue,
  timezoneValue,
  validProfileEntries,
} from "./arbitraries";
import {
  type Envelope,
  expectEnvelope,
  type FuzzRequest,
  fuzzClient,
  fuzzParameters,
  GENERIC_MESSAGES,
  sendChecked,
  timeoutFor,
} from "./properties";

// The request headers of the contract (Accept-Language, X-Timezone, X-Platform, X-App-Version,
// X-Device-Id, X-D1-Bookmark, Authorization) with random and near-miss values.

const ME = "/api/v1/users/me";
const client = fuzzClient("headers");

let userId: string;
let token: string;

beforeAll(async () => {
  const user = await createUser();
  userId = user.id;
  token = await tokenFor(user.id);
});

/** The value the Worker reads: Headers trims surrounding whitespace; an empty value means absent. */
const received = (value: string | undefined) =>
  value === undefined ? "" : (new Headers({ v: value }).get("v") ?? "");

/** The contract's rule for each client header; an absent header takes its default. */
const VALID: Record<string, (value: string) => boolean> = {
  "x-timezone": (value) => (TIMEZONES as readonly string[]).includes(value),
  "x-platform": (value) => (PLATFORMS as readonly string[]).includes(value),
  "x-app-version": (value) => {
    // Numbers, then -alpha|-beta|-rc with an optional .N, then +build: told apart by their separators.
    const [release = "", build, ...extra] = value.split("+");
    const [numbers = "", stage, ...rest] = release.split("-");
    const [word, stageNumber, ...tail] = stage?.split(".") ?? [];
    const number = (part: string | undefined, digits: number) =>
      part !== undefined &&
      part.length >= 1 &&
      part.length <= digits &&
      [...part].every((c) => c >= "0" && c <= "9");
    const parts = numbers.split(".");
    return (
      extra.length === 0 &&
      rest.length === 0 &&
      tail.length === 0 &&
      parts.length <= 4 &&
      parts.every((part) => number(part, 5)) &&
      (stage === undefined ||
        (["alpha", "beta", "rc"].includes(word ?? "") &&
          (stageNumber === undefined || number(stageNumber, 5)))) &&
      (build === undefined || number(build, 10))
    );
  },
  "x-device-id": (value) => /^[\x20-\x7e]{1,128}$/.test(value),
};

const clientHeaders = fc.record(
  {
    "accept-language": acceptLanguageValue,
    "x-timezone": timezoneValue,
    "x-platform": platformValue,
    "x-app-version": appVersionValue,
    "x-device-id": deviceIdValue,
  },
  { requiredKeys: [] },
);

function expectLanguage(answer: { headers: Headers }, body: Envelope | null, status: number) {
  const language = answer.headers.get("content-language");
  expect(language).toMatch(/^(en|tr)$/);
  if (body && status >= 400) expect(body.errors[0]).toBe(GENERIC_MESSAGES[language as "en" | "tr"][status]);
}

type Claim = { at: number } | { raw: unknown };
const secondsFromNow = (min: number, max: number) => fc.integer({ min, max }).map((at): Claim => ({ at }));
const oddValue = fc
  .oneof(
    fc.constantFrom(null, true, "", "1700000000", 1e308, -1e308, 0, -1, 1.5, [], {}),
    fc.jsonValue({ maxDepth: 1 }),
  )
  .map((raw): Claim => ({ raw }));
const FAR = 1_000_000_000;

/** Claims around the user's id: right, wrong and odd subjects; times in the past, the future or of the wrong type. */
const claims = fc.record(
  {
    sub: fc.oneof(
      { weight: 3, arbitrary: fc.constant<Claim>({ raw: "self" }) },
      { weight: 1, arbitrary: fc.constant<Claim>({ raw: "SELF" }) },
      { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{24}$/).map((raw): Claim => ({ raw })) },
      { weight: 1, arbitrary: oddValue },
    ),
    exp: fc.oneof({ weight: 3, arbitrary: secondsFromNow(120, FAR) }, secondsFromNow(-FAR, -120), oddValue),
    nbf: fc.oneof(secondsFromNow(-FAR, -120), secondsFromNow(120, FAR), oddValue),
    iat: fc.oneof({ weight: 2, arbitrary: secondsFromNow(-FAR, -120) }, secondsFromNow(120, FAR), oddValue),
    roles: fc.constant<Claim>({ raw: ["admin"] }),
  },
  { requiredKeys: [] },
);

function resolveClaims(generated: Partial<Record<string, Claim>>, now: number): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const [name, claim] of Object.entries(generated)) {
    if (!claim) continue;
    if ("at" in claim) payload[name] = now + claim.at;
    else if (claim.raw === "self") payload[name] = userId;
    else if (claim.raw === "SELF") payload[name] = userId.toUpperCase();
    else payload[name] = claim.raw;
  }
  return payload;
}

/** The contract: `sub` is the user's id, `exp` is required and not past, `nbf`/`iat` honoured (30 s leeway). */
function authenticates(payload: Record<string, unknown>, now: number): boolean {
  const time = (value: unknown) => typeof value === "number" && Number.isFinite(value);
  const { sub, exp, nbf, iat } = payload;
  if (sub !== userId || !time(exp) || (exp as number) <= now - 30) return false;
  if (nbf !== undefined && (!time(nbf) || (nbf as number) > now + 30)) return false;
  return iat === undefined || (time(iat) && (iat as number) <= now + 30);
}

describe("request headers under fuzzing", () => {
  const CLIENT_HEADERS = 70;
  it(
    "refuses exactly the invalid X-Timezone, X-Platform, X-App-Version and X-Device-Id values (400 naming them), in the negotiated language",
    async () => {
      await fc.assert(
        fc.asyncProperty(clientHeaders, async (headers) => {
          const answer = await client.send({
            path: ME,
            headers: { ...headers, authorization: `Bearer ${token}` },
          });
          const body = expectEnvelope(answer);
          expectLanguage(answer, body, answer.status);
          const invalid = Object.keys(VALID).filter((name) => {
            const value = received(headers[name as keyof typeof headers]);
            return value !== "" && !VALID[name]?.(value);
          });
          expect(answer.status, `invalid: ${invalid.join(", ")}; ${answer.text.slice(0, 300)}`).toBe(
            invalid.length > 0 ? 400 : 200,
          );
          for (const name of invalid)
            expect(
              body?.errors.some((line) => line.startsWith(`${name}:`)),
              name,
            ).toBe(true);
          if (headers["accept-language"] === undefined)
            expect(answer.headers.get("content-language")).toBe("en");
        }),
        fuzzParameters(CLIENT_HEADERS),
      );
    },
    timeoutFor(CLIENT_HEADERS),
  );

  const AUTHORIZATION = 50;
  it(
    "answers 401 to every random, JWT-looking, forged or Bearer-plus-garbage Authorization",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          authorizationValue,
          fc.option(acceptLanguageValue, { nil: undefined }),
          async (authorization, language) => {
            const headers: Record<string, string> = { authorization };
            if (language !== undefined) headers["accept-language"] = language;
            const answer = await client.send({ path: ME, headers });
            const body = expectEnvelope(answer);
            expect(answer.status, answer.text.slice(0, 300)).toBe(401);
            expectLanguage(answer, body, 401);
          },
        ),
        fuzzParameters(AUTHORIZATION),
      );
    },
    timeoutFor(AUTHORIZATION),
  );

  const CLAIMS = 60;
  it(
    "accepts a signed token exactly when its claims are valid for an existing user",
    async () => {
      const payload = fc.oneof(
        { weight: 5, arbitrary: claims.map((generated) => ({ generated, other: undefined })) },
        { weight: 1, arbitrary: fc.jsonValue().map((other) => ({ generated: undefined, other })) },
      );
      await fc.assert(
        fc.asyncProperty(payload, async ({ generated, other }) => {
          const now = Math.floor(Date.now() / 1000);
          const resolved = generated ? resolveClaims(generated, now) : other;
          const jwt = await sign(resolved as Parameters<typeof sign>[0], env.JWT_SECRET, "HS256");
          const answer = await client.send({ path: ME, headers: { authorization: `Bearer ${jwt}` } });
          expectEnvelope(answer);
          const valid = generated !== undefined && authenticates(resolved as Record<string, unknown>, now);
          expect(answer.status, `claims ${JSON.stringify(resolved)}`).toBe(valid ? 200 : 401);
        }),
        fuzzParameters(CLAIMS),
      );
    },
    timeoutFor(CLAIMS),
  );

  const ANY = 70;
  it(
    "never answers a 5xx or a non-envelope to any mix of headers on any endpoint, and a refused request changes nothing",
    async () => {
      const endpoint = fc.oneof(
        fc.constantFrom<FuzzRequest>(
          { path: ME },
          { path: `${ME}/stats` },
          { path: "/api/v1/health" },
          { path: `${ME}/account-deletion` },
          { path: "/api/v1/admin/feature-flags" },
        ),
        validProfileEntries.map(
          (entries): FuzzRequest => ({
            method: "PUT",
            path: "/api/v1/users/profile",
            body: objectText(entries),
          }),
        ),
        fc.nat(99_999).map(
          (n): FuzzRequest => ({
            method: "PATCH",
            path: "/api/v1/users/profile/username",
            body: `{"username":"fuzz_${n}"}`,
          }),
        ),
      );
      const headers = fc.record(
        {
          "accept-language": acceptLanguageValue,
          "x-timezone": timezoneValue,
          "x-platform": platformValue,
          "x-app-version": appVersionValue,
          "x-device-id": deviceIdValue,
          "x-d1-bookmark": bookmarkValue,
          "x-request-id": randomHeaderValue,
          "if-none-match": fc.oneof(fc.constantFrom("*", 'W/"x"', '"x", W/"y"'), randomHeaderValue),
          authorization: fc.oneof({ weight: 3, arbitrary: fc.constant("<token>") }, authorizationValue),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(endpoint, headers, async (request, generated) => {
          const sent: Record<string, string> = {};
          for (const [name, value] of Object.entries(generated)) if (value !== undefined) sent[name] = value;
          if (sent.authorization === "<token>") sent.authorization = `Bearer ${token}`;
          if (request.body) sent["content-type"] = "application/json";
          await sendChecked(client, userId, { ...request, headers: sent });
        }),
        fuzzParameters(ANY),
      );
    },
    timeoutFor(ANY),
  );
});
