import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { users } from "../../src/db/schema";
import { DeletionRequestSchema } from "../../src/features/account-deletion/account-deletion.routes";
import { clearFlagCache } from "../../src/flags/flags";
import { PLATFORMS } from "../../src/lib/client-headers";
import { createUser, tokenFor } from "../helpers";
import {
  acceptedHeaderValue,
  acceptLanguageValue,
  asBody,
  deletionBodyText,
  hostileString,
  objectText,
  validAppVersion,
} from "./arbitraries";
import { fuzzClient, fuzzParameters, headersFor, requestBody, sendChecked, timeoutFor } from "./properties";

// The account-deletion endpoints from every state of the account, with the finalize-now flag on or off.

const DELETION = "/api/v1/users/me/account-deletion";
const FLAG = "account-deletion-finalize-now";
const DAY = 86_400_000;
const BODY_LIMIT = 16 * 1024;
const client = fuzzClient("deletion");

const STATES = ["none", "pending", "cancelled", "finalized"] as const;
type State = (typeof STATES)[number];

const OPERATIONS = {
  request: { method: "POST", path: DELETION },
  read: { method: "GET", path: DELETION },
  cancel: { method: "DELETE", path: DELETION },
  finalize: { method: "POST", path: `${DELETION}/finalize-now` },
} as const;
type Operation = keyof typeof OPERATIONS;

/** A new user whose account is in `state`, and a token for it. */
async function accountIn(state: State) {
  const now = Date.now();
  const overrides: Partial<typeof users.$inferInsert> = {
    none: {},
    pending: {
      accountDeletionStatus: "pending" as const,
      accountDeletionRequestedAt: new Date(now - DAY),
      accountDeletionScheduledFor: new Date(now + 27 * DAY),
    },
    cancelled: {
      accountDeletionStatus: "cancelled" as const,
      accountDeletionRequestedAt: new Date(now - 2 * DAY),
      accountDeletionScheduledFor: new Date(now + 26 * DAY),
      accountDeletionCancelledAt: new Date(now - DAY),
    },
    finalized: {
      accountDeletionStatus: "finalized" as const,
      accountDeletionRequestedAt: new Date(now - 30 * DAY),
      accountDeletionScheduledFor: new Date(now - 2 * DAY),
      accountDeletionFinalizedAt: new Date(now - DAY),
      deletedAt: new Date(now - DAY),
      username: null,
      email: null,
      name: null,
      surname: null,
    },
  }[state];
  const user = await createUser(overrides);
  return { id: user.id, token: await tokenFor(user.id) };
}

let flagEnabled: boolean | undefined;
async function setFlag(enabled: boolean) {
  if (flagEnabled === enabled) return;
  await env.FLAGS.put(
    `feature-flag:${FLAG}`,
    JSON.stringify({ enabled, updatedAt: new Date().toISOString() }),
  );
  clearFlagCache();
  flagEnabled = enabled;
}

/** The lifecycle of the contract, for a request whose body (if any) is valid. */
function expectedStatus(
  state: State,
  operation: Operation,
  flag: boolean,
  bodyValid: boolean,
  bodyBytes: number,
) {
  if (state === "finalized") return 401;
  switch (operation) {
    case "request":
      if (bodyBytes > BODY_LIMIT) return 413;
      if (!bodyValid) return 400;
      return state === "pending" ? 409 : 200;
    case "read":
      return 200;
    case "cancel":
      return state === "pending" ? 200 : 409;
    case "finalize":
      if (!flag) return 403;
      return state === "pending" ? 200 : 409;
  }
}

const EVENTS: Partial<Record<Operation, string>> = {
  request: "deletion_requested",
  cancel: "deletion_cancelled",
  finalize: "deletion_finalized",
};

const state = fc.constantFrom(...STATES);
const operation = fc.constantFrom(...(Object.keys(OPERATIONS) as Operation[]));
/** Mostly requests, the one operation with a body to validate. */
const operationWithBody = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Operation>("request") },
  { weight: 2, arbitrary: operation },
);

describe("account deletion under fuzzing", () => {
  const HOSTILE = 75;
  it(
    "answers any body in any state with an envelope, never a 5xx, and a refused request changes nothing",
    async () => {
      const body = fc.option(asBody(deletionBodyText), { nil: undefined });
      const language = fc.option(acceptLanguageValue, { nil: undefined });
      await fc.assert(
        fc.asyncProperty(
          state,
          fc.boolean(),
          operationWithBody,
          body,
          language,
          async (from, flag, op, fuzzed, acceptLanguage) => {
            await setFlag(flag);
            const account = await accountIn(from);
            const { method, path } = OPERATIONS[op];
            const sent = fuzzed && method !== "GET" ? requestBody(fuzzed) : { contentType: null, body: null };
            const extra: Record<string, string> =
              acceptLanguage === undefined ? {} : { "accept-language": acceptLanguage };
            const headers = headersFor({ token: account.token, contentType: sent.contentType, extra });
            await sendChecked(client, account.id, { method, path, headers, body: sent.body });
          },
        ),
        fuzzParameters(HOSTILE),
      );
    },
    timeoutFor(HOSTILE),
  );

  const LIFECYCLE = 75;
  it(
    "follows the lifecycle: the status each state and flag call for, and one audit row with the client's facts per transition",
    async () => {
      const reason = fc.option(
        fc.oneof(
          fc.string({ maxLength: 500 }),
          hostileString.filter((text) => text.length < 3_000),
        ),
        { nil: undefined },
      );
      const platform = fc.constantFrom(...PLATFORMS);
      const appVersion = validAppVersion;
      const deviceId = fc
        .string({ minLength: 1, maxLength: 128 })
        .filter((id) => acceptedHeaderValue(id) && id.trim() !== "");
      await fc.assert(
        fc.asyncProperty(
          state,
          fc.boolean(),
          operation,
          reason,
          fc.record({ platform, appVersion, deviceId }),
          async (from, flag, op, why, facts) => {
            await setFlag(flag);
            const account = await accountIn(from);
            const { method, path } = OPERATIONS[op];
            const text = why === undefined ? "" : objectText([["reason", JSON.stringify(why)]]);
            const headers = headersFor({
              token: account.token,
              contentType: method === "POST" && text ? "application/json" : null,
              extra: {
                "x-platform": facts.platform,
                "x-app-version": facts.appVersion,
                "x-device-id": facts.deviceId,
              },
            });
            const body = method === "POST" && text ? new TextEncoder().encode(text) : null;
            const { answer, before, after } = await sendChecked(client, account.id, {
              method,
              path,
              headers,
              body,
            });
            // The text rule has its own table (test/text-fields.test.ts); here the schema is the oracle.
            const bodyValid = why === undefined || DeletionRequestSchema.safeParse({ reason: why }).success;
            const expected = expectedStatus(from, op, flag, bodyValid, body?.byteLength ?? 0);
            expect(answer.status, `${op} from ${from}, flag ${flag}: ${answer.text.slice(0, 300)}`).toBe(
              expected,
            );
            if (answer.status !== 200 || op === "read") return;
            const events = after.events as Record<string, unknown>[];
            expect(events).toHaveLength(before.events.length + 1);
            expect(events.at(-1)).toMatchObject({
              event: EVENTS[op],
              source: "user",
              platform: facts.platform,
              app_version: facts.appVersion,
              // Finalization clears the device ids of every row of the account, its own included.
              device_id: op === "finalize" ? null : new Headers({ v: facts.deviceId }).get("v"),
            });
            if (op === "finalize") {
              expect(events.every((event) => event.device_id === null)).toBe(true);
              expect(after.user[0]).toMatchObject({ name: null, surname: null, email: null, username: null });
              expect(after.objects).toEqual([]);
            }
          },
        ),
        fuzzParameters(LIFECYCLE),
      );
    },
    timeoutFor(LIFECYCLE),
  );
});
