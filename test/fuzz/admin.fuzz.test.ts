import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, tokenFor } from "../helpers";
import {
  asBody,
  byteLength,
  enabledValueText,
  hostileJsonText,
  jsonText,
  objectText,
  PROTO_KEYS,
  shortHostileString,
} from "./arbitraries";
import {
  type Answer,
  describeAnswer,
  flagsSnapshot,
  fuzzClient,
  fuzzParameters,
  headersFor,
  isRefused,
  requestBody,
  sendChecked,
  timeoutFor,
} from "./properties";

// The admin feature-flag routes: random keys, bodies and methods, from an admin, a plain user and no one.

const FLAGS = "/api/v1/admin/feature-flags";
const FLAG = "account-deletion-finalize-now";
const BODY_LIMIT = 16 * 1024;
const client = fuzzClient("admin");

type Actor = { id: string; token: string | null };
let admin: Actor;
let member: Actor;

beforeAll(async () => {
  const adminUser = await createUser({ roles: ["user", "admin"] });
  admin = { id: adminUser.id, token: await tokenFor(adminUser.id) };
  const user = await createUser();
  member = { id: user.id, token: await tokenFor(user.id) };
});

/** The flag key as a path segment; null when it cannot be percent-encoded (a lone surrogate). */
function segment(key: string): string | null {
  try {
    return encodeURIComponent(key);
  } catch {
    return null;
  }
}

const flagKey = fc.oneof(
  { weight: 3, arbitrary: fc.constant(FLAG) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      FLAG.toUpperCase(),
      ` ${FLAG}`,
      `${FLAG}/`,
      `${FLAG}\0`,
      `${FLAG}.json`,
      "x",
      ...PROTO_KEYS,
    ),
  },
  { weight: 2, arbitrary: shortHostileString.filter((key) => key !== "" && key !== "." && key !== "..") },
);

/** Sends as `actor` and checks that a refused request left KV (and the actor's rows) as they were. */
async function sendAs(
  actor: Actor,
  method: string,
  path: string,
  body: { contentType: string | null; body: Uint8Array } | null,
) {
  const flagsBefore = await flagsSnapshot();
  const headers = headersFor({ token: actor.token, contentType: body?.contentType });
  const { answer, body: envelope } = await sendChecked(client, actor.id, {
    method,
    path,
    headers,
    body: body?.body ?? null,
  });
  if (isRefused(answer))
    expect(await flagsSnapshot(), `KV changed: ${describeAnswer(answer)}`).toEqual(flagsBefore);
  return { answer, envelope };
}

describe("admin feature flags under fuzzing", () => {
  const HOSTILE = 60;
  it(
    "answers any method, key and body with an envelope, never a 5xx; a refused request changes no flag",
    async () => {
      const actor = fc.constantFrom("admin", "member", "nobody");
      const method = fc.constantFrom("GET", "PUT", "POST", "PATCH", "DELETE");
      const body = asBody(
        fc.oneof(
          enabledValueText.map((value) => objectText([["enabled", value]])),
          hostileJsonText,
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          actor,
          method,
          fc.option(flagKey, { nil: undefined }),
          body,
          async (who, verb, key, fuzzed) => {
            const path = key === undefined ? FLAGS : `${FLAGS}/${segment(key)}`;
            fc.pre(key === undefined || segment(key) !== null);
            const as = who === "admin" ? admin : who === "member" ? member : { id: member.id, token: null };
            await sendAs(as, verb, path, verb === "GET" ? null : requestBody(fuzzed));
          },
        ),
        fuzzParameters(HOSTILE),
      );
    },
    timeoutFor(HOSTILE),
  );

  const RULE = 50;
  it(
    "sets a flag only for an admin, a known key and { enabled: boolean } (403, 404, 400 otherwise)",
    async () => {
      const extraKey = fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom("description", "updatedAt", "key", ...PROTO_KEYS), jsonText),
        },
      );
      const isAdmin = fc.oneof(
        { weight: 3, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      );
      await fc.assert(
        fc.asyncProperty(
          isAdmin,
          flagKey,
          enabledValueText,
          extraKey,
          async (asAdmin, key, enabled, extra) => {
            const encoded = segment(key);
            fc.pre(encoded !== null);
            const text = objectText([["enabled", enabled], ...(extra ? [extra] : [])]);
            const { answer, envelope } = await sendAs(
              asAdmin ? admin : member,
              "PUT",
              `${FLAGS}/${encoded}`,
              {
                contentType: "application/json",
                body: new TextEncoder().encode(text),
              },
            );
            const validBody = (enabled === "true" || enabled === "false") && !extra;
            const status = byteLength(text) > BODY_LIMIT ? 413 : expected(asAdmin, key, validBody);
            expect(answer.status, `${key} ${text.slice(0, 200)}: ${answer.text.slice(0, 200)}`).toBe(status);
            if (answer.status === 200) await expectStored(answer, envelope?.data, enabled === "true");
          },
        ),
        fuzzParameters(RULE),
      );
    },
    timeoutFor(RULE),
  );
});

/** Under the body limit: the role first (a middleware), then the body (the validator), then the key (the handler). */
function expected(isAdmin: boolean, key: string, validBody: boolean): number {
  if (!isAdmin) return 403;
  if (!validBody) return 400;
  return key === FLAG ? 200 : 404;
}

async function expectStored(answer: Answer, data: unknown, enabled: boolean) {
  expect(data, describeAnswer(answer)).toMatchObject({ key: FLAG, enabled });
  const stored = (await flagsSnapshot())[`feature-flag:${FLAG}`];
  expect(JSON.parse(stored ?? "null")).toMatchObject({ enabled });
}
