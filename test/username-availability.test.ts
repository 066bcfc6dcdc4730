import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newObjectId } from "../src/lib/ids";
import { watchD1 } from "./d1-observer";
import { apiWith, call, callWith, createUser, d1Of, onShardOf, tokenFor } from "./helpers";

// GET /api/v1/users/username-availability: what the username form asks while the person types.
// The same rules and messages as PATCH /users/profile/username, one read, a limit per user.

const AVAILABILITY = "/api/v1/users/username-availability";
const CHANGE = "/api/v1/users/profile/username";

type Availability = { username: string; available: boolean; reason: string | null };

let sequence = 0;
const freeName = (prefix = "avail") => `${prefix}_${++sequence}_${crypto.randomUUID().slice(0, 6)}`;

async function person(username = freeName()) {
  const user = await createUser({ username });
  const token = await tokenFor(user.id);
  const ask = (name: string, headers: Record<string, string> = {}) =>
    call<Availability>(`${AVAILABILITY}?username=${encodeURIComponent(name)}`, { token, headers });
  const change = (name: string, headers: Record<string, string> = {}) =>
    call(CHANGE, { method: "PATCH", token, json: { username: name }, headers });
  return { user, token, ask, change };
}

function expectAnswer(asked: Awaited<ReturnType<typeof call<Availability>>>, expected: Availability) {
  expect(asked.status, JSON.stringify(asked.body.errors)).toBe(200);
  expect(asked.body.data).toEqual(expected);
  expect(asked.response.headers.get("cache-control")).toBe("private, no-store");
}

describe("the answers", () => {
  it("a free name is available, as it would be stored (lowercased, trimmed)", async () => {
    const { ask } = await person();
    const name = freeName("Free");
    expectAnswer(await ask(` ${name} `), { username: name.toLowerCase(), available: true, reason: null });
  });

  it("the caller's own name: current", async () => {
    const name = freeName();
    const { ask } = await person(name);
    expectAnswer(await ask(name.toUpperCase()), { username: name, available: false, reason: "current" });
  });

  it("another account's name: taken", async () => {
    const other = await person();
    const { ask } = await person();
    expectAnswer(await ask(other.user.username ?? ""), {
      username: other.user.username ?? "",
      available: false,
      reason: "taken",
    });
  });

  it.each(["admin", "support", "adm1n", "admin_", "support.team", "0fficial"])(
    "a reserved name or a lookalike of one (%s): reserved, where the change says 400",
    async (name) => {
      const { ask, change } = await person();
      expectAnswer(await ask(name), { username: name, available: false, reason: "reserved" });
      expect((await change(name)).status).toBe(400);
    },
  );

  it("a name another account gave up within the hold: held; its owner may have it back", async () => {
    const old = freeName();
    const owner = await person(old);
    expect((await owner.change(freeName())).status).toBe(200);
    const { ask } = await person();
    expectAnswer(await ask(old), { username: old, available: false, reason: "held" });
    expectAnswer(await owner.ask(old), { username: old, available: true, reason: null });
  });

  it("agrees with the change: what it calls available, the change then takes", async () => {
    const { ask, change } = await person();
    const name = freeName();
    expectAnswer(await ask(name), { username: name, available: true, reason: null });
    expect((await change(name)).status).toBe(200);
    expectAnswer(await ask(name), { username: name, available: false, reason: "current" });
  });
});

describe("refusals", () => {
  it.each([
    ["too short", "ab"],
    ["too long", "a".repeat(31)],
    ["a double dot", "a..b"],
    ["a trailing dot", "abc."],
    ["a leading underscore", "_abc"],
    ["a space inside", "ab c"],
    ["a non-ASCII letter", "şükrü"],
    ["empty", ""],
  ])("a malformed name (%s) is 400 with the change's own messages, in en and tr", async (_label, name) => {
    const { ask, change } = await person();
    for (const language of ["en", "tr"]) {
      const headers = { "accept-language": language };
      const asked = await ask(name, headers);
      const changed = await change(name, headers);
      expect(asked.status).toBe(400);
      expect(changed.status).toBe(400);
      expect(asked.body.errors).toEqual(changed.body.errors);
    }
  });

  it("without the parameter: 400 naming it", async () => {
    const { token } = await person();
    const { status, body } = await call(AVAILABILITY, { token });
    expect(status).toBe(400);
    expect(body.errors).toEqual(["Validation failed", "username: is required"]);
  });

  it("without a token: 401 with its challenge", async () => {
    const { status, response } = await call(`${AVAILABILITY}?username=${freeName()}`);
    expect(status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
  });

  it("a finalized or unknown account: 401", async () => {
    const now = new Date();
    const finalized = await createUser({
      accountDeletionStatus: "finalized",
      accountDeletionRequestedAt: now,
      accountDeletionScheduledFor: now,
      accountDeletionFinalizedAt: now,
      deletedAt: now,
    });
    for (const id of [finalized.id, newObjectId()]) {
      const { status, body } = await call(`${AVAILABILITY}?username=${freeName()}`, {
        token: await tokenFor(id),
      });
      expect(status).toBe(401);
      expect(body.errors[1]).toBe("The bearer token's account does not exist or has been deleted");
    }
  });
});

describe("cost and limits", () => {
  it("answers in one read of its shard (a replica) and one of the directory, side by side", async () => {
    const { user, token } = await person();
    const counter = watchD1(d1Of(user.id));
    const directory = watchD1(env.DIRECTORY);
    let trips: { total: number; primary: number; directory: number } | undefined;
    const response = await apiWith(
      `${AVAILABILITY}?username=${freeName()}`,
      { ...onShardOf(user.id, () => counter.d1), DIRECTORY: directory.d1 },
      { token },
      () => {
        trips = {
          total: counter.counts.total,
          primary: counter.counts.primary,
          directory: directory.counts.total,
        };
      },
    );
    expect(response.status).toBe(200);
    expect(trips).toEqual({ total: 1, primary: 0, directory: 1 });
  });

  it("is rate-limited per user: 429 with Retry-After, and another user is not held back", async () => {
    const limited = { USERNAME_AVAILABILITY_LIMITER: env.TEST_TIGHT_LIMITER };
    const first = await person();
    const second = await person();
    const ask = (token: string) => callWith(`${AVAILABILITY}?username=${freeName()}`, limited, { token });
    expect([(await ask(first.token)).status, (await ask(first.token)).status]).toEqual([200, 200]);
    const refused = await ask(first.token);
    expect(refused.status).toBe(429);
    expect(refused.response.headers.get("retry-after")).toBe("60");
    expect(refused.body.errors).toEqual([
      "Too many requests",
      "Too many requests in a short time; try again in 60 seconds",
    ]);
    expect((await ask(second.token)).status).toBe(200);
  });
});
