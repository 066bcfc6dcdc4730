// The data and the requests of `npm run bench`: who calls each endpoint, with which body, and what
// the database must hold before a run of it. Requests that can happen once per account (a deletion
// request, its cancel, finalize-now) take the next account of a pool, one per request.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appOf, ROOT, SECRET } from "./bench-worker.mjs";

const hexId = (prefix, n) => `${prefix}${n.toString(16).padStart(24 - prefix.length, "0")}`;
export const READER = hexId("aa", 1);
export const CROWD_STAR = hexId("bb", 1);
const WRITER = hexId("cc", 1);
const UPLOADER = hexId("dd", 1);
const RENAMER = hexId("cd", 1);
/** Each load of a pool endpoint may use this many accounts (more requests than that fail). */
const POOL_SIZE = 6000;

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const JWT_HEADER = base64url({ alg: "HS256", typ: "JWT" });
const tokens = new Map();

/** A bearer header for `sub`; signed synchronously, since autocannon builds requests synchronously. */
export function auth(sub) {
  let token = tokens.get(sub);
  if (!token) {
    const body = `${JWT_HEADER}.${base64url({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
    token = `${body}.${createHmac("sha256", SECRET).update(body).digest("base64url")}`;
    tokens.set(sub, token);
  }
  return { authorization: `Bearer ${token}` };
}

const json = (body) => ({ "content-type": "application/json", body: JSON.stringify(body) });

async function photoUpload() {
  const bytes = readFileSync(join(ROOT, "test/fixtures/photo-gps.jpg"));
  const form = new FormData();
  form.append("file", new File([bytes], "photo.jpg", { type: "image/jpeg" }));
  const request = new Request("http://bench/", { method: "PATCH", body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get("content-type") };
}
const photo = await photoUpload();

const poolUser = (pool, index) => hexId(pool, index % POOL_SIZE);
const poolWhere = "id >= ? AND id <= ?";
const poolRange = (pool) => [hexId(pool, 0), hexId(pool, POOL_SIZE - 1)];

async function setPool(app, pool, status) {
  const now = Date.now();
  for (const shard of app.shards)
    await shard
      .prepare(
        `UPDATE users SET account_deletion_status = ?, account_deletion_requested_at = ?,
         account_deletion_scheduled_for = ?, account_deletion_cancelled_at = NULL WHERE ${poolWhere}`,
      )
      .bind(status, status ? now : null, status ? now + 28 * 86_400_000 : null, ...poolRange(pool))
      .run();
}

/**
 * Every endpoint of the table, and the two floors. `floor` names the floor an endpoint is
 * compared with; `request(i, pool)` is the i-th request of a run; `prepare(app, pool)` runs before it.
 */
export const ENDPOINTS = [
  {
    name: "floor: one raw D1 read (replica)",
    key: "floorRead",
    request: () => ({ method: "GET", path: `/__bench/floor/read?id=${READER}` }),
  },
  {
    name: "floor: one raw UPDATE … RETURNING (primary)",
    key: "floorWrite",
    request: () => ({ method: "PUT", path: `/__bench/floor/write?id=${WRITER}` }),
  },
  {
    name: "GET /users/me",
    floor: "floorRead",
    request: () => ({ method: "GET", path: "/api/v1/users/me", headers: auth(READER) }),
  },
  {
    name: "GET /users/me/stats (100,000 followers)",
    floor: "floorRead",
    request: () => ({ method: "GET", path: "/api/v1/users/me/stats", headers: auth(CROWD_STAR) }),
  },
  {
    name: "GET /users/me/account-deletion",
    floor: "floorRead",
    request: () => ({ method: "GET", path: "/api/v1/users/me/account-deletion", headers: auth(READER) }),
  },
  {
    name: "PUT /users/profile",
    floor: "floorWrite",
    request: () => {
      const { body, ...type } = json({
        name: "Bench",
        surname: "Writer",
        bio: "Writes a lot",
        interests: ["music"],
      });
      return { method: "PUT", path: "/api/v1/users/profile", headers: { ...auth(WRITER), ...type }, body };
    },
  },
  {
    name: "PATCH /users/profile/username",
    floor: "floorWrite",
    request: (i, pool) => {
      const { body, ...type } = json({ username: `bench_${pool}_${i}` });
      return {
        method: "PATCH",
        path: "/api/v1/users/profile/username",
        headers: { ...auth(RENAMER), ...type },
        body,
      };
    },
  },
  {
    name: "PATCH /users/profile/photo (4.2 KB JPEG, replacing)",
    floor: "floorWrite",
    heldToGoal: false,
    request: () => ({
      method: "PATCH",
      path: "/api/v1/users/profile/photo",
      headers: { ...auth(UPLOADER), "content-type": photo.contentType },
      body: photo.body,
    }),
  },
  {
    name: "POST /users/me/account-deletion",
    floor: "floorWrite",
    prepare: (app, pool) => setPool(app, pool, null),
    request: (i, pool) => {
      const { body, ...type } = json({});
      return {
        method: "POST",
        path: "/api/v1/users/me/account-deletion",
        headers: { ...auth(poolUser(pool, i)), ...type },
        body,
      };
    },
  },
  {
    name: "DELETE /users/me/account-deletion",
    floor: "floorWrite",
    prepare: (app, pool) => setPool(app, pool, "pending"),
    request: (i, pool) => ({
      method: "DELETE",
      path: "/api/v1/users/me/account-deletion",
      headers: auth(poolUser(pool, i)),
    }),
  },
  {
    name: "POST /users/me/account-deletion/finalize-now",
    floor: "floorWrite",
    prepare: (app, pool) => setPool(app, pool, "pending"),
    request: (i, pool) => ({
      method: "POST",
      path: "/api/v1/users/me/account-deletion/finalize-now",
      headers: auth(poolUser(pool, i)),
    }),
  },
];

/** The bench's users, where the app looks for them; `crowd` adds the star's 100,000 followers. */
export async function seed(db, pools, { crowd = true } = {}) {
  const app = appOf(db);
  const now = Date.now();
  const named = [
    [READER, "reader"],
    [CROWD_STAR, "crowdstar"],
    [WRITER, "writer"],
    [UPLOADER, "uploader"],
    [RENAMER, "renamer"],
  ].map(([id, username]) => ({ id, username, email: `${username}@example.com` }));
  const pooled = pools.flatMap((pool) =>
    Array.from({ length: POOL_SIZE }, (_, n) => ({ id: hexId(pool, n) })),
  );
  await app.addUsers([...named, ...pooled], now);
  // Followers generated in SQL on the followee's shard, which keeps that side of each edge.
  const followers = async (followee, prefix, count) => {
    const shard = app.onShardOf(followee);
    const seq = "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1 - 1)";
    const ids = "?2 || printf('%0' || ?3 || 'x', n)";
    const params = [count, prefix, 24 - prefix.length, now];
    await shard.batch([
      shard
        .prepare(`${seq} INSERT INTO users (id, created_at, updated_at) SELECT ${ids}, ?4, ?4 FROM seq`)
        .bind(...params),
      shard
        .prepare(
          `${seq} INSERT INTO follows (follower_id, followee_id, created_at) SELECT ${ids}, ?5, ?4 FROM seq`,
        )
        .bind(...params, followee),
    ]);
  };
  await followers(READER, "a1", 10);
  if (crowd) await followers(CROWD_STAR, "b1", 100_000);
}

/** Turns the finalize-now flag on, as an admin's PUT would store it. */
export async function enableFinalizeNow(kv) {
  await kv.put(
    "feature-flag:account-deletion-finalize-now",
    JSON.stringify({ enabled: true, updatedAt: new Date().toISOString() }),
  );
}
