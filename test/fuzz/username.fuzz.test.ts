import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { RESERVED_USERNAMES } from "../../src/features/username/reserved-usernames";
import { reservedNameRule } from "../../src/features/username/username-lookalikes";
import { createUser, d1Of, tokenFor } from "../helpers";
import {
  asBody,
  byteLength,
  CURRENT_USERNAME,
  hostileJsonText,
  nonStringJson,
  objectText,
  stringText,
  usernameCandidate,
} from "./arbitraries";
import {
  forget,
  fuzzClient,
  fuzzParameters,
  headersFor,
  requestBody,
  sendChecked,
  timeoutFor,
} from "./properties";

// PATCH /api/v1/users/profile/username with hostile bodies, and checked against the rule of the contract.

const PATH = "/api/v1/users/profile/username";
const TAKEN = "fuzz.taken";
const BODY_LIMIT = 16 * 1024;
const client = fuzzClient("username");

let userId: string;
let token: string;
let current: string;

beforeAll(async () => {
  const user = await createUser();
  userId = user.id;
  token = await tokenFor(user.id);
  current = user.username ?? "";
  await createUser({ username: TAKEN });
});

/**
 * After a change: remembers the new name, and lets the next change through the cooldown (the
 * rule under test here is the name's).
 */
async function changed(data: unknown) {
  current = (data as { username: string }).username;
  await d1Of(userId).prepare("UPDATE users SET username_changed_at = NULL WHERE id = ?").bind(userId).run();
  forget(userId);
}

/** The contract: 3 to 30 of a-z 0-9 . _, from a letter or digit, no `..`, no final `.`, lowercased, not reserved nor a lookalike. */
function expectedStatus(value: unknown): number {
  if (typeof value !== "string") return 400;
  const name = value.trim().toLowerCase();
  const wellFormed = /^[a-z0-9][a-z0-9._]{2,29}$/.test(name) && !name.includes("..") && !name.endsWith(".");
  if (!wellFormed || reservedNameRule(name) !== null || name === current) return 400;
  return name === TAKEN ? 409 : 200;
}

const patch = (text: string, acceptLanguage: string) => ({
  method: "PATCH",
  path: PATH,
  headers: headersFor({
    token,
    contentType: "application/json",
    extra: { "accept-language": acceptLanguage },
  }),
  body: new TextEncoder().encode(text),
});

const candidate = usernameCandidate([...RESERVED_USERNAMES], TAKEN);

describe("PATCH /users/profile/username under fuzzing", () => {
  const HOSTILE = 50;
  it(
    "answers every body with an envelope, never a 5xx, and a refused change changes nothing",
    async () => {
      const bodies = fc.oneof(
        candidate.map((name) =>
          objectText([["username", JSON.stringify(name.replace(CURRENT_USERNAME, "x"))]]),
        ),
        hostileJsonText,
      );
      await fc.assert(
        fc.asyncProperty(asBody(bodies), async (fuzzed) => {
          const { contentType, body } = requestBody(fuzzed);
          const { answer, body: envelope } = await sendChecked(client, userId, {
            method: "PATCH",
            path: PATH,
            headers: headersFor({ token, contentType }),
            body,
          });
          if (answer.status === 200) await changed(envelope?.data);
        }),
        fuzzParameters(HOSTILE),
      );
    },
    timeoutFor(HOSTILE),
  );

  const RULE = 70;
  it(
    "follows the username rule: 200 for a free well-formed name, 409 for a taken one, 400 otherwise",
    async () => {
      const value = fc.oneof(
        { weight: 5, arbitrary: candidate.map((name) => ({ name, json: null })) },
        { weight: 1, arbitrary: nonStringJson.map((json) => ({ name: null, json })) },
      );
      const extraKey = fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        {
          weight: 1,
          arbitrary: fc.tuple(
            fc.constantFrom("name", "__proto__", "Username", "username "),
            stringText(candidate),
          ),
        },
      );
      await fc.assert(
        fc.asyncProperty(
          value,
          extraKey,
          fc.constantFrom("en", "tr"),
          async ({ name, json }, extra, language) => {
            const sent = name === null ? null : name.replace(CURRENT_USERNAME, current);
            const text = objectText([["username", json ?? JSON.stringify(sent)], ...(extra ? [extra] : [])]);
            const { answer, body } = await sendChecked(client, userId, patch(text, language));
            const expected =
              byteLength(text) > BODY_LIMIT
                ? 413
                : extra
                  ? 400
                  : expectedStatus(sent ?? JSON.parse(text).username);
            expect(answer.status, `sent ${text.slice(0, 200)}`).toBe(expected);
            if (answer.status !== 200) return;
            expect(body?.data).toMatchObject({ username: sent?.trim().toLowerCase() });
            await changed(body?.data);
          },
        ),
        fuzzParameters(RULE),
      );
    },
    timeoutFor(RULE),
  );
});
