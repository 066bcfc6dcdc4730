import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema";
import { newObjectId } from "../src/lib/ids";
import { observeD1, watchD1 } from "./d1-observer";
import { api, apiWith, call, createUser, d1Of, dbOf, onShardOf, tokenFor } from "./helpers";

// D1 read replication through the Sessions API: every response that touched D1 carries the
// session's bookmark, a client that sends it back reads its own writes, writes start at the
// primary, and a write never trusts the state a (possibly lagging) read showed.

const ME = "/api/v1/users/me";
const STATS = "/api/v1/users/me/stats";
const DELETION = "/api/v1/users/me/account-deletion";
const PROFILE = "/api/v1/users/profile";
const USERNAME = "/api/v1/users/profile/username";
const ORIGIN = "http://localhost:8787";

import { BOOKMARK } from "../src/lib/client-headers";

type User = {
  _id: string;
  name: string;
  surname: string;
  username: string;
  accountDeletionStatus: null | string;
};

async function signedIn(overrides: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser(overrides);
  return { user, token: await tokenFor(user.id) };
}

/** The response's bookmark, which must be there and well-formed. */
function bookmarkOf(response: Response): string {
  const bookmark = response.headers.get("x-d1-bookmark");
  expect(bookmark).toMatch(BOOKMARK);
  return bookmark ?? "";
}

async function storedUser(id: string) {
  const [row] = await dbOf(id).select().from(users).where(eq(users.id, id));
  if (!row) throw new Error("user not found");
  return row;
}

/**
 * `wrap` makes a shard's binding whose sessions run `change` (directly on the database, behind the
 * request's back) after the token was verified and before the request's first batch or statement on the users table: the
 * request's write must still decide on the primary's state, not on anything it saw before.
 */
function changeBeforeFirstUsersStatement(change: () => Promise<unknown>) {
  const state = { fired: false };
  const wrap = (real: D1Database) =>
    observeD1(real, async (trip) => {
      if (state.fired || (trip.kind !== "batch" && !trip.sql.some((sql) => /"users"/.test(sql)))) return;
      state.fired = true;
      await change();
    });
  return { wrap, state };
}

const newProfile = { name: "Bookmarked", surname: "Writer" };

describe("X-D1-Bookmark on every response that touched D1", () => {
  it.each([
    ["GET /users/me", ME, "GET", undefined],
    ["GET /users/me/stats", STATS, "GET", undefined],
    ["GET /users/me/account-deletion", DELETION, "GET", undefined],
    ["PUT /users/profile", PROFILE, "PUT", newProfile],
  ] as const)("%s: 200 with a bookmark", async (_label, path, method, json) => {
    const { token } = await signedIn();
    const response = await api(path, { method, token, json });
    expect(response.status).toBe(200);
    bookmarkOf(response);
  });

  it("PATCH /users/profile/username: 200 with a bookmark", async () => {
    const { token } = await signedIn();
    const response = await api(USERNAME, {
      method: "PATCH",
      token,
      json: { username: `bm_${newObjectId().slice(-10)}` },
    });
    expect(response.status).toBe(200);
    bookmarkOf(response);
  });

  it("a 401 for a valid token of an unknown user carries a bookmark", async () => {
    const response = await api(ME, { token: await tokenFor(newObjectId()) });
    expect(response.status).toBe(401);
    bookmarkOf(response);
  });

  it("a 409 (username cooldown) carries a bookmark", async () => {
    const { token } = await signedIn({ usernameChangedAt: new Date() });
    const response = await api(USERNAME, {
      method: "PATCH",
      token,
      json: { username: `bm_${newObjectId().slice(-10)}` },
    });
    expect(response.status).toBe(409);
    bookmarkOf(response);
  });

  it("a 409 (email taken) carries a bookmark", async () => {
    const other = await createUser();
    const { token } = await signedIn();
    const response = await api(PROFILE, {
      method: "PUT",
      token,
      json: { ...newProfile, email: other.email },
    });
    expect(response.status).toBe(409);
    bookmarkOf(response);
  });

  it("a 403 (finalize-now while its flag is off) and an admin read carry a bookmark", async () => {
    const { token } = await signedIn();
    const refused = await api(`${DELETION}/finalize-now`, { method: "POST", token });
    expect(refused.status).toBe(403);
    bookmarkOf(refused);
    const admin = await signedIn({ roles: ["user", "admin"] });
    const flags = await api("/api/v1/admin/feature-flags", { token: admin.token });
    expect(flags.status).toBe(200);
    bookmarkOf(flags);
  });

  it("is exposed to allowed browser origins by CORS", async () => {
    const { token } = await signedIn();
    const response = await api(ME, { token, headers: { origin: ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const exposed = (response.headers.get("access-control-expose-headers") ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase());
    expect(exposed).toContain("x-d1-bookmark");
    bookmarkOf(response);
  });

  it("may be sent by allowed browser origins (preflight)", async () => {
    const response = await api(ME, {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization, x-d1-bookmark",
      },
    });
    expect(response.status).toBe(204);
    const allowed = (response.headers.get("access-control-allow-headers") ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase());
    expect(allowed).toContain("x-d1-bookmark");
  });
});

describe("reading one's own writes with the bookmark", () => {
  it("PUT profile, then GET me with its bookmark, shows the new data and a bookmark at least as new", async () => {
    const { token } = await signedIn();
    const put = await api(PROFILE, { method: "PUT", token, json: newProfile });
    expect(put.status).toBe(200);
    const written = bookmarkOf(put);
    const me = await api(ME, { token, headers: { "x-d1-bookmark": written } });
    expect(me.status).toBe(200);
    const read = bookmarkOf(me);
    const body = (await me.json()) as { data: User };
    expect(body.data).toMatchObject(newProfile);
    // Fixed-width hex parts: string order is bookmark order.
    expect(read >= written).toBe(true);
  });

  it("a GET with a bookmark answers with at least that bookmark", async () => {
    const { token } = await signedIn();
    // Several writes, so the bookmark is not the database's first.
    for (const name of ["One", "Two", "Three"]) {
      const put = await api(PROFILE, { method: "PUT", token, json: { name, surname: "Writer" } });
      expect(put.status).toBe(200);
    }
    const latest = bookmarkOf(await api(PROFILE, { method: "PUT", token, json: newProfile }));
    for (const path of [ME, STATS, DELETION]) {
      const response = await api(path, { token, headers: { "x-d1-bookmark": latest } });
      expect(response.status).toBe(200);
      expect(bookmarkOf(response) >= latest).toBe(true);
    }
  });

  it("bookmarks never go backwards across a write", async () => {
    const { token } = await signedIn();
    const before = bookmarkOf(await api(ME, { token }));
    const put = await api(PROFILE, { method: "PUT", token, json: newProfile });
    const after = bookmarkOf(put);
    expect(after > before).toBe(true);
  });

  it.each([
    ["abc", "abc"],
    ["an uppercase bookmark", "00000000-00000009-00000000-0000000000000000000000000000000A"],
    ["a bookmark missing a part", "00000000-00000009-00000000"],
  ])("refuses an invalid X-D1-Bookmark (%s) with 400 naming it", async (_label, value) => {
    const { token } = await signedIn();
    for (const method of ["GET", "PUT"] as const) {
      const { status, body } = await call(method === "GET" ? ME : PROFILE, {
        method,
        token,
        headers: { "x-d1-bookmark": value },
        json: method === "PUT" ? newProfile : undefined,
      });
      expect(status).toBe(400);
      expect(body.isSuccess).toBe(false);
      expect(body.errors[0]).toBe("Validation failed");
      expect(body.errors.slice(1)).toEqual([
        "x-d1-bookmark: must be the X-D1-Bookmark value of an earlier response",
      ]);
    }
  });
});

describe("where a request's session starts", () => {
  it("a GET without a bookmark starts first-unconstrained (the nearest replica)", async () => {
    const { user, token } = await signedIn();
    const spy = watchD1(d1Of(user.id));
    for (const path of [ME, STATS, DELETION]) {
      const response = await apiWith(
        path,
        onShardOf(user.id, () => spy.d1),
        { token },
      );
      expect(response.status).toBe(200);
      bookmarkOf(response);
    }
    expect(spy.sessions).toEqual(["first-unconstrained", "first-unconstrained", "first-unconstrained"]);
  });

  it("a GET with a bookmark starts at that bookmark", async () => {
    const { user, token } = await signedIn();
    const written = bookmarkOf(await api(PROFILE, { method: "PUT", token, json: newProfile }));
    const spy = watchD1(d1Of(user.id));
    const response = await apiWith(
      ME,
      onShardOf(user.id, () => spy.d1),
      {
        token,
        headers: { "x-d1-bookmark": written },
      },
    );
    expect(response.status).toBe(200);
    // The header names its shard; the session opens at the D1 bookmark inside it.
    expect(spy.sessions).toEqual([BOOKMARK.exec(written)?.[2]]);
  });

  it("a GET with another shard's bookmark ignores it (first-unconstrained) and answers with its own", async () => {
    const { user, token } = await signedIn();
    const written = bookmarkOf(await api(PROFILE, { method: "PUT", token, json: newProfile }));
    const [, shard, inner] = BOOKMARK.exec(written) ?? [];
    const spy = watchD1(d1Of(user.id));
    const response = await apiWith(
      ME,
      onShardOf(user.id, () => spy.d1),
      {
        token,
        headers: { "x-d1-bookmark": `s${Number(shard) + 1}:${inner}` },
      },
    );
    expect(response.status).toBe(200);
    expect(spy.sessions).toEqual(["first-unconstrained"]);
    expect(bookmarkOf(response).startsWith(`s${shard}:`)).toBe(true);
  });

  it("PUT, PATCH, POST and DELETE start at the primary, even with a bookmark", async () => {
    const { user, token } = await signedIn();
    const spy = watchD1(d1Of(user.id));
    const bookmark = bookmarkOf(await api(ME, { token }));
    const writes: [string, string, unknown][] = [
      ["PUT", PROFILE, newProfile],
      ["PATCH", USERNAME, { username: `bm_${newObjectId().slice(-10)}` }],
      ["POST", DELETION, {}],
      ["DELETE", DELETION, undefined],
    ];
    for (const [method, path, json] of writes) {
      const response = await apiWith(
        path,
        onShardOf(user.id, () => spy.d1),
        {
          method,
          token,
          json,
          headers: { "x-d1-bookmark": bookmark },
        },
      );
      expect({ method, status: response.status }).toEqual({ method, status: 200 });
      bookmarkOf(response);
    }
    expect(spy.sessions).toEqual(["first-primary", "first-primary", "first-primary", "first-primary"]);
  });

  it("a refused write (401 for an unknown user) also started at the primary", async () => {
    const unknown = newObjectId();
    const spy = watchD1(d1Of(unknown));
    const response = await apiWith(
      PROFILE,
      onShardOf(unknown, () => spy.d1),
      {
        method: "PUT",
        token: await tokenFor(unknown),
        json: newProfile,
      },
    );
    expect(response.status).toBe(401);
    expect(spy.sessions).toEqual(["first-primary"]);
  });
});

describe("writes decide on the primary's state, not on what the client saw", () => {
  it("PUT profile is 403 for an account set pending deletion behind the client's back", async () => {
    const { user, token } = await signedIn();
    const me = await api(ME, { token });
    const seen = ((await me.json()) as { data: User }).data;
    expect(seen.accountDeletionStatus).toBeNull();
    const bookmark = bookmarkOf(me);

    await dbOf(user.id)
      .update(users)
      .set({
        accountDeletionStatus: "pending",
        accountDeletionRequestedAt: new Date(),
        accountDeletionScheduledFor: new Date(Date.now() + 28 * 86_400_000),
      })
      .where(eq(users.id, user.id));

    const { status, body } = await call(PROFILE, {
      method: "PUT",
      token,
      headers: { "x-d1-bookmark": bookmark },
      json: newProfile,
    });
    expect(status).toBe(403);
    expect(body.errors[0]).toBe("Insufficient permissions");
    expect(body.errors[1]).toMatch(/^The account is pending deletion until /);
    const stored = await storedUser(user.id);
    expect(stored.name).toBe(user.name);
    expect(stored.surname).toBe(user.surname);
  });

  it("PUT profile is 403 when the account turns pending between the token's check and the write", async () => {
    const { user, token } = await signedIn();
    const raced = changeBeforeFirstUsersStatement(() =>
      d1Of(user.id)
        .prepare(
          "UPDATE users SET account_deletion_status = 'pending', account_deletion_requested_at = ?, account_deletion_scheduled_for = ? WHERE id = ?",
        )
        .bind(Date.now(), Date.now() + 28 * 86_400_000, user.id)
        .run(),
    );
    const response = await apiWith(PROFILE, onShardOf(user.id, raced.wrap), {
      method: "PUT",
      token,
      json: newProfile,
    });
    expect(raced.state.fired).toBe(true);
    expect(response.status).toBe(403);
    const stored = await storedUser(user.id);
    expect(stored.accountDeletionStatus).toBe("pending");
    expect(stored.name).toBe(user.name);
  });

  it("PATCH username is the 409 cooldown when the name was changed behind the client's back", async () => {
    const { user, token } = await signedIn();
    const me = await api(ME, { token });
    expect(me.status).toBe(200);
    const bookmark = bookmarkOf(me);
    const changedAt = new Date();
    await dbOf(user.id).update(users).set({ usernameChangedAt: changedAt }).where(eq(users.id, user.id));

    const wanted = `bm_${newObjectId().slice(-10)}`;
    const { status, body } = await call(USERNAME, {
      method: "PATCH",
      token,
      headers: { "x-d1-bookmark": bookmark },
      json: { username: wanted },
    });
    expect(status).toBe(409);
    expect(body.errors[1]).toMatch(/^username: can be changed again from /);
    expect((await storedUser(user.id)).username).toBe(user.username);
  });

  it("PATCH username is the 409 cooldown when a change lands between the token's check and the write", async () => {
    const { user, token } = await signedIn();
    const raced = changeBeforeFirstUsersStatement(() =>
      d1Of(user.id)
        .prepare("UPDATE users SET username = ?, username_changed_at = ? WHERE id = ?")
        .bind(`other_${newObjectId().slice(-10)}`, Date.now(), user.id)
        .run(),
    );
    const wanted = `bm_${newObjectId().slice(-10)}`;
    const response = await apiWith(USERNAME, onShardOf(user.id, raced.wrap), {
      method: "PATCH",
      token,
      json: { username: wanted },
    });
    expect(raced.state.fired).toBe(true);
    expect(response.status).toBe(409);
    const body = (await response.json()) as { errors: string[] };
    expect(body.errors[1]).toMatch(/^username: can be changed again from /);
    expect((await storedUser(user.id)).username).not.toBe(wanted);
  });
});
