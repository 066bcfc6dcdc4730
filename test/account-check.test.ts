import { beforeAll, describe, expect, it } from "vitest";
import { type Language, statusMessage, t } from "../src/lib/i18n";
import { LOCKED_EXTENSION } from "../src/lib/route";
import { formatForHumans } from "../src/lib/time";
import { FLAG, setFinalizeNowFlag } from "./deletion-helpers";
import { progressiveJpeg } from "./fixtures";
import { api, call, createUser, tokenFor } from "./helpers";

// Generated from the route table (/openapi.json): every operation that changes data, called with
// the token of a finalized account, is 401; with the token of an account pending deletion it is 403
// with the lock message exactly where the operation is marked `x-locked-while-pending-deletion`.
// A new mutating route fails here until it has a valid request below.

type Operation = { operationId: string; description?: string; [LOCKED_EXTENSION]?: boolean };
type Route = { method: string; path: string; operation: Operation };

const SCHEDULED_FOR = new Date("2031-01-02T03:04:05.000Z");

/** A request that would succeed for an ordinary account, per operation. */
const VALID_REQUESTS: Record<string, (url: string) => RequestInit & { json?: unknown }> = {
  updateProfile: () => ({ json: { name: "Still", surname: "Here" } }),
  changeUsername: () => ({ json: { username: `fresh${Date.now().toString(36)}` } }),
  uploadProfilePhoto: () => {
    const form = new FormData();
    form.append("file", new File([progressiveJpeg], "me.jpg", { type: "image/jpeg" }));
    return { body: form };
  },
  requestAccountDeletion: () => ({ json: { reason: "testing" } }),
  cancelAccountDeletion: () => ({}),
  finalizeAccountDeletionNow: () => ({}),
  startDataExport: () => ({}),
  setFeatureFlag: () => ({ json: { enabled: true } }),
};

const PATH_PARAMETERS: Record<string, string> = { key: FLAG };

let mutating: Route[] = [];

beforeAll(async () => {
  const document = (await (await api("/openapi.json")).json()) as {
    paths: Record<string, Record<string, Operation>>;
  };
  mutating = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([method]) => !["get", "head", "options", "parameters"].includes(method))
      .map(([method, operation]) => ({ method, path, operation })),
  );
  // With the flag on, finalize-now reaches its own statement rather than stopping at the flag.
  await setFinalizeNowFlag(true);
});

function send(route: Route, token: string, language: Language) {
  const url = route.path.replace(/\{(\w+)\}/g, (_, name: string) => PATH_PARAMETERS[name] ?? name);
  const request = VALID_REQUESTS[route.operation.operationId];
  if (!request) throw new Error(`no valid request for ${route.operation.operationId}`);
  return call(url, {
    method: route.method.toUpperCase(),
    token,
    headers: { "accept-language": language },
    ...request(url),
  });
}

const lockMessage = (language: Language) =>
  t(language, "account.locked", { until: formatForHumans(SCHEDULED_FOR, "UTC", language) });

describe("the account check of every mutating route, from the route table", () => {
  it("covers each operation that changes data, and nothing else", () => {
    const ids = mutating.map((route) => route.operation.operationId).sort();
    expect(ids).toEqual(Object.keys(VALID_REQUESTS).sort());
    for (const route of mutating) expect(route.operation.description).toContain("Production warning");
    expect(mutating.filter((route) => route.operation[LOCKED_EXTENSION]).length).toBeGreaterThan(0);
  });

  for (const language of ["en", "tr"] as const) {
    it(`a finalized account's token is 401 on every one of them (${language})`, async () => {
      for (const route of mutating) {
        const user = await createUser({
          roles: ["user", "admin"],
          accountDeletionStatus: "finalized",
          accountDeletionFinalizedAt: new Date(),
          deletedAt: new Date(),
        });
        const { status, body } = await send(route, await tokenFor(user.id), language);
        expect({ route: route.operation.operationId, status }).toEqual({
          route: route.operation.operationId,
          status: 401,
        });
        expect(body.errors[0]).toBe(statusMessage(language, 401));
      }
    });

    it(`a pending account's token is 403 exactly where the route is locked (${language})`, async () => {
      for (const route of mutating) {
        const user = await createUser({
          roles: ["user", "admin"],
          accountDeletionStatus: "pending",
          accountDeletionRequestedAt: new Date(),
          accountDeletionScheduledFor: SCHEDULED_FOR,
        });
        const { status, body } = await send(route, await tokenFor(user.id), language);
        const locked = route.operation[LOCKED_EXTENSION] === true;
        const answer = {
          route: route.operation.operationId,
          locked: status === 403 && body.errors[1] === lockMessage(language),
        };
        expect(answer).toEqual({ route: route.operation.operationId, locked });
        expect(status).not.toBe(401);
        if (locked) expect(body.errors[0]).toBe(statusMessage(language, 403));
      }
    });
  }
});
