import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema";
import { call, callWith, createUser, dbOf, everyShardDb, tokenFor } from "./helpers";

const PATH = "/api/v1/users/profile/username";
const DAY_MS = 86_400_000;
const CONFLICT = "Resource already exists or cannot be changed in its current state";

type User = Record<string, unknown>;

let nameSequence = 0;
/** A valid, unused username. */
const freeName = (prefix = "name") => `${prefix}_${++nameSequence}_${crypto.randomUUID().slice(0, 6)}`;

async function userWithToken(overrides: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser(overrides);
  const token = await tokenFor(user.id);
  const patch = (json: unknown, headers: Record<string, string> = {}) =>
    call<User>(PATH, { method: "PATCH", token, json, headers });
  return { user, token, patch };
}

/** Who has `username` on any shard (there must be one at most). */
async function holdersOf(username: string) {
  const found = await Promise.all(
    everyShardDb().map((shard) =>
      shard.select({ id: users.id }).from(users).where(eq(users.username, username)),
    ),
  );
  return found.flat();
}

async function storedUser(id: string) {
  const [row] = await dbOf(id).select().from(users).where(eq(users.id, id));
  if (!row) throw new Error("user not found");
  return row;
}

async function moveLastChange(id: string, msAgo: number) {
  await dbOf(id)
    .update(users)
    .set({ usernameChangedAt: new Date(Date.now() - msAgo) })
    .where(eq(users.id, id));
}

/** The Worker called directly with an env override, as the Workers runtime would. */
async function patchWithEnv(token: string, username: string, overrides: Partial<Env>) {
  const { status, body } = await callWith<User>(PATH, overrides, {
    method: "PATCH",
    token,
    json: { username },
  });
  return { status, body };
}

async function expectFormatRefused(username: string, message: string) {
  const { patch, user } = await userWithToken();
  const { status, body } = await patch({ username });
  expect(status).toBe(400);
  expect(body.isSuccess).toBe(false);
  expect(body.errors[0]).toBe("Validation failed");
  expect(body.errors).toContain(`username: ${message}`);
  expect((await storedUser(user.id)).username).toBe(user.username);
}

const FORMAT_MESSAGE =
  "must be 3 to 30 characters of a-z, 0-9, . and _, start with a letter or digit, have no .. and not end with .";

describe("PATCH /api/v1/users/profile/username: a valid change", () => {
  it("returns 200 and the user object, storing the name lowercased", async () => {
    const { patch, user, token } = await userWithToken();
    const name = `New.Name_1${nameSequence++}`;
    const { status, body } = await patch({ username: name });
    expect(status).toBe(200);
    expect(body.isSuccess).toBe(true);
    expect(body.data).toMatchObject({ _id: user.id, username: name.toLowerCase(), name: user.name });
    expect(body.data.username).toMatch(/^new\.name_1\d+$/);
    expect((await storedUser(user.id)).username).toBe(name.toLowerCase());
    const me = await call<User>("/api/v1/users/me", { token });
    expect(me.body.data.username).toBe(name.toLowerCase());
  });

  it('stores "New.Name_1" as "new.name_1"', async () => {
    const { patch, user } = await userWithToken();
    const { status, body } = await patch({ username: "New.Name_1" });
    expect(status).toBe(200);
    expect(body.data.username).toBe("new.name_1");
    expect((await storedUser(user.id)).username).toBe("new.name_1");
  });

  it("accepts 3 and 30 characters", async () => {
    const three = await userWithToken();
    expect((await three.patch({ username: "a1b" })).status).toBe(200);
    const thirty = await userWithToken();
    const name = `z${"9".repeat(29)}`;
    expect((await thirty.patch({ username: name })).body.data.username).toBe(name);
  });
});

describe("PATCH /api/v1/users/profile/username: format rules", () => {
  it.each([
    ["2 characters", "ab"],
    ["31 characters", `a${"b".repeat(30)}`],
    ["a leading .", ".abc"],
    ["a leading _", "_abc"],
    ["..", "ab..cd"],
    ["a trailing .", "abcd."],
    ["a -", "ab-cd"],
    ["a space", "ab cd"],
    ["a non-ASCII letter", "ayşe"],
  ])("refuses %s", async (_label, username) => {
    await expectFormatRefused(username, FORMAT_MESSAGE);
  });

  it.each([
    ["admin"],
    ["Administrator"],
    ["root"],
    ["support"],
    ["api"],
    ["me"],
    ["null"],
    ["undefined"],
    ["system"],
    ["www"],
  ])("refuses the reserved name %s", async (username) => {
    await expectFormatRefused(username, "is reserved");
  });

  it("refuses a missing username and an extra key", async () => {
    const { patch } = await userWithToken();
    const missing = await patch({});
    expect(missing.status).toBe(400);
    expect(missing.body.errors.some((message) => message.startsWith("username:"))).toBe(true);
    const extra = await patch({ username: freeName(), roles: ["admin"] });
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toContain("roles: is not an accepted field");
  });
});

describe("PATCH /api/v1/users/profile/username: unchanged and taken", () => {
  it("refuses the current name with 400, also when it differs only by case", async () => {
    const current = freeName("same");
    const { patch } = await userWithToken({ username: current });
    for (const username of [current, current.toUpperCase()]) {
      const { status, body } = await patch({ username });
      expect(status).toBe(400);
      expect(body.errors).toEqual(["Validation failed", "username: is already your username"]);
    }
  });

  it("refuses a name another user has with 409, whatever its case", async () => {
    const taken = freeName("taken");
    await createUser({ username: taken });
    const { patch, user } = await userWithToken();
    const { status, body } = await patch({ username: taken.toUpperCase() });
    expect(status).toBe(409);
    expect(body.errors).toEqual([CONFLICT, "username: is already taken"]);
    expect((await storedUser(user.id)).username).toBe(user.username);
    // A refused name does not start a cooldown.
    expect((await storedUser(user.id)).usernameChangedAt).toBeNull();
  });
});

const EN_MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const TR_MONTHS = [
  "Ocak",
  "Şubat",
  "Mart",
  "Nisan",
  "Mayıs",
  "Haziran",
  "Temmuz",
  "Ağustos",
  "Eylül",
  "Ekim",
  "Kasım",
  "Aralık",
];

/** The parts a person reads in `date` shown at `offsetMinutes` from UTC. */
function localParts(date: Date, offsetMinutes: number) {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return {
    day: local.getUTCDate(),
    month: local.getUTCMonth(),
    year: local.getUTCFullYear(),
    time: `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`,
  };
}

describe("PATCH /api/v1/users/profile/username: the cooldown", () => {
  it("does not start with the username given at registration", async () => {
    const { patch, user } = await userWithToken();
    expect(user.usernameChangedAt).toBeNull();
    const before = Date.now();
    expect((await patch({ username: freeName() })).status).toBe(200);
    const changedAt = (await storedUser(user.id)).usernameChangedAt;
    expect(changedAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it.each([
    ["en", "UTC+03:00", 180, EN_MONTHS, "Resource already exists or cannot be changed in its current state"],
    ["tr", "UTC+03:00", 180, TR_MONTHS, "Kaynak zaten mevcut veya mevcut durumunda değiştirilemez"],
    ["en", "UTC-09:30", -570, EN_MONTHS, CONFLICT],
    ["tr", "UTC+05:45", 345, TR_MONTHS, "Kaynak zaten mevcut veya mevcut durumunda değiştirilemez"],
  ])(
    "refuses a second change with 409 and the next allowed date (%s, %s)",
    async (language, timezone, offset, months, generic) => {
      const { patch, user } = await userWithToken();
      const first = freeName();
      expect((await patch({ username: first })).status).toBe(200);
      const changedAt = (await storedUser(user.id)).usernameChangedAt;
      if (!changedAt) throw new Error("usernameChangedAt not set");

      const { status, body } = await patch(
        { username: freeName() },
        { "accept-language": language, "x-timezone": timezone },
      );
      expect(status).toBe(409);
      expect(body.errors[0]).toBe(generic);
      const message = body.errors[1] ?? "";
      expect(message.startsWith("username: ")).toBe(true);
      expect(message).toContain(`(${timezone})`);
      const next = localParts(new Date(changedAt.getTime() + 30 * DAY_MS), offset);
      expect(message).toContain(`${next.day} ${months[next.month]} ${next.year}`);
      // The local time, not the "(UTC+03:00)" label, which could hold the same digits.
      expect(message.replace(`(${timezone})`, "")).toContain(next.time);
      if (language === "tr") expect(message).toContain("yeniden değiştirilebilir");
      else expect(message).toContain("can be changed again from");
      // The refused change left the first one in place.
      expect((await storedUser(user.id)).username).toBe(first);
    },
  );

  it("allows a change again 31 days later, but not 29 days later", async () => {
    const { patch, user } = await userWithToken();
    expect((await patch({ username: freeName() })).status).toBe(200);

    await moveLastChange(user.id, 29 * DAY_MS);
    expect((await patch({ username: freeName() })).status).toBe(409);

    await moveLastChange(user.id, 31 * DAY_MS);
    const name = freeName();
    const { status, body } = await patch({ username: name });
    expect(status).toBe(200);
    expect(body.data.username).toBe(name);
  });

  it("uses USERNAME_CHANGE_COOLDOWN_DAYS for the window", async () => {
    const { user, token } = await userWithToken();
    const oneDay = { USERNAME_CHANGE_COOLDOWN_DAYS: "1" };
    expect((await patchWithEnv(token, freeName(), oneDay)).status).toBe(200);
    const changedAt = (await storedUser(user.id)).usernameChangedAt;
    if (!changedAt) throw new Error("usernameChangedAt not set");

    // Right after: refused, and the next date is one day on, not thirty.
    const refused = await patchWithEnv(token, freeName(), oneDay);
    expect(refused.status).toBe(409);
    const next = localParts(new Date(changedAt.getTime() + DAY_MS), 0);
    expect(refused.body.errors[1]).toContain(`${next.day} ${EN_MONTHS[next.month]} ${next.year}`);
    expect(refused.body.errors[1]?.replace("(UTC)", "")).toContain(next.time);

    await moveLastChange(user.id, 23 * 60 * 60 * 1000);
    expect((await patchWithEnv(token, freeName(), oneDay)).status).toBe(409);

    await moveLastChange(user.id, 25 * 60 * 60 * 1000);
    // The default window (30 days) still refuses...
    expect((await patchWithEnv(token, freeName(), {})).status).toBe(409);
    // ...the one-day window allows it.
    const name = freeName();
    const allowed = await patchWithEnv(token, name, oneDay);
    expect(allowed.status).toBe(200);
    expect(allowed.body.data.username).toBe(name);
  });
});

describe("PATCH /api/v1/users/profile/username: races", () => {
  it("gives a free name to exactly one of 10 users asking at once", async () => {
    const contenders = await Promise.all(Array.from({ length: 10 }, () => userWithToken()));
    const name = freeName("race");
    const results = await Promise.all(contenders.map(({ patch }) => patch({ username: name })));
    const statuses = results.map((result) => result.status);
    // One winner, nine conflicts, nothing else.
    expect([...statuses].sort()).toEqual([200, ...Array(9).fill(409)]);
    const holders = await holdersOf(name);
    expect(holders).toHaveLength(1);
    const winner = contenders[statuses.indexOf(200)];
    expect(holders[0]?.id).toBe(winner?.user.id);
  });

  it("lets one user win only one of 5 parallel changes", async () => {
    const { patch, user } = await userWithToken();
    const names = Array.from({ length: 5 }, () => freeName("many"));
    const results = await Promise.all(names.map((username) => patch({ username })));
    const statuses = results.map((result) => result.status);
    expect([...statuses].sort()).toEqual([200, 409, 409, 409, 409]);
    expect((await storedUser(user.id)).username).toBe(names[statuses.indexOf(200)]);
  });
});
