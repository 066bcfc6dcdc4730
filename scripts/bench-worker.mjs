// What the benches and the browser check share: building the Worker as `wrangler deploy` would, and
// running that bundle in workerd through Miniflare with the bindings wrangler.toml declares (every
// shard and the directory, migrated; R2, KV, queues, Images, assets), the secrets set, generous rate
// limits, and users registered where the app looks for them (their shard, and the directory).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { sign } from "hono/jwt";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { BUCKETS, bucketOf, evenShardOf } from "../src/lib/buckets.ts";
import { emailHash } from "../src/users/email-hash.ts";
import { ROOT, wranglerEnv } from "./lib.mjs";

export { ROOT };
export const OUT = join(ROOT, "bench/out");
export const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const EMAIL_SECRET = "bench-email-hash-secret-0123456789abcdef";

export const wrangler = (args) =>
  execFileSync(join(ROOT, "node_modules/.bin/wrangler"), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: wranglerEnv({ CI: "true" }),
    stdio: ["ignore", "pipe", "pipe"],
  });

/** Builds the Worker (or `entry` with the app bundled in) into bench/out/<name>; returns its output. */
export const build = (name, entry = [], flags = []) =>
  wrangler(["deploy", "--dry-run", "--outdir", join(OUT, name), ...flags, ...[entry].flat()]);

const MIGRATIONS = { DIRECTORY: "migrations-directory" };
const isShard = (binding) => /^USERS_\d+$/.test(binding);

/**
 * The built Worker in workerd. `options`: Miniflare's shared options (logs, inspector, port);
 * `bindings`: settings over wrangler.toml's; `workerOptions`: the Worker's own (more D1 databases,
 * say). `oneShard` pins every bucket to USERS_0 (SHARD_OF_BUCKET), the others still bound.
 */
export async function startBuiltWorker(
  script,
  options = {},
  bindings = {},
  workerOptions = {},
  { oneShard } = {},
) {
  // The bundle is one module: wrangler's rules for finding more do not apply.
  const { modulesRules, ...fromToml } = unstable_getMiniflareWorkerOptions(
    join(ROOT, "wrangler.toml"),
  ).workerOptions;
  const worker = {
    ...fromToml,
    name: "api",
    ...(typeof script === "string"
      ? { modules: true, scriptPath: script }
      : { modules: script, modulesRoot: "/" }),
    // The load comes from a few users and one IP: limits high enough never to refuse it.
    ratelimits: Object.fromEntries(
      Object.entries(fromToml.ratelimits).map(([name, limiter]) => [
        name,
        { ...limiter, simple: { ...limiter.simple, limit: 1_000_000 } },
      ]),
    ),
    bindings: {
      ...fromToml.bindings,
      JWT_SECRET: SECRET,
      EMAIL_HASH_SECRET: EMAIL_SECRET,
      EXPORT_SIGNING_SECRET: SECRET,
      ...(oneShard ? { SHARD_OF_BUCKET: `0-${BUCKETS - 1}:0` } : {}),
      ...bindings,
    },
    ...workerOptions,
    d1Databases: { ...fromToml.d1Databases, ...workerOptions.d1Databases },
  };
  const mf = new Miniflare(convertV4MiniflareOptions({ workers: [worker], ...options }));
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const env = await mf.getBindings();
  const names = Object.keys(worker.d1Databases);
  for (const name of names) await migrate(env[name], MIGRATIONS[name]);
  const shards = names
    .filter(isShard)
    .sort((a, b) => a.slice(6) - b.slice(6))
    .map((name) => env[name]);
  const shardOf = (id) => (oneShard ? 0 : evenShardOf(bucketOf(id), shards.length));
  const app = { mf, url, env, shards, directory: env.DIRECTORY, db: shards[0], shardOf };
  app.addUsers = (users, now) => addUsers(app, users, now);
  app.onShardOf = (id) => shards[shardOf(id)];
  apps.set(app.db, app);
  return app;
}

// bench-startup.mjs seeds through `app.db`: the Worker it belongs to is found from it.
const apps = new WeakMap();
export const appOf = (db) => apps.get(db) ?? db;

/** Applies a folder of migrations (migrations/ by default) as wrangler does. */
export async function migrate(db, folder = "migrations") {
  for (const { queries } of await readD1Migrations(join(ROOT, folder)))
    await db.batch(queries.map((query) => db.prepare(query)));
}

/** An in-memory Node SQLite with a folder's migrations (for dbstat, which local D1 refuses). */
export async function migratedSqlite(folder) {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(":memory:");
  for (const { queries } of await readD1Migrations(folder)) for (const query of queries) db.exec(query);
  return db;
}

/**
 * Registers users as the app would have: each row on its shard, its username and email (as the
 * keyed hash) claimed in the directory. `users`: {id, username?, email?}; one statement a table.
 */
async function addUsers(app, users, now = Date.now()) {
  const byShard = app.shards.map(() => []);
  for (const user of users) byShard[app.shardOf(user.id)].push(user);
  for (const [shard, rows] of byShard.entries()) {
    if (rows.length === 0) continue;
    await app.shards[shard]
      .prepare(
        `INSERT INTO users (id, username, name, surname, email, is_registration_complete, created_at, updated_at)
         SELECT value->>'id', value->>'username', 'Bench', 'User', value->>'email', 1, ?1, ?1 FROM json_each(?2)`,
      )
      .bind(now, JSON.stringify(rows))
      .run();
  }
  const named = users.filter((user) => user.username);
  const mailed = await Promise.all(
    users
      .filter((user) => user.email)
      .map(async ({ id, email }) => ({ id, hash: await emailHash(EMAIL_SECRET, email) })),
  );
  await app.directory.batch([
    app.directory
      .prepare(
        "INSERT INTO usernames (username, user_id, claimed_at) SELECT value->>'username', value->>'id', ? FROM json_each(?)",
      )
      .bind(now, JSON.stringify(named)),
    app.directory
      .prepare(
        "INSERT INTO emails (email_hash, user_id, claimed_at) SELECT value->>'hash', value->>'id', ? FROM json_each(?)",
      )
      .bind(now, JSON.stringify(mailed)),
  ]);
}

/** A bearer token for `sub`, an hour long, signed with the bench Worker's JWT_SECRET. */
export const tokenFor = (sub) => sign({ sub, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET, "HS256");

/** The newest workerd started by this process: Miniflare's runtime. */
export function workerdPid() {
  const children = readdirSync(`/proc/${process.pid}/task`).flatMap((thread) =>
    readFileSync(`/proc/${process.pid}/task/${thread}/children`, "utf8").split(" ").filter(Boolean),
  );
  const workerd = children.filter((pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd");
  return Math.max(...workerd.map(Number));
}

/**
 * CPU time of a process in ms, summed over its threads from /proc/<pid>/task/<tid>/schedstat (ns),
 * so it counts only time on a CPU: a busy machine delays it but does not inflate it.
 */
export function threadCpuMs(pid) {
  let nanos = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    nanos += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, "utf8").split(" ")[0]);
  }
  return nanos / 1e6;
}
