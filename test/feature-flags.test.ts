import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { clearFlagCache, FEATURE_FLAGS } from "../src/flags/flags";
import { DELETION, FINALIZE_NOW, FLAG } from "./deletion-helpers";
import { failing } from "./fault-bindings";
import { call, callWith, createUser, ISO_UTC, tokenFor } from "./helpers";

// The admin routes for feature flags, and what a KV outage means for a flag (off, never a 500).

type Flag = { key: string; enabled: boolean; description: string; updatedAt: string | null };

const FLAGS = "/api/v1/admin/feature-flags";

let adminToken: string;
let userToken: string;

beforeAll(async () => {
  const admin = await createUser({ roles: ["user", "admin"] });
  adminToken = await tokenFor(admin.id);
  const user = await createUser();
  userToken = await tokenFor(user.id);
});

describe("the admin feature-flag routes", () => {
  // In order: the first test sees KV empty in this file.
  it("an admin lists every declared flag, off by default", async () => {
    clearFlagCache();
    const { status, body } = await call<Flag[]>(FLAGS, { token: adminToken });
    expect(status).toBe(200);
    expect(body.data.map((flag) => flag.key).sort()).toEqual(Object.keys(FEATURE_FLAGS).sort());
    for (const flag of body.data) {
      expect(flag.enabled).toBe(false);
      expect(flag.updatedAt).toBeNull();
      expect(flag.description.length).toBeGreaterThan(0);
    }
    expect(body.data.find((flag) => flag.key === FLAG)).toBeDefined();
  });

  it("refuses a user without the admin role: 403 on GET and PUT, and the flag stays off", async () => {
    const list = await call(FLAGS, { token: userToken });
    expect(list.status).toBe(403);
    expect(list.body.errors).toEqual(["Insufficient permissions", "This needs the admin role"]);
    const put = await call(`${FLAGS}/${FLAG}`, { method: "PUT", token: userToken, json: { enabled: true } });
    expect(put.status).toBe(403);
    expect(await env.FLAGS.get(`feature-flag:${FLAG}`)).toBeNull();
  });

  it("refuses a token that claims admin when the database row does not (and X-Platform: admin)", async () => {
    const user = await createUser({ roles: ["user"] });
    const token = await tokenFor(user.id, { roles: ["admin"], role: "admin", isAdmin: true, admin: true });
    const headers = { "X-Platform": "admin" };
    expect((await call(FLAGS, { token, headers })).status).toBe(403);
    const put = await call(`${FLAGS}/${FLAG}`, { method: "PUT", token, headers, json: { enabled: true } });
    expect(put.status).toBe(403);
    expect(await env.FLAGS.get(`feature-flag:${FLAG}`)).toBeNull();
  });

  it("needs a token", async () => {
    expect((await call(FLAGS)).status).toBe(401);
    expect((await call(`${FLAGS}/${FLAG}`, { method: "PUT", json: { enabled: true } })).status).toBe(401);
  });

  it("PUT turns a flag on and off; GET shows it; KV holds it", async () => {
    const before = Date.now();
    const on = await call<Flag>(`${FLAGS}/${FLAG}`, {
      method: "PUT",
      token: adminToken,
      json: { enabled: true },
    });
    expect(on.status).toBe(200);
    expect(on.body.data.key).toBe(FLAG);
    expect(on.body.data.enabled).toBe(true);
    expect(on.body.data.updatedAt).toMatch(ISO_UTC);
    expect(Date.parse(on.body.data.updatedAt ?? "")).toBeGreaterThanOrEqual(before);
    const stored = await env.FLAGS.get<{ enabled: boolean }>(`feature-flag:${FLAG}`, "json");
    expect(stored?.enabled).toBe(true);

    const listed = await call<Flag[]>(FLAGS, { token: adminToken });
    expect(listed.body.data.find((flag) => flag.key === FLAG)?.enabled).toBe(true);

    const off = await call<Flag>(`${FLAGS}/${FLAG}`, {
      method: "PUT",
      token: adminToken,
      json: { enabled: false },
    });
    expect(off.status).toBe(200);
    expect(off.body.data.enabled).toBe(false);
    const listedOff = await call<Flag[]>(FLAGS, { token: adminToken });
    expect(listedOff.body.data.find((flag) => flag.key === FLAG)?.enabled).toBe(false);
  });

  it("an unknown key is 404", async () => {
    const { status, body } = await call(`${FLAGS}/no-such-flag`, {
      method: "PUT",
      token: adminToken,
      json: { enabled: true },
    });
    expect(status).toBe(404);
    expect(body.errors).toEqual(["Resource not found", "No such feature flag"]);
    expect(await env.FLAGS.get("feature-flag:no-such-flag")).toBeNull();
  });

  it("a bad body is 400: a string for enabled, an extra key, no body", async () => {
    const path = `${FLAGS}/${FLAG}`;
    const yes = await call(path, { method: "PUT", token: adminToken, json: { enabled: "yes" } });
    expect(yes.status).toBe(400);
    expect(yes.body.errors[0]).toBe("Validation failed");
    expect(yes.body.errors.join(" ")).toContain("enabled");

    const extra = await call(path, { method: "PUT", token: adminToken, json: { enabled: true, ttl: 5 } });
    expect(extra.status).toBe(400);
    expect(extra.body.errors.join(" ")).toContain("ttl");

    const none = await call(path, { method: "PUT", token: adminToken, json: {} });
    expect(none.status).toBe(400);

    // None of them turned the flag on.
    const listed = await call<Flag[]>(FLAGS, { token: adminToken });
    expect(listed.body.data.find((flag) => flag.key === FLAG)?.enabled).toBe(false);
  });
});

describe("a KV outage", () => {
  it("reads a flag as off: finalize-now is 403, never 500, and the request stays pending", async () => {
    const on = await call<Flag>(`${FLAGS}/${FLAG}`, {
      method: "PUT",
      token: adminToken,
      json: { enabled: true },
    });
    expect(on.body.data.enabled).toBe(true);

    // Healthy KV, flag on: a user with nothing pending gets the 409 of an enabled flag.
    clearFlagCache();
    const idle = await createUser();
    const healthy = await callWith(FINALIZE_NOW, {}, { method: "POST", token: await tokenFor(idle.id) });
    expect(healthy.status).toBe(409);

    const user = await createUser();
    const token = await tokenFor(user.id);
    expect((await call(DELETION, { method: "POST", token })).status).toBe(200);

    clearFlagCache();
    const kv = failing(env.FLAGS, ["get"]);
    const down = await callWith(FINALIZE_NOW, { FLAGS: kv.binding }, { method: "POST", token });
    expect(kv.calls.count).toBeGreaterThan(0);
    expect(down.status).toBe(403);
    expect(down.body.errors).toEqual(["Insufficient permissions", "Immediate finalization is not enabled"]);

    const listed = await callWith<Flag[]>(FLAGS, { FLAGS: kv.binding }, { token: adminToken });
    expect(listed.status).toBe(200);
    expect(listed.body.data.find((flag) => flag.key === FLAG)?.enabled).toBe(false);

    const state = await call<{ status: string }>(DELETION, { token });
    expect(state.body.data.status).toBe("pending");

    // The failed read is not remembered: once KV answers again, the flag is on.
    const back = await callWith<{ status: string }>(FINALIZE_NOW, {}, { method: "POST", token });
    expect(back.status).toBe(200);
    expect(back.body.data.status).toBe("finalized");
  });

  it("a KV binding whose get throws synchronously is also read as off, not a 500", async () => {
    const on = await call<Flag>(`${FLAGS}/${FLAG}`, {
      method: "PUT",
      token: adminToken,
      json: { enabled: true },
    });
    expect(on.body.data.enabled).toBe(true);
    const user = await createUser();
    const token = await tokenFor(user.id);
    expect((await call(DELETION, { method: "POST", token })).status).toBe(200);

    clearFlagCache();
    const kv = failing(env.FLAGS, ["get"], "throws");
    const down = await callWith(FINALIZE_NOW, { FLAGS: kv.binding }, { method: "POST", token });
    expect(kv.calls.count).toBeGreaterThan(0);
    expect(down.status).toBe(403);
    expect(down.body.errors).toEqual(["Insufficient permissions", "Immediate finalization is not enabled"]);
    const state = await call<{ status: string }>(DELETION, { token });
    expect(state.body.data.status).toBe("pending");
  });
});
